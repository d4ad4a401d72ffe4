//! all-MiniLM-L6-v2: a 6-layer BERT encoder whose mean-pooled, L2-normalised output is the
//! sentence embedding of sentence-transformers. Inference only (no dropout): it is the frozen
//! backbone of the text tower.
//!
//! Tensor names and shapes are those of HuggingFace's `BertModel`. Its linear weights are stored
//! `[out, in]` and burn's `Linear` wants `[in, out]`, so they are transposed once, on load.

use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::gelu;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::TensorData;
use safetensors::{Dtype, SafeTensors};

use crate::{Error, Result};

/// all-MiniLM-L6-v2's shape; the defaults are its `config.json`.
#[derive(Config, Debug)]
pub struct MiniLmConfig {
    #[config(default = 30522)]
    pub vocab_size: usize,
    #[config(default = 384)]
    pub hidden: usize,
    #[config(default = 6)]
    pub layers: usize,
    #[config(default = 12)]
    pub heads: usize,
    #[config(default = 1536)]
    pub intermediate: usize,
    #[config(default = 512)]
    pub max_positions: usize,
    #[config(default = 2)]
    pub type_vocab_size: usize,
    #[config(default = 1e-12)]
    pub layer_norm_eps: f64,
}

impl MiniLmConfig {
    /// Randomly initialised, e.g. for tests that need no weights.
    pub fn init(&self, device: &Device) -> MiniLm {
        MiniLm {
            embeddings: self.embeddings().init(device),
            layers: (0..self.layers)
                .map(|_| self.layer().init(device))
                .collect(),
        }
    }

    /// The weights of a HuggingFace `BertModel` in safetensors form (F32), e.g. all-MiniLM-L6-v2's
    /// `model.safetensors`. Every tensor must have the shape this configuration implies.
    pub fn load(&self, safetensors: &[u8], device: &Device) -> Result<MiniLm> {
        let weights = Weights::new(safetensors, device)?;
        let model = MiniLm {
            embeddings: self.embeddings().load(&weights, "embeddings")?,
            layers: (0..self.layers)
                .map(|i| self.layer().load(&weights, &format!("encoder.layer.{i}")))
                .collect::<Result<_>>()?,
        };
        Ok(model.no_grad())
    }

    fn embeddings(&self) -> EmbeddingsConfig {
        EmbeddingsConfig::new(
            self.vocab_size,
            self.hidden,
            self.max_positions,
            self.type_vocab_size,
            self.layer_norm_eps,
        )
    }

    fn layer(&self) -> EncoderLayerConfig {
        EncoderLayerConfig::new(
            self.hidden,
            self.heads,
            self.intermediate,
            self.layer_norm_eps,
        )
    }
}

/// The encoder. `forward` gives sentence embeddings; `hidden_states` the per-token output.
#[derive(Module, Debug)]
pub struct MiniLm {
    pub embeddings: Embeddings,
    pub layers: Vec<EncoderLayer>,
}

impl MiniLm {
    /// The last layer's output, `[batch, seq, hidden]`. `ids` and `mask` are `[batch, seq]`;
    /// `mask` is 1 for a token and 0 for padding, as HuggingFace's `attention_mask`.
    pub fn hidden_states(&self, ids: Tensor<2, Int>, mask: Tensor<2, Int>) -> Tensor<3> {
        let [batch, seq] = ids.dims();
        // Padding is hidden from the keys only: a padded query row still sees the real tokens,
        // so no row is all masked (which would be 0/0), and pooling drops those rows anyway.
        let padding = mask.equal_elem(0).reshape([batch, 1, 1, seq]);
        let mut x = self.embeddings.forward(ids);
        for layer in &self.layers {
            x = layer.forward(x, padding.clone());
        }
        x
    }

    /// Sentence embeddings `[batch, hidden]`: the mean over real tokens, scaled to unit length.
    pub fn forward(&self, ids: Tensor<2, Int>, mask: Tensor<2, Int>) -> Tensor<2> {
        let states = self.hidden_states(ids, mask.clone());
        l2_normalize(mean_pool(states, mask))
    }
}

/// The mean of `states` `[batch, seq, hidden]` over the positions where `mask` is 1.
pub fn mean_pool(states: Tensor<3>, mask: Tensor<2, Int>) -> Tensor<2> {
    let [batch, _, hidden] = states.dims();
    let weights = mask.float().unsqueeze_dim::<3>(2);
    // The clamp only guards an all-padding row; sentence-transformers uses the same 1e-9.
    let counts = weights.clone().sum_dim(1).clamp_min(1e-9);
    (states * weights)
        .sum_dim(1)
        .div(counts)
        .reshape([batch, hidden])
}

