//! Scoring the digitizer on rendered sheets of real records: each lead's Challenge 2024 SNR
//! against the window of the record that the sheet printed (the rest of the truth is NaN, so
//! that a 2.5 s cell is not charged for the 7.5 s it never showed).

use super::digitize::Digitized;
use super::render::Rendered;
use super::snr::{challenge_snr, SnrConfig};
use ecgmatch_formats::{Lead, Record};
use ecgmatch_signal::fill_leads;

/// The true samples of `lead` inside the longest window the sheet printed it in (lead II's
/// rhythm strip, where there is one), NaN elsewhere.
pub fn printed_reference(truth: &Record, rendered: &Rendered, lead: Lead) -> Vec<f32> {
    let Some(channel) = truth.lead(lead) else {
        return Vec::new();
    };
    let fs = truth.sampling_rate;
    let (start, end) = rendered
        .truth
        .iter()
        .filter(|p| p.lead == lead)
        .map(|p| {
            (
                (p.start_s * fs).round() as usize,
                (p.end_s * fs).round() as usize,
            )
        })
        .max_by_key(|(a, b)| b.saturating_sub(*a))
        .unwrap_or((0, 0));
    channel
        .samples
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if (start..end).contains(&i) {
                *v
            } else {
                f32::NAN
            }
        })
        .collect()
}

/// The true record cut to what the sheet printed and filled as the digitizer fills what it
/// did not see: the best a perfect digitizer could give the search.
pub fn printed_only(truth: &Record, rendered: &Rendered) -> Record {
    let mut leads: Vec<Vec<f32>> = Lead::STANDARD
        .iter()
        .map(|&lead| printed_reference(truth, rendered, lead))
        .collect();
    let seen: Vec<Vec<bool>> = leads
        .iter()
        .map(|x| x.iter().map(|v| v.is_finite()).collect())
        .collect();
    for x in &mut leads {
        x.iter_mut()
            .filter(|v| !v.is_finite())
            .for_each(|v| *v = 0.0);
    }
    fill_leads(&mut leads, &seen, truth.sampling_rate);
    let mut record = truth.clone();
    record
        .channels
        .retain(|c| c.lead.is_some_and(|l| Lead::STANDARD.contains(&l)));
    for channel in &mut record.channels {
        let lead = channel.lead.expect("kept only standard leads");
        channel.samples = std::mem::take(&mut leads[lead.index()]);
    }
    record
}

/// What the digitizer read for `lead`, NaN where it saw nothing.
pub fn read_estimate(digitized: &Digitized, lead: Lead) -> Vec<f32> {
    let (Some(channel), Some(seen)) = (
        digitized.record.lead(lead),
        digitized.visible.get(lead.index()),
    ) else {
        return Vec::new();
    };
    channel
        .samples
        .iter()
        .zip(seen)
        .map(|(v, s)| if *s { *v } else { f32::NAN })
        .collect()
}

/// Each standard lead's Challenge SNR in dB, in [`Lead::STANDARD`] order.
pub fn lead_snrs(truth: &Record, rendered: &Rendered, digitized: &Digitized) -> Vec<f64> {
    Lead::STANDARD
        .iter()
        .map(|&lead| {
            let estimate = read_estimate(digitized, lead);
            challenge_snr(
                &printed_reference(truth, rendered, lead),
                &estimate,
                truth.sampling_rate,
                &SnrConfig::default(),
            )
            .snr_db
        })
        .collect()
}

/// Largest shift the alignment may apply when a photo is scored against its printed signal:
/// a tenth of a second, under a heartbeat, so a lead cannot be matched to a neighbouring beat.
pub const PHOTO_MAX_SHIFT_S: f64 = 0.1;

/// Each standard lead's Challenge SNR in dB for a photo of a printout whose printed signal
/// `truth` is known (NaN outside the window each lead was printed in, at any rate): the
/// digitized lead is brought to the truth's rate (linearly, NaN where it saw nothing) and
/// aligned within [`PHOTO_MAX_SHIFT_S`]. A lead the truth holds but the digitizer did not read
/// at all, or every lead of a refused photo (`None`), scores 0 dB, the score of a flat output,
/// so that refusing is never better than reading.
pub fn photo_lead_snrs(truth: &Record, digitized: Option<&Digitized>) -> Vec<f64> {
    let config = SnrConfig {
        max_shift_s: PHOTO_MAX_SHIFT_S,
        ..SnrConfig::default()
    };
    Lead::STANDARD
        .iter()
        .filter_map(|&lead| {
            let reference = truth.lead(lead)?;
            if !reference.samples.iter().any(|v| v.is_finite()) {
                return None;
            }
            let Some(d) = digitized else {
                return Some(0.0);
            };
            let estimate = resample_seen(
                &read_estimate(d, lead),
                d.record.sampling_rate,
                truth.sampling_rate,
                reference.samples.len(),
            );
            if !estimate.iter().any(|v| v.is_finite()) {
                return Some(0.0);
            }
            let score = challenge_snr(&reference.samples, &estimate, truth.sampling_rate, &config);
            Some(if score.snr_db.is_finite() {
                score.snr_db
            } else {
                0.0
            })
        })
        .collect()
}

/// `samples` at `from` Hz as `len` samples at `to` Hz, interpolated linearly between seen
/// samples; NaN where either neighbour is NaN or beyond the ends.
pub fn resample_seen(samples: &[f32], from: f64, to: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| {
            let t = i as f64 * from / to;
            let k = t.floor() as usize;
            let frac = (t - k as f64) as f32;
            match (samples.get(k), samples.get(k + 1)) {
                (Some(a), _) if frac == 0.0 => *a,
                (Some(a), Some(b)) => a + (b - a) * frac,
                _ => f32::NAN,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_interpolates_between_seen_samples_only() {
        let up = resample_seen(&[0.0, 1.0, f32::NAN, 3.0], 100.0, 500.0, 20);
        assert_eq!(&up[..6], &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert!(up[6..15].iter().all(|v| v.is_nan()), "{up:?}");
        assert_eq!(up[15], 3.0);
        assert!(up[16..].iter().all(|v| v.is_nan()));
    }
}
