//! Markov transition fields, as pyts's `MarkovTransitionField` defines them:
//! discretise the series ([`super::bins`]), count bin-to-bin transitions between
//! consecutive samples, normalise each row of counts to probabilities (`W`), set
//! `M[j][k] = W[bin_j][bin_k]`, then average `M` over pairs of PAA segments when
//! the image is smaller than the series.
//!
//! The full `n x n` field is never built. With `h_j` the per-bin sample counts of
//! segment `j`, the mean of `M` over segments `j` x `k` is exactly
//! `h_j^T W h_k / (|j| |k|)`, which costs `n_bins` operations per pixel at most,
//! and only as many as segment `j` has distinct bins.
//!
//! A constant series is valid here, as in pyts 0.14: every sample lands in bin 0,
//! `W[0][0] = 1` and the field is 1.0 everywhere.

use super::bins::{self, Strategy};
use super::paa::Segmentation;
use crate::{Error, Result};

/// pyts's `MarkovTransitionField(image_size, n_bins, strategy, overlapping)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Side of the image; `None` is the series length (pyts's default `1.`).
    pub image_size: Option<usize>,
    /// At least 2.
    pub n_bins: usize,
    pub strategy: Strategy,
    /// Aggregation windows of fixed size that may overlap, when the series length is
    /// not a multiple of the image size (otherwise the windows tile the series either way).
    pub overlapping: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            image_size: None,
            n_bins: 8,
            strategy: Strategy::Quantile,
            overlapping: false,
        }
    }
}

/// Side of the image for a series of length `n`.
pub fn image_size(n: usize, config: &Config) -> Result<usize> {
    if n == 0 {
        return Err(Error::InvalidParameter("MTF: the series is empty".into()));
    }
    bins::check_n_bins(config.n_bins)?;
    let size = config.image_size.unwrap_or(n);
    if size == 0 || size > n {
        return Err(Error::InvalidParameter(format!(
            "MTF: image_size must be between 1 and the series length {n} (got {size})"
        )));
    }
    Ok(size)
}

/// The row-normalised transition matrix (`n_bins x n_bins`, row-major) of a binned
/// series; rows of bins that are never left stay zero.
pub fn transition_matrix(binned: &[u32], n_bins: usize, out: &mut [f64]) -> Result<()> {
    if out.len() != n_bins * n_bins {
        return Err(Error::InvalidParameter(format!(
            "MTF: the transition matrix needs {n_bins}x{n_bins} values"
        )));
    }
    if let Some(&b) = binned.iter().find(|&&b| b as usize >= n_bins) {
        return Err(Error::InvalidParameter(format!(
            "MTF: bin {b} is out of range for {n_bins} bins"
        )));
    }
    // Two count tables, for even and odd steps, so that runs of the same transition
    // (a flat stretch of signal) do not serialise on one counter.
    let mut counts = vec![0u32; 2 * n_bins * n_bins];
    let (even, odd) = counts.split_at_mut(n_bins * n_bins);
    let cell = |a: u32, b: u32| a as usize * n_bins + b as usize;
    for w in binned.windows(3).step_by(2) {
        even[cell(w[0], w[1])] += 1;
        odd[cell(w[1], w[2])] += 1;
    }
    // With an even number of samples the last transition is in no window of three.
    if let [.., a, b] = binned {
        if binned.len().is_multiple_of(2) {
            even[cell(*a, *b)] += 1;
        }
    }
    for ((o, &e), &d) in out.iter_mut().zip(even.iter()).zip(odd.iter()) {
        *o = (e + d) as f64;
    }
    for row in out.chunks_exact_mut(n_bins) {
        let sum: f64 = row.iter().sum();
        let sum = if sum == 0.0 { 1.0 } else { sum };
        for v in row {
            *v /= sum;
        }
    }
    Ok(())
}