/// Each row divided by its Euclidean norm (at least 1e-12, as torch's `F.normalize`).
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norms = x.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
    x.div(norms)
}

#[derive(Config, Debug)]
pub struct EmbeddingsConfig {
    pub vocab_size: usize,
    pub hidden: usize,
    pub max_positions: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
}

/// Word, position and token-type embeddings, summed and layer-normalised.
#[derive(Module, Debug)]
pub struct Embeddings {
    pub word: Embedding,
    pub position: Embedding,
    pub token_type: Embedding,
    pub norm: LayerNorm,
}

impl EmbeddingsConfig {
    pub fn init(&self, device: &Device) -> Embeddings {
        Embeddings {
            word: EmbeddingConfig::new(self.vocab_size, self.hidden).init(device),
            position: EmbeddingConfig::new(self.max_positions, self.hidden).init(device),
            token_type: EmbeddingConfig::new(self.type_vocab_size, self.hidden).init(device),
            norm: LayerNormConfig::new(self.hidden)
                .with_epsilon(self.layer_norm_eps)
                .init(device),
        }
    }

    fn load(&self, w: &Weights, prefix: &str) -> Result<Embeddings> {
        Ok(Embeddings {
            word: w.embedding(
                &format!("{prefix}.word_embeddings"),
                self.vocab_size,
                self.hidden,
            )?,
            position: w.embedding(
                &format!("{prefix}.position_embeddings"),
                self.max_positions,
                self.hidden,
            )?,
            token_type: w.embedding(
                &format!("{prefix}.token_type_embeddings"),
                self.type_vocab_size,
                self.hidden,
            )?,
            norm: w.layer_norm(
                &format!("{prefix}.LayerNorm"),
                self.hidden,
                self.layer_norm_eps,
            )?,
        })
    }
}

impl Embeddings {
    /// `[batch, seq]` ids to `[batch, seq, hidden]`. Every token is of segment 0: single sentences.
    pub fn forward(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        let [_, seq] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..seq as i64, &device).reshape([1, seq]);
        let segments = Tensor::<2, Int>::zeros([1, 1], &device);
        let x = self.word.forward(ids)
            + self.position.forward(positions)
            + self.token_type.forward(segments);
        self.norm.forward(x)
    }
}

#[derive(Config, Debug)]
pub struct SelfAttentionConfig {
    pub hidden: usize,
    pub heads: usize,
    pub layer_norm_eps: f64,
}

/// Multi-head self-attention with BERT's output projection, residual and layer norm.
#[derive(Module, Debug)]
pub struct SelfAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub output: Linear,
    pub norm: LayerNorm,
    pub heads: usize,
}

impl SelfAttentionConfig {
    pub fn init(&self, device: &Device) -> SelfAttention {
        assert!(
            self.hidden.is_multiple_of(self.heads),
            "hidden {} is not a multiple of heads {}",
            self.hidden,
            self.heads
        );
        let linear = || LinearConfig::new(self.hidden, self.hidden).init(device);
        SelfAttention {
            query: linear(),
            key: linear(),
            value: linear(),
            output: linear(),
            norm: LayerNormConfig::new(self.hidden)
                .with_epsilon(self.layer_norm_eps)
                .init(device),
            heads: self.heads,
        }
    }

    fn load(&self, w: &Weights, prefix: &str) -> Result<SelfAttention> {
        let h = self.hidden;
        if !h.is_multiple_of(self.heads) {
            return Err(Error::InvalidConfig(format!(
                "hidden {h} is not a multiple of heads {}",
                self.heads
            )));
        }
        Ok(SelfAttention {
            query: w.linear(&format!("{prefix}.self.query"), h, h)?,
            key: w.linear(&format!("{prefix}.self.key"), h, h)?,
            value: w.linear(&format!("{prefix}.self.value"), h, h)?,
            output: w.linear(&format!("{prefix}.output.dense"), h, h)?,
            norm: w.layer_norm(
                &format!("{prefix}.output.LayerNorm"),
                h,
                self.layer_norm_eps,
            )?,
            heads: self.heads,
        })
    }
}

