//! How far each lead read off a picture can be trusted, from evidence the picture itself gives,
//! and whether the reading is good enough to search with.
//!
//! - **Seen**: the share of its printed cell (2.5 s) the trace was followed through.
//! - **Beats**: a heart beats in every lead at once, so a lead's R peaks coincide with those of
//!   the leads printed at the same seconds (the rhythm strip runs under every cell); scraps of
//!   grid, text or a crease followed as a trace do not.
//! - **Limb relations**: carts compute III, aVR, aVL and aVF from I and II, so every limb lead
//!   is fixed by any two others seen at the same seconds (Einthoven, Goldberger); a lead is
//!   judged by the pair that explains it best, and a pair both misread explains nothing.
//!
//! A lead is trusted when no evidence speaks against it. Doubtful leads are left out of the
//! query (limb leads recomputed from two trusted ones, chest leads flat), and a picture with
//! fewer than [`MIN_TRUSTED`] trusted leads, or without lead II, is not searched at all.
//!
//! The thresholds were chosen on renders (`ecgmatch digitize-eval --ptbxl`, which counts the
//! leads doubted per level) so that a well-read render is seldom doubted; the real photos are
//! scored with them, not tuned on.

use ecgmatch_formats::record::LIMB_LEADS_FROM_I_AND_II;
use ecgmatch_formats::{Lead, Record};
use ecgmatch_signal::fill::{seen_window, EDGE_S};

/// A lead followed through less than this share of a 2.5-s cell is doubtful.
pub const MIN_SEEN: f64 = 0.5;
/// A lead whose R peaks coincide with those of the leads beside it less often than this is
/// doubtful.
pub const MIN_BEATS: f64 = 0.5;
/// A limb lead that the best pair of other limb leads leaves more than this share of its
/// spread unexplained is doubtful.
pub const MAX_UNEXPLAINED: f64 = 0.7;
/// Fewest trusted leads (of twelve, lead II among them) worth a search.
pub const MIN_TRUSTED: usize = 8;
/// Peaks this close (s) in two leads are one beat: the largest deflection may fall anywhere in
/// a QRS, which a bundle branch block widens to 0.16 s.
pub const SAME_BEAT_S: f64 = 0.12;
/// Seconds two leads must be seen together to be compared.
pub const LEAST_TOGETHER_S: f64 = 1.0;
/// Spread (mV) below which a lead is taken as flat, for the relations' scale.
const MIN_SPREAD_MV: f64 = 0.05;

/// Each limb lead in terms of I and II (`lead = a·I + b·II`), read off the relations the
/// cart computes them by ([`LIMB_LEADS_FROM_I_AND_II`]).
fn limb_leads() -> [(Lead, [f64; 2]); 6] {
    let mut leads = [(Lead::I, [1.0, 0.0]); 6];
    leads[1] = (Lead::II, [0.0, 1.0]);
    for (slot, (lead, from)) in leads[2..].iter_mut().zip(LIMB_LEADS_FROM_I_AND_II) {
        *slot = (lead, [f64::from(from(1.0, 0.0)), f64::from(from(0.0, 1.0))]);
    }
    leads
}

/// The evidence about one lead; `None` where the picture gives none (no peaks, no partner
/// seen at the same time).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTrust {
    pub lead: Lead,
    /// Share of a 2.5-s cell seen, at most 1.
    pub seen: f64,
    /// Share of its R peaks that coincide with peaks of leads seen at the same time.
    pub beats: Option<f64>,
    /// Smallest share of its spread left unexplained by a pair of other limb leads.
    pub unexplained: Option<f64>,
}

impl LeadTrust {
    pub fn trusted(&self) -> bool {
        self.doubt().is_none()
    }

    /// Why the lead is doubtful, in words for the person who took the picture.
    pub fn doubt(&self) -> Option<String> {
        if self.seen < MIN_SEEN {
            return Some(format!("seen over {:.0}% of its cell", 100.0 * self.seen));
        }
        if let Some(b) = self.beats.filter(|b| *b < MIN_BEATS) {
            return Some(format!(
                "only {:.0}% of its heartbeats line up with the other leads'",
                100.0 * b
            ));
        }
        if let Some(u) = self.unexplained.filter(|u| *u > MAX_UNEXPLAINED) {
            return Some(format!(
                "it disagrees with the other limb leads (Einthoven/Goldberger leave {:.0}% unexplained)",
                100.0 * u
            ));
        }
        None
    }
}

/// The evidence for every standard lead, in [`Lead::STANDARD`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Trust {
    pub leads: Vec<LeadTrust>,
}

