//! The signal-to-noise ratio of a digitized lead against the true one, as the George B. Moody
//! PhysioNet Challenge 2024 scores it (final evaluation code, `evaluate_model.py` and
//! `helper_code.py` of physionetchallenges/evaluation-2024), reimplemented here:
//!
//! 1. **Alignment.** Both signals are quantized to 256 amplitude levels over their joint range
//!    and drawn as binary images (level × sample), smoothed by a Gaussian (σ = 0.5, radius 2,
//!    reflected at the borders). The peak of the images' 2-D cross-correlation, relative to the
//!    reference's autocorrelation peak (zero lag), gives a horizontal shift in samples and a
//!    vertical offset in levels. The estimate is shifted (samples pushed out are dropped, the
//!    gap filled with NaN) and the offset subtracted, but only when the shift is at most 0.5 s
//!    and the offset at most 1 mV; otherwise it is scored as it is.
//! 2. **SNR.** Only samples finite in both signals count (the shorter signal is padded with
//!    NaN); SNR = 10·log10(mean(ref²) / mean((ref − est)²)), +∞ for zero noise, NaN when there
//!    is nothing to compare. It is then multiplied by the fraction of the reference's finite
//!    samples that the estimate also covers, so missing output is penalised.
//!
//! A lead the digitizer did not output at all is all-NaN and scores NaN, which the Challenge's
//! mean (`nanmean`) leaves out. The reference itself may hold NaN outside the window that was
//! printed, so that only the printed part is scored.

/// The Challenge's constants, named.
#[derive(Debug, Clone, PartialEq)]
pub struct SnrConfig {
    /// Align before scoring (the Challenge's default; `--no_shift` turns it off).
    pub align: bool,
    /// Largest horizontal shift accepted, in seconds (the Challenge: round(0.5·fs) samples).
    pub max_shift_s: f64,
    /// Largest vertical offset accepted, in the signals' unit (mV).
    pub max_offset_mv: f64,
    /// Amplitude levels of the binary images.
    pub quantization_levels: usize,
    /// Gaussian smoothing of the binary images, in pixels.
    pub smoothing_sigma: f64,
}

impl Default for SnrConfig {
    fn default() -> Self {
        Self {
            align: true,
            max_shift_s: 0.5,
            max_offset_mv: 1.0,
            quantization_levels: 256,
            smoothing_sigma: 0.5,
        }
    }
}

/// What the alignment found and whether it was applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    /// The estimate's sample `i + shift` is matched with the reference's sample `i`.
    pub shift_samples: i64,
    /// Subtracted from the estimate when applied (mV).
    pub offset_mv: f64,
    pub applied: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadSnr {
    pub snr_db: f64,
    pub signal_power: f64,
    pub noise_power: f64,
    pub alignment: Alignment,
}

/// One lead's Challenge SNR in dB: align as the Challenge does, then score.
pub fn challenge_snr(
    reference: &[f32],
    estimate: &[f32],
    sampling_rate: f64,
    config: &SnrConfig,
) -> LeadSnr {
    let reference: Vec<f64> = reference.iter().map(|v| *v as f64).collect();
    let estimate: Vec<f64> = estimate.iter().map(|v| *v as f64).collect();
    let mut alignment = Alignment {
        shift_samples: 0,
        offset_mv: 0.0,
        applied: false,
    };
    let mut scored = estimate.clone();
    if config.align {
        if let Some((shift, offset)) = estimate_offsets(&reference, &estimate, config) {
            alignment.shift_samples = shift;
            alignment.offset_mv = offset;
            // Python's round() on a float: half to even.
            let max_shift = (config.max_shift_s * sampling_rate).round_ties_even();
            if (shift.abs() as f64) <= max_shift && offset.abs() <= config.max_offset_mv {
                scored = shift_signal(&estimate, shift, offset);
                alignment.applied = true;
            }
        }
    }
    let (snr_db, signal_power, noise_power) = snr(&reference, &scored);
    LeadSnr {
        snr_db,
        signal_power,
        noise_power,
        alignment,
    }
}

