//! A diagnostic probe: a linear map from what is known of a record (its place in the
//! retrieval space, all its standardised measurements and its median beat) to the statements
//! it is likely to carry, appended to the retrieval vector so that near cases also agree in
//! diagnosis. The tower's embedding knows the beat's shape and the measurements know the
//! voltages and the rhythm, but a nearest-neighbour search weighs every direction alike; the
//! probe, fitted by ridge regression on the training folds' SCP statements and superclasses,
//! says which combinations of them matter. Its outputs are standardised, kept to their
//! leading principal components (the statements are strongly correlated) and weighted
//! against the rest of the vector; the weight is chosen on the validation fold.

use crate::{Error, Result};

/// Ridge penalty of the fit, on inputs of unit-length scale (chosen on fold 9; 3 to 30 score
/// alike).
pub const RIDGE: f64 = 10.0;
/// Principal components of the probe's outputs kept: 32 hold 87% of the spread of the 76
/// standardised outputs and score as all of them do on fold 9.
pub const COMPONENTS: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosticProbe {
    pub inputs: usize,
    pub outputs: usize,
    /// How much the probe counts against the rest of the retrieval vector.
    pub weight: f32,
    /// Subtracted first: the training rows' mean input.
    pub mean: Vec<f32>,
    /// `inputs × outputs`, row-major.
    pub matrix: Vec<f32>,
}

impl DiagnosticProbe {
    /// One record's weighted probe outputs (`outputs` long) from its `inputs` features.
    pub fn apply(&self, features: &[f32]) -> Vec<f32> {
        let mut y = super::section::apply(features, &self.mean, &self.matrix, self.outputs);
        y.iter_mut().for_each(|v| *v *= self.weight);
        y
    }

    /// Little-endian f32: the mean, then the matrix (the weight travels in the manifest).
    pub fn to_bytes(&self) -> Vec<u8> {
        super::section::to_bytes(&self.mean, &self.matrix)
    }

    pub fn from_bytes(bytes: &[u8], inputs: usize, outputs: usize, weight: f32) -> Result<Self> {
        if !weight.is_finite() {
            return Err(Error::InvalidBundle(format!(
                "the probe's weight ({weight}) is not a finite number"
            )));
        }
        let (mean, matrix) = super::section::from_bytes(bytes, inputs, outputs, "probe")?;
        Ok(Self {
            inputs,
            outputs,
            weight,
            mean,
            matrix,
        })
    }
}
