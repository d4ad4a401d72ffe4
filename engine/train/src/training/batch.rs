//! Turning cached records into model input: encode on the fly (cheaper than storing
//! gigabytes of images), cut into patches, pair with the frozen text embeddings.

use burn::prelude::*;

use crate::dataset::cache::SignalCache;
use crate::dataset::labels::LabelTable;
use crate::dataset::texts::TextTable;
use crate::{Error, Result};
use ecgmatch_signal::encode::layout::{
    beat_refs, Beat, BeatTilesConfig, EncodedImage, Encoder, StackConfig,
};
use ecgmatch_signal::encode::patches::patchify;
pub use ecgmatch_signal::encode::patches::InputLayout;
use ecgmatch_signal::robust_scale;

/// Encodes one cached record in `layout` and appends its patches to `out`.
pub fn append_cached(
    layout: InputLayout,
    cache: &SignalCache,
    index: usize,
    encoder: &mut Encoder,
    image: &mut EncodedImage,
    out: &mut Vec<f32>,
) -> Result<()> {
    let record = &cache.records[index];
    match layout {
        InputLayout::Stack { image_size, .. } => {
            let config = StackConfig {
                image_size,
                ..StackConfig::default()
            };
            let leads = record.stack_leads(cache.samples);
            let series: [Option<Vec<f32>>; 12] =
                std::array::from_fn(|l| Some(robust_scale(&leads[l])));
            encoder.stack_series_into(&series, &config, image)?;
        }
        InputLayout::BeatTiles { .. } => {
            let beats = cached_beats(cache, index, Beat::Central);
            encoder.beat_tiles_into(&beat_refs(&beats), &BeatTilesConfig::default(), image)?;
        }
        InputLayout::Hybrid {
            image_size, beat, ..
        } => {
            let config = StackConfig {
                image_size,
                ..StackConfig::default()
            };
            let leads = record.stack_leads(cache.samples);
            let series: [Option<Vec<f32>>; 12] =
                std::array::from_fn(|l| Some(robust_scale(&leads[l])));
            let beats = cached_beats(cache, index, beat);
            encoder.hybrid_into(&beat_refs(&beats), &series, &config, image)?;
        }
    }
    let mut patches = Vec::new();
    patchify(image, layout.patch(), &mut patches);
    out.extend_from_slice(&patches);
    Ok(())
}

/// Cached record `index`'s beats; all `None` (zero planes) where it has none.
fn cached_beats(cache: &SignalCache, index: usize, beat: Beat) -> [Option<Vec<f32>>; 12] {
    match cache.records[index].beats(cache.beat_len, beat) {
        Some(beats) => beats.map(Some),
        None => Default::default(),
    }
}

pub struct Batch {
    /// `[batch, patches, patch values]`
    pub patches: Tensor<3>,
    /// `[batch, text dim]` frozen sentence embeddings.
    pub texts: Tensor<2>,
    /// `[batch, batch]` contrastive targets: 1 where two records share their report
    /// text, otherwise the squared Jaccard overlap of their statements when the builder
    /// has labels (so near-identical findings are soft positives, not negatives).
    pub targets: Tensor<2>,
    /// `[batch, statements]` multi-hot, when the builder has labels.
    pub labels: Option<Tensor<2>>,
}

pub struct BatchBuilder<'a> {
    layout: InputLayout,
    cache: &'a SignalCache,
    texts: &'a TextTable,
    text_index: Vec<usize>,
    labels: Option<&'a LabelTable>,
}

impl<'a> BatchBuilder<'a> {
    pub fn new(layout: InputLayout, cache: &'a SignalCache, texts: &'a TextTable) -> Self {
        let text_index = texts
            .of_records(cache)
            .into_iter()
            .map(|t| t.unwrap_or(usize::MAX))
            .collect();
        Self {
            layout,
            cache,
            texts,
            text_index,
            labels: None,
        }
    }

    pub fn with_labels(mut self, labels: &'a LabelTable) -> Self {
        self.labels = Some(labels);
        self
    }

    /// The index into the text table of cached record `i`.
    pub fn text_of(&self, i: usize) -> usize {
        self.text_index[i]
    }