/// The SNR without alignment, with the Challenge's handling of non-finite samples:
/// (dB, signal power, noise power).
pub fn snr(reference: &[f64], estimate: &[f64]) -> (f64, f64, f64) {
    let n = reference.len().max(estimate.len());
    let at = |x: &[f64], i: usize| x.get(i).copied().unwrap_or(f64::NAN);
    let (mut both, mut reference_finite) = (0usize, 0usize);
    let (mut signal, mut noise) = (0.0, 0.0);
    for i in 0..n {
        let (r, e) = (at(reference, i), at(estimate, i));
        if !r.is_finite() {
            continue;
        }
        reference_finite += 1;
        if e.is_finite() {
            both += 1;
            signal += r * r;
            noise += (r - e) * (r - e);
        }
    }
    // Means over no samples are NaN, as numpy's are.
    let (p_signal, p_noise) = if both > 0 {
        (signal / both as f64, noise / both as f64)
    } else {
        (f64::NAN, f64::NAN)
    };
    let db = if p_signal > 0.0 && p_noise > 0.0 {
        10.0 * (p_signal / p_noise).log10()
    } else if p_noise == 0.0 {
        f64::INFINITY
    } else {
        f64::NAN
    };
    let covered = both as f64 / reference_finite as f64;
    (db * covered, p_signal, p_noise)
}

/// Median and mean of per-lead SNRs, leaving NaN out (the Challenge's `nanmean`); NaN when
/// nothing is left.
pub fn summarize(values: &[f64]) -> (f64, f64) {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len();
    let median = if m % 2 == 1 {
        v[m / 2]
    } else {
        (v[m / 2 - 1] + v[m / 2]) / 2.0
    };
    (median, v.iter().sum::<f64>() / m as f64)
}

/// The estimate moved by `shift` samples (dropping what leaves, NaN where nothing comes) and
/// lowered by `offset`, as the Challenge shifts it.
pub fn shift_signal(estimate: &[f64], shift: i64, offset: f64) -> Vec<f64> {
    let mut out: Vec<f64> = if shift < 0 {
        std::iter::repeat_n(f64::NAN, shift.unsigned_abs() as usize)
            .chain(estimate.iter().copied())
            .collect()
    } else {
        let s = (shift as usize).min(estimate.len());
        estimate[s..]
            .iter()
            .copied()
            .chain(std::iter::repeat_n(f64::NAN, shift as usize))
            .collect()
    };
    out.iter_mut().for_each(|v| *v -= offset);
    out
}