/// The (aggregated) Markov transition field of `x`, row-major into `out` (`image_size²` values).
pub fn mtf(x: &[f32], config: &Config, out: &mut [f32]) -> Result<()> {
    let n = x.len();
    let size = image_size(n, config)?;
    if out.len() != size * size {
        return Err(Error::InvalidParameter(format!(
            "MTF: the output holds {} values, {size}x{size} are needed",
            out.len()
        )));
    }
    let nb = config.n_bins;
    let mut binned = vec![0u32; n];
    bins::discretize(
        x,
        &bins::Config {
            n_bins: nb,
            strategy: config.strategy,
        },
        &mut binned,
    )?;
    let mut w = vec![0.0f64; nb * nb];
    transition_matrix(&binned, nb, &mut w)?;

    // pyts uses windows of n / size when that divides, else segmentation with a
    // window of ceil(n / size); both are what Segmentation gives for a window of
    // ceil(n / size) and `size` segments.
    let seg = Segmentation::new(n, n.div_ceil(size), config.overlapping, Some(size))?;
    // Column factors P[b][k] = h_k[b] / |k| (bin-major, so loops over k are contiguous)
    // and row weights A[j][b] = h_j[b] / |j|, the same numbers laid out by segment.
    let mut p = vec![0.0f32; nb * size];
    let mut a = vec![0.0f32; size * nb];
    for (j, (start, end)) in seg.iter().enumerate() {
        let inv_len = 1.0 / (end - start).max(1) as f32;
        let row = &mut a[j * nb..(j + 1) * nb];
        for &b in &binned[start..end] {
            row[b as usize] += 1.0;
        }
        for (b, v) in row.iter_mut().enumerate() {
            *v *= inv_len;
            p[b * size + j] = *v;
        }
    }
    // Q = W P: Q[b][k] is the mean probability of a transition from bin b into a
    // sample of segment k. Output row j is then sum_b A[j][b] Q[b], over the bins
    // segment j actually holds.
    let mut q = vec![0.0f32; nb * size];
    for (b, qb) in q.chunks_exact_mut(size).enumerate() {
        for (b2, pb2) in p.chunks_exact(size).enumerate() {
            let wb = w[b * nb + b2] as f32;
            if wb != 0.0 {
                axpy(wb, pb2, qb);
            }
        }
    }
    if size == n {
        // Single-sample segments: row j is row bin_j of Q, which is exactly W[bin_j][bin_k].
        for (row, &bj) in out.chunks_exact_mut(size).zip(&binned) {
            let bj = bj as usize;
            row.copy_from_slice(&q[bj * size..(bj + 1) * size]);
        }
    } else {
        combine(&a, &q, nb, size, out);
    }
    Ok(())
}

super::wide_simd! {
    /// `y += a x`.
    fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += a * x;
        }
    }
}

super::wide_simd! {
    /// `out = A Q` (`size x nb` times `nb x size`), two rows at a time so that every
    /// load of Q feeds two accumulators, skipping the bins neither row holds.
    fn combine(a: &[f32], q: &[f32], nb: usize, size: usize, out: &mut [f32]) {
        let mut active = [0usize; 64];
        let mut many = Vec::new();
        for (pair, rows) in out.chunks_mut(2 * size).enumerate() {
            let j = 2 * pair;
            let (r0, r1) = rows.split_at_mut(size);
            let w0 = &a[j * nb..(j + 1) * nb];
            // An odd last row is paired with itself.
            let w1 = if r1.is_empty() { w0 } else { &a[(j + 1) * nb..(j + 2) * nb] };
            let used = |b: &usize| w0[*b] != 0.0 || w1[*b] != 0.0;
            let bins = if nb <= active.len() {
                let mut count = 0;
                for b in (0..nb).filter(used) {
                    active[count] = b;
                    count += 1;
                }
                &active[..count]
            } else {
                many.clear();
                many.extend((0..nb).filter(used));
                &many[..]
            };
            combine_pair(q, size, bins, w0, w1, r0, r1);
        }
    }
}

