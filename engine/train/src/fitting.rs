//! Fitting what the retrieval space learns from the training folds: the whitening of the
//! embeddings and the diagnostic probe. The page only applies them (`ecgmatch-retrieval`);
//! fitting needs eigenvectors and a Cholesky solve (nalgebra), so it lives with training.

use nalgebra::DMatrix;

use ecgmatch_retrieval::probe::RIDGE;
use ecgmatch_retrieval::{DiagnosticProbe, RetrievalSpace, Whitening};

use crate::{Error, Result};

/// Variance below this share of the largest is treated as this share, so that a direction
/// the tower never uses is not blown up into noise.
const MIN_VARIANCE_SHARE: f64 = 1e-6;

/// Fits the mean and the principal directions of `vectors` (`n × dim`) and scales direction
/// i by `variance_i^(−power/2)`.
pub fn whitening(vectors: &[f32], dim: usize, power: f64) -> Result<Whitening> {
    let n = vectors.len().checked_div(dim).unwrap_or(0);
    if n < 2 || vectors.len() != n * dim || !(0.0..=2.0).contains(&power) {
        return Err(Error::Fit(format!(
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
    let mut covariance = DMatrix::<f64>::zeros(dim, dim);
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
    Ok(Whitening {
        dim,
        mean: mean.into_iter().map(|m| m as f32).collect(),
        matrix,
    })
}

/// Fits the probe on `features` (`n × inputs`) against `targets` (`n × t`, 1 where a
/// record carries a statement): ridge regression, each output divided by its spread and by
/// √t, then projected on the `components` principal directions of those outputs.
pub fn probe(
    features: &[f32],
    inputs: usize,
    targets: &[f32],
    components: usize,
    weight: f32,
) -> Result<DiagnosticProbe> {
    let n = features.len().checked_div(inputs).unwrap_or(0);
    let t = targets.len().checked_div(n).unwrap_or(0);
    if n < 2 || features.len() != n * inputs || targets.len() != n * t || t == 0 {
        return Err(Error::Fit(format!(
            "the probe needs at least two rows of {inputs} features with their targets (got {} features, {} targets)",
            features.len(),
            targets.len()
        )));
    }
    let components = components.min(t);
    let centred = |values: &[f32], width: usize| {
        let mut m = DMatrix::<f64>::from_row_iterator(n, width, values.iter().map(|v| *v as f64));
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
        Error::Fit("the probe's normal equations are not positive definite".into())
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
    Ok(DiagnosticProbe {
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

/// This space with a diagnostic probe fitted on training records: their `embeddings`
/// (`n × embed_dim`), `measures` (`n × MEASURE_COUNT`) and `targets` (`n × t`).
pub fn with_probe(
    space: &RetrievalSpace,
    embeddings: &[f32],
    embed_dim: usize,
    measures: &[f32],
    targets: &[f32],
    weight: f32,
) -> Result<RetrievalSpace> {
    let base = RetrievalSpace {
        probe: None,
        ..space.clone()
    };
    let features: Vec<f32> = ecgmatch_retrieval::space::records(embeddings, embed_dim, measures)
        .flat_map(|(embedding, measures)| base.probe_features(embedding, measures))
        .collect();
    let probe = probe(
        &features,
        base.probe_inputs(embed_dim),
        targets,
        ecgmatch_retrieval::probe::COMPONENTS,
        weight,
    )?;
    Ok(RetrievalSpace {
        probe: Some(probe),
        ..base
    })
}

#[cfg(test)]
mod whitening_tests {
    use super::*;

    /// Correlated 3-D points with very unequal spreads, from a fixed generator.
    fn cloud(n: usize) -> Vec<f32> {
        let mut rng = ecgmatch_formats::random::SplitMix(7);
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
        let w = whitening(&x, 3, 1.0).unwrap();
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
        let w = whitening(&x, 3, 0.0).unwrap();
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
        let w = whitening(&cloud(200), 3, 0.75).unwrap();
        assert_eq!(Whitening::from_bytes(&w.to_bytes(), 3).unwrap(), w);
        assert!(Whitening::from_bytes(&w.to_bytes()[..40], 3).is_err());
        let mut nan = w.to_bytes();
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Whitening::from_bytes(&nan, 3).is_err());
        assert!(whitening(&[1.0, 2.0, 3.0], 3, 1.0).is_err());
    }
}

#[cfg(test)]
mod probe_tests {
    use super::*;

    /// Records whose first statement follows feature 0 and whose second follows feature 1
    /// minus feature 0; feature 2 is noise.
    fn labelled(n: usize) -> (Vec<f32>, Vec<f32>) {
        let mut rng = ecgmatch_formats::random::SplitMix(11);
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
        let (x, y) = labelled(3000);
        let probe = probe(&x, 3, &y, 2, 1.0).unwrap();
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
        let (x, y) = labelled(200);
        let probe = probe(&x, 3, &y, 2, 1.5).unwrap();
        let back = DiagnosticProbe::from_bytes(&probe.to_bytes(), 3, 2, 1.5).unwrap();
        assert_eq!(back, probe);
        assert!(DiagnosticProbe::from_bytes(&probe.to_bytes(), 3, 3, 1.5).is_err());
        let mut nan = probe.to_bytes();
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(DiagnosticProbe::from_bytes(&nan, 3, 2, 1.5).is_err());
        assert!(super::probe(&x[..3], 3, &y[..2], 2, 1.0).is_err());
    }
}
