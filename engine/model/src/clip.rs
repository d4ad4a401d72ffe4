//! The dual encoder: image tower, a trainable projection over frozen sentence
//! embeddings, a learned temperature, the symmetric InfoNCE loss, and an auxiliary
//! statement classifier on the image embedding.

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
    /// Statements the auxiliary classifier predicts from the image embedding (0: none).
    /// It makes the embedding carry every diagnostic statement, not only those the
    /// report's wording separates, which is what neighbour votes need.
    #[config(default = 0)]
    pub label_count: usize,
    /// Weight of the classifier's binary cross-entropy (a mean over statements, so about
    /// a tenth of the contrastive loss at equal weight) against the contrastive loss.
    #[config(default = 10.0)]
    pub label_weight: f64,
}

#[derive(Module, Debug)]
pub struct Clip {
    pub image: Vit,
    text: Linear,
    /// log(1/τ), learned.
    logit_scale: burn::module::Param<Tensor<1>>,
    labels: Option<Linear>,
    #[module(skip)]
    label_weight: f32,
}

impl ClipConfig {
    pub fn init(&self, device: &Device) -> Clip {
        Clip {
            image: self.image.init(device),
            text: LinearConfig::new(self.text_dim, self.image.embed_dim).init(device),
            logit_scale: burn::module::Param::from_tensor(Tensor::from_floats(
                [(1.0 / self.initial_temperature).ln() as f32],
                device,
            )),
            labels: (self.label_count > 0)
                .then(|| LinearConfig::new(self.image.embed_dim, self.label_count).init(device)),
            label_weight: self.label_weight as f32,
        }
    }
}

impl Clip {
    /// Unit-length text embeddings in the shared space.
    pub fn embed_text(&self, sentence_embeddings: Tensor<2>) -> Tensor<2> {
        l2_normalise(self.text.forward(sentence_embeddings))
    }

    /// Symmetric InfoNCE against soft `targets` (`[batch, batch]`, non-negative, the
    /// diagonal positive): pairs with the same report or the same statements are not
    /// negatives of each other, so each row's target mass spreads over them. With
    /// `labels` (`[batch, label_count]` multi-hot) the classifier's loss is added.
    pub fn loss(
        &self,
        patches: Tensor<3>,
        sentence_embeddings: Tensor<2>,
        targets: Tensor<2>,
        labels: Option<Tensor<2>>,
    ) -> Tensor<1> {
        let images = self.image.forward(patches);
        let texts = self.embed_text(sentence_embeddings);
        // Capped at 100 as in CLIP, so the temperature cannot collapse.
        let scale = self
            .logit_scale
            .val()
            .clamp_max(100f32.ln())
            .exp()
            .unsqueeze_dim::<2>(1);
        let logits = images.clone().matmul(texts.transpose()) * scale;
        let rows = targets.clone() / targets.clone().sum_dim(1);
        let columns = targets.clone().transpose() / targets.transpose().sum_dim(1);
        let image_to_text = -(rows * log_softmax(logits.clone(), 1)).sum_dim(1).mean();
        let text_to_image = -(columns * log_softmax(logits.transpose(), 1))
            .sum_dim(1)
            .mean();
        let contrastive = (image_to_text + text_to_image) / 2.0;
        match (&self.labels, labels) {
            (Some(head), Some(truth)) => {
                contrastive + binary_cross_entropy(head.forward(images), truth) * self.label_weight
            }
            _ => contrastive,
        }
    }

    /// Per-statement probabilities from unit-length image embeddings, if the model has
    /// the classifier.
    pub fn classify(&self, image_embeddings: Tensor<2>) -> Option<Tensor<2>> {
        self.labels
            .as_ref()
            .map(|head| burn::tensor::activation::sigmoid(head.forward(image_embeddings)))
    }

    pub fn temperature(&self) -> f32 {
        let s: Vec<f32> = self
            .logit_scale
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        s.first().map_or(f32::NAN, |v| (-v).exp())
    }
}

/// Mean binary cross-entropy of `logits` against 0/1 `truth`, in the form that cannot
/// overflow: max(x, 0) − x·y + ln(1 + e^−|x|).
fn binary_cross_entropy(logits: Tensor<2>, truth: Tensor<2>) -> Tensor<1> {
    let softplus_tail = logits.clone().abs().neg().exp().log1p();
    (logits.clone().clamp_min(0.0) - logits * truth + softplus_tail).mean()
}

