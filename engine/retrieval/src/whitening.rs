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

impl Whitening {
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
