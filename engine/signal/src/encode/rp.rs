//! Recurrence plots, as pyts's `RecurrencePlot` defines them: distances between the
//! trajectories `(x_i, x_{i+tau}, ..., x_{i+(m-1)tau})`, either as they are or
//! binarised as `distance < threshold` (strictly below).
//!
//! Unthresholded plots are computed in f32. Binarised plots are decided in f64 with
//! pyts's exact operations (`|x_i - x_j|` for one dimension, a sequential sum of
//! squares then `sqrt` otherwise), because the 'point' threshold is itself one of
//! the distances and a one-ulp difference would flip pixels that tie with it.

use super::bins::{f64_from_key, f64_key, select_many, Percentile};
use crate::{Error, Result};

/// How distances become the image. Percentages are in [0, 100] (pyts's `percentage`,
/// default 10).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Threshold {
    /// The distances themselves (pyts's `threshold=None`).
    #[default]
    None,
    /// `1` where the distance is below the given percentile of all the image's
    /// distances, diagonal included (pyts's `'point'`).
    Point(f64),
    /// `1` where the distance is below this percentage of the largest distance
    /// (pyts's `'distance'`).
    Distance(f64),
    /// `1` where the distance is below this value, which must be positive.
    Value(f64),
}

/// pyts's `RecurrencePlot(dimension, time_delay, threshold, percentage)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Samples per trajectory, at least 1.
    pub dimension: usize,
    /// Gap between the samples of a trajectory, at least 1.
    pub time_delay: usize,
    pub threshold: Threshold,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            dimension: 1,
            time_delay: 1,
            threshold: Threshold::None,
        }
    }
}

/// Side of the image, the number of trajectories: `n - (dimension - 1) * time_delay`.
pub fn image_size(n: usize, config: &Config) -> Result<usize> {
    let (dim, tau) = (config.dimension, config.time_delay);
    if n == 0 {
        return Err(Error::InvalidParameter("RP: the series is empty".into()));
    }
    if dim == 0 || dim > n || tau == 0 || tau > n {
        return Err(Error::InvalidParameter(format!(
            "RP: dimension and time_delay must be between 1 and the series length {n} (got {dim} and {tau})"
        )));
    }
    let span = (dim - 1).checked_mul(tau).filter(|&s| s < n).ok_or_else(|| {
        Error::InvalidParameter(format!(
            "RP: no trajectory fits: dimension {dim} with time_delay {tau} spans more than {n} samples"
        ))
    })?;
    Ok(n - span)
}

fn check_percentage(p: f64) -> Result<()> {
    if !(0.0..=100.0).contains(&p) {
        return Err(Error::InvalidParameter(format!(
            "RP: the percentage must be between 0 and 100 (got {p})"
        )));
    }
    Ok(())
}

/// The recurrence plot of `x`, row-major into `out` (`image_size²` values).
pub fn rp(x: &[f32], config: &Config, out: &mut [f32]) -> Result<()> {
    let m = image_size(x.len(), config)?;
    if out.len() != m * m {
        return Err(Error::InvalidParameter(format!(
            "RP: the output holds {} values, {m}x{m} are needed",
            out.len()
        )));
    }
    let (dim, tau) = (config.dimension, config.time_delay);
    match config.threshold {
        Threshold::None => {
            distances(x, dim, tau, m, out);
            return Ok(());
        }
        Threshold::Value(t) if t.is_nan() || t <= 0.0 => {
            return Err(Error::InvalidParameter(format!(
                "RP: the threshold must be positive (got {t})"
            )));
        }
        Threshold::Point(p) | Threshold::Distance(p) => check_percentage(p)?,
        Threshold::Value(_) => {}
    }

    let xd: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let trajectories = Trajectories {
        x: &xd,
        dim,
        tau,
        m,
    };
    let threshold = match config.threshold {
        Threshold::Value(t) => t,
        Threshold::Distance(p) => p / 100.0 * trajectories.max_distance(),
        Threshold::Point(p) => trajectories.percentile(p / 100.0),
        Threshold::None => unreachable!("handled above"),
    };
    trajectories.binarise(threshold, out);
    Ok(())
}