impl SelfAttention {
    /// `x` is `[batch, seq, hidden]`; `padding` `[batch, 1, 1, seq]` is true at padded keys.
    pub fn forward(&self, x: Tensor<3>, padding: Tensor<4, Bool>) -> Tensor<3> {
        let [batch, seq, hidden] = x.dims();
        let head_dim = hidden / self.heads;
        let split = |t: Tensor<3>| {
            t.reshape([batch, seq, self.heads, head_dim])
                .swap_dims(1, 2)
        };
        let context = attention(
            split(self.query.forward(x.clone())),
            split(self.key.forward(x.clone())),
            split(self.value.forward(x.clone())),
            Some(padding),
            None,
            AttentionModuleOptions::default(),
        );
        let context = context.swap_dims(1, 2).reshape([batch, seq, hidden]);
        self.norm.forward(self.output.forward(context) + x)
    }
}

#[derive(Config, Debug)]
pub struct FeedForwardConfig {
    pub hidden: usize,
    pub intermediate: usize,
    pub layer_norm_eps: f64,
}

/// BERT's position-wise feed-forward block with exact (erf) GELU, residual and layer norm.
#[derive(Module, Debug)]
pub struct FeedForward {
    pub intermediate: Linear,
    pub output: Linear,
    pub norm: LayerNorm,
}

impl FeedForwardConfig {
    pub fn init(&self, device: &Device) -> FeedForward {
        FeedForward {
            intermediate: LinearConfig::new(self.hidden, self.intermediate).init(device),
            output: LinearConfig::new(self.intermediate, self.hidden).init(device),
            norm: LayerNormConfig::new(self.hidden)
                .with_epsilon(self.layer_norm_eps)
                .init(device),
        }
    }

    fn load(&self, w: &Weights, prefix: &str) -> Result<FeedForward> {
        Ok(FeedForward {
            intermediate: w.linear(
                &format!("{prefix}.intermediate.dense"),
                self.hidden,
                self.intermediate,
            )?,
            output: w.linear(
                &format!("{prefix}.output.dense"),
                self.intermediate,
                self.hidden,
            )?,
            norm: w.layer_norm(
                &format!("{prefix}.output.LayerNorm"),
                self.hidden,
                self.layer_norm_eps,
            )?,
        })
    }
}

impl FeedForward {
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let inner = gelu(self.intermediate.forward(x.clone()));
        self.norm.forward(self.output.forward(inner) + x)
    }
}

#[derive(Config, Debug)]
pub struct EncoderLayerConfig {
    pub hidden: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub layer_norm_eps: f64,
}

/// One transformer layer: self-attention, then feed-forward (post-norm, as BERT).
#[derive(Module, Debug)]
pub struct EncoderLayer {
    pub attention: SelfAttention,
    pub feed_forward: FeedForward,
}

impl EncoderLayerConfig {
    pub fn init(&self, device: &Device) -> EncoderLayer {
        EncoderLayer {
            attention: self.attention().init(device),
            feed_forward: self.feed_forward().init(device),
        }
    }

    fn load(&self, w: &Weights, prefix: &str) -> Result<EncoderLayer> {
        Ok(EncoderLayer {
            attention: self.attention().load(w, &format!("{prefix}.attention"))?,
            feed_forward: self.feed_forward().load(w, prefix)?,
        })
    }

    fn attention(&self) -> SelfAttentionConfig {
        SelfAttentionConfig::new(self.hidden, self.heads, self.layer_norm_eps)
    }

    fn feed_forward(&self) -> FeedForwardConfig {
        FeedForwardConfig::new(self.hidden, self.intermediate, self.layer_norm_eps)
    }
}

impl EncoderLayer {
    pub fn forward(&self, x: Tensor<3>, padding: Tensor<4, Bool>) -> Tensor<3> {
        self.feed_forward
            .forward(self.attention.forward(x, padding))
    }
}

/// A safetensors file's tensors, read into burn modules by HuggingFace name.
struct Weights<'a> {
    tensors: SafeTensors<'a>,
    device: Device,
}

impl<'a> Weights<'a> {
    fn new(bytes: &'a [u8], device: &Device) -> Result<Self> {
        let tensors = SafeTensors::deserialize(bytes).map_err(|e| {
            Error::InvalidWeights(format!("model.safetensors: not a safetensors file ({e})"))
        })?;
        Ok(Self {
            tensors,
            device: device.clone(),
        })
    }

