//! The towers' weights travel as f16 safetensors (half the download; retrieval loses
//! nothing measurable) and become f32 again before burn loads them, so every backend
//! computes in f32.

use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use half::f16;
use safetensors::{Dtype, SafeTensors};

use super::Bundle;
use crate::{Error, Result};
use ecgmatch_model::clip::{Clip, ClipConfig};

fn bad(why: impl std::fmt::Display) -> Error {
    Error::InvalidBundle(format!("model weights: {why}"))
}

/// Re-encodes every float tensor of a safetensors file in `to` (F16 or F32).
pub fn convert(bytes: &[u8], to: Dtype) -> Result<Vec<u8>> {
    let tensors = SafeTensors::deserialize(bytes).map_err(bad)?;
    let mut converted: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, view) in tensors.tensors() {
        let data = match (view.dtype(), to) {
            (Dtype::F32, Dtype::F16) => view
                .data()
                .chunks_exact(4)
                .flat_map(|b| {
                    f16::from_f32(f32::from_le_bytes(b.try_into().unwrap())).to_le_bytes()
                })
                .collect(),
            (Dtype::F16, Dtype::F32) => view
                .data()
                .chunks_exact(2)
                .flat_map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32().to_le_bytes())
                .collect(),
            (from, _) if from == to => view.data().to_vec(),
            (from, _) => {
                return Err(bad(format!(
                    "tensor '{name}' is {from:?}, which cannot become {to:?}"
                )))
            }
        };
        let dtype = if matches!(view.dtype(), Dtype::F32 | Dtype::F16) {
            to
        } else {
            view.dtype()
        };
        converted.push((name, dtype, view.shape().to_vec(), data));
    }
    let views = converted
        .iter()
        .map(|(name, dtype, shape, data)| {
            Ok((
                name.as_str(),
                safetensors::tensor::TensorView::new(*dtype, shape.clone(), data).map_err(bad)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, None).map_err(bad)
}

impl Bundle {
    pub fn clip_config(&self) -> Result<ClipConfig> {
        serde_json::from_value(self.manifest.model.clone())
            .map_err(|e| bad(format!("the model configuration is unreadable: {e}")))
    }

    /// The dual encoder with the bundle's weights, on `device`.
    pub fn load_model(&self, device: &Device) -> Result<Clip> {
        let config = self.clip_config()?;
        let mut model = config.init(device);
        let mut store = SafetensorsStore::from_bytes(Some(convert(&self.model, Dtype::F32)?));
        model.load_from(&mut store).map_err(bad)?;
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecgmatch_model::vit::VitConfig;

    #[test]
    fn f16_round_trip_keeps_a_model_within_half_precision() {
        let device = Device::flex();
        let config = ClipConfig::new(
            VitConfig::new(12, 4)
                .with_d_model(16)
                .with_depth(1)
                .with_heads(2)
                .with_d_ff(32)
                .with_embed_dim(8),
        )
        .with_text_dim(6);
        let model = config.init(&device);
        let mut store = SafetensorsStore::from_bytes(None);
        model.save_into(&mut store).unwrap();
        let f32_bytes = store.get_bytes().unwrap();
        let half = convert(&f32_bytes, Dtype::F16).unwrap();
        assert!(half.len() < f32_bytes.len() * 6 / 10);
        let mut loaded = config.init(&device);
        loaded
            .load_from(&mut SafetensorsStore::from_bytes(Some(
                convert(&half, Dtype::F32).unwrap(),
            )))
            .unwrap();
        let x = Tensor::<3>::random(
            [2, 4, 12],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let (a, b) = (model.image.forward(x.clone()), loaded.image.forward(x));
        let diff: f32 = (a - b).abs().max().into_scalar();
        assert!(diff < 5e-3, "f16 weights moved the embedding by {diff}");
        assert!(convert(b"not safetensors", Dtype::F16).is_err());
    }
}
