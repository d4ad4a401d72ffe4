//! Whitening of image embeddings before they are compared.
//!
//! The image tower's embeddings fill a narrow cone (a query's nearest cases sit at cosine
//! ≈ 0.99), so a few directions of large variance decide every ranking, while the directions
//! that separate rarer statements barely count. Centring on the training folds' mean and
//! dividing each principal direction by a power of its spread evens that out: power 1 is full
//! (PCA) whitening, 0 only centres, and values between trade the two. The power is chosen on
//! the validation fold by `ecgmatch eval` and the result travels in the bundle.

use crate::Result;

#[derive(Debug, Clone, PartialEq)]
pub struct Whitening {
    pub dim: usize,
    /// Subtracted first: the mean embedding of the vectors it was fitted on.
    pub mean: Vec<f32>,
    /// `dim × dim`, row-major: `y = (x − mean) · matrix`, then scaled to unit length.
    pub matrix: Vec<f32>,
}

/// Variance below this share of the largest is treated as this share, so that a direction
/// the tower never uses is not blown up into noise.
#[cfg(feature = "train")]
const MIN_VARIANCE_SHARE: f64 = 1e-6;

impl Whitening {
    /// Fits the mean and the principal directions of `vectors` (`n × dim`) and scales direction
    /// i by `variance_i^(−power/2)`.
    #[cfg(feature = "train")]
    pub fn fit(vectors: &[f32], dim: usize, power: f64) -> Result<Self> {
        let n = vectors.len().checked_div(dim).unwrap_or(0);
        if n < 2 || vectors.len() != n * dim || !(0.0..=2.0).contains(&power) {
            return Err(crate::Error::InvalidArgument(format!(
                "whitening needs at least two {dim}-dimensional vectors and a power in 0..=2 (got {} values, power {power})",
                vectors.len()
            )));
        }
        let mut mean = vec![0f64; dim];
        for row in vectors.chunks_exact(dim) {
            for (m, x) in mean.iter_mut().zip(row) {
                *m += *x as f64 / n as f64;
            }
        }
        let mut covariance = nalgebra::DMatrix::<f64>::zeros(dim, dim);
        let mut centred = vec![0f64; dim];
        for row in vectors.chunks_exact(dim) {
            for ((c, x), m) in centred.iter_mut().zip(row).zip(&mean) {
                *c = *x as f64 - m;
            }
            for i in 0..dim {
                for j in i..dim {
                    covariance[(i, j)] += centred[i] * centred[j];
                }
            }
        }
        for i in 0..dim {
            for j in i..dim {
                let v = covariance[(i, j)] / (n - 1) as f64;
                covariance[(i, j)] = v;
                covariance[(j, i)] = v;
            }
        }
        let eigen = covariance.symmetric_eigen();
        let largest = eigen.eigenvalues.max().max(f64::MIN_POSITIVE);
        let scales: Vec<f64> = eigen
            .eigenvalues
            .iter()
            .map(|v| v.max(MIN_VARIANCE_SHARE * largest).powf(-power / 2.0))
            .collect();
        // matrix[i][j] = Σ_d U[i][d]·s_d·U[j][d]: scaling along the principal directions without
        // rotating away from them (ZCA-like), so power 0 is the identity.
        let u = &eigen.eigenvectors;
        let mut matrix = vec![0f32; dim * dim];
        for i in 0..dim {
            for j in 0..dim {
                matrix[i * dim + j] = (0..dim)
                    .map(|d| u[(i, d)] * scales[d] * u[(j, d)])
                    .sum::<f64>() as f32;
            }
        }
        Ok(Self {
            dim,
            mean: mean.into_iter().map(|m| m as f32).collect(),
            matrix,
        })
    }

    /// `x` (one embedding) whitened, at unit length.
    pub fn apply(&self, x: &[f32]) -> Vec<f32> {
        let mut y = super::section::apply(x, &self.mean, &self.matrix, self.dim);
        super::unit_length(&mut y);
        y
    }

