//! Gramian angular fields, as pyts's `GramianAngularField` defines them: PAA to the
//! image size, per-series min-max scaling (scikit-learn's `MinMaxScaler`), then
//! `cos(phi_i + phi_j)` (summation) or `sin(phi_i - phi_j)` (difference).
//!
//! The angles are computed once per series in f64 (the scaling amplifies any error
//! in a near-constant series); the image loops then work on f32 cos/sin vectors.

use super::paa::{self, Segmentation};
use crate::{Error, Result};

/// Which field [`gaf`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// GASF: `cos_i cos_j - sin_i sin_j`, symmetric.
    #[default]
    Summation,
    /// GADF: `sin_i cos_j - cos_i sin_j`, antisymmetric.
    Difference,
}

/// pyts's `GramianAngularField(image_size, sample_range, method, overlapping)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Side of the image; `None` is the series length (pyts's default `1.`).
    pub image_size: Option<usize>,
    /// Range each series is scaled to, with `-1 <= min < max <= 1`; `None` uses the
    /// (PAA'd) values as cosines and requires them to lie in [-1, 1].
    pub sample_range: Option<(f64, f64)>,
    pub method: Method,
    /// PAA windows of fixed size that may overlap (see [`paa::Config::overlapping`]).
    pub overlapping: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            image_size: None,
            sample_range: Some((-1.0, 1.0)),
            method: Method::Summation,
            overlapping: false,
        }
    }
}

/// Side of the image for a series of length `n`.
///
/// pyts rejects `image_size == 1` for series longer than one sample (its segmentation
/// needs two windows); here it is accepted and gives the 1x1 field of the mean.
pub fn image_size(n: usize, config: &Config) -> Result<usize> {
    if n == 0 {
        return Err(Error::InvalidParameter("GAF: the series is empty".into()));
    }
    let size = config.image_size.unwrap_or(n);
    if size == 0 || size > n {
        return Err(Error::InvalidParameter(format!(
            "GAF: image_size must be between 1 and the series length {n} (got {size})"
        )));
    }
    if let Some((lo, hi)) = config.sample_range {
        if !(-1.0 <= lo && lo < hi && hi <= 1.0) {
            return Err(Error::InvalidParameter(format!(
                "GAF: sample_range must satisfy -1 <= min < max <= 1 (got ({lo}, {hi}))"
            )));
        }
    }
    Ok(size)
}

/// The polar encoding of `x`: `cos` and `sin` of each angle, `image_size` values each.
pub fn angles(x: &[f32], config: &Config, cos: &mut [f32], sin: &mut [f32]) -> Result<()> {
    let size = image_size(x.len(), config)?;
    if cos.len() != size || sin.len() != size {
        return Err(Error::InvalidParameter(format!(
            "GAF: cos and sin must hold {size} values each"
        )));
    }
    let seg = if size == x.len() {
        None
    } else {
        Some(Segmentation::new(
            x.len(),
            x.len().div_ceil(size),
            config.overlapping,
            Some(size),
        )?)
    };
    let mut v = vec![0.0f64; size];
    paa::paa_f64(x, seg.as_ref(), &mut v);

    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &a| {
            (lo.min(a), hi.max(a))
        });
    match config.sample_range {
        None => {
            if lo < -1.0 || hi > 1.0 {
                return Err(Error::InvalidParameter(
                    "GAF: without sample_range, every value must lie between -1 and 1".into(),
                ));
            }
        }
        Some((min, max)) => {
            // scikit-learn treats a range below 10 eps as constant and scales by 1,
            // which maps a constant series to `min`.
            let range = hi - lo;
            let range = if range < 10.0 * f64::EPSILON {
                1.0
            } else {
                range
            };
            let scale = (max - min) / range;
            let offset = min - lo * scale;
            for a in v.iter_mut() {
                // Two roundings, as scikit-learn's `X *= scale; X += min_`.
                let scaled = *a * scale;
                *a = scaled + offset;
            }
        }
    }
    for ((c, s), &a) in cos.iter_mut().zip(sin.iter_mut()).zip(&v) {
        *c = a as f32;
        *s = (1.0 - a * a).clamp(0.0, 1.0).sqrt() as f32;
    }
    Ok(())
}

fn check_out(out: &[f32], size: usize, what: &str) -> Result<()> {
    if out.len() != size * size {
        return Err(Error::InvalidParameter(format!(
            "{what}: the output holds {} values, {size}x{size} are needed",
            out.len()
        )));
    }
    Ok(())
}

fn cos_sin(x: &[f32], config: &Config) -> Result<(Vec<f32>, Vec<f32>)> {
    let size = image_size(x.len(), config)?;
    let (mut cos, mut sin) = (vec![0.0; size], vec![0.0; size]);
    angles(x, config, &mut cos, &mut sin)?;
    Ok((cos, sin))
}

/// The field selected by `config.method`, row-major into `out` (`image_size²` values).
pub fn gaf(x: &[f32], config: &Config, out: &mut [f32]) -> Result<()> {
    match config.method {
        Method::Summation => gasf(x, config, out),
        Method::Difference => gadf(x, config, out),
    }
}

