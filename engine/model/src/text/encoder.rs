//! Sentence embeddings from all-MiniLM-L6-v2: tokenizer and encoder together.

use burn::prelude::*;
use burn::tensor::TensorData;

use super::Tokenizer;
use crate::MiniLm;
use crate::MiniLmConfig;
use crate::{Error, Result};

/// The length of an embedding.
pub const EMBEDDING_DIM: usize = 384;

/// Longer texts are cut to this many tokens, `[CLS]` and `[SEP]` included: the model's
/// `max_seq_length` in sentence-transformers.
pub const MAX_TOKENS: usize = 256;

/// Texts encoded per forward pass.
pub const BATCH_SIZE: usize = 64;

/// all-MiniLM-L6-v2 as sentence-transformers uses it: WordPiece, the 6-layer encoder, mean
/// pooling over the tokens, unit length.
#[derive(Debug)]
pub struct TextEncoder {
    tokenizer: Tokenizer,
    model: MiniLm,
    device: Device,
}

impl TextEncoder {
    /// From the bytes of `model.safetensors` and `vocab.txt`; bytes, not paths, so that the
    /// same code runs in the browser.
    pub fn from_bytes(safetensors: &[u8], vocab: &[u8], device: &Device) -> Result<Self> {
        let config = MiniLmConfig::new();
        let tokenizer = Tokenizer::from_vocab(vocab)?;
        if tokenizer.vocab_size() != config.vocab_size {
            return Err(Error::InvalidWeights(format!(
                "vocab.txt has {} tokens, the model {}: they are not from the same model",
                tokenizer.vocab_size(),
                config.vocab_size
            )));
        }
        let model = config.load(safetensors, device)?;
        Ok(Self {
            tokenizer,
            model,
            device: device.clone(),
        })
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    pub fn model(&self) -> &MiniLm {
        &self.model
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// One unit-length embedding per text, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<[f32; EMBEDDING_DIM]>> {
        let encoded: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.tokenizer.encode(t, MAX_TOKENS))
            .collect();
        // Batches of similar lengths waste little on padding; padding does not change results.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encoded[i].len());
        let mut out = vec![[0.0; EMBEDDING_DIM]; texts.len()];
        for chunk in order.chunks(BATCH_SIZE) {
            let rows: Vec<&[u32]> = chunk.iter().map(|&i| encoded[i].as_slice()).collect();
            let (ids, mask) = self.batch(&rows);
            let pooled = self.model.forward(ids, mask);
            let values = pooled
                .try_into_vec_as::<f32>()
                .map_err(|e| Error::Backend(format!("reading the embeddings back: {e:?}")))?;
            for (&i, row) in chunk.iter().zip(values.chunks_exact(EMBEDDING_DIM)) {
                out[i].copy_from_slice(row);
            }
        }
        Ok(out)
    }

    /// Right-padded ids and the matching attention mask, `[batch, longest]`.
    fn batch(&self, rows: &[&[u32]]) -> (Tensor<2, Int>, Tensor<2, Int>) {
        let seq = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let pad = self.tokenizer.pad_id() as i64;
        let mut ids = vec![pad; rows.len() * seq];
        let mut mask = vec![0i64; rows.len() * seq];
        for (b, row) in rows.iter().enumerate() {
            for (j, &id) in row.iter().enumerate() {
                ids[b * seq + j] = id as i64;
                mask[b * seq + j] = 1;
            }
        }
        (
            Tensor::from_data(TensorData::new(ids, [rows.len(), seq]), &self.device),
            Tensor::from_data(TensorData::new(mask, [rows.len(), seq]), &self.device),
        )
    }
}