    /// Little-endian f32: the mean, then the matrix.
    pub fn to_bytes(&self) -> Vec<u8> {
        super::section::to_bytes(&self.mean, &self.matrix)
    }

    pub fn from_bytes(bytes: &[u8], dim: usize) -> Result<Self> {
        let (mean, matrix) = super::section::from_bytes(bytes, dim, dim, "whitening")?;
        Ok(Self { dim, mean, matrix })
    }
}

#[cfg(all(test, feature = "train"))]
mod tests {
    use super::*;

    /// Correlated 3-D points with very unequal spreads, from a fixed generator.
    fn cloud(n: usize) -> Vec<f32> {
        let mut rng = crate::random::SplitMix(7);
        let mut uniform = || rng.uniform(-0.5, 0.5);
        (0..n)
            .flat_map(|_| {
                let (a, b, c) = (uniform(), uniform(), uniform());
                [
                    (5.0 + 10.0 * a + 0.3 * b) as f32,
                    (2.0 + 10.0 * a - 0.3 * b + 0.01 * c) as f32,
                    (-1.0 + 0.5 * c) as f32,
                ]
            })
            .collect()
    }

    fn covariance(vectors: &[f32], dim: usize) -> Vec<f64> {
        let n = vectors.len() / dim;
        let mean: Vec<f64> = (0..dim)
            .map(|j| vectors.chunks_exact(dim).map(|r| r[j] as f64).sum::<f64>() / n as f64)
            .collect();
        let mut c = vec![0f64; dim * dim];
        for r in vectors.chunks_exact(dim) {
            for i in 0..dim {
                for j in 0..dim {
                    c[i * dim + j] +=
                        (r[i] as f64 - mean[i]) * (r[j] as f64 - mean[j]) / (n - 1) as f64;
                }
            }
        }
        c
    }

    #[test]
    fn full_whitening_makes_the_spread_equal_in_every_direction() {
        let x = cloud(4000);
        let w = Whitening::fit(&x, 3, 1.0).unwrap();
        // Before the unit-length step, the whitened cloud's covariance is the identity.
        let raw: Vec<f32> = x
            .chunks_exact(3)
            .flat_map(|r| {
                let c: Vec<f32> = r.iter().zip(&w.mean).map(|(a, m)| a - m).collect();
                (0..3)
                    .map(|j| (0..3).map(|i| c[i] * w.matrix[i * 3 + j]).sum::<f32>())
                    .collect::<Vec<_>>()
            })
            .collect();
        let c = covariance(&raw, 3);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((c[i * 3 + j] - want).abs() < 0.02, "covariance {c:?}");
            }
        }
        let y = w.apply(&x[..3]);
        assert!((y.iter().map(|v| v * v).sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn power_zero_only_centres() {
        let x = cloud(500);
        let w = Whitening::fit(&x, 3, 0.0).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((w.matrix[i * 3 + j] - want).abs() < 1e-5, "{:?}", w.matrix);
            }
        }
        let centred: Vec<f32> = x[..3].iter().zip(&w.mean).map(|(a, m)| a - m).collect();
        let n = centred.iter().map(|v| v * v).sum::<f32>().sqrt();
        let y = w.apply(&x[..3]);
        for (a, b) in y.iter().zip(&centred) {
            assert!((a - b / n).abs() < 1e-5);
        }
    }

    #[test]
    fn bytes_round_trip_and_bad_sections_are_refused() {
        let w = Whitening::fit(&cloud(200), 3, 0.75).unwrap();
        assert_eq!(Whitening::from_bytes(&w.to_bytes(), 3).unwrap(), w);
        assert!(Whitening::from_bytes(&w.to_bytes()[..40], 3).is_err());
        let mut nan = w.to_bytes();
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Whitening::from_bytes(&nan, 3).is_err());
        assert!(Whitening::fit(&[1.0, 2.0, 3.0], 3, 1.0).is_err());
    }
}