/// GASF into `out` (`config.method` is ignored).
pub fn gasf(x: &[f32], config: &Config, out: &mut [f32]) -> Result<()> {
    let size = image_size(x.len(), config)?;
    check_out(out, size, "GASF")?;
    let (cos, sin) = cos_sin(x, config)?;
    summation_field(&cos, &sin, out);
    Ok(())
}

/// GADF into `out` (`config.method` is ignored).
pub fn gadf(x: &[f32], config: &Config, out: &mut [f32]) -> Result<()> {
    let size = image_size(x.len(), config)?;
    check_out(out, size, "GADF")?;
    let (cos, sin) = cos_sin(x, config)?;
    difference_field(&cos, &sin, out);
    Ok(())
}

/// GASF and GADF from one computation of the shared angles (`config.method` is ignored).
pub fn gasf_gadf(x: &[f32], config: &Config, gasf: &mut [f32], gadf: &mut [f32]) -> Result<()> {
    let size = image_size(x.len(), config)?;
    check_out(gasf, size, "GASF")?;
    check_out(gadf, size, "GADF")?;
    let (cos, sin) = cos_sin(x, config)?;
    // Two passes: a loop writing one image streams faster than one writing both.
    summation_field(&cos, &sin, gasf);
    difference_field(&cos, &sin, gadf);
    Ok(())
}

// Full rows rather than a triangle and its mirror: a row is one contiguous vector
// loop, while mirroring would write the other half a column (a cache line) at a time.

super::wide_simd! {
    fn summation_field(cos: &[f32], sin: &[f32], out: &mut [f32]) {
        for (row, (&ci, &si)) in out.chunks_exact_mut(cos.len()).zip(cos.iter().zip(sin)) {
            for ((o, &cj), &sj) in row.iter_mut().zip(cos).zip(sin) {
                *o = ci * cj - si * sj;
            }
        }
    }
}

super::wide_simd! {
    fn difference_field(cos: &[f32], sin: &[f32], out: &mut [f32]) {
        for (row, (&ci, &si)) in out.chunks_exact_mut(cos.len()).zip(cos.iter().zip(sin)) {
            for ((o, &cj), &sj) in row.iter_mut().zip(cos).zip(sin) {
                *o = si * cj - ci * sj;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() < 1e-6, "at {i}: {x} vs {y}");
        }
    }

    #[test]
    fn gasf_gadf_by_hand() {
        // [-1, 0, 1] is already scaled: angles pi, pi/2, 0.
        let x = [-1.0, 0.0, 1.0];
        let (mut s, mut d) = ([0.0; 9], [0.0; 9]);
        gasf_gadf(&x, &Config::default(), &mut s, &mut d).unwrap();
        // cos(phi_i + phi_j)
        close(&s, &[1.0, 0.0, -1.0, 0.0, -1.0, 0.0, -1.0, 0.0, 1.0]);
        // sin(phi_i - phi_j)
        close(&d, &[0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0, -1.0, 0.0]);
        let mut one = [0.0; 9];
        gaf(
            &x,
            &Config {
                method: Method::Difference,
                ..Config::default()
            },
            &mut one,
        )
        .unwrap();
        assert_eq!(one, d);
        gasf(
            &x,
            &Config {
                sample_range: None,
                ..Config::default()
            },
            &mut one,
        )
        .unwrap();
        assert_eq!(one, s);
    }

    #[test]
    fn scaling_and_paa() {
        // [0, 2, 4, 6] -> PAA 2 -> [1, 5] -> scaled [-1, 1].
        let x = [0.0, 2.0, 4.0, 6.0];
        let cfg = Config {
            image_size: Some(2),
            ..Config::default()
        };
        let mut s = [0.0; 4];
        gasf(&x, &cfg, &mut s).unwrap();
        close(&s, &[1.0, -1.0, -1.0, 1.0]);
    }

    #[test]
    fn constant_series_maps_to_range_minimum() {
        let mut s = [0.0; 16];
        gasf(&[2.5; 4], &Config::default(), &mut s).unwrap();
        close(&s, &[1.0; 16]);
        let mut d = [1.0; 16];
        gadf(&[2.5; 4], &Config::default(), &mut d).unwrap();
        close(&d, &[0.0; 16]);
    }

    #[test]
    fn rejects_bad_parameters() {
        let x = [0.0, 0.5, 1.0];
        let mut out = [0.0; 9];
        assert!(gasf(
            &x,
            &Config {
                image_size: Some(0),
                ..Config::default()
            },
            &mut out
        )
        .is_err());
        assert!(gasf(
            &x,
            &Config {
                image_size: Some(4),
                ..Config::default()
            },
            &mut out
        )
        .is_err());
        assert!(gasf(&x, &Config::default(), &mut out[..8]).is_err());
        assert!(gasf(
            &[0.0, 2.0, 1.0],
            &Config {
                sample_range: None,
                ..Config::default()
            },
            &mut out
        )
        .is_err());
        assert!(gasf(
            &x,
            &Config {
                sample_range: Some((0.5, 0.5)),
                ..Config::default()
            },
            &mut out
        )
        .is_err());
        assert!(gasf(&[], &Config::default(), &mut []).is_err());
    }
}
