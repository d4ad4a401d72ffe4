//! Sample-wise discretisation, as pyts's `KBinsDiscretizer` defines it.
//!
//! Edges are computed in f64 with the same operations, in the same order, as
//! numpy/numba, because a sample equal to an edge must land in the same bin as in
//! pyts: a sample goes to bin `k` where `k` is the number of edges strictly below
//! it (numba's `searchsorted(side='left')`).

use crate::{Error, Result};

/// How the bin edges are placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Equal counts: numpy's linear-interpolation percentiles of the series, with
    /// pyts's removal of (near-)equal edges.
    #[default]
    Quantile,
    /// Equal widths between the series' minimum and maximum.
    Uniform,
    /// Quantiles of the standard normal distribution, whatever the series' scale.
    Normal,
}

/// pyts's `KBinsDiscretizer(n_bins, strategy)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// At least 2.
    pub n_bins: usize,
    pub strategy: Strategy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            n_bins: 5,
            strategy: Strategy::Quantile,
        }
    }
}

/// Edges closer than this to the next one are dropped (pyts's `np.isclose(..., atol=1e-8)`).
const EDGE_ATOL: f64 = 1e-8;

pub(crate) fn check_n_bins(n_bins: usize) -> Result<()> {
    if n_bins < 2 {
        return Err(Error::InvalidParameter(format!(
            "n_bins must be at least 2 (got {n_bins})"
        )));
    }
    Ok(())
}

/// The bin edges pyts uses for `x`, in increasing order. There are `n_bins - 1` of
/// them, or fewer when the quantile strategy drops near-equal ones.
pub fn bin_edges(x: &[f32], config: &Config) -> Result<Vec<f64>> {
    check_n_bins(config.n_bins)?;
    if x.is_empty() {
        return Err(Error::InvalidParameter(
            "discretizer: the series is empty".into(),
        ));
    }
    let mut edges = Vec::with_capacity(config.n_bins - 1);
    match config.strategy {
        Strategy::Normal => normal_edges(config.n_bins, &mut edges),
        Strategy::Uniform => uniform_edges(x, config.n_bins, &mut edges),
        Strategy::Quantile => quantile_edges(x, config.n_bins, &mut edges),
    }
    Ok(edges)
}

/// Bin index of every sample of `x` into `out` (same length).
pub fn discretize(x: &[f32], config: &Config, out: &mut [u32]) -> Result<()> {
    if out.len() != x.len() {
        return Err(Error::InvalidParameter(format!(
            "discretizer: the output holds {} values, {} are needed",
            out.len(),
            x.len()
        )));
    }
    let edges = bin_edges(x, config)?;
    digitize(x, &edges, out);
    Ok(())
}

/// `out[t]` = number of edges strictly below `x[t]`.
pub(crate) fn digitize(x: &[f32], edges: &[f64], out: &mut [u32]) {
    out.fill(0);
    for &edge in edges {
        // For an f32 sample, `x > edge` holds exactly when `x > edge rounded down to
        // f32`, so the per-sample comparison can stay in f32.
        count_above(x, f32_at_or_below(edge), out);
    }
}

super::wide_simd! {
    fn count_above(x: &[f32], edge: f32, out: &mut [u32]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o += (v > edge) as u32;
        }
    }
}

/// The largest f32 not above `v` (NaN stays NaN, so it is never below a sample).
fn f32_at_or_below(v: f64) -> f32 {
    let r = v as f32;
    if (r as f64) > v {
        r.next_down()
    } else {
        r
    }
}

/// `norm.ppf(linspace(0, 1, n_bins + 1)[1:-1])`.
fn normal_edges(n_bins: usize, edges: &mut Vec<f64>) {
    let step = 1.0 / n_bins as f64;
    edges.extend((1..n_bins).map(|k| norm_ppf(k as f64 * step)));
}

/// numba's `linspace(min, max, n_bins + 1)[1:-1]`: `min + i * step`.
fn uniform_edges(x: &[f32], n_bins: usize, edges: &mut Vec<f64>) {
    let (lo, hi) = x
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = (lo as f64, hi as f64);
    let step = (hi - lo) / n_bins as f64;
    edges.extend((1..n_bins).map(|i| lo + i as f64 * step));
}

