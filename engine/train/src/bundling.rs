//! Building the shipped library from a training run: every PTB-XL record embedded by the
//! trained image tower, every distinct report text by the text side, plus the prompts.

use std::collections::HashMap;

use burn::prelude::*;
use safetensors::Dtype;

use crate::dataset::cache::SignalCache;
use crate::dataset::ptbxl::{PtbXl, PtbXlEntry, TRAIN_FOLDS};
use crate::dataset::texts::TextTable;
use crate::prompts::prompts;
use crate::trained::TrainedModel;
use crate::{Error, Result};
use ecgmatch_model::text::TextEncoder;
use ecgmatch_retrieval::bundle::{weights, BundleParts, Case, Manifest, ProbeShape, StatementInfo};
use ecgmatch_retrieval::{MeasureScaling, MeasureWeights, RetrievalSpace};

pub const SOURCE: &str =
    "PTB-XL 1.0.3 (Wagner et al., Scientific Data 7:154, 2020; PhysioNet; CC BY 4.0)";

pub struct BundleSources<'a> {
    pub name: String,
    pub db: &'a PtbXl,
    pub cache: &'a SignalCache,
    pub texts: &'a TextTable,
    pub trained: &'a TrainedModel,
    pub text_encoder: &'a TextEncoder,
    pub device: &'a Device,
    /// How the page's consensus votes.
    pub knn: ecgmatch_retrieval::KnnRule,
    /// Whitening of the library and the queries, fitted on the training folds (none: raw).
    pub whitening_power: Option<f64>,
    /// Weights of the measurements beside the embedding, scaled on the training folds
    /// (none: the embedding alone).
    pub measure_weights: Option<MeasureWeights>,
    /// Weight of the diagnostic probe, fitted on the training folds (needs measurements;
    /// none: no probe).
    pub probe_weight: Option<f32>,
    /// Weight of the reports' frequency prior in the page's report ranking.
    pub report_prior: f32,
}

fn statements(db: &PtbXl) -> Vec<StatementInfo> {
    db.statements
        .values()
        .map(|s| StatementInfo {
            code: s.code.clone(),
            description: s.description.clone(),
            kind: if s.diagnostic {
                "diagnostic"
            } else if s.rhythm {
                "rhythm"
            } else {
                "form"
            }
            .to_string(),
            superclass: s.superclass.clone(),
        })
        .collect()
}

impl BundleSources<'_> {
    pub fn build(&self) -> Result<Vec<u8>> {
        let by_id: HashMap<u32, &PtbXlEntry> =
            self.db.entries.iter().map(|e| (e.ecg_id, e)).collect();
        let cases =
            self.cache
                .records
                .iter()
                .map(|r| {
                    let e = by_id.get(&r.ecg_id).ok_or_else(|| {
                        Error::Training(format!("record {} is not in the database", r.ecg_id))
                    })?;
                    let text = *self.texts.by_record.get(&r.ecg_id).ok_or_else(|| {
                        Error::Training(format!("record {} has no text", r.ecg_id))
                    })?;
                    Ok(Case {
                        ecg_id: e.ecg_id,
                        fold: e.fold,
                        age: e.age,
                        sex: e.sex,
                        report: e.report.clone(),
                        text: text as u32,
                        scp_codes: e.scp_codes.clone(),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
        let case_embeddings = self
            .trained
            .embed_records(self.cache, self.texts, self.device)?;
        let sentences: Vec<Vec<f32>> = self
            .texts
            .embeddings
            .chunks_exact(self.texts.dim)
            .map(<[f32]>::to_vec)
            .collect();
        let text_embeddings = self.trained.embed_texts(&sentences, self.device)?;
        let prompts = prompts(self.db);
        let prompt_texts: Vec<&str> = prompts.iter().map(|p| p.text.as_str()).collect();
        let prompt_sentences: Vec<Vec<f32>> = self
            .text_encoder
            .embed(&prompt_texts)?
            .into_iter()
            .map(|v| v.to_vec())
            .collect();
        let prompt_embeddings = self.trained.embed_texts(&prompt_sentences, self.device)?;
        let training_rows = |rows: &[f32], width: usize| -> Vec<f32> {
            cases
                .iter()
                .zip(rows.chunks_exact(width))
                .filter(|(case, _)| TRAIN_FOLDS.contains(&case.fold))
                .flat_map(|(_, v)| v.iter().copied())
                .collect()
        };
        let dim = self.trained.config.model.image.embed_dim;
        let training_embeddings = training_rows(&case_embeddings, dim);
        let whitening = self
            .whitening_power
            .map(|power| crate::fitting::whitening(&training_embeddings, dim, power))
            .transpose()?;
        let case_measures = match self.measure_weights {
            Some(_) => self.cache.measurements(),
            None => Vec::new(),
        };
        let training_measures =
            training_rows(&case_measures, ecgmatch_signal::measure::MEASURE_COUNT);
        let measures = self
            .measure_weights
            .map(|weights| MeasureScaling::fit(&training_measures, weights))
            .transpose()?;
        let mut space = RetrievalSpace {
            whitening,
            measures,
            probe: None,
        };
        if let Some(weight) = self.probe_weight {
            if space.measures.is_none() {
                return Err(Error::Training(
                    "the diagnostic probe reads the measurements: give measurement weights too"
                        .into(),
                ));
            }
            let training: Vec<&PtbXlEntry> = cases
                .iter()
                .filter(|c| TRAIN_FOLDS.contains(&c.fold))
                .map(|c| by_id[&c.ecg_id])
                .collect();
            space = crate::fitting::with_probe(
                &space,
                &training_embeddings,
                dim,
                &training_measures,
                &crate::dataset::labels::probe_targets(self.db, training),
                weight,
            )?;
        }
        let model_f16 = match &self.trained.bundled_weights {
            Some(f16) => f16.clone(),
            None => {
                let checkpoint = std::fs::read(&self.trained.checkpoint).map_err(|e| {
                    Error::Training(format!("{}: {e}", self.trained.checkpoint.display()))
                })?;
                weights::convert(&checkpoint, Dtype::F16)?
            }
        };
        let config = &self.trained.config;
        let manifest = Manifest {
            name: self.name.clone(),
            source: SOURCE.to_string(),
            cases: cases.len(),
            embed_dim: config.model.image.embed_dim,
            layout: config.layout,
            model: serde_json::to_value(&config.model)
                .map_err(|e| Error::Training(e.to_string()))?,
            statements: statements(self.db),
            prompts,
            provenance: serde_json::json!({
                "checkpoint": self.trained.checkpoint.file_name().map(|n| n.to_string_lossy().to_string()),
                "training": serde_json::to_value(config).ok(),
                "engine": env!("CARGO_PKG_VERSION"),
            }),
            knn: self.knn,
            whitening_power: self.whitening_power,
            measures: space.measures.clone(),
            probe: space.probe.as_ref().map(ProbeShape::of),
            report_prior: self.report_prior,
        };
        Ok(BundleParts {
            manifest,
            texts: self.texts.texts.clone(),
            cases,
            case_embeddings: &case_embeddings,
            case_measures: &case_measures,
            space: &space,
            text_embeddings: &text_embeddings,
            prompt_embeddings: &prompt_embeddings,
            model_f16: &model_f16,
        }
        .to_bytes())
    }
}
