//! The library's cases back in the dual encoder's joint space, where a report's or a typed
//! description's text embedding can rank them (text → ECG).
//!
//! The library stores each case in the retrieval space: its image embedding `x` whitened,
//! `y = (x − mean) · matrix`, then extended by measurements and scaled to unit length, so the
//! stored block is `y / s` for a per-case `s`. Keeping `s` and the inverse matrix brings the
//! dot product back without a second copy of the library:
//! `x · t = s · (block · (matrix⁻¹ t)) + mean · t`.

use crate::quantized::Int8Index;
use crate::whitening::Whitening;
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct JointView {
    pub dim: usize,
    /// The whitening's mean (zero without whitening).
    pub mean: Vec<f32>,
    /// The whitening matrix's inverse, `dim × dim` row-major (the identity without whitening).
    pub inverse: Vec<f32>,
    /// Per case, how much the stored block was scaled down.
    pub scales: Vec<f32>,
}

impl JointView {
    /// The view of a library: `embeddings` (`cases × dim`, unit length, as the tower gave
    /// them) stored as `vectors` (`cases × width`, the retrieval space) with `whitening`.
    /// None when the whitening cannot be inverted.
    pub fn fit(
        whitening: Option<&Whitening>,
        embeddings: &[f32],
        vectors: &[f32],
        dim: usize,
        width: usize,
    ) -> Option<Self> {
        let (mean, matrix) = match whitening {
            Some(w) => (w.mean.clone(), w.matrix.clone()),
            None => {
                let mut identity = vec![0f32; dim * dim];
                (0..dim).for_each(|i| identity[i * dim + i] = 1.0);
                (vec![0f32; dim], identity)
            }
        };
        let inverse = invert(&matrix, dim)?;
        let scales = embeddings
            .chunks_exact(dim)
            .zip(vectors.chunks_exact(width))
            .map(|(x, v)| {
                let whitened = crate::section::apply(x, &mean, &matrix, dim);
                let norm = |v: &[f32]| v.iter().map(|a| a * a).sum::<f32>().sqrt();
                norm(&whitened) / norm(&v[..dim]).max(1e-12)
            })
            .collect();
        Some(Self {
            dim,
            mean,
            inverse,
            scales,
        })
    }

    /// Cosine similarity (the image embeddings are unit length) of a unit-length text
    /// embedding to every case of `library`.
    pub fn scores(&self, library: &Int8Index, text: &[f32]) -> Vec<f32> {
        let dim = self.dim;
        let u: Vec<f32> = self
            .inverse
            .chunks_exact(dim)
            .map(|row| row.iter().zip(text).map(|(a, b)| a * b).sum())
            .collect();
        let shared: f32 = self.mean.iter().zip(text).map(|(a, b)| a * b).sum();
        library
            .codes
            .chunks_exact(library.dim)
            .zip(&library.scales)
            .zip(&self.scales)
            .map(|((row, scale), s)| {
                let block: f32 = row[..dim]
                    .iter()
                    .zip(&u)
                    .map(|(c, u)| f32::from(*c) * u)
                    .sum();
                shared + s * scale * block
            })
            .collect()
    }

    /// Little-endian f32: the mean, the inverse, then the per-case scales.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.mean
            .iter()
            .chain(&self.inverse)
            .chain(&self.scales)
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    pub fn from_bytes(bytes: &[u8], dim: usize, cases: usize) -> Result<Self> {
        let expected = 4 * (dim + dim * dim + cases);
        if bytes.len() != expected {
            return Err(Error::InvalidBundle(format!(
                "the joint-space section holds {} bytes, expected {expected} for {cases} cases of {dim} dimensions; use the bundle that came with this version",
                bytes.len()
            )));
        }
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidBundle(
                "the joint-space section holds a value that is not a finite number".into(),
            ));
        }
        Ok(Self {
            dim,
            mean: values[..dim].to_vec(),
            inverse: values[dim..dim + dim * dim].to_vec(),
            scales: values[dim + dim * dim..].to_vec(),
        })
    }
}

/// The inverse of a `dim × dim` row-major matrix (Gauss–Jordan with partial pivoting, in
/// f64); None when it is singular.
fn invert(matrix: &[f32], dim: usize) -> Option<Vec<f32>> {
    let width = 2 * dim;
    let mut a = vec![0f64; dim * width];
    for r in 0..dim {
        for c in 0..dim {
            a[r * width + c] = f64::from(matrix[r * dim + c]);
        }
        a[r * width + dim + r] = 1.0;
    }
    for col in 0..dim {
        let pivot = (col..dim).max_by(|&x, &y| {
            a[x * width + col]
                .abs()
                .total_cmp(&a[y * width + col].abs())
        })?;
        if a[pivot * width + col].abs() < 1e-12 {
            return None;
        }
        for c in 0..width {
            a.swap(col * width + c, pivot * width + c);
        }
        let p = a[col * width + col];
        for c in 0..width {
            a[col * width + c] /= p;
        }
        for r in 0..dim {
            if r != col {
                let f = a[r * width + col];
                if f != 0.0 {
                    for c in 0..width {
                        a[r * width + c] -= f * a[col * width + c];
                    }
                }
            }
        }
    }
    Some(
        (0..dim)
            .flat_map(|r| (0..dim).map(move |c| (r, c)))
            .map(|(r, c)| a[r * width + dim + c] as f32)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_joint_dot_product_comes_back_from_the_stored_library() {
        let dim = 3;
        let unit = |v: [f32; 3]| {
            let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
            v.map(|a| a / n)
        };
        let embeddings: Vec<f32> = [
            unit([1.0, 0.2, 0.1]),
            unit([0.3, 1.0, -0.2]),
            unit([-0.5, 0.1, 1.0]),
        ]
        .concat();
        let whitening = Whitening {
            dim,
            mean: vec![0.1, 0.0, -0.05],
            matrix: vec![2.0, 0.3, 0.0, 0.1, 1.5, 0.2, 0.0, -0.4, 3.0],
        };
        // Stored as the retrieval space does: whitened at unit length, two more values, unit.
        let vectors: Vec<f32> = embeddings
            .chunks_exact(dim)
            .flat_map(|x| {
                let mut v = whitening.apply(x);
                v.extend([0.7, -0.3]);
                let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
                v.into_iter().map(move |a| a / n)
            })
            .collect();
        let view = JointView::fit(Some(&whitening), &embeddings, &vectors, dim, dim + 2).unwrap();
        let library = Int8Index::build(&vectors, dim + 2);
        let text = unit([0.2, -0.6, 0.7]);
        let scores = view.scores(&library, &text);
        for (x, score) in embeddings.chunks_exact(dim).zip(scores) {
            let exact: f32 = x.iter().zip(&text).map(|(a, b)| a * b).sum();
            assert!((exact - score).abs() < 0.02, "{exact} vs {score}");
        }
        let bytes = view.to_bytes();
        assert_eq!(JointView::from_bytes(&bytes, dim, 3).unwrap(), view);
        assert!(JointView::from_bytes(&bytes[4..], dim, 3).is_err());
    }
}
