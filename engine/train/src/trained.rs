//! A trained dual encoder, loaded from a training run or from a bundle, and the embeddings it
//! gives. Shared by the evaluation and the bundle writer.

use std::path::Path;

use burn::prelude::*;

use ecgmatch_model::clip::Clip;
use ecgmatch_retrieval::bundle::Bundle;

use crate::dataset::cache::SignalCache;
use crate::dataset::texts::TextTable;
use crate::training::batch::BatchBuilder;
use crate::training::{checkpoint, TrainConfig};
use crate::{Error, Result};

/// A trained dual encoder and the layout it reads.
pub struct TrainedModel {
    pub config: TrainConfig,
    pub model: Clip,
    /// The safetensors file the weights came from.
    pub checkpoint: std::path::PathBuf,
    /// The f16 safetensors, when the model came out of a bundle (so it can be bundled again
    /// as it is).
    pub bundled_weights: Option<Vec<u8>>,
}

impl TrainedModel {
    /// The best checkpoint of a training folder (lowest fold-9 loss), else its last.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let bad = |e: &dyn std::fmt::Display| Error::Training(format!("{}: {e}", dir.display()));
        let text = std::fs::read_to_string(dir.join("config.json")).map_err(|e| bad(&e))?;
        let config: TrainConfig = serde_json::from_str(&text).map_err(|e| bad(&e))?;
        let state = checkpoint::latest(dir)?.ok_or_else(|| bad(&"no finished epoch yet"))?;
        let checkpoint = state.best_model_path(dir);
        let model = checkpoint::load_model(config.model.init(device), &checkpoint)?;
        Ok(Self {
            config,
            model,
            checkpoint,
            bundled_weights: None,
        })
    }

    /// `config`'s model with randomly initialised weights (seeded by `config.seed`): what the
    /// pipeline gives before any training, as a baseline.
    pub fn untrained(config: TrainConfig, device: &Device) -> Self {
        device.seed(config.seed);
        Self {
            model: config.model.init(device),
            config,
            checkpoint: std::path::PathBuf::from("untrained"),
            bundled_weights: None,
        }
    }

    /// The model a bundle carries (f16 weights, back in f32).
    pub fn from_bundle(bundle: &Bundle, device: &Device) -> Result<Self> {
        let config = TrainConfig::new(bundle.manifest.layout, bundle.clip_config()?);
        Ok(Self {
            config,
            model: bundle.load_model(device)?,
            checkpoint: std::path::PathBuf::from("bundle"),
            bundled_weights: Some(bundle.model.clone()),
        })
    }

    /// Image embeddings of every cached record, `records × embed_dim`.
    pub fn embed_records(
        &self,
        cache: &SignalCache,
        texts: &TextTable,
        device: &Device,
    ) -> Result<Vec<f32>> {
        let builder = BatchBuilder::new(self.config.layout, cache, texts);
        let all: Vec<usize> = (0..cache.records.len()).collect();
        let mut out = Vec::with_capacity(all.len() * self.config.model.image.embed_dim);
        for chunk in all.chunks(256) {
            let batch = builder.build(chunk, device)?;
            out.extend(to_vec(self.model.image.forward(batch.patches))?);
        }
        Ok(out)
    }

    /// Embeddings of free text in the shared space.
    pub fn embed_texts(
        &self,
        sentence_embeddings: &[Vec<f32>],
        device: &Device,
    ) -> Result<Vec<f32>> {
        let dim = sentence_embeddings.first().map_or(0, Vec::len);
        let flat: Vec<f32> = sentence_embeddings.iter().flatten().copied().collect();
        to_vec(self.model.embed_text(Tensor::from_data(
            TensorData::new(flat, [sentence_embeddings.len(), dim]),
            device,
        )))
    }
}

pub(crate) fn to_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Training(format!("{e:?}")))
}
