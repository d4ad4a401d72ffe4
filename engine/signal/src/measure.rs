//! What the image encodings cannot carry: every encoding rescales its lead (the angular
//! fields to [−1, 1], the transition field to quantiles, the recurrence plot to robust units),
//! so the voltages that make hypertrophy, low voltage or an axis are gone, and one beat's
//! images say nothing of how regular the rhythm is. These few measurements put both back
//! beside the tower's embedding in the retrieval space (see `retrieval::measures`). The median
//! beat itself, sampled every 20 ms, comes last: it is not compared directly but feeds the
//! diagnostic probe (`retrieval::probe`), which reads ST levels, QRS width and T waves from it.

use super::scale::quantile;
use super::{median_beat, prepare, record_peaks, PrepareConfig, PreparedLeads};
use crate::Result;
use ecgmatch_formats::{Lead, Record};

/// Rhythm measurements first, then each lead's highest and lowest point of its median beat,
/// then each lead's median beat.
pub const MEASURE_COUNT: usize = COMPARED_COUNT + SHAPE_COUNT;
/// How many of the measurements, from the first, describe the rhythm.
pub const RHYTHM_COUNT: usize = 6;
/// The measurements that sit in the retrieval space themselves: rhythm and voltages.
pub const COMPARED_COUNT: usize = RHYTHM_COUNT + 24;
/// Each lead's median beat every `SHAPE_STEP` samples, from the first after the window's start.
pub const SHAPE_COUNT: usize = 12 * SHAPE_PER_LEAD;
const SHAPE_STEP: usize = 2;
const SHAPE_PER_LEAD: usize = (BEFORE_R + AFTER_R) / SHAPE_STEP;

/// Seconds measured from a record's start: the span the signal cache keeps.
pub const MEASURED_SECONDS: f64 = 10.0;

/// The median beat's window around R, in samples at 100 Hz, and its first samples, which lie
/// before the P wave in all but the fastest rhythms and serve as its baseline.
const BEFORE_R: usize = 35;
const AFTER_R: usize = 65;
const BASELINE: usize = 15;

/// RR intervals outside this range (s) are missed or doubled detections, not rhythm.
const RR_RANGE_S: (f32, f32) = (0.2, 3.0);
/// Added before logarithms of spreads, so a perfectly regular rhythm stays finite.
const SPREAD_FLOOR_S: f32 = 0.01;

/// Names of the measurements, in order (units: log seconds, beats per second, mV).
pub fn measure_names() -> Vec<String> {
    let rhythm = [
        "ln mean RR",
        "ln RR standard deviation",
        "ln RMSSD",
        "ln longest/shortest RR",
        "beats per second",
        "ln median successive RR change",
    ];
    let mut names: Vec<String> = rhythm.iter().map(|s| s.to_string()).collect();
    for kind in ["highest", "lowest"] {
        names.extend(
            Lead::STANDARD
                .iter()
                .map(|l| format!("{} median beat {kind} (mV)", l.label())),
        );
    }
    for lead in Lead::STANDARD {
        names.extend(shape_offsets().map(|i| {
            let ms = (i as i64 - BEFORE_R as i64) * 10;
            format!("{} median beat at {ms:+} ms from R (mV)", lead.label())
        }));
    }
    names
}

/// The measurements of prepared leads (100 Hz, band-limited as [`PrepareConfig::default`]).
/// NaN marks what could not be measured: a missing lead, or a record without beats.
pub fn measure(leads: &PreparedLeads) -> [f32; MEASURE_COUNT] {
    let mut out = [f32::NAN; MEASURE_COUNT];
    let fs = leads.sampling_rate;
    let Some((peaks, _)) = record_peaks(leads, BEFORE_R, AFTER_R) else {
        return out;
    };
    let seconds = leads.len() as f64 / fs;
    out[..RHYTHM_COUNT].copy_from_slice(&rhythm(&peaks, fs, seconds));
    for lead in Lead::STANDARD {
        let Some(beat) = leads
            .get(lead)
            .and_then(|x| median_beat(x, &peaks, BEFORE_R, AFTER_R))
        else {
            continue;
        };
        let baseline = quantile(&beat[..BASELINE], 0.5);
        let (high, low) = beat.iter().fold((f32::MIN, f32::MAX), |(h, l), v| {
            (h.max(v - baseline), l.min(v - baseline))
        });
        out[RHYTHM_COUNT + lead.index()] = high;
        out[RHYTHM_COUNT + 12 + lead.index()] = low;
        let shape = COMPARED_COUNT + lead.index() * SHAPE_PER_LEAD;
        for (o, i) in out[shape..shape + SHAPE_PER_LEAD]
            .iter_mut()
            .zip(shape_offsets())
        {
            *o = beat[i] - baseline;
        }
    }
    out
}