/// numpy's `percentile(x, linspace(0, 100, n_bins + 1)[1:-1])` followed by pyts's
/// dropping of every edge within 1e-8 of the next one (the last edge is always kept).
fn quantile_edges(x: &[f32], n_bins: usize, edges: &mut Vec<f64>) {
    // Order statistics are selected on integer keys that order like the floats: cheaper
    // to compare than f64, and exact since the f32 -> f64 conversion is.
    let mut keys: Vec<u32> = x.iter().map(|&v| f32_key(v)).collect();
    let n = keys.len();
    let step = 100.0 / n_bins as f64;
    let picks: Vec<Percentile> = (1..n_bins)
        .map(|k| Percentile::new(n, (k as f64 * step) / 100.0))
        .collect();
    // Select only each pick's lower neighbour; the upper one (the next order
    // statistic) is then the smallest value between it and the next selected position.
    let mut lows: Vec<usize> = picks.iter().map(|p| p.lo).collect();
    lows.dedup();
    select_many(&mut keys, 0, &lows);
    let mut values = Vec::with_capacity(picks.len());
    for p in &picks {
        let lo = keys[p.lo];
        let hi = if p.hi == p.lo {
            lo
        } else {
            let next = lows.iter().copied().find(|&l| l > p.lo).unwrap_or(n - 1);
            keys[p.hi..=next].iter().copied().min().unwrap_or(lo)
        };
        values.push(p.value(f32_from_key(lo) as f64, f32_from_key(hi) as f64));
    }
    edges.extend(values);

    if n_bins > 2 {
        let n = edges.len();
        let mut kept = 0;
        for i in 0..n {
            let near_next = i + 1 < n && (edges[i + 1] - edges[i]).abs() <= EDGE_ATOL;
            if !near_next {
                edges[kept] = edges[i];
                kept += 1;
            }
        }
        edges.truncate(kept);
    }
}

/// One of numpy's `linear` percentiles of `n` values: which order statistics it
/// interpolates between, and with what weight.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Percentile {
    pub lo: usize,
    pub hi: usize,
    gamma: f64,
}

impl Percentile {
    /// `quantile` in [0, 1] (numpy's `q / 100`).
    pub fn new(n: usize, quantile: f64) -> Self {
        let virtual_index = (n - 1) as f64 * quantile;
        if virtual_index >= (n - 1) as f64 || virtual_index.is_nan() {
            // numpy reads the last element for both neighbours here.
            return Self {
                lo: n - 1,
                hi: n - 1,
                gamma: 0.0,
            };
        }
        let virtual_index = virtual_index.max(0.0);
        let floor = virtual_index.floor();
        let lo = floor as usize;
        Self {
            lo,
            hi: lo + 1,
            gamma: virtual_index - floor,
        }
    }

    /// numpy's `_lerp`, including its switch to interpolating from the upper
    /// neighbour when the weight is at least one half.
    pub fn value(&self, a: f64, b: f64) -> f64 {
        let diff = b - a;
        if self.gamma >= 0.5 {
            b - diff * (1.0 - self.gamma)
        } else {
            a + diff * self.gamma
        }
    }
}

/// Partially orders `data` (which starts at absolute index `base`) so that every
/// absolute index in `wanted` (sorted, unique) holds the value a full sort would put there.
pub(crate) fn select_many<T: Ord>(data: &mut [T], base: usize, wanted: &[usize]) {
    if wanted.is_empty() || data.is_empty() {
        return;
    }
    let mid = wanted.len() / 2;
    let k = wanted[mid] - base;
    if k >= data.len() {
        return;
    }
    data.select_nth_unstable(k);
    let (left, right) = data.split_at_mut(k);
    select_many(left, base, &wanted[..mid]);
    select_many(&mut right[1..], base + k + 1, &wanted[mid + 1..]);
}

/// An integer that orders like `v` under `f32::total_cmp`.
#[inline]
fn f32_key(v: f32) -> u32 {
    let bits = v.to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | 1 << 31
    }
}

fn f32_from_key(key: u32) -> f32 {
    f32::from_bits(if key >> 31 == 1 {
        key & !(1 << 31)
    } else {
        !key
    })
}

/// An integer that orders like `v` under `f64::total_cmp`.
#[inline]
pub(crate) fn f64_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

pub(crate) fn f64_from_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// Inverse of the standard normal CDF (scipy's `norm.ppf`), accurate to about 1e-15.
///
/// Acklam's rational approximation (relative error below 1.2e-9) refined by one
/// Halley step on an accurate normal CDF. The lower tail is always solved and the
/// upper tail mirrored, because `1 - p` is exact for `p >= 0.5` and the lower-tail
/// CDF keeps full relative precision.
pub fn norm_ppf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        return -lower_ppf(1.0 - p);
    }
    lower_ppf(p)
}

