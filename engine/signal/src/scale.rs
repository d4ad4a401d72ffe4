//! Robust per-lead scaling: centre on the median, divide by the interquartile range
//! expressed as a normal standard deviation, so one artefact spike does not squash a lead.

/// Returns `(x - median) / (IQR / 1.349)`. A flat lead (IQR zero) falls back to the
/// median absolute deviation, then to a unit scale, so it stays flat rather than exploding.
pub fn robust_scale(x: &[f32]) -> Vec<f32> {
    let finite: Vec<f32> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return vec![0.0; x.len()];
    }
    let median = quantile(&finite, 0.5);
    let iqr = quantile(&finite, 0.75) - quantile(&finite, 0.25);
    let mut spread = iqr / 1.349;
    if spread.is_nan() || spread <= 1e-6 {
        let deviations: Vec<f32> = finite.iter().map(|v| (v - median).abs()).collect();
        spread = quantile(&deviations, 0.5) * 1.4826;
    }
    if spread.is_nan() || spread <= 1e-6 {
        spread = 1.0;
    }
    x.iter()
        .map(|v| {
            if v.is_finite() {
                (v - median) / spread
            } else {
                0.0
            }
        })
        .collect()
}

/// Linear-interpolated quantile (numpy's default method).
pub fn quantile(x: &[f32], q: f64) -> f32 {
    let mut sorted = x.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    if sorted.is_empty() {
        return f32::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = (pos - lo as f64) as f32;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_numpy() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
        let x = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile(&x, 0.25), 1.75);
        assert_eq!(quantile(&x, 0.5), 2.5);
        assert_eq!(quantile(&x, 0.75), 3.25);
    }

    #[test]
    fn scaling_is_median_centred_and_iqr_normalised() {
        let x: Vec<f32> = (0..=100).map(|i| i as f32).collect();
        let y = robust_scale(&x);
        assert!(y[50].abs() < 1e-6);
        // IQR of 0..=100 is 50, so 75 maps to 25 / (50 / 1.349).
        assert!((y[75] - 25.0 * 1.349 / 50.0).abs() < 1e-5);
    }

    #[test]
    fn a_spike_does_not_change_the_scale() {
        let mut x: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.1).sin()).collect();
        let before = robust_scale(&x);
        x[500] = 1000.0;
        let after = robust_scale(&x);
        assert!((before[100] - after[100]).abs() < 0.01);
    }

    #[test]
    fn flat_and_empty_leads_stay_finite() {
        assert!(robust_scale(&[2.0; 10]).iter().all(|v| *v == 0.0));
        assert!(robust_scale(&[]).is_empty());
        assert_eq!(robust_scale(&[f32::NAN, 1.0]), vec![0.0, 0.0]);
    }
}
