//! The linear maps of the retrieval space (whitening, the probe): a mean to subtract and then
//! a row-major `inputs × outputs` matrix, applied to one vector and stored in a bundle section
//! as little-endian f32.

use crate::{Error, Result};

/// `(x − mean) · matrix`, `outputs` long.
pub fn apply(x: &[f32], mean: &[f32], matrix: &[f32], outputs: usize) -> Vec<f32> {
    let mut y = vec![0f32; outputs];
    for ((v, m), row) in x.iter().zip(mean).zip(matrix.chunks_exact(outputs)) {
        for (out, w) in y.iter_mut().zip(row) {
            *out += (v - m) * w;
        }
    }
    y
}

pub fn to_bytes(mean: &[f32], matrix: &[f32]) -> Vec<u8> {
    mean.iter()
        .chain(matrix)
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// The mean (`inputs` long) and the matrix (`inputs × outputs`) of section `what`, refused
/// when its size is not theirs or a value is not a finite number.
pub fn from_bytes(
    bytes: &[u8],
    inputs: usize,
    outputs: usize,
    what: &str,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let expected = 4 * inputs * (1 + outputs);
    if bytes.len() != expected {
        return Err(Error::InvalidBundle(format!(
            "the {what} section holds {} bytes, expected {expected} for {inputs} inputs and {outputs} outputs; use the bundle that came with this version",
            bytes.len()
        )));
    }
    let mut values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidBundle(format!(
            "the {what} section holds a value that is not a finite number"
        )));
    }
    let matrix = values.split_off(inputs);
    Ok((values, matrix))
}