#[cfg(all(test, feature = "train"))]
mod tests {
    use super::*;
    use burn::optim::{AdamWConfig, GradientsParams};
    use burn::tensor::Distribution;

    #[test]
    fn loss_falls_when_pairs_are_learnable() {
        let device = Device::flex().autodiff();
        let vit = VitConfig::new(8, 4)
            .with_d_model(16)
            .with_depth(1)
            .with_heads(2)
            .with_d_ff(32)
            .with_embed_dim(8);
        let mut model = ClipConfig::new(vit).with_text_dim(6).init(&device);
        // Six pairs, two of which share a report: image i carries its text's signal.
        let texts = Tensor::<2>::random([6, 6], Distribution::Normal(0.0, 1.0), &device);
        let texts = Tensor::cat(vec![texts.clone().slice(0..5), texts.slice(0..1)], 0);
        let noise = Tensor::<3>::random([6, 4, 8], Distribution::Normal(0.0, 0.1), &device);
        let patches = noise
            + texts
                .clone()
                .slice([0..6, 0..6])
                .pad((0, 2, 0, 0), 0.0)
                .unsqueeze_dim::<3>(1)
                .repeat_dim(1, 4);
        let mut same = vec![0.0f32; 36];
        for i in 0..6 {
            same[i * 6 + i] = 1.0;
        }
        (same[5], same[30]) = (1.0, 1.0);
        let same = Tensor::<2>::from_data(TensorData::new(same, [6, 6]), &device);
        let mut optim = AdamWConfig::new().init();
        let first: f32 = model
            .loss(patches.clone(), texts.clone(), same.clone(), None)
            .into_scalar();
        for _ in 0..60 {
            let loss = model.loss(patches.clone(), texts.clone(), same.clone(), None);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(3e-3, model, grads);
        }
        let last: f32 = model.loss(patches, texts, same, None).into_scalar();
        assert!(last < first * 0.7, "loss {first} → {last}");
    }

    #[test]
    fn cross_entropy_matches_its_definition_and_survives_large_logits() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![2.0f32, -1.0, 0.0, 500.0], [2, 2]),
            &device,
        );
        let truth = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 0.0, 1.0, 1.0], [2, 2]),
            &device,
        );
        let got: f32 = binary_cross_entropy(logits, truth).into_scalar();
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let want = (-(sig(2.0).ln()) - (1.0 - sig(-1.0)).ln() - sig(0.0).ln() + 0.0) / 4.0;
        assert!((got as f64 - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn the_classifier_learns_statements_from_the_embedding() {
        let device = Device::flex().autodiff();
        let vit = VitConfig::new(8, 4)
            .with_d_model(16)
            .with_depth(1)
            .with_heads(2)
            .with_d_ff(32)
            .with_embed_dim(8);
        let mut model = ClipConfig::new(vit)
            .with_text_dim(6)
            .with_label_count(3)
            .init(&device);
        let signal = Tensor::<2>::random([8, 3], Distribution::Bernoulli(0.5), &device);
        let patches = signal
            .clone()
            .pad((0, 5, 0, 0), 0.0)
            .unsqueeze_dim::<3>(1)
            .repeat_dim(1, 4)
            + Tensor::<3>::random([8, 4, 8], Distribution::Normal(0.0, 0.05), &device);
        let texts = Tensor::<2>::random([8, 6], Distribution::Normal(0.0, 1.0), &device);
        let eye = Tensor::<2>::eye(8, &device);
        let mut optim = AdamWConfig::new().init();
        let loss = |m: &Clip| -> f32 {
            m.loss(
                patches.clone(),
                texts.clone(),
                eye.clone(),
                Some(signal.clone()),
            )
            .into_scalar()
        };
        let first = loss(&model);
        for _ in 0..80 {
            let l = model.loss(
                patches.clone(),
                texts.clone(),
                eye.clone(),
                Some(signal.clone()),
            );
            let grads = GradientsParams::from_grads(l.backward(), &model);
            model = optim.step(3e-3, model, grads);
        }
        assert!(loss(&model) < first * 0.7);
        assert_eq!(
            model.classify(model.image.forward(patches)).unwrap().dims(),
            [8, 3]
        );
    }
}