impl Trust {
    pub fn trusted_count(&self) -> usize {
        self.leads.iter().filter(|l| l.trusted()).count()
    }

    pub fn is_trusted(&self, lead: Lead) -> bool {
        self.leads.iter().any(|l| l.lead == lead && l.trusted())
    }

    /// Whether the reading may be searched; if not, what to retake.
    pub fn searchable(&self) -> Result<(), String> {
        let doubtful: Vec<&str> = self
            .leads
            .iter()
            .filter(|l| !l.trusted())
            .map(|l| l.lead.label())
            .collect();
        if self.trusted_count() >= MIN_TRUSTED && self.is_trusted(Lead::II) {
            return Ok(());
        }
        Err(format!(
            "only {} of 12 leads were read with confidence{} (doubtful: {}); a search needs lead II and at least {MIN_TRUSTED}. \
             Retake the photo straight from above, the whole sheet flat and evenly lit, filling the frame, without shadows or glare on the traces",
            self.trusted_count(),
            if self.is_trusted(Lead::II) { "" } else { ", lead II (the rhythm strip) not among them" },
            doubtful.join(", ")
        ))
    }

    /// `record` with its doubtful leads left out: a limb lead recomputed from two trusted limb
    /// leads where there are two, otherwise (and for chest leads) flat at zero.
    pub fn query_record(&self, record: &Record) -> Record {
        let mut out = record.clone();
        let trusted_limbs: Vec<(Lead, [f64; 2])> = limb_leads()
            .into_iter()
            .filter(|(l, _)| self.is_trusted(*l))
            .collect();
        let basis = match trusted_limbs.as_slice() {
            [a, b, ..] => record
                .lead(a.0)
                .zip(record.lead(b.0))
                .map(|(x, y)| (a.1, b.1, &x.samples, &y.samples)),
            _ => None,
        };
        for channel in &mut out.channels {
            let Some(lead) = channel.lead.filter(|l| !self.is_trusted(*l)) else {
                continue;
            };
            let coefficients = limb_leads()
                .into_iter()
                .find(|(l, _)| *l == lead)
                .map(|c| c.1);
            match (coefficients, &basis) {
                (Some(c), Some((ca, cb, xa, xb))) => {
                    channel.derived = true;
                    for (i, v) in channel.samples.iter_mut().enumerate() {
                        let (a, b) = (xa[i] as f64, xb[i] as f64);
                        *v = predict(c, *ca, *cb, a, b).unwrap_or(0.0) as f32;
                    }
                }
                _ => channel.samples.iter_mut().for_each(|v| *v = 0.0),
            }
        }
        out
    }
}

/// Weighs the evidence for each standard lead of `record` (only the samples `visible` marks
/// as read count).
pub fn assess(record: &Record, visible: &[Vec<bool>]) -> Trust {
    let fs = record.sampling_rate;
    let samples: Vec<Vec<f32>> = Lead::STANDARD
        .iter()
        .map(|l| {
            record
                .lead(*l)
                .map(|c| c.samples.clone())
                .unwrap_or_default()
        })
        .collect();
    let total = samples.iter().map(Vec::len).max().unwrap_or(0);
    let cell = (total as f64 / 4.0).max(1.0);
    let beats = beat_matches(&samples, visible, fs);
    let leads = Lead::STANDARD
        .iter()
        .enumerate()
        .map(|(k, &lead)| {
            let seen = visible
                .get(k)
                .map_or(0, |v| v.iter().filter(|s| **s).count());
            let (matched, compared) = beats[k];
            LeadTrust {
                lead,
                seen: (seen as f64 / cell).min(1.0),
                beats: (compared > 0).then(|| matched as f64 / compared as f64),
                unexplained: unexplained(lead, &samples, visible, fs),
            }
        })
        .collect();
    Trust { leads }
}

