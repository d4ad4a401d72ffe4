//! Measurements (see `signal::measure`) brought to the scale of a unit-length embedding, so
//! that they can sit beside it in the retrieval space: each is centred and divided by its
//! spread over the training folds, clipped, and weighted by its group's weight shared out
//! over the group (a group's squared share of a vector is then about its weight squared,
//! whatever its size). The weights are chosen on the validation fold by `ecgmatch eval`.
//! The median beat's shape is standardised the same way but is not compared itself: only the
//! diagnostic probe reads it (see `retrieval::probe`).

use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use ecgmatch_signal::measure::{COMPARED_COUNT, MEASURE_COUNT, RHYTHM_COUNT};

/// A measurement further than this many spreads from the mean is an outlier or an artefact;
/// it may not outweigh the embedding.
const CLIP_SPREADS: f32 = 5.0;

/// How much the rhythm and the voltages count against the embedding (unit length).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeasureWeights {
    pub rhythm: f32,
    pub voltage: f32,
}

impl std::fmt::Display for MeasureWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rhythm {}, voltages {}", self.rhythm, self.voltage)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureScaling {
    pub weights: MeasureWeights,
    pub mean: Vec<f32>,
    pub spread: Vec<f32>,
}

impl MeasureScaling {
    /// Fits the mean and standard deviation of each measurement over `rows`
    /// (`n × MEASURE_COUNT`, NaN where unmeasured).
    pub fn fit(rows: &[f32], weights: MeasureWeights) -> Result<Self> {
        if rows.is_empty() || !rows.len().is_multiple_of(MEASURE_COUNT) {
            return Err(Error::InvalidQuery(format!(
                "measurements come {MEASURE_COUNT} to a record; got {} values",
                rows.len()
            )));
        }
        let (mut mean, mut spread) = (vec![0f32; MEASURE_COUNT], vec![1f32; MEASURE_COUNT]);
        for m in 0..MEASURE_COUNT {
            let values: Vec<f64> = rows
                .chunks_exact(MEASURE_COUNT)
                .map(|r| r[m] as f64)
                .filter(|v| v.is_finite())
                .collect();
            if values.len() < 2 {
                continue;
            }
            let mu = values.iter().sum::<f64>() / values.len() as f64;
            let var = values.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / values.len() as f64;
            mean[m] = mu as f32;
            spread[m] = (var.sqrt() as f32).max(1e-6);
        }
        Ok(Self {
            weights,
            mean,
            spread,
        })
    }

    pub fn len(&self) -> usize {
        self.mean.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// Whether a bundle's scaling fits this engine's measurements: all of them, or (libraries
    /// made before the beat's shape was measured) the compared ones.
    pub fn check(&self) -> Result<()> {
        let n = self.mean.len();
        if ![COMPARED_COUNT, MEASURE_COUNT].contains(&n) || self.spread.len() != n {
            return Err(Error::InvalidBundle(format!(
                "the library was measured with {n} measurements, this engine takes {MEASURE_COUNT}; use the bundle that came with this version"
            )));
        }
        Ok(())
    }

    fn weight(&self, m: usize) -> f32 {
        if m < RHYTHM_COUNT {
            self.weights.rhythm / (RHYTHM_COUNT as f32).sqrt()
        } else {
            self.weights.voltage / ((COMPARED_COUNT - RHYTHM_COUNT) as f32).sqrt()
        }
    }

    /// Every measurement in spreads from its mean, clipped. Unmeasured values (NaN, or a
    /// `measures` shorter than the scaling, e.g. empty) sit at the mean: they pull towards
    /// no case in particular.
    pub fn standardise(&self, measures: &[f32]) -> Vec<f32> {
        (0..self.len())
            .map(|m| match measures.get(m) {
                Some(v) if v.is_finite() => {
                    ((v - self.mean[m]) / self.spread[m]).clamp(-CLIP_SPREADS, CLIP_SPREADS)
                }
                _ => 0.0,
            })
            .collect()
    }

    /// The compared measurements (rhythm and voltages, `COMPARED_COUNT`) on the embedding's
    /// scale.
    pub fn apply(&self, measures: &[f32]) -> Vec<f32> {
        self.weigh(&self.standardise(measures))
    }

    /// [`MeasureScaling::apply`] of measurements already standardised.
    pub fn weigh(&self, standardised: &[f32]) -> Vec<f32> {
        standardised
            .iter()
            .take(COMPARED_COUNT)
            .enumerate()
            .map(|(m, z)| z * self.weight(m))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurements_are_standardised_weighted_and_clipped() {
        let mut rows = vec![0f32; 4 * MEASURE_COUNT];
        for (r, row) in rows.chunks_exact_mut(MEASURE_COUNT).enumerate() {
            row.iter_mut().for_each(|v| *v = r as f32); // 0, 1, 2, 3: mean 1.5
        }
        rows[MEASURE_COUNT - 1] = f32::NAN; // ignored in the fit
        let weights = MeasureWeights {
            rhythm: 0.6,
            voltage: 0.3,
        };
        let s = MeasureScaling::fit(&rows, weights).unwrap();
        s.check().unwrap();
        let sd = (1.25f32).sqrt();
        assert!((s.mean[0] - 1.5).abs() < 1e-6 && (s.spread[0] - sd).abs() < 1e-5);
        assert!((s.mean[MEASURE_COUNT - 1] - 2.0).abs() < 1e-6);
        let mut q = vec![2.5f32; MEASURE_COUNT];
        q[1] = f32::NAN;
        q[2] = 1e6;
        let z = s.apply(&q);
        let rhythm_w = 0.6 / (RHYTHM_COUNT as f32).sqrt();
        assert!((z[0] - rhythm_w / sd).abs() < 1e-5, "{}", z[0]);
        assert_eq!(z[1], 0.0, "unmeasured sits at the mean");
        assert!((z[2] - CLIP_SPREADS * rhythm_w).abs() < 1e-5, "clipped");
        let voltage_w = 0.3 / ((COMPARED_COUNT - RHYTHM_COUNT) as f32).sqrt();
        assert!((z[RHYTHM_COUNT] - voltage_w / sd).abs() < 1e-5);
        assert_eq!(z.len(), COMPARED_COUNT, "the beat's shape is not compared");
        let all = s.standardise(&q);
        assert_eq!(all.len(), MEASURE_COUNT);
        assert!(
            (all[MEASURE_COUNT - 2] - 1.0 / sd).abs() < 1e-5,
            "unweighted"
        );
        assert!(s.apply(&[]).iter().all(|v| *v == 0.0));
        assert!(MeasureScaling::fit(&[1.0; 7], weights).is_err());
    }
}