/// The Challenge's offsets (shift in samples, vertical offset in the signals' unit), or `None`
/// when there is nothing to align: no finite sample in either signal, or both flat at one
/// value (the quantization has no range; numpy would divide by zero there).
pub fn estimate_offsets(
    reference: &[f64],
    estimate: &[f64],
    config: &SnrConfig,
) -> Option<(i64, f64)> {
    let finite = |x: &[f64]| {
        x.iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect::<Vec<_>>()
    };
    let (fr, fe) = (finite(reference), finite(estimate));
    if fr.is_empty() || fe.is_empty() {
        return None;
    }
    let min = fr.iter().chain(&fe).copied().fold(f64::INFINITY, f64::min);
    let max = fr
        .iter()
        .chain(&fe)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    if max.is_nan() || min.is_nan() || max <= min || config.quantization_levels < 2 {
        return None;
    }
    let levels = config.quantization_levels;
    let columns = reference.len().max(estimate.len());
    let quantize = |x: &[f64]| -> Vec<(usize, usize)> {
        x.iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(t, v)| {
                let q = ((levels - 1) as f64 * (v - min) / (max - min) + 1.0).round_ties_even();
                (q.clamp(1.0, levels as f64) as usize - 1, t)
            })
            .collect()
    };
    let (points_ref, points_est) = (quantize(reference), quantize(estimate));
    let kernel = gaussian_kernel(config.smoothing_sigma);
    let radius = kernel.len() / 2;

    // The cross-correlation of the two smoothed images, over vertical lags dv (estimate level
    // minus reference level) and horizontal lags d: every pair of points adds the correlation
    // of their two Gaussian blobs. Points away from the borders all have the same blob, so
    // their pairs are counted in a histogram and convolved with the blob's autocorrelation
    // once; pairs with a border point (whose blob is folded back by the reflection) are added
    // one by one.
    let rows = 2 * levels - 1;
    let cols = 2 * columns - 1;
    let mut histogram = vec![0.0f64; rows * cols];
    let mut cross = vec![0.0f64; rows * cols];
    let interior = |p: &(usize, usize)| {
        p.0 >= radius && p.0 + radius < levels && p.1 >= radius && p.1 + radius < columns
    };
    let profile = |p: usize, n: usize| folded_profile(&kernel, p, n);
    for a in &points_ref {
        let a_inside = interior(a);
        let (a_rows, a_cols) = if a_inside {
            (vec![], vec![])
        } else {
            (profile(a.0, levels), profile(a.1, columns))
        };
        for b in &points_est {
            if a_inside && interior(b) {
                let dv = b.0 + levels - 1 - a.0;
                let d = b.1 + columns - 1 - a.1;
                histogram[dv * cols + d] += 1.0;
                continue;
            }
            let (a_rows, a_cols) = if a_inside {
                (profile(a.0, levels), profile(a.1, columns))
            } else {
                (a_rows.clone(), a_cols.clone())
            };
            let (b_rows, b_cols) = (profile(b.0, levels), profile(b.1, columns));
            for (ra, wa) in &a_rows {
                for (rb, wb) in &b_rows {
                    let dv = rb + levels - 1 - ra;
                    for (ca, va) in &a_cols {
                        for (cb, vb) in &b_cols {
                            let d = cb + columns - 1 - ca;
                            cross[dv * cols + d] += wa * wb * va * vb;
                        }
                    }
                }
            }
        }
    }
    let auto: Vec<f64> = (0..kernel.len() * 2 - 1)
        .map(|lag| {
            let lag = lag as i64 - (kernel.len() as i64 - 1);
            (0..kernel.len() as i64)
                .filter_map(|i| {
                    kernel
                        .get((i + lag) as usize)
                        .filter(|_| i + lag >= 0)
                        .map(|w| w * kernel[i as usize])
                })
                .sum()
        })
        .collect();
    let smoothed = convolve_separable(&histogram, rows, cols, &auto);
    cross.iter_mut().zip(&smoothed).for_each(|(c, s)| *c += s);

    // numpy's argmax over the 'full' correlation, whose index runs opposite to the lags:
    // the first maximum met from the largest dv and d downwards wins.
    let mut best = (f64::NEG_INFINITY, 0usize, 0usize);
    for dv in (0..rows).rev() {
        for d in (0..cols).rev() {
            let c = cross[dv * cols + d];
            if c > best.0 {
                best = (c, dv, d);
            }
        }
    }
    let shift = best.2 as i64 - (columns as i64 - 1);
    let offset_levels = best.1 as f64 - (levels as f64 - 1.0);
    Some((shift, offset_levels / (levels - 1) as f64 * (max - min)))
}

/// scipy's `gaussian_filter` kernel: radius round-down(4σ + 0.5), normalised.
fn gaussian_kernel(sigma: f64) -> Vec<f64> {
    if sigma <= 0.0 {
        return vec![1.0];
    }
    let radius = (4.0 * sigma + 0.5) as i64;
    let w: Vec<f64> = (-radius..=radius)
        .map(|k| (-0.5 * (k * k) as f64 / (sigma * sigma)).exp())
        .collect();
    let sum: f64 = w.iter().sum();
    w.into_iter().map(|x| x / sum).collect()
}

/// The kernel centred on `p` in an axis of length `n`, folded back at the ends as scipy's
/// 'reflect' mode does (…c b a | a b c…): (index, weight) pairs.
fn folded_profile(kernel: &[f64], p: usize, n: usize) -> Vec<(usize, f64)> {
    let radius = (kernel.len() / 2) as i64;
    let mut out: Vec<(usize, f64)> = Vec::with_capacity(kernel.len());
    for (k, w) in kernel.iter().enumerate() {
        let mut i = p as i64 + k as i64 - radius;
        let n = n as i64;
        // Reflect until inside (more than once only for axes shorter than the kernel).
        while i < 0 || i >= n {
            i = if i < 0 { -i - 1 } else { 2 * n - i - 1 };
        }
        match out.iter_mut().find(|(j, _)| *j == i as usize) {
            Some(entry) => entry.1 += w,
            None => out.push((i as usize, *w)),
        }
    }
    out
}