/// Per lead: (its R peaks matched by a peak of a partner within [`SAME_BEAT_S`], its peaks
/// compared) for its median partner over every lead seen together with it for
/// [`LEAST_TOGETHER_S`], away from the seen stretches' ends. The median, so that one misread
/// neighbour (or one whose peak falls elsewhere in a wide QRS) does not spoil a lead's
/// evidence. Its weakness: a column of leads misread alike (grid lines followed in each) may
/// vouch for each other; agreement with the rhythm strip alone was tried and failed on clean
/// renders of bundle branch blocks, whose strip peaks fell elsewhere in the QRS than the
/// cells' (00180, 00271, 00336: 0% at ±0.12 s).
pub fn beat_matches(samples: &[Vec<f32>], visible: &[Vec<bool>], fs: f64) -> Vec<(usize, usize)> {
    let peaks: Vec<Option<(usize, usize, Vec<usize>)>> = samples
        .iter()
        .zip(visible)
        .map(|(x, v)| {
            let (a, b) = seen_window(v)?;
            let found = ecgmatch_signal::detect_r_peaks(&x[a..b], fs);
            Some((a, b, found.into_iter().map(|p| p + a).collect()))
        })
        .collect();
    let (tolerance, edge, least) = (
        (SAME_BEAT_S * fs).round() as usize,
        (EDGE_S * fs).round() as usize,
        (LEAST_TOGETHER_S * fs) as usize,
    );
    let agreement = |one: &(usize, usize, Vec<usize>), other: &(usize, usize, Vec<usize>)| {
        let ((a1, b1, p1), (a2, b2, p2)) = (one, other);
        let (from, to) = ((*a1).max(*a2) + edge, (*b1).min(*b2).saturating_sub(edge));
        if to < from + least {
            return None;
        }
        let compared: Vec<&usize> = p1.iter().filter(|p| (from..to).contains(*p)).collect();
        let matched = compared
            .iter()
            .filter(|p| p2.iter().any(|q| q.abs_diff(***p) <= tolerance))
            .count();
        (!compared.is_empty()).then_some((matched, compared.len()))
    };
    let share = |(m, n): (usize, usize)| m as f64 / n as f64;
    peaks
        .iter()
        .enumerate()
        .map(|(i, one)| {
            let Some(one) = one else {
                return (0, 0);
            };
            let mut pairs: Vec<(usize, usize)> = peaks
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .filter_map(|(_, other)| agreement(one, other.as_ref()?))
                .collect();
            pairs.sort_by(|a, b| share(*a).total_cmp(&share(*b)));
            pairs.get(pairs.len() / 2).copied().unwrap_or((0, 0))
        })
        .collect()
}

/// The smallest share of limb lead `lead`'s spread that a pair of other limb leads, seen with
/// it for [`LEAST_TOGETHER_S`], leaves unexplained; `None` for chest leads or without a pair.
fn unexplained(lead: Lead, samples: &[Vec<f32>], visible: &[Vec<bool>], fs: f64) -> Option<f64> {
    let target = limb_leads().into_iter().find(|(l, _)| *l == lead)?.1;
    let others: Vec<(Lead, [f64; 2])> = limb_leads()
        .into_iter()
        .filter(|(l, _)| *l != lead)
        .collect();
    let seen = |l: Lead, i: usize| visible.get(l.index()).and_then(|v| v.get(i)) == Some(&true);
    let value = |l: Lead, i: usize| samples[l.index()][i] as f64;
    let mut best: Option<f64> = None;
    for (n, (a, ca)) in others.iter().enumerate() {
        for (b, cb) in &others[n + 1..] {
            let (mut read, mut computed) = (Vec::new(), Vec::new());
            for i in 0..samples[lead.index()].len() {
                if seen(lead, i) && seen(*a, i) && seen(*b, i) {
                    if let Some(v) = predict(target, *ca, *cb, value(*a, i), value(*b, i)) {
                        read.push(value(lead, i));
                        computed.push(v);
                    }
                }
            }
            if (read.len() as f64) < LEAST_TOGETHER_S * fs {
                continue;
            }
            let residual: Vec<f64> = read.iter().zip(&computed).map(|(r, c)| r - c).collect();
            // Against the larger of the two: a lead nearly flat (its axis at right angles to
            // the heart's) must not make a reading's noise look like a broken relation.
            let share = spread(&residual) / spread(&read).max(spread(&computed)).max(MIN_SPREAD_MV);
            best = Some(best.map_or(share, |b: f64| b.min(share)));
        }
    }
    best
}

/// The lead with coefficients `target` (in I, II) from leads `a` and `b` with theirs.
fn predict(target: [f64; 2], ca: [f64; 2], cb: [f64; 2], a: f64, b: f64) -> Option<f64> {
    let det = ca[0] * cb[1] - ca[1] * cb[0];
    if det.abs() < 1e-9 {
        return None;
    }
    let i = (a * cb[1] - b * ca[1]) / det;
    let ii = (ca[0] * b - cb[0] * a) / det;
    Some(target[0] * i + target[1] * ii)
}

