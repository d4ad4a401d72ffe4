//! The space cases are compared in: the image tower's embedding (whitened, when the library
//! was), followed by the record's rhythm and voltage measurements on the same scale, at unit
//! length; then, when the space has one, the diagnostic probe's outputs, and unit length again.

use super::measures::MeasureScaling;
use super::probe::DiagnosticProbe;
use super::{unit_length, Whitening};
use ecgmatch_signal::measure::COMPARED_COUNT;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetrievalSpace {
    pub whitening: Option<Whitening>,
    pub measures: Option<MeasureScaling>,
    pub probe: Option<DiagnosticProbe>,
}

/// Each record's embedding (`embed_dim` wide) with its measurements (an equal share of
/// `measures`, empty when there are none).
pub fn records<'a>(
    embeddings: &'a [f32],
    embed_dim: usize,
    measures: &'a [f32],
) -> impl Iterator<Item = (&'a [f32], &'a [f32])> {
    let n = embeddings.len() / embed_dim.max(1);
    let per = measures.len().checked_div(n).unwrap_or(0);
    (0..n).map(move |i| {
        (
            &embeddings[i * embed_dim..(i + 1) * embed_dim],
            &measures[i * per..(i + 1) * per],
        )
    })
}

impl RetrievalSpace {
    /// Width of a vector in this space, for embeddings `embed_dim` wide.
    pub fn dim(&self, embed_dim: usize) -> usize {
        self.dim_before_probe(embed_dim) + self.probe.as_ref().map_or(0, |p| p.outputs)
    }

    fn dim_before_probe(&self, embed_dim: usize) -> usize {
        embed_dim + self.measures.as_ref().map_or(0, |_| COMPARED_COUNT)
    }

    /// How many features the probe of this space reads (see [`RetrievalSpace::probe_features`]).
    pub fn probe_inputs(&self, embed_dim: usize) -> usize {
        self.dim_before_probe(embed_dim) + self.measures.as_ref().map_or(0, MeasureScaling::len)
    }

    /// One record's vector from its unit-length `embedding` and its `measures` (ignored when
    /// the space has none; empty when the record was not measured).
    pub fn vector(&self, embedding: &[f32], measures: &[f32]) -> Vec<f32> {
        let standardised = self.standardise(measures);
        let mut v = self.vector_before_probe(embedding, &standardised);
        if let Some(probe) = &self.probe {
            let outputs = probe.apply(&self.features_of(&v, &standardised));
            v.extend(outputs);
            unit_length(&mut v);
        }
        v
    }

    /// The measurements standardised once, for both the compared ones and the probe (empty
    /// when the space has none).
    fn standardise(&self, measures: &[f32]) -> Vec<f32> {
        self.measures
            .as_ref()
            .map_or_else(Vec::new, |scaling| scaling.standardise(measures))
    }

    fn vector_before_probe(&self, embedding: &[f32], standardised: &[f32]) -> Vec<f32> {
        let mut v = match &self.whitening {
            Some(w) => w.apply(embedding),
            None => embedding.to_vec(),
        };
        if let Some(scaling) = &self.measures {
            v.extend(scaling.weigh(standardised));
            unit_length(&mut v);
        }
        v
    }

    /// What the probe reads: the vector without the probe, then every standardised
    /// measurement divided by √count, so that both parts are of unit-length scale.
    pub fn probe_features(&self, embedding: &[f32], measures: &[f32]) -> Vec<f32> {
        let standardised = self.standardise(measures);
        self.features_of(
            &self.vector_before_probe(embedding, &standardised),
            &standardised,
        )
    }

    fn features_of(&self, before_probe: &[f32], standardised: &[f32]) -> Vec<f32> {
        let share = 1.0 / (standardised.len().max(1) as f32).sqrt();
        before_probe
            .iter()
            .copied()
            .chain(standardised.iter().map(|z| z * share))
            .collect()
    }

    /// A space of the embedding and the measurements of `rows`, scaled with `weights`, for tests.
    #[cfg(test)]
    pub(crate) fn measured(rows: &[f32], weights: super::MeasureWeights) -> Self {
        Self {
            whitening: None,
            measures: Some(MeasureScaling::fit(rows, weights).unwrap()),
            probe: None,
        }
    }

