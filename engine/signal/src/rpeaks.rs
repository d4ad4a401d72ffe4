//! R-peak detection after Pan & Tompkins (1985): band-pass, differentiate, square,
//! integrate over 150 ms, then pick maxima above an adaptive threshold with a refractory
//! period, and refine each onto the largest deflection of the lead itself.

use super::beats::central_beat;
use super::filter::{Butterworth, FilterKind};
use super::PreparedLeads;
use ecgmatch_formats::Lead;

/// Leads tried in turn for R peaks: II first, as the seed paper does, then the leads whose
/// QRS is usually tallest.
const PEAK_LEADS: [Lead; 12] = [
    Lead::II,
    Lead::I,
    Lead::V5,
    Lead::V4,
    Lead::V6,
    Lead::AVF,
    Lead::V3,
    Lead::III,
    Lead::V2,
    Lead::AVR,
    Lead::AVL,
    Lead::V1,
];

/// Shortest physiological RR interval we accept (240 bpm).
const REFRACTORY_S: f64 = 0.25;
const INTEGRATION_S: f64 = 0.15;

/// The R peaks of the first lead of `PEAK_LEADS` with a complete beat window (`before`
/// samples before a peak and `after` from it), and the one of them nearest the middle:
/// every lead's beats are cut at these instants. `None` when no lead has a complete beat.
pub fn record_peaks(
    leads: &PreparedLeads,
    before: usize,
    after: usize,
) -> Option<(Vec<usize>, usize)> {
    PEAK_LEADS
        .iter()
        .filter_map(|l| leads.get(*l))
        .find_map(|x| {
            let peaks = detect_r_peaks(x, leads.sampling_rate);
            let central = central_beat(&peaks, x.len(), before, after)?;
            Some((peaks, central))
        })
}

/// Sample indices of the R peaks in `x`, sampled at `fs` Hz, in increasing order.
pub fn detect_r_peaks(x: &[f32], fs: f64) -> Vec<usize> {
    if x.len() < (fs * 1.0) as usize || fs < 20.0 {
        return Vec::new();
    }
    let clean: Vec<f32> = x
        .iter()
        .map(|v| if v.is_finite() { *v } else { 0.0 })
        .collect();
    let band = band_pass(&clean, fs);
    let n = band.len();
    let mut energy = vec![0.0f32; n];
    for i in 1..n - 1 {
        let d = (band[i + 1] - band[i - 1]) * 0.5;
        energy[i] = d * d;
    }
    let win = ((INTEGRATION_S * fs).round() as usize).max(1);
    let integrated = moving_average(&energy, win);

    // Threshold relative to a high percentile rather than the maximum, so one artefact
    // does not hide every normal beat.
    let mut sorted = integrated.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let reference = sorted[(sorted.len() as f64 * 0.98) as usize];
    if reference.is_nan() || reference <= 0.0 {
        return Vec::new();
    }
    let threshold = 0.3 * reference;
    let refractory = (REFRACTORY_S * fs).round() as usize;

    let mut candidates: Vec<usize> = Vec::new();
    for i in 1..n - 1 {
        let v = integrated[i];
        if v > threshold && v >= integrated[i - 1] && v > integrated[i + 1] {
            match candidates.last() {
                Some(&last) if i - last < refractory => {
                    if v > integrated[last] {
                        *candidates.last_mut().unwrap() = i;
                    }
                }
                _ => candidates.push(i),
            }
        }
    }

    // The centred moving average peaks near the QRS centre; the R wave is the largest
    // deflection of the band-passed lead within half a window either side.
    let half = win;
    let mut peaks: Vec<usize> = candidates
        .into_iter()
        .map(|c| {
            let lo = c.saturating_sub(half);
            let hi = (c + half).min(n - 1);
            (lo..=hi)
                .max_by(|a, b| band[*a].abs().total_cmp(&band[*b].abs()))
                .unwrap_or(c)
        })
        .collect();
    peaks.dedup_by(|b, a| b.abs_diff(*a) < refractory);
    peaks
}

fn band_pass(x: &[f32], fs: f64) -> Vec<f32> {
    let high = 15.0f64.min(0.45 * fs);
    let hp = Butterworth::design(FilterKind::HighPass, 2, 5.0, fs)
        .expect("5 Hz is below Nyquist for fs >= 20");
    let lp =
        Butterworth::design(FilterKind::LowPass, 2, high, fs).expect("cut-off kept below Nyquist");
    lp.filtfilt(&hp.filtfilt(x))
}

/// Centred moving average of width `win`.
fn moving_average(x: &[f32], win: usize) -> Vec<f32> {
    let n = x.len();
    let mut prefix = vec![0.0f64; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + x[i] as f64;
    }
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(win / 2);
            let hi = (i + win - win / 2).min(n);
            ((prefix[hi] - prefix[lo]) / (hi - lo) as f64) as f32
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A crude ECG: narrow R spikes with small P and T waves, baseline wander and noise.
    pub fn synthetic_ecg(fs: f64, seconds: f64, r_times: &[f64]) -> Vec<f32> {
        let n = (fs * seconds) as usize;
        let mut state = 12345u64;
        (0..n)
            .map(|i| {
                let t = i as f64 / fs;
                let mut v = 0.3 * (2.0 * std::f64::consts::PI * 0.3 * t).sin();
                for &r in r_times {
                    let g = |c: f64, w: f64, a: f64| a * (-((t - c) / w).powi(2) / 2.0).exp();
                    v += g(r, 0.012, 1.2) + g(r - 0.16, 0.025, 0.15) + g(r + 0.28, 0.05, 0.3)
                        - g(r + 0.03, 0.01, 0.25);
                }
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v += ((state >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.04;
                v as f32
            })
            .collect()
    }

    #[test]
    fn finds_every_beat_at_100_and_500_hz() {
        let r_times: Vec<f64> = (0..12)
            .map(|k| 0.4 + k as f64 * 0.8 + if k % 3 == 0 { 0.05 } else { 0.0 })
            .collect();
        for fs in [100.0, 500.0] {
            let x = synthetic_ecg(fs, 10.0, &r_times);
            let peaks = detect_r_peaks(&x, fs);
            assert_eq!(peaks.len(), r_times.len(), "fs {fs}: {peaks:?}");
            for (p, t) in peaks.iter().zip(&r_times) {
                let err_s = (*p as f64 / fs - t).abs();
                assert!(err_s <= 0.02, "fs {fs}: peak at {p} for R at {t} s");
            }
        }
    }

    #[test]
    fn flat_short_and_broken_signals_give_no_peaks() {
        assert!(detect_r_peaks(&[0.0; 1000], 100.0).is_empty());
        assert!(detect_r_peaks(&[1.0; 10], 100.0).is_empty());
        assert!(detect_r_peaks(&[f32::NAN; 1000], 100.0).is_empty());
    }
}
