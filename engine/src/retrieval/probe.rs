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
    /// Fits the probe on `features` (`n × inputs`) against `targets` (`n × t`, 1 where a
    /// record carries a statement): ridge regression, each output divided by its spread and by
    /// √t, then projected on the `components` principal directions of those outputs.
    #[cfg(feature = "train")]
    pub fn fit(
        features: &[f32],
        inputs: usize,
        targets: &[f32],
        components: usize,
        weight: f32,
    ) -> Result<Self> {
        use nalgebra::DMatrix;
        let n = features.len().checked_div(inputs).unwrap_or(0);
        let t = targets.len().checked_div(n).unwrap_or(0);
        if n < 2 || features.len() != n * inputs || targets.len() != n * t || t == 0 {
            return Err(Error::InvalidArgument(format!(
                "the probe needs at least two rows of {inputs} features with their targets (got {} features, {} targets)",
                features.len(),
                targets.len()
            )));
        }
        let components = components.min(t);
        let centred = |values: &[f32], width: usize| {
            let mut m =
                DMatrix::<f64>::from_row_iterator(n, width, values.iter().map(|v| *v as f64));
            let means: Vec<f64> = (0..width).map(|j| m.column(j).mean()).collect();
            for (j, mean) in means.iter().enumerate() {
                m.column_mut(j).add_scalar_mut(-mean);
            }
            (m, means)
        };
        let (x, mean) = centred(features, inputs);
        let (y, _) = centred(targets, t);
        let mut gram = x.transpose() * &x;
        for i in 0..inputs {
            gram[(i, i)] += RIDGE;
        }
        let solve = gram.cholesky().ok_or_else(|| {
            Error::InvalidArgument("the probe's normal equations are not positive definite".into())
        })?;
        let mut w = solve.solve(&(x.transpose() * &y));
        // Standardise the outputs so that rare statements count as much as common ones.
        let outputs = &x * &w;
        for j in 0..t {
            let spread = (outputs.column(j).norm_squared() / n as f64).sqrt();
            w.column_mut(j)
                .scale_mut(1.0 / (spread.max(1e-9) * (t as f64).sqrt()));
        }
        let standardised = &x * &w;
        let covariance = standardised.transpose() * &standardised / (n - 1) as f64;
        let eigen = covariance.symmetric_eigen();
        let mut order: Vec<usize> = (0..t).collect();
        order.sort_by(|a, b| eigen.eigenvalues[*b].total_cmp(&eigen.eigenvalues[*a]));
        let directions = DMatrix::from_fn(t, components, |i, c| eigen.eigenvectors[(i, order[c])]);
        let projection = w * directions;
        Ok(Self {
            inputs,
            outputs: components,
            weight,
            mean: mean.into_iter().map(|m| m as f32).collect(),
            matrix: (0..inputs)
                .flat_map(|i| (0..components).map(move |c| (i, c)))
                .map(|(i, c)| projection[(i, c)] as f32)
                .collect(),
        })
    }

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

#[cfg(all(test, feature = "train"))]
mod tests {
    use super::*;

    /// Records whose first statement follows feature 0 and whose second follows feature 1
    /// minus feature 0; feature 2 is noise.
    fn records(n: usize) -> (Vec<f32>, Vec<f32>) {
        let mut rng = crate::random::SplitMix(11);
        let mut uniform = || rng.uniform(-0.5, 0.5);
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let f = [uniform(), uniform(), uniform()];
            x.extend(f.map(|v| v as f32));
            y.push((f[0] > 0.0) as u8 as f32);
            y.push((f[1] - f[0] > 0.0) as u8 as f32);
        }
        (x, y)
    }

    #[test]
    fn the_probe_follows_the_statements_and_ignores_noise() {
        let (x, y) = records(3000);
        let probe = DiagnosticProbe::fit(&x, 3, &y, 2, 1.0).unwrap();
        assert_eq!((probe.inputs, probe.outputs, probe.matrix.len()), (3, 2, 6));
        // Noise has (almost) no say in either component.
        let row = |i: usize| &probe.matrix[i * 2..i * 2 + 2];
        let size = |r: &[f32]| r.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(size(row(2)) < 0.1 * size(row(0)), "{:?}", probe.matrix);
        assert!(size(row(1)) > 0.3 * size(row(0)), "{:?}", probe.matrix);
        // Records with the same statements land close, records with others far.
        let out = |f: [f32; 3]| probe.apply(&f);
        let d = |a: Vec<f32>, b: Vec<f32>| {
            size(&a.iter().zip(&b).map(|(p, q)| p - q).collect::<Vec<_>>())
        };
        let same = d(out([0.3, 0.4, -0.4]), out([0.3, 0.4, 0.4]));
        let other = d(out([0.3, 0.4, 0.0]), out([-0.3, 0.4, 0.0]));
        assert!(same * 5.0 < other, "same statements {same}, others {other}");
        // The outputs over the training rows are centred, with spread about 1/√t each.
        let outs: Vec<Vec<f32>> = x.chunks_exact(3).map(|f| probe.apply(f)).collect();
        let mean0 = outs.iter().map(|o| o[0]).sum::<f32>() / outs.len() as f32;
        assert!(mean0.abs() < 1e-3, "{mean0}");
        let weighted = DiagnosticProbe {
            weight: 2.0,
            ..probe.clone()
        };
        assert_eq!(weighted.apply(&x[..3])[0], 2.0 * probe.apply(&x[..3])[0]);
    }

    #[test]
    fn bytes_round_trip_and_bad_sections_are_refused() {
        let (x, y) = records(200);
        let probe = DiagnosticProbe::fit(&x, 3, &y, 2, 1.5).unwrap();
        let back = DiagnosticProbe::from_bytes(&probe.to_bytes(), 3, 2, 1.5).unwrap();
        assert_eq!(back, probe);
        assert!(DiagnosticProbe::from_bytes(&probe.to_bytes(), 3, 3, 1.5).is_err());
        let mut nan = probe.to_bytes();
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(DiagnosticProbe::from_bytes(&nan, 3, 2, 1.5).is_err());
        assert!(DiagnosticProbe::fit(&x[..3], 3, &y[..2], 2, 1.0).is_err());
    }
}
