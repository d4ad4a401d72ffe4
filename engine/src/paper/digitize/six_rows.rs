//! Whether six rows of traces are a 6×2 sheet or a 3×4 with three rhythm strips.
//!
//! The two look alike: six rows, the lead changing part-way along. Labels are not read, but
//! the limb leads tell: carts compute aVR, aVL and aVF from I and II, so on a 6×2, whose first
//! 5 s show I, II, III, aVR, aVL and aVF at the same seconds, the rows obey Goldberger's
//! relations (aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2). On a 3×4 the lower rows are
//! rhythm strips (V1, II, V5, say) and do not.

use super::grid::Pitch;
use super::layout::Layout;
use super::record::reading;
use super::trace::Followed;
use super::Config;
use crate::Lead;

/// Largest share of a lead's spread that what a relation leaves unexplained may take, for the
/// worst of the three relations, on a 6×2. On 6×2 renders of the five fixture records (clean,
/// scanned, photographed and badly photographed) the worst relation left 0.08–0.35; on the
/// three real 3×4 sheets with three strips (photos 02, 06, 53), read as 6×2, 1.33–1.61.
const MAX_UNEXPLAINED: f64 = 0.5;
/// Spread (mV) below which a lead is taken as flat, for the comparison's scale.
const MIN_SPREAD_MV: f64 = 0.05;
/// Share of the first 5 s that all five leads must show.
const MIN_SEEN: f64 = 0.5;

/// Whether traces read as a 6×2 obey the limb-lead relations.
pub fn limb_leads_agree(
    traces: &[Followed],
    layout: &Layout,
    pitch: Pitch,
    config: &Config,
) -> bool {
    unexplained(traces, layout, pitch, config).is_some_and(|u| u <= MAX_UNEXPLAINED)
}

/// The worst relation's unexplained share (see `MAX_UNEXPLAINED`); `None` where the leads
/// were seen too little.
pub fn unexplained(
    traces: &[Followed],
    layout: &Layout,
    pitch: Pitch,
    config: &Config,
) -> Option<f64> {
    let lead = |wanted: Lead| traces.iter().find(|t| t.lead == wanted);
    let [i, ii, avr, avl, avf] = [Lead::I, Lead::II, Lead::AVR, Lead::AVL, Lead::AVF].map(lead);
    let (i, ii, avr, avl, avf) = (i?, ii?, avr?, avl?, avf?);
    let half = (2.0 * config.column_s * config.sampling_rate).round() as usize;
    let mut rows: Vec<[f64; 5]> = Vec::new();
    for s in 0..half {
        let read = |t: &Followed| reading(t, s, layout, pitch, config).map(f64::from);
        if let (Some(a), Some(b), Some(r), Some(l), Some(f)) =
            (read(i), read(ii), read(avr), read(avl), read(avf))
        {
            rows.push([a, b, r, l, f]);
        }
    }
    if (rows.len() as f64) < MIN_SEEN * half as f64 {
        return None;
    }
    // (computed lead, what it should equal): aVR, aVL, aVF from I and II.
    let relations: [(usize, fn(f64, f64) -> f64); 3] = [
        (2, |i, ii| -(i + ii) / 2.0),
        (3, |i, ii| i - ii / 2.0),
        (4, |i, ii| ii - i / 2.0),
    ];
    relations
        .iter()
        .map(|&(k, from)| {
            let predicted: Vec<f64> = rows.iter().map(|r| from(r[0], r[1])).collect();
            let residual: Vec<f64> = rows.iter().zip(&predicted).map(|(r, p)| r[k] - p).collect();
            let lead: Vec<f64> = rows.iter().map(|r| r[k]).collect();
            // Against the larger of the two: a lead nearly flat (an axis at right angles to
            // it) must not make a reading's noise look like a broken relation.
            let scale = spread(&lead).max(spread(&predicted)).max(MIN_SPREAD_MV);
            Some(spread(&residual) / scale)
        })
        .try_fold(0.0f64, |worst, u| u.map(|u| worst.max(u)))
}

/// RMS about the median: rows are read from their own baselines, so a relation may hold up to
/// a constant offset.
fn spread(values: &[f64]) -> f64 {
    let level = super::layout::median(values);
    (values.iter().map(|v| (v - level).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paper::digitize::tests::{followed, layout_of_rows, waveform, ONE_SAMPLE_PER_PX};

    /// The first 5 s of six rows, as a 6×2 reads them: I, II and four more leads made by `row`.
    fn agree(row: impl Fn(Lead, usize) -> f64) -> bool {
        let layout = layout_of_rows(6, 6, false);
        let traces: Vec<Followed> = [
            Lead::I,
            Lead::II,
            Lead::III,
            Lead::AVR,
            Lead::AVL,
            Lead::AVF,
        ]
        .iter()
        .enumerate()
        .map(|(r, &lead)| followed(lead, r, (0, 500), |i| row(lead, i)))
        .collect();
        limb_leads_agree(&traces, &layout, ONE_SAMPLE_PER_PX, &Config::default())
    }

    #[test]
    fn limb_leads_made_from_i_and_ii_agree_and_rhythm_strips_in_their_place_do_not() {
        let (i, ii) = (|s| waveform(Lead::I, s), |s| 0.8 * waveform(Lead::V2, s));
        let goldberger = |lead: Lead, s: usize| match lead {
            Lead::I => i(s),
            Lead::II => ii(s),
            Lead::III => ii(s) - i(s),
            Lead::AVR => -(i(s) + ii(s)) / 2.0,
            Lead::AVL => i(s) - ii(s) / 2.0,
            _ => ii(s) - i(s) / 2.0,
        };
        assert!(agree(goldberger));
        // A 3×4's lower rows: strips of V1, II and V5 where aVR, aVL and aVF would be.
        assert!(!agree(|lead, s| match lead {
            Lead::AVR => waveform(Lead::V1, s),
            Lead::AVL => ii(s),
            Lead::AVF => waveform(Lead::V5, s),
            _ => goldberger(lead, s),
        }));
    }
}