/// RMS about the median: rows are read from their own baselines, so a relation may hold up to
/// a constant offset.
pub fn spread(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let level = super::layout::median(values);
    (values.iter().map(|v| (v - level).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecgmatch_formats::Channel;

    /// Ten seconds of a 12-lead ECG at 100 Hz: limb leads made from I and II as a cart makes
    /// them, chest leads with the same beats, every lead seen in its 3×4 cell and II throughout.
    fn reading(spoil: &[Lead]) -> (Record, Vec<Vec<bool>>) {
        let fs = 100.0;
        let beat = |i: usize, gain: f64, phase: f64| {
            let t = i as f64 / fs;
            let r = (t * 1.2 + phase).fract();
            gain * (-((r - 0.3) / 0.02).powi(2)).exp()
                + 0.2 * gain * (-((r - 0.6) / 0.08).powi(2)).exp()
        };
        let i_lead = |i: usize| beat(i, 0.6, 0.0);
        let ii_lead = |i: usize| beat(i, 1.1, 0.0);
        let mut channels = Vec::new();
        let mut visible = Vec::new();
        for (k, &lead) in Lead::STANDARD.iter().enumerate() {
            let column = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3][k];
            let samples: Vec<f32> = (0..1000)
                .map(|i| {
                    let v = match limb_leads().into_iter().find(|(l, _)| *l == lead) {
                        Some((_, c)) => c[0] * i_lead(i) + c[1] * ii_lead(i),
                        None => beat(i, 0.4 + 0.1 * k as f64, 0.0),
                    };
                    // A misread lead: a texture with a rhythm of its own.
                    if spoil.contains(&lead) {
                        let k = k as f64;
                        (0.5 * (i as f64 * (0.3 + 0.05 * k)).sin() + beat(i, 0.8, 0.25 + 0.29 * k))
                            as f32
                    } else {
                        v as f32
                    }
                })
                .collect();
            visible.push(
                (0..1000)
                    .map(|i| lead == Lead::II || i / 250 == column)
                    .collect(),
            );
            channels.push(Channel {
                name: lead.label().into(),
                lead: Some(lead),
                units: "mV".into(),
                samples,
                derived: false,
            });
        }
        let record = Record {
            name: "reading".into(),
            sampling_rate: fs,
            channels,
            metadata: Default::default(),
            warnings: Vec::new(),
        };
        (record, visible)
    }

    #[test]
    fn a_faithful_reading_is_trusted_throughout() {
        let (record, visible) = reading(&[]);
        let trust = assess(&record, &visible);
        for l in &trust.leads {
            assert!(l.trusted(), "{l:?}: {:?}", l.doubt());
        }
        assert!(trust.searchable().is_ok());
    }

    #[test]
    fn misread_leads_are_doubted_and_too_many_stop_the_search() {
        let (record, visible) = reading(&[Lead::III, Lead::V2]);
        let trust = assess(&record, &visible);
        let doubted: Vec<Lead> = trust
            .leads
            .iter()
            .filter(|l| !l.trusted())
            .map(|l| l.lead)
            .collect();
        // III's only partners in its cell are I and II; with III misread the pair (II, III)
        // cannot explain I either, so I is doubted with it.
        assert!(
            doubted.contains(&Lead::III) && doubted.contains(&Lead::V2),
            "{doubted:?}"
        );
        assert!(
            !doubted.contains(&Lead::II) && !doubted.contains(&Lead::V5),
            "{doubted:?}"
        );
        let query = trust.query_record(&record);
        let iii = &query.lead(Lead::III).unwrap().samples;
        let (i, ii) = (
            &record.lead(Lead::I).unwrap().samples,
            &record.lead(Lead::II).unwrap().samples,
        );
        if trust.is_trusted(Lead::I) {
            assert!(
                (iii[100] - (ii[100] - i[100])).abs() < 1e-5,
                "III recomputed"
            );
        }
        assert!(query
            .lead(Lead::V2)
            .unwrap()
            .samples
            .iter()
            .all(|v| *v == 0.0));

        let (record, visible) = reading(&[Lead::II, Lead::V1]);
        let refused = assess(&record, &visible).searchable().unwrap_err();
        assert!(refused.contains("lead II"), "{refused}");
        // Five chest leads lost after a fifth of their cells: too few leads left to search.
        let (record, mut visible) = reading(&[]);
        for v in &mut visible[6..11] {
            let first = v.iter().position(|s| *s).unwrap_or(0);
            v.iter_mut().skip(first + 50).for_each(|s| *s = false);
        }
        let refused = assess(&record, &visible).searchable().unwrap_err();
        assert!(refused.contains("Retake"), "{refused}");
    }
}
