//! Turning cached records into model input: encode on the fly (cheaper than storing
//! gigabytes of images), cut into patches, pair with the frozen text embeddings.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::cache::SignalCache;
use crate::dataset::texts::TextTable;
use crate::encode::layout::{EncodedImage, Encoder, PaperConfig, StackConfig};
use crate::model::vit::patchify;
use crate::signal::robust_scale;
use crate::{Error, Result};

/// The image layout the model reads, with its patch size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum InputLayout {
    Stack { image_size: usize, patch: usize },
    Paper { patch: usize },
}

impl InputLayout {
    /// (number of patches, values per patch).
    pub fn patch_shape(&self) -> (usize, usize) {
        match *self {
            InputLayout::Stack { image_size, patch } => {
                let channels = StackConfig::default().leads.len() * StackConfig::default().encodings.len();
                ((image_size / patch).pow(2), channels * patch * patch)
            }
            InputLayout::Paper { patch } => ((PaperConfig::default().output_size / patch).pow(2), 3 * patch * patch),
        }
    }

    /// Encodes one cached record and appends its patches to `out`.
    pub fn append(&self, cache: &SignalCache, index: usize, encoder: &mut Encoder, image: &mut EncodedImage, out: &mut Vec<f32>) -> Result<()> {
        let record = &cache.records[index];
        match *self {
            InputLayout::Stack { image_size, patch } => {
                let config = StackConfig { image_size, ..StackConfig::default() };
                let leads = record.stack_leads(cache.samples);
                let series: [Option<Vec<f32>>; 12] = std::array::from_fn(|l| Some(robust_scale(&leads[l])));
                encoder.stack_series_into(&series, &config, image)?;
                append_patches(image, patch, out);
            }
            InputLayout::Paper { patch } => {
                let config = PaperConfig::default();
                let beats = record.paper_beats(cache.beat_len);
                let refs: [Option<&[f32]>; 12] = std::array::from_fn(|l| beats.as_ref().map(|b| b[l].as_slice()));
                encoder.paper_beats_into(&refs, &config, image)?;
                append_patches(image, patch, out);
            }
        }
        Ok(())
    }
}

fn append_patches(image: &EncodedImage, patch: usize, out: &mut Vec<f32>) {
    let mut patches = Vec::new();
    patchify(image, patch, &mut patches);
    out.extend_from_slice(&patches);
}

pub struct Batch {
    /// `[batch, patches, patch values]`
    pub patches: Tensor<3>,
    /// `[batch, text dim]` frozen sentence embeddings.
    pub texts: Tensor<2>,
    /// `[batch, batch]`: 1 where two records share their report text.
    pub same: Tensor<2>,
}

pub struct BatchBuilder<'a> {
    layout: InputLayout,
    cache: &'a SignalCache,
    texts: &'a TextTable,
    text_index: Vec<usize>,
}

impl<'a> BatchBuilder<'a> {
    pub fn new(layout: InputLayout, cache: &'a SignalCache, texts: &'a TextTable) -> Self {
        let text_index = cache.records.iter().map(|r| texts.by_record.get(&r.ecg_id).copied().unwrap_or(usize::MAX)).collect();
        Self { layout, cache, texts, text_index }
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
            self.layout.append(self.cache, i, &mut encoder, &mut image, &mut values)?;
            let t = self.text_of(i);
            if t == usize::MAX {
                return Err(Error::InvalidArgument(format!(
                    "record {} has no text embedding; rebuild the text table with `ecgmatch embed-texts`",
                    self.cache.records[i].ecg_id
                )));
            }
            texts.extend_from_slice(self.texts.embedding(t));
        }
        let same: Vec<f32> =
            indices.iter().flat_map(|a| indices.iter().map(move |b| (a, b))).map(|(a, b)| f32::from(self.text_of(*a) == self.text_of(*b))).collect();
        Ok(Batch {
            patches: Tensor::from_data(TensorData::new(values, [n, patches, dim]), device),
            texts: Tensor::from_data(TensorData::new(texts, [n, self.texts.dim]), device),
            same: Tensor::from_data(TensorData::new(same, [n, n]), device),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_holds_patches_texts_and_the_same_report_matrix() {
        let db = crate::dataset::ptbxl::fixtures::database_with_record();
        let cache = SignalCache::build(&db, &StackConfig::default(), &PaperConfig::default(), &|_| {}).unwrap();
        let mut embed = |texts: &[&str]| Ok(texts.iter().map(|_| vec![1.0, 0.0, 0.0]).collect());
        let texts = TextTable::build(&db, 3, &mut embed).unwrap();
        let device = Device::flex();
        for (layout, patches, dim) in
            [(InputLayout::Stack { image_size: 64, patch: 8 }, 64, 48 * 64), (InputLayout::Paper { patch: 32 }, 49, 3 * 1024)]
        {
            assert_eq!(layout.patch_shape(), (patches, dim));
            let batch = BatchBuilder::new(layout, &cache, &texts).build(&[0, 0], &device).unwrap();
            assert_eq!(batch.patches.dims(), [2, patches, dim]);
            assert_eq!(batch.texts.dims(), [2, 3]);
            let same: Vec<f32> = batch.same.into_data().try_to_vec::<f32>().unwrap();
            assert_eq!(same, vec![1.0; 4]);
            let values: Vec<f32> = batch.patches.into_data().try_to_vec::<f32>().unwrap();
            assert!(values.iter().all(|v| v.is_finite() && v.abs() <= 1.0 + 1e-5), "inputs are normalised to [-1, 1]");
            assert!(values.iter().any(|v| *v != values[0]));
        }
    }
}