/// Rows `r0 = sum_b w0[b] Q[b]` and `r1 = sum_b w1[b] Q[b]` (`r1` may be empty), in
/// column blocks accumulated in registers so that each output is stored once.
#[inline(always)]
fn combine_pair(
    q: &[f32],
    size: usize,
    bins: &[usize],
    w0: &[f32],
    w1: &[f32],
    r0: &mut [f32],
    r1: &mut [f32],
) {
    const LANES: usize = 16;
    let full = size / LANES * LANES;
    for k in (0..full).step_by(LANES) {
        let mut acc0 = [0.0f32; LANES];
        let mut acc1 = [0.0f32; LANES];
        for &b in bins {
            let qb: &[f32; LANES] = q[b * size + k..b * size + k + LANES].try_into().unwrap();
            let (x0, x1) = (w0[b], w1[b]);
            for t in 0..LANES {
                acc0[t] += x0 * qb[t];
                acc1[t] += x1 * qb[t];
            }
        }
        r0[k..k + LANES].copy_from_slice(&acc0);
        if !r1.is_empty() {
            r1[k..k + LANES].copy_from_slice(&acc1);
        }
    }
    for k in full..size {
        let (mut s0, mut s1) = (0.0f32, 0.0f32);
        for &b in bins {
            s0 += w0[b] * q[b * size + k];
            s1 += w1[b] * q[b * size + k];
        }
        r0[k] = s0;
        if !r1.is_empty() {
            r1[k] = s1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(x: &[f32], config: &Config) -> Vec<f32> {
        let size = image_size(x.len(), config).unwrap();
        let mut out = vec![f32::NAN; size * size];
        mtf(x, config, &mut out).unwrap();
        out
    }

    #[test]
    fn alternating_two_states() {
        // Bins alternate 0,1,0,1: W = [[0,1],[1,0]], so M[j][k] = 1 exactly when bins differ.
        let x = [0.0, 1.0, 0.0, 1.0];
        let cfg = Config {
            n_bins: 2,
            ..Config::default()
        };
        let m = field(&x, &cfg);
        assert_eq!(
            m,
            [0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]
        );
        // Any pair of 2-sample windows holds one sample of each bin: mean 0.5.
        let m2 = field(
            &x,
            &Config {
                image_size: Some(2),
                ..cfg
            },
        );
        assert_eq!(m2, [0.5; 4]);
    }

    #[test]
    fn aggregation_by_hand() {
        // Bins 0,0,1,1: transitions 0->0, 0->1, 1->1, so W = [[.5,.5],[0,1]].
        let x = [0.0, 0.0, 1.0, 1.0];
        let cfg = Config {
            n_bins: 2,
            ..Config::default()
        };
        assert_eq!(
            field(&x, &cfg),
            [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]
        );
        assert_eq!(
            field(
                &x,
                &Config {
                    image_size: Some(2),
                    ..cfg
                }
            ),
            [0.5, 0.5, 0.0, 1.0]
        );
        // The whole field in one pixel: (8 * .5 + 4 * 0 + 4 * 1) / 16.
        assert_eq!(
            field(
                &x,
                &Config {
                    image_size: Some(1),
                    ..cfg
                }
            ),
            [0.5]
        );
    }

    #[test]
    fn transition_matrix_by_hand() {
        // Transitions 0->1, 1->1, 1->0, 0->1; bin 2 is never left and keeps a zero row.
        let mut w = [f64::NAN; 9];
        transition_matrix(&[0, 1, 1, 0, 1], 3, &mut w).unwrap();
        assert_eq!(w, [0.0, 1.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0]);
        transition_matrix(&[2, 0, 1, 1, 0, 1], 3, &mut w).unwrap();
        assert_eq!(w, [0.0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 0.0, 0.0]);
        transition_matrix(&[1, 1], 3, &mut w).unwrap();
        assert_eq!(w, [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        assert!(transition_matrix(&[0, 7, 0, 0], 3, &mut w).is_err());
        assert!(transition_matrix(&[0, 1], 3, &mut w[..4]).is_err());
    }

    #[test]
    fn constant_series_is_all_ones() {
        for strategy in [Strategy::Quantile, Strategy::Uniform, Strategy::Normal] {
            for size in [10, 3] {
                let m = field(
                    &[3.0; 10],
                    &Config {
                        image_size: Some(size),
                        n_bins: 4,
                        strategy,
                        overlapping: true,
                    },
                );
                assert!(
                    m.iter().all(|&v| (v - 1.0).abs() < 1e-6),
                    "{strategy:?} {size}: {m:?}"
                );
            }
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let x = [0.0, 1.0, 2.0];
        let mut out = [0.0; 9];
        assert!(mtf(
            &x,
            &Config {
                n_bins: 1,
                ..Config::default()
            },
            &mut out
        )
        .is_err());
        assert!(mtf(
            &x,
            &Config {
                image_size: Some(0),
                ..Config::default()
            },
            &mut out
        )
        .is_err());
        assert!(mtf(
            &x,
            &Config {
                image_size: Some(4),
                ..Config::default()
            },
            &mut out
        )
        .is_err());
        assert!(mtf(&x, &Config::default(), &mut out[..4]).is_err());
        assert!(mtf(&[], &Config::default(), &mut []).is_err());
    }
}