super::wide_simd! {
    /// Unthresholded distances in f32, a row at a time so the inner loops vectorise.
    fn distances(x: &[f32], dim: usize, tau: usize, m: usize, out: &mut [f32]) {
        if dim == 1 {
            for (row, &xj) in out.chunks_exact_mut(m).zip(x) {
                for (o, &xk) in row.iter_mut().zip(x) {
                    *o = (xj - xk).abs();
                }
            }
            return;
        }
        for (j, row) in out.chunks_exact_mut(m).enumerate() {
            let xj = x[j];
            for (o, &xk) in row.iter_mut().zip(&x[..m]) {
                let d = xj - xk;
                *o = d * d;
            }
            for d in 1..dim {
                let shift = d * tau;
                let xj = x[j + shift];
                for (o, &xk) in row.iter_mut().zip(&x[shift..shift + m]) {
                    let diff = xj - xk;
                    *o += diff * diff;
                }
            }
            for o in row.iter_mut() {
                *o = o.sqrt();
            }
        }
    }
}

/// The f64 trajectories, compared through a "key" that orders pairs like their
/// distance: `|x_j - x_k|` for one dimension, the sum of squares otherwise (whose
/// square root is the distance), so that no square root is taken per pixel.
struct Trajectories<'a> {
    x: &'a [f64],
    dim: usize,
    tau: usize,
    m: usize,
}

impl Trajectories<'_> {
    fn keys(&self, j: usize, k0: usize, keys: &mut [f64]) {
        trajectory_keys(self.x, self.dim, self.tau, j, k0, keys);
    }

    fn distance_of_key(&self, key: f64) -> f64 {
        if self.dim == 1 {
            key
        } else {
            key.sqrt()
        }
    }

    /// The bound on keys equivalent to `distance < threshold`: exactly the pairs
    /// with `key < bound` are closer than `threshold`.
    fn key_bound(&self, threshold: f64) -> f64 {
        if self.dim == 1 {
            return threshold;
        }
        sqrt_lt_bound(threshold)
    }

    fn max_distance(&self) -> f64 {
        if self.dim == 1 {
            let (lo, hi) = self
                .x
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            // Rounding is monotonic, so the largest rounded difference is the
            // rounded difference of the extremes.
            return hi - lo;
        }
        let mut keys = vec![0.0f64; self.m];
        let mut max = 0.0f64;
        for j in 0..self.m {
            let row = &mut keys[..self.m - j];
            self.keys(j, j, row);
            max = row.iter().fold(max, |a, &b| a.max(b));
        }
        max.sqrt()
    }

    /// numpy's linear percentile of all `m²` distances. The diagonal is `m` zeros and
    /// every off-diagonal distance appears twice, so the sorted distances are the zeros
    /// followed by the sorted upper triangle with each value doubled: only the upper
    /// triangle is computed and selected in.
    fn percentile(&self, quantile: f64) -> f64 {
        let m = self.m;
        let pick = Percentile::new(m * m, quantile);
        let upper_index = |k: usize| (k >= m).then(|| (k - m) / 2);
        let mut wanted: Vec<usize> = [pick.lo, pick.hi]
            .into_iter()
            .filter_map(upper_index)
            .collect();
        wanted.dedup();
        let mut upper: Vec<u64> = Vec::new();
        if !wanted.is_empty() {
            upper = Vec::with_capacity(m * (m - 1) / 2);
            let mut keys = vec![0.0f64; m];
            for j in 0..m {
                let row = &mut keys[..m - 1 - j];
                self.keys(j, j + 1, row);
                upper.extend(row.iter().map(|&k| f64_key(k)));
            }
            select_many(&mut upper, 0, &wanted);
        }
        let value =
            |k: usize| upper_index(k).map_or(0.0, |u| self.distance_of_key(f64_from_key(upper[u])));
        pick.value(value(pick.lo), value(pick.hi))
    }

    fn binarise(&self, threshold: f64, out: &mut [f32]) {
        binarise_rows(
            self.x,
            self.dim,
            self.tau,
            self.m,
            self.key_bound(threshold),
            out,
        );
    }
}

/// Keys of trajectory `j` against trajectories `k0..k0 + keys.len()`, in pyts's order
/// of operations.
#[inline(always)]
fn trajectory_keys(x: &[f64], dim: usize, tau: usize, j: usize, k0: usize, keys: &mut [f64]) {
    let len = keys.len();
    if dim == 1 {
        let xj = x[j];
        for (o, &xk) in keys.iter_mut().zip(&x[k0..k0 + len]) {
            *o = (xj - xk).abs();
        }
        return;
    }
    keys.fill(0.0);
    for d in 0..dim {
        let shift = d * tau;
        let xj = x[j + shift];
        for (o, &xk) in keys.iter_mut().zip(&x[k0 + shift..k0 + shift + len]) {
            let diff = xj - xk;
            *o += diff * diff;
        }
    }
}