/// `norm_ppf` for `0 < p <= 0.5`.
#[allow(clippy::excessive_precision)] // Acklam's coefficients as published
fn lower_ppf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383577518672690e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    const P_LOW: f64 = 0.02425;

    let x = if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    if x == 0.0 {
        return x;
    }
    // Halley step on Phi(x) - p; Phi(x) = erfc(-x / sqrt 2) / 2 with -x >= 0 here.
    let e = 0.5 * erfc_nonneg(-x * std::f64::consts::FRAC_1_SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
    let refined = x - u / (1.0 + 0.5 * x * u);
    // Beyond p ~ 1e-300 the step over/underflows; the approximation is then kept.
    if refined.is_finite() {
        refined
    } else {
        x
    }
}

/// erfc(z) for z >= 0 with small relative error throughout.
fn erfc_nonneg(z: f64) -> f64 {
    const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;
    if z < 2.5 {
        // erf(z) = 2/sqrt(pi) e^{-z^2} sum 2^n z^(2n+1) / (2n+1)!!: all terms positive,
        // so no cancellation; erfc = 1 - erf loses at most ~2 digits at z = 2.5.
        let z2 = z * z;
        let mut term = z;
        let mut sum = z;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * z2 / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - TWO_OVER_SQRT_PI * (-z2).exp() * sum
    } else {
        // Continued fraction erfc(z) = e^{-z^2}/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))),
        // evaluated from the tail, which is stable; 120 terms reach double precision for z >= 2.5.
        let mut f = z;
        for n in (1..=120).rev() {
            f = z + (n as f64 * 0.5) / f;
        }
        0.5 * TWO_OVER_SQRT_PI * (-z * z).exp() / f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins(x: &[f32], n_bins: usize, strategy: Strategy) -> Vec<u32> {
        let mut out = vec![0; x.len()];
        discretize(x, &Config { n_bins, strategy }, &mut out).unwrap();
        out
    }

    #[test]
    fn pyts_docstring_example() {
        let a = [0.0, 1.0, 0.0, 2.0, 3.0, 3.0, 2.0, 1.0];
        let b = [7.0, 0.0, 6.0, 1.0, 5.0, 3.0, 4.0, 2.0];
        assert_eq!(bins(&a, 2, Strategy::Quantile), [0, 0, 0, 1, 1, 1, 1, 0]);
        assert_eq!(bins(&b, 2, Strategy::Quantile), [1, 0, 1, 0, 1, 0, 1, 0]);
    }

    #[test]
    fn ties_go_to_the_lower_bin() {
        // Quantile edges of 0..=4 with 4 bins are exactly 1, 2, 3.
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            bin_edges(
                &x,
                &Config {
                    n_bins: 4,
                    strategy: Strategy::Quantile
                }
            )
            .unwrap(),
            [1.0, 2.0, 3.0]
        );
        assert_eq!(bins(&x, 4, Strategy::Quantile), [0, 0, 1, 2, 3]);
        // Uniform edges of [0, 4] with 4 bins are the same.
        assert_eq!(bins(&x, 4, Strategy::Uniform), [0, 0, 1, 2, 3]);
    }

    #[test]
    fn equal_quantiles_are_dropped() {
        // 6 of 8 samples equal: the first three quartile edges coincide and only the last stays.
        let x = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0];
        let edges = bin_edges(
            &x,
            &Config {
                n_bins: 4,
                strategy: Strategy::Quantile,
            },
        )
        .unwrap();
        assert_eq!(edges, [1.0, 1.25]);
        assert_eq!(bins(&x, 4, Strategy::Quantile), [0, 0, 0, 0, 0, 0, 2, 2]);
    }

    #[test]
    fn constant_series_is_one_bin() {
        for strategy in [Strategy::Quantile, Strategy::Uniform] {
            assert_eq!(bins(&[3.0; 6], 5, strategy), [0; 6]);
        }
    }

    #[test]
    fn ppf_known_values() {
        assert_eq!(norm_ppf(0.5), 0.0);
        assert!((norm_ppf(0.975) - 1.959963984540054).abs() < 1e-14);
        assert!((norm_ppf(0.025) + 1.959963984540054).abs() < 1e-14);
        assert!((norm_ppf(0.25) + 0.6744897501960817).abs() < 1e-14);
        assert!((norm_ppf(1e-10) + 6.361340902404056).abs() < 1e-12);
        assert_eq!(norm_ppf(0.0), f64::NEG_INFINITY);
        assert!(norm_ppf(1.5).is_nan());
    }

    #[test]
    fn rejects_bad_parameters() {
        let mut out = [0u32; 3];
        assert!(discretize(
            &[1.0, 2.0, 3.0],
            &Config {
                n_bins: 1,
                strategy: Strategy::Quantile
            },
            &mut out
        )
        .is_err());
        assert!(discretize(&[1.0, 2.0], &Config::default(), &mut out).is_err());
        assert!(discretize(&[], &Config::default(), &mut []).is_err());
    }
}
