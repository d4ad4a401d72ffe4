//! The dual encoder: image tower, a trainable projection over frozen sentence
//! embeddings, a learned temperature, and the symmetric InfoNCE loss.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use super::vit::{l2_normalise, Vit, VitConfig};

#[derive(Config, Debug)]
pub struct ClipConfig {
    pub image: VitConfig,
    /// Width of the frozen sentence embeddings (384 for all-MiniLM-L6-v2).
    #[config(default = 384)]
    pub text_dim: usize,
    /// Initial temperature τ of the softmax over similarities (CLIP uses 0.07).
    #[config(default = 0.07)]
    pub initial_temperature: f64,
}

#[derive(Module, Debug)]
pub struct Clip {
    pub image: Vit,
    text: Linear,
    /// log(1/τ), learned.
    logit_scale: burn::module::Param<Tensor<1>>,
}

impl ClipConfig {
    pub fn init(&self, device: &Device) -> Clip {
        Clip {
            image: self.image.init(device),
            text: LinearConfig::new(self.text_dim, self.image.embed_dim).init(device),
            logit_scale: burn::module::Param::from_tensor(Tensor::from_floats([(1.0 / self.initial_temperature).ln() as f32], device)),
        }
    }
}

impl Clip {
    /// Unit-length text embeddings in the shared space.
    pub fn embed_text(&self, sentence_embeddings: Tensor<2>) -> Tensor<2> {
        l2_normalise(self.text.forward(sentence_embeddings))
    }

    /// Symmetric InfoNCE. `same[i][j]` is 1 where pair i's report equals pair j's (the
    /// diagonal included): such pairs are not negatives of each other, so the targets
    /// spread evenly over them instead of forcing apart identical reports.
    pub fn loss(&self, patches: Tensor<3>, sentence_embeddings: Tensor<2>, same: Tensor<2>) -> Tensor<1> {
        let images = self.image.forward(patches);
        let texts = self.embed_text(sentence_embeddings);
        // Capped at 100 as in CLIP, so the temperature cannot collapse.
        let scale = self.logit_scale.val().clamp_max(100f32.ln()).exp().unsqueeze_dim::<2>(1);
        let logits = images.matmul(texts.transpose()) * scale;
        let targets = same.clone() / same.sum_dim(1);
        let image_to_text = -(targets.clone() * log_softmax(logits.clone(), 1)).sum_dim(1).mean();
        let text_to_image = -(targets.transpose() * log_softmax(logits.transpose(), 1)).sum_dim(1).mean();
        (image_to_text + text_to_image) / 2.0
    }

    pub fn temperature(&self) -> f32 {
        let s: Vec<f32> = self.logit_scale.val().into_data().try_to_vec::<f32>().unwrap_or_default();
        s.first().map_or(f32::NAN, |v| (-v).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::optim::{AdamWConfig, GradientsParams};
    use burn::tensor::Distribution;

    #[test]
    fn loss_falls_when_pairs_are_learnable() {
        let device = Device::flex().autodiff();
        let vit = VitConfig::new(8, 4).with_d_model(16).with_depth(1).with_heads(2).with_d_ff(32).with_embed_dim(8);
        let mut model = ClipConfig::new(vit).with_text_dim(6).init(&device);
        // Six pairs, two of which share a report: image i carries its text's signal.
        let texts = Tensor::<2>::random([6, 6], Distribution::Normal(0.0, 1.0), &device);
        let texts = Tensor::cat(vec![texts.clone().slice([0..5]), texts.slice([0..1])], 0);
        let noise = Tensor::<3>::random([6, 4, 8], Distribution::Normal(0.0, 0.1), &device);
        let patches = noise + texts.clone().slice([0..6, 0..6]).pad((0, 2, 0, 0), 0.0).unsqueeze_dim::<3>(1).repeat_dim(1, 4);
        let mut same = vec![0.0f32; 36];
        for i in 0..6 {
            same[i * 6 + i] = 1.0;
        }
        (same[5], same[30]) = (1.0, 1.0);
        let same = Tensor::<2>::from_data(TensorData::new(same, [6, 6]), &device);
        let mut optim = AdamWConfig::new().init();
        let first: f32 = model.loss(patches.clone(), texts.clone(), same.clone()).into_scalar();
        for _ in 0..60 {
            let loss = model.loss(patches.clone(), texts.clone(), same.clone());
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(3e-3, model, grads);
        }
        let last: f32 = model.loss(patches, texts, same).into_scalar();
        assert!(last < first * 0.7, "loss {first} → {last}");
    }
}