super::wide_simd! {
    /// `1` where a pair's key is below `bound`, `0` elsewhere.
    fn binarise_rows(x: &[f64], dim: usize, tau: usize, m: usize, bound: f64, out: &mut [f32]) {
        let mut keys = vec![0.0f64; m];
        for (j, row) in out.chunks_exact_mut(m).enumerate() {
            trajectory_keys(x, dim, tau, j, 0, &mut keys);
            for (o, &k) in row.iter_mut().zip(&keys) {
                *o = (k < bound) as u8 as f32;
            }
        }
    }
}

/// The smallest `t` with `sqrt(t) >= threshold`, so that for any `t >= 0`,
/// `sqrt(t) < threshold` exactly when `t < bound` (sqrt is correctly rounded and monotonic).
fn sqrt_lt_bound(threshold: f64) -> f64 {
    if threshold.is_nan() || threshold <= 0.0 {
        return 0.0;
    }
    if threshold == f64::INFINITY {
        return f64::INFINITY;
    }
    let mut t = threshold * threshold;
    while t.sqrt() < threshold {
        t = t.next_up();
    }
    while t > 0.0 && t.next_down().sqrt() >= threshold {
        t = t.next_down();
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot(x: &[f32], config: Config) -> Vec<f32> {
        let m = image_size(x.len(), &config).unwrap();
        let mut out = vec![f32::NAN; m * m];
        rp(x, &config, &mut out).unwrap();
        out
    }

    #[test]
    fn ramp_distances() {
        let x = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(
            plot(&x, Config::default()),
            [0.0, 1.0, 2.0, 3.0, 1.0, 0.0, 1.0, 2.0, 2.0, 1.0, 0.0, 1.0, 3.0, 2.0, 1.0, 0.0]
        );
        // Trajectories (0, 2), (1, 3): distance sqrt 2.
        let two = plot(
            &x,
            Config {
                dimension: 2,
                time_delay: 2,
                ..Config::default()
            },
        );
        assert_eq!(two, [0.0, 2f32.sqrt(), 2f32.sqrt(), 0.0]);
    }

    #[test]
    fn ramp_thresholds() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let below_two = [
            1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0,
        ];
        // Strictly below: the distance 2 itself is excluded.
        assert_eq!(
            plot(
                &x,
                Config {
                    threshold: Threshold::Value(2.0),
                    ..Config::default()
                }
            ),
            below_two
        );
        // Half the largest distance 3.
        assert_eq!(
            plot(
                &x,
                Config {
                    threshold: Threshold::Distance(50.0),
                    ..Config::default()
                }
            ),
            below_two
        );
        // Sorted distances: 0 x4, 1 x6, 2 x4, 3 x2. The 40th percentile sits at index 6,
        // among the 1s, so only the zeros stay; the 62.5th at index 9.375, between a 1
        // and a 2 (1.375), so the 1s stay too.
        let below_one: Vec<f32> = plot(&x, Config::default())
            .iter()
            .map(|&d| (d < 1.0) as u8 as f32)
            .collect();
        assert_eq!(
            plot(
                &x,
                Config {
                    threshold: Threshold::Point(40.0),
                    ..Config::default()
                }
            ),
            below_one
        );
        assert_eq!(
            plot(
                &x,
                Config {
                    threshold: Threshold::Point(62.5),
                    ..Config::default()
                }
            ),
            below_two
        );
        let two = Config {
            dimension: 2,
            time_delay: 2,
            threshold: Threshold::Value(1.5),
        };
        assert_eq!(plot(&x, two), [1.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn sqrt_bound_is_exact() {
        for &thr in &[1.0, 2.0, 0.1, 1e-300, 3.7, 1e150, 1e200] {
            let b = sqrt_lt_bound(thr);
            assert!(b.sqrt() >= thr && b.next_down().sqrt() < thr, "{thr}");
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let x = [0.0, 1.0, 2.0];
        let mut out = [0.0; 9];
        let bad = [
            Config {
                dimension: 0,
                ..Config::default()
            },
            Config {
                time_delay: 0,
                ..Config::default()
            },
            Config {
                dimension: 2,
                time_delay: 3,
                ..Config::default()
            },
            Config {
                threshold: Threshold::Value(0.0),
                ..Config::default()
            },
            Config {
                threshold: Threshold::Point(101.0),
                ..Config::default()
            },
            Config {
                threshold: Threshold::Distance(f64::NAN),
                ..Config::default()
            },
        ];
        for cfg in bad {
            assert!(rp(&x, &cfg, &mut out).is_err(), "{cfg:?}");
        }
        assert!(rp(&x, &Config::default(), &mut out[..4]).is_err());
        assert!(rp(&[], &Config::default(), &mut []).is_err());
    }
}