    pub fn build(&self, indices: &[usize], device: &Device) -> Result<Batch> {
        let (patches, dim) = self.layout.patch_shape();
        let n = indices.len();
        let mut values = Vec::with_capacity(n * patches * dim);
        let (mut encoder, mut image) = (Encoder::default(), EncodedImage::default());
        let mut texts = Vec::with_capacity(n * self.texts.dim);
        for &i in indices {
            append_cached(
                self.layout,
                self.cache,
                i,
                &mut encoder,
                &mut image,
                &mut values,
            )?;
            let t = self.text_of(i);
            if t == usize::MAX {
                return Err(Error::Dataset(format!(
                    "record {} has no text embedding; rebuild the text table with `ecgmatch embed-texts`",
                    self.cache.records[i].ecg_id
                )));
            }
            texts.extend_from_slice(self.texts.embedding(t));
        }
        let ids: Vec<u32> = indices
            .iter()
            .map(|i| self.cache.records[*i].ecg_id)
            .collect();
        let targets: Vec<f32> = indices
            .iter()
            .zip(&ids)
            .flat_map(|(a, ida)| {
                indices
                    .iter()
                    .zip(&ids)
                    .map(move |(b, idb)| (*a, *ida, *b, *idb))
            })
            .map(|(a, ida, b, idb)| {
                if self.text_of(a) == self.text_of(b) {
                    1.0
                } else {
                    self.labels
                        .map_or(0.0, |l| l.overlap(ida, idb).powi(2) as f32)
                }
            })
            .collect();
        let labels = self.labels.map(|l| {
            let rows: Vec<f32> = ids.iter().flat_map(|id| l.multi_hot(*id)).collect();
            Tensor::from_data(TensorData::new(rows, [n, l.codes.len()]), device)
        });
        Ok(Batch {
            patches: Tensor::from_data(TensorData::new(values, [n, patches, dim]), device),
            texts: Tensor::from_data(TensorData::new(texts, [n, self.texts.dim]), device),
            targets: Tensor::from_data(TensorData::new(targets, [n, n]), device),
            labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_holds_patches_texts_and_the_same_report_matrix() {
        let (db, cache) = crate::dataset::cache::fixtures::cache_with_record();
        let mut embed = |texts: &[&str]| Ok(texts.iter().map(|_| vec![1.0, 0.0, 0.0]).collect());
        let texts = TextTable::build(&db, Default::default(), 3, &mut embed).unwrap();
        let device = Device::flex();
        for (layout, patches, dim) in [
            (
                InputLayout::Stack {
                    image_size: 64,
                    patch: 8,
                },
                64,
                48 * 64,
            ),
            (InputLayout::BeatTiles { patch: 32 }, 49, 3 * 1024),
            (
                InputLayout::Hybrid {
                    image_size: 64,
                    patch: 8,
                    beat: Beat::Median,
                },
                64,
                48 * 64,
            ),
        ] {
            assert_eq!(layout.patch_shape(), (patches, dim));
            let labels = LabelTable::build(&db);
            let batch = BatchBuilder::new(layout, &cache, &texts)
                .with_labels(&labels)
                .build(&[0, 0], &device)
                .unwrap();
            assert_eq!(batch.patches.dims(), [2, patches, dim]);
            assert_eq!(batch.texts.dims(), [2, 3]);
            let targets: Vec<f32> = batch.targets.into_data().try_to_vec::<f32>().unwrap();
            assert_eq!(targets, vec![1.0; 4]);
            let rows: Vec<f32> = batch
                .labels
                .unwrap()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            assert_eq!(rows.len(), 2 * labels.codes.len());
            assert_eq!(
                rows.iter().sum::<f32>(),
                2.0 * labels.columns(cache.records[0].ecg_id).len() as f32
            );
            let values: Vec<f32> = batch.patches.into_data().try_to_vec::<f32>().unwrap();
            assert!(
                values
                    .iter()
                    .all(|v| v.is_finite() && v.abs() <= 1.0 + 1e-5),
                "inputs are normalised to [-1, 1]"
            );
            assert!(values.iter().any(|v| *v != values[0]));
        }
    }
}