    /// Every record's vector: `embeddings` `n × embed_dim`, `measures` `n × count` (or empty).
    pub fn vectors(&self, embeddings: &[f32], embed_dim: usize, measures: &[f32]) -> Vec<f32> {
        records(embeddings, embed_dim, measures)
            .flat_map(|(embedding, measures)| self.vector(embedding, measures))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::MeasureWeights;
    use ecgmatch_signal::measure::MEASURE_COUNT;

    #[test]
    fn measurements_extend_the_embedding_and_the_whole_is_unit_length() {
        let rows: Vec<f32> = (0..3 * MEASURE_COUNT)
            .map(|i| (i % 7 + i / MEASURE_COUNT) as f32)
            .collect();
        let weights = MeasureWeights {
            rhythm: 0.5,
            voltage: 0.5,
        };
        let space = RetrievalSpace::measured(&rows, weights);
        assert_eq!(space.dim(4), 4 + COMPARED_COUNT);
        let v = space.vector(&[1.0, 0.0, 0.0, 0.0], &rows[..MEASURE_COUNT]);
        assert_eq!(v.len(), 4 + COMPARED_COUNT);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(
            v[0] < 1.0 && v[0] > 0.5,
            "the embedding keeps most of the weight: {}",
            v[0]
        );
        // Unmeasured: the embedding alone, still unit length.
        assert_eq!(
            space.vector(&[1.0, 0.0, 0.0, 0.0], &[])[..4],
            [1.0, 0.0, 0.0, 0.0]
        );
        let all = space.vectors(
            &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            4,
            &rows[..2 * MEASURE_COUNT],
        );
        assert_eq!(all.len(), 2 * space.dim(4));
        assert_eq!(&all[..4 + COMPARED_COUNT], &v[..]);
        // Without measurements the space is the embedding's.
        let plain = RetrievalSpace::default();
        assert_eq!(plain.dim(4), 4);
        assert_eq!(plain.vector(&[0.0, 1.0], &rows), vec![0.0, 1.0]);
    }

    #[test]
    fn the_probe_reads_the_vector_and_every_measurement_and_extends_the_vector() {
        let rows: Vec<f32> = (0..3 * MEASURE_COUNT)
            .map(|i| (i % 5 + 2 * (i / MEASURE_COUNT)) as f32)
            .collect();
        let weights = MeasureWeights {
            rhythm: 0.5,
            voltage: 0.5,
        };
        let base = RetrievalSpace::measured(&rows, weights);
        let inputs = base.probe_inputs(4);
        assert_eq!(inputs, 4 + COMPARED_COUNT + MEASURE_COUNT);
        let (embedding, measures) = ([0.6, 0.8, 0.0, 0.0], &rows[2 * MEASURE_COUNT..]);
        let features = base.probe_features(&embedding, measures);
        assert_eq!(features.len(), inputs);
        // One output reading the vector's first coordinate and the last (shape) measurement.
        let mut matrix = vec![0f32; inputs];
        matrix[0] = 1.0;
        matrix[inputs - 1] = 1.0;
        let probe = DiagnosticProbe {
            inputs,
            outputs: 1,
            weight: 2.0,
            mean: vec![0.0; inputs],
            matrix,
        };
        let space = RetrievalSpace {
            probe: Some(probe),
            ..base.clone()
        };
        assert_eq!(space.dim(4), base.dim(4) + 1);
        let before = base.vector(&embedding, measures);
        let v = space.vector(&embedding, measures);
        let output = 2.0 * (features[0] + features[inputs - 1]);
        assert!(
            features[inputs - 1] != 0.0,
            "the beat's shape reaches the probe"
        );
        let norm = (1.0 + output * output).sqrt();
        for (a, b) in v.iter().zip(&before) {
            assert!((a - b / norm).abs() < 1e-6);
        }
        assert!((v[v.len() - 1] - output / norm).abs() < 1e-6);
    }
}