/// The median beat's samples kept for its shape: every `SHAPE_STEP`th, R among them
/// (at 100 Hz, every 20 ms from 340 ms before R).
fn shape_offsets() -> impl Iterator<Item = usize> {
    (BEFORE_R % SHAPE_STEP..BEFORE_R + AFTER_R)
        .step_by(SHAPE_STEP)
        .take(SHAPE_PER_LEAD)
}

/// Rate and regularity from R peaks: a regular rhythm, sinus arrhythmia, ectopic beats and
/// fibrillation differ in how the intervals spread and how much each differs from the last.
fn rhythm(peaks: &[usize], fs: f64, seconds: f64) -> [f32; RHYTHM_COUNT] {
    let mut rr: Vec<f32> = peaks
        .windows(2)
        .map(|w| ((w[1] - w[0]) as f64 / fs) as f32)
        .filter(|r| (RR_RANGE_S.0..RR_RANGE_S.1).contains(r))
        .collect();
    if rr.len() < 2 {
        rr = vec![1.0, 1.0];
    }
    let n = rr.len() as f32;
    let mean = rr.iter().sum::<f32>() / n;
    let sd = (rr.iter().map(|r| (r - mean).powi(2)).sum::<f32>() / n).sqrt();
    let steps: Vec<f32> = rr.windows(2).map(|w| w[1] - w[0]).collect();
    let rmssd = (steps.iter().map(|d| d * d).sum::<f32>() / steps.len() as f32).sqrt();
    let (shortest, longest) = rr
        .iter()
        .fold((f32::MAX, f32::MIN), |(s, l), r| (s.min(*r), l.max(*r)));
    let relative: Vec<f32> = steps.iter().zip(&rr).map(|(d, r)| d.abs() / r).collect();
    let median = quantile(&relative, 0.5);
    [
        mean.ln(),
        (sd + SPREAD_FLOOR_S).ln(),
        (rmssd + SPREAD_FLOOR_S).ln(),
        (longest / shortest).ln(),
        (peaks.len() as f64 / seconds.max(1e-9)) as f32,
        (median + SPREAD_FLOOR_S).ln(),
    ]
}

/// What a clinician can read back from the measurements: the rate, how much the RR
/// intervals vary, and the lead with the largest deflection of its median beat.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MeasureSummary {
    pub heart_rate_bpm: f32,
    pub rr_sd_ms: f32,
    /// The lead, and its largest deflection from the baseline in mV (signed).
    pub largest_deflection: Option<(Lead, f32)>,
}

/// `None` for a record without beats.
pub fn summary(measures: &[f32]) -> Option<MeasureSummary> {
    if measures.len() != MEASURE_COUNT || !measures[0].is_finite() {
        return None;
    }
    let largest_deflection = Lead::STANDARD
        .iter()
        .flat_map(|l| {
            let i = RHYTHM_COUNT + l.index();
            [(*l, measures[i]), (*l, measures[i + 12])]
        })
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
    Some(MeasureSummary {
        heart_rate_bpm: 60.0 / measures[0].exp(),
        rr_sd_ms: ((measures[1].exp() - SPREAD_FLOOR_S) * 1000.0).max(0.0),
        largest_deflection,
    })
}