/// `data` (rows × cols) convolved with `taps` along both axes (zero outside).
fn convolve_separable(data: &[f64], rows: usize, cols: usize, taps: &[f64]) -> Vec<f64> {
    let half = taps.len() / 2;
    let mut along = vec![0.0; data.len()];
    for r in 0..rows {
        for c in 0..cols {
            let v = data[r * cols + c];
            if v == 0.0 {
                continue;
            }
            for (k, t) in taps.iter().enumerate() {
                let cc = c + k;
                if cc >= half && cc - half < cols {
                    along[r * cols + cc - half] += v * t;
                }
            }
        }
    }
    let mut out = vec![0.0; data.len()];
    for r in 0..rows {
        for c in 0..cols {
            let v = along[r * cols + c];
            if v == 0.0 {
                continue;
            }
            for (k, t) in taps.iter().enumerate() {
                let rr = r + k;
                if rr >= half && rr - half < rows {
                    out[(rr - half) * cols + c] += v * t;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Something ECG-like and aperiodic: narrow spikes at uneven intervals on a slow wave.
    fn wiggle(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f64 / 100.0;
                let spikes: f64 = [0.35, 1.2, 1.95, 2.9, 3.7, 4.45, 5.5, 6.2, 7.3, 8.05, 9.1]
                    .iter()
                    .map(|c| 1.2 * (-((t - c) / 0.02).powi(2)).exp())
                    .sum();
                (spikes
                    + 0.2 * (2.0 * std::f64::consts::PI * 0.7 * t).sin()
                    + 0.1 * (5.3 * t).cos()) as f32
            })
            .collect()
    }

    #[test]
    fn a_perfect_copy_scores_infinity() {
        let x = wiggle(1000);
        let s = challenge_snr(&x, &x, 100.0, &SnrConfig::default());
        assert_eq!(s.snr_db, f64::INFINITY);
        assert_eq!((s.alignment.shift_samples, s.alignment.offset_mv), (0, 0.0));
    }

    #[test]
    fn noise_of_known_power_gives_the_expected_decibels() {
        let x = wiggle(1000);
        let p_signal: f64 = x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / 1000.0;
        // ±0.05 alternating: noise power 0.0025 exactly.
        let y: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % 2 == 0 { 0.05 } else { -0.05 })
            .collect();
        let expected = 10.0 * (p_signal / 0.0025).log10();
        let raw = challenge_snr(
            &x,
            &y,
            100.0,
            &SnrConfig {
                align: false,
                ..Default::default()
            },
        );
        assert!(
            (raw.snr_db - expected).abs() < 1e-3,
            "{} vs {expected}",
            raw.snr_db
        );
        // The Challenge's alignment matches the picture of the estimate to the reference's, and
        // ±0.05 noise draws the estimate as two copies 0.1 apart: it lays one of them onto the
        // reference (offset ±0.05), which doubles the noise power (−3 dB). The Challenge
        // scores the same; it is the rule, not an error here.
        let aligned = challenge_snr(&x, &y, 100.0, &SnrConfig::default());
        assert_eq!(aligned.alignment.shift_samples, 0);
        assert!(
            (aligned.alignment.offset_mv.abs() - 0.05).abs() < 0.01,
            "{}",
            aligned.alignment.offset_mv
        );
        let doubled = 10.0 * (p_signal / 0.005).log10();
        assert!(
            (aligned.snr_db - doubled).abs() < 0.3,
            "{} vs {doubled}",
            aligned.snr_db
        );
    }

    #[test]
    fn a_shifted_and_raised_copy_is_aligned_back() {
        let x = wiggle(1000);
        // The estimate runs 7 samples late and 0.3 mV high.
        let y: Vec<f32> = (0..1000)
            .map(|i| if i >= 7 { x[i - 7] + 0.3 } else { 0.3 })
            .collect();
        let s = challenge_snr(&x, &y, 100.0, &SnrConfig::default());
        assert_eq!(s.alignment.shift_samples, 7);
        assert!(s.alignment.applied);
        assert!(
            (s.alignment.offset_mv - 0.3).abs() < 0.01,
            "{}",
            s.alignment.offset_mv
        );
        // Only the quantization step's remainder of the offset is left, over 993 of 1000 samples.
        assert!(s.snr_db > 35.0, "{}", s.snr_db);
        let unaligned = challenge_snr(
            &x,
            &y,
            100.0,
            &SnrConfig {
                align: false,
                ..Default::default()
            },
        );
        assert!(unaligned.snr_db < 3.0, "{}", unaligned.snr_db);
    }

    #[test]
    fn shifts_beyond_half_a_second_are_not_applied() {
        let x = wiggle(1000);
        let y: Vec<f32> = (0..1000)
            .map(|i| if i >= 80 { x[i - 80] } else { 0.0 })
            .collect();
        let s = challenge_snr(&x, &y, 100.0, &SnrConfig::default());
        assert_eq!(s.alignment.shift_samples, 80);
        assert!(!s.alignment.applied);
        let (raw, _, _) = snr(
            &x.iter().map(|v| *v as f64).collect::<Vec<_>>(),
            &y.iter().map(|v| *v as f64).collect::<Vec<_>>(),
        );
        assert_eq!(s.snr_db, raw);
    }

    #[test]
    fn missing_output_is_penalised_by_the_covered_fraction() {
        let x: Vec<f64> = wiggle(1000).iter().map(|v| *v as f64).collect();
        let noisy: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % 2 == 0 { 0.05 } else { -0.05 })
            .collect();
        let (full, _, _) = snr(&x, &noisy);
        let mut half = noisy.clone();
        half[500..].iter_mut().for_each(|v| *v = f64::NAN);
        let (first, _, _) = snr(&x[..500], &noisy[..500]);
        let (scored, _, _) = snr(&x, &half);
        assert!((scored - first / 2.0).abs() < 1e-9 && (first - full).abs() < 2.0);
        // A shorter output counts as missing at the end, too.
        assert_eq!(snr(&x, &noisy[..500]).0, scored);
        // Nothing at all: NaN, which the mean leaves out.
        assert!(snr(&x, &vec![f64::NAN; 1000]).0.is_nan());
        assert!(challenge_snr(
            &wiggle(1000),
            &[f32::NAN; 1000],
            100.0,
            &SnrConfig::default()
        )
        .snr_db
        .is_nan());
        assert_eq!(summarize(&[f64::NAN, 10.0, 20.0, 30.0, 40.0]), (25.0, 25.0));
    }

    #[test]
    fn only_the_printed_window_of_the_reference_counts() {
        // A 3×4 cell shows 2.5 s: the reference is NaN elsewhere, the estimate too.
        let x = wiggle(1000);
        let window = |v: &[f32]| -> Vec<f32> {
            v.iter()
                .enumerate()
                .map(|(i, s)| {
                    if (250..500).contains(&i) {
                        *s
                    } else {
                        f32::NAN
                    }
                })
                .collect()
        };
        let noisy: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % 2 == 0 { 0.02 } else { -0.02 })
            .collect();
        let s = challenge_snr(&window(&x), &window(&noisy), 100.0, &SnrConfig::default());
        let p: f64 = x[250..500].iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / 250.0;
        // As above, the alignment lays one of the two noise copies onto the reference.
        let expected = 10.0 * (p / 0.0008).log10();
        assert_eq!(s.alignment.shift_samples, 0);
        assert!(
            (s.snr_db - expected).abs() < 0.3,
            "{} vs {expected}",
            s.snr_db
        );
    }

    #[test]
    fn folded_kernel_keeps_its_mass() {
        let k = gaussian_kernel(0.5);
        assert_eq!(k.len(), 5);
        for p in [0, 1, 2, 7, 8, 9] {
            let total: f64 = folded_profile(&k, p, 10).iter().map(|(_, w)| w).sum();
            assert!((total - 1.0).abs() < 1e-12);
        }
        assert_eq!(
            folded_profile(&k, 0, 10)
                .iter()
                .find(|(i, _)| *i == 0)
                .map(|e| e.1),
            Some(k[2] + k[1])
        );
    }
}