    /// The values of a tensor, checked to be F32 of the given shape. A `bert.` prefix, as
    /// checkpoints of BERT task models have, is accepted as well.
    fn values(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let err = |message: String| {
            Error::InvalidWeights(format!("model.safetensors: {name}: {message}"))
        };
        let view = self
            .tensors
            .tensor(name)
            .or_else(|_| self.tensors.tensor(&format!("bert.{name}")))
            .map_err(|_| err("missing".into()))?;
        if view.dtype() != Dtype::F32 {
            return Err(err(format!("{:?}, expected F32", view.dtype())));
        }
        if view.shape() != shape {
            return Err(err(format!("shape {:?}, expected {shape:?}", view.shape())));
        }
        // The data need not be 4-byte aligned inside the file, so no cast in place.
        Ok(view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn param<const D: usize>(&self, values: Vec<f32>, shape: [usize; D]) -> Param<Tensor<D>> {
        Param::from_data(TensorData::new(values, shape), &self.device)
    }

    fn linear(&self, prefix: &str, d_in: usize, d_out: usize) -> Result<Linear> {
        let stored = self.values(&format!("{prefix}.weight"), &[d_out, d_in])?;
        let mut weight = vec![0.0; stored.len()];
        for (o, row) in stored.chunks_exact(d_in).enumerate() {
            for (i, &v) in row.iter().enumerate() {
                weight[i * d_out + o] = v;
            }
        }
        let bias = self.values(&format!("{prefix}.bias"), &[d_out])?;
        Ok(Linear {
            weight: self.param(weight, [d_in, d_out]),
            bias: Some(self.param(bias, [d_out])),
        })
    }

    fn layer_norm(&self, prefix: &str, d: usize, eps: f64) -> Result<LayerNorm> {
        let mut norm = LayerNormConfig::new(d).with_epsilon(eps).init(&self.device);
        norm.gamma = self.param(self.values(&format!("{prefix}.weight"), &[d])?, [d]);
        norm.beta = Some(self.param(self.values(&format!("{prefix}.bias"), &[d])?, [d]));
        Ok(norm)
    }

    fn embedding(&self, prefix: &str, n: usize, d: usize) -> Result<Embedding> {
        Ok(Embedding {
            weight: self.param(self.values(&format!("{prefix}.weight"), &[n, d])?, [n, d]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> MiniLmConfig {
        MiniLmConfig::new()
            .with_vocab_size(50)
            .with_hidden(16)
            .with_layers(2)
            .with_heads(4)
            .with_intermediate(32)
            .with_max_positions(16)
    }

    fn batch(rows: &[&[i64]], device: &Device) -> (Tensor<2, Int>, Tensor<2, Int>) {
        let seq = rows.iter().map(|r| r.len()).max().unwrap();
        let mut ids = vec![0i64; rows.len() * seq];
        let mut mask = vec![0i64; rows.len() * seq];
        for (b, row) in rows.iter().enumerate() {
            ids[b * seq..b * seq + row.len()].copy_from_slice(row);
            mask[b * seq..b * seq + row.len()].fill(1);
        }
        (
            Tensor::from_data(TensorData::new(ids, [rows.len(), seq]), device),
            Tensor::from_data(TensorData::new(mask, [rows.len(), seq]), device),
        )
    }

    fn rows(t: Tensor<2>) -> Vec<Vec<f32>> {
        let [_, d] = t.dims();
        t.into_data()
            .try_into_vec::<f32>()
            .unwrap()
            .chunks(d)
            .map(<[f32]>::to_vec)
            .collect()
    }

    #[test]
    fn padding_does_not_change_an_embedding_and_rows_are_unit_length() {
        let device = Device::flex();
        device.seed(7);
        let model = tiny().init(&device);
        let short: &[i64] = &[2, 7, 9, 3];
        let long: &[i64] = &[2, 11, 12, 13, 14, 15, 16, 3];
        let (ids, mask) = batch(&[short, long], &device);
        let together = rows(model.forward(ids, mask));
        for (row, alone) in [(0, short), (1, long)] {
            let (ids, mask) = batch(&[alone], &device);
            let single = &rows(model.forward(ids, mask))[0];
            for (a, b) in together[row].iter().zip(single) {
                assert!((a - b).abs() < 1e-5, "row {row}: {a} padded, {b} alone");
            }
            let norm: f32 = single.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        }
    }

    #[test]
    fn a_file_with_a_wrong_shape_is_refused() {
        let device = Device::flex();
        let mut header = String::from("{");
        header.push_str(r#""embeddings.word_embeddings.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}"#);
        header.push('}');
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend([0u8; 16]);
        let err = MiniLmConfig::new()
            .load(&bytes, &device)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("embeddings.word_embeddings.weight: shape [2, 2], expected [30522, 384]"),
            "{err}"
        );
        let err = MiniLmConfig::new()
            .load(b"nonsense", &device)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a safetensors file"), "{err}");
    }
}
