//! The space cases are compared in: the image tower's embedding (whitened, when the library
//! was), followed by the record's measurements on the same scale, at unit length.

use super::measures::MeasureScaling;
use super::Whitening;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetrievalSpace {
    pub whitening: Option<Whitening>,
    pub measures: Option<MeasureScaling>,
}

impl RetrievalSpace {
    /// Width of a vector in this space, for embeddings `embed_dim` wide.
    pub fn dim(&self, embed_dim: usize) -> usize {
        embed_dim + self.measures.as_ref().map_or(0, MeasureScaling::len)
    }

    /// One record's vector from its unit-length `embedding` and its `measures` (ignored when
    /// the space has none; empty when the record was not measured).
    pub fn vector(&self, embedding: &[f32], measures: &[f32]) -> Vec<f32> {
        let mut v = match &self.whitening {
            Some(w) => w.apply(embedding),
            None => embedding.to_vec(),
        };
        if let Some(scaling) = &self.measures {
            v.extend(scaling.apply(measures));
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }

    /// Every record's vector: `embeddings` `n × embed_dim`, `measures` `n × count` (or empty).
    pub fn vectors(&self, embeddings: &[f32], embed_dim: usize, measures: &[f32]) -> Vec<f32> {
        let n = embeddings.len() / embed_dim.max(1);
        let per = if n == 0 { 0 } else { measures.len() / n };
        (0..n)
            .flat_map(|i| {
                self.vector(
                    &embeddings[i * embed_dim..(i + 1) * embed_dim],
                    &measures[i * per..(i + 1) * per],
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::measures::MeasureWeights;
    use crate::signal::measure::MEASURE_COUNT;

    #[test]
    fn measurements_extend_the_embedding_and_the_whole_is_unit_length() {
        let rows: Vec<f32> = (0..3 * MEASURE_COUNT).map(|i| (i % 7) as f32).collect();
        let weights = MeasureWeights {
            rhythm: 0.5,
            voltage: 0.5,
        };
        let space = RetrievalSpace {
            whitening: None,
            measures: Some(MeasureScaling::fit(&rows, weights).unwrap()),
        };
        assert_eq!(space.dim(4), 4 + MEASURE_COUNT);
        let v = space.vector(&[1.0, 0.0, 0.0, 0.0], &rows[..MEASURE_COUNT]);
        assert_eq!(v.len(), 4 + MEASURE_COUNT);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(v[0] < 1.0 && v[0] > 0.5, "the embedding keeps most of the weight: {}", v[0]);
        // Unmeasured: the embedding alone, still unit length.
        assert_eq!(space.vector(&[1.0, 0.0, 0.0, 0.0], &[])[..4], [1.0, 0.0, 0.0, 0.0]);
        let all = space.vectors(&[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], 4, &rows[..2 * MEASURE_COUNT]);
        assert_eq!(all.len(), 2 * space.dim(4));
        assert_eq!(&all[..4 + MEASURE_COUNT], &v[..]);
        // Without measurements the space is the embedding's.
        let plain = RetrievalSpace::default();
        assert_eq!(plain.dim(4), 4);
        assert_eq!(plain.vector(&[0.0, 1.0], &rows), vec![0.0, 1.0]);
    }
}