/// A record's measurements over its first [`MEASURED_SECONDS`], prepared as the signal cache
/// prepares the training records, so that a query is measured as the library was.
pub fn record_measurements(record: &Record) -> Result<[f32; MEASURE_COUNT]> {
    let config = PrepareConfig::default();
    let mut leads = prepare(record, &config)?;
    let keep = (MEASURED_SECONDS * config.sampling_rate).round() as usize;
    for x in leads.leads.iter_mut().flatten() {
        x.truncate(keep);
    }
    Ok(measure(&leads))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpeaks::tests::synthetic_ecg;

    fn leads_of(x: Vec<f32>, scale: [f32; 12]) -> PreparedLeads {
        let config = PrepareConfig::default();
        let filter = |x: &[f32]| {
            let hp =
                crate::Butterworth::design(crate::FilterKind::HighPass, 2, 0.5, 100.0).unwrap();
            hp.filtfilt(x)
        };
        let base = filter(&x);
        PreparedLeads {
            sampling_rate: config.sampling_rate,
            leads: std::array::from_fn(|l| {
                (scale[l] != 0.0).then(|| base.iter().map(|v| v * scale[l]).collect())
            }),
        }
    }

    #[test]
    fn a_regular_rhythm_is_measured_at_its_rate_with_its_voltages() {
        let r_times: Vec<f64> = (0..12).map(|k| 0.5 + k as f64 * 0.8).collect();
        let mut scale = [1.0f32; 12];
        scale[Lead::V5.index()] = 2.5;
        scale[Lead::AVR.index()] = -1.0;
        scale[Lead::V1.index()] = 0.0; // a missing lead
        let m = measure(&leads_of(synthetic_ecg(100.0, 10.0, &r_times), scale));
        assert!((m[0].exp() - 0.8).abs() < 0.02, "mean RR {}", m[0].exp());
        assert!(m[1].exp() - SPREAD_FLOOR_S < 0.02, "RR sd {}", m[1].exp());
        assert!(m[3] < 0.05, "longest/shortest {}", m[3].exp());
        assert!((m[4] - 1.2).abs() < 0.11, "beats per second {}", m[4]);
        let high = |l: Lead| m[RHYTHM_COUNT + l.index()];
        let low = |l: Lead| m[RHYTHM_COUNT + 12 + l.index()];
        assert!(
            (0.8..1.4).contains(&high(Lead::II)),
            "R in II {}",
            high(Lead::II)
        );
        assert!((high(Lead::V5) / high(Lead::II) - 2.5).abs() < 0.05);
        // aVR is II upside down: its lowest point is II's R.
        assert!((low(Lead::AVR) + high(Lead::II)).abs() < 0.02);
        assert!(high(Lead::V1).is_nan() && low(Lead::V1).is_nan());
        let told = summary(&m).unwrap();
        assert!((told.heart_rate_bpm - 75.0).abs() < 2.0, "{told:?}");
        assert!(told.rr_sd_ms < 20.0, "{told:?}");
        assert_eq!(told.largest_deflection.map(|d| d.0), Some(Lead::V5));
        // The shape is the median beat itself: its sample at R is the highest point in II.
        let at_r = COMPARED_COUNT
            + Lead::II.index() * SHAPE_PER_LEAD
            + shape_offsets().position(|i| i == BEFORE_R).unwrap();
        assert!(
            (m[at_r] - high(Lead::II)).abs() < 0.1,
            "{} {}",
            m[at_r],
            high(Lead::II)
        );
        let v1 = COMPARED_COUNT + Lead::V1.index() * SHAPE_PER_LEAD;
        assert!(m[v1..v1 + SHAPE_PER_LEAD].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn irregular_rhythm_spreads_its_intervals() {
        let regular: Vec<f64> = (0..12).map(|k| 0.5 + k as f64 * 0.8).collect();
        let mut t = 0.4;
        let irregular: Vec<f64> = [0.6, 1.0, 0.5, 0.9, 0.7, 1.1, 0.55, 0.8, 0.95, 0.6, 0.75]
            .iter()
            .map(|d| {
                t += d;
                t
            })
            .collect();
        let a = measure(&leads_of(synthetic_ecg(100.0, 10.0, &regular), [1.0; 12]));
        let b = measure(&leads_of(synthetic_ecg(100.0, 10.0, &irregular), [1.0; 12]));
        // Spreads on a log scale; longest/shortest is ln(1.1 / 0.5) here.
        for (i, margin) in [(1, 1.0), (2, 1.0), (3, 0.7), (5, 1.0)] {
            assert!(
                b[i] > a[i] + margin,
                "measure {i}: regular {} irregular {}",
                a[i],
                b[i]
            );
        }
    }

    #[test]
    fn a_flat_record_is_unmeasured_not_a_panic() {
        let m = measure(&leads_of(vec![0.0; 1000], [1.0; 12]));
        assert!(m.iter().all(|v| v.is_nan()));
        assert_eq!(summary(&m), None);
        assert_eq!(measure_names().len(), MEASURE_COUNT);
    }
}
