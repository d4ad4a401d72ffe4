//! The text tower packed for the page: weight matrices as int8 with one scale per row,
//! vectors as f16, and the vocabulary, in one checksummed `.ecgb` container. About a
//! quarter of the f32 safetensors; unpacked back to f32 before loading.

use half::f16;
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::bundle::{Container, ContainerWriter};
use crate::quantized::quantize_into;
use crate::{Error, Result};

const VOCAB: &str = "vocab.txt";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PackedTensor {
    name: String,
    shape: Vec<usize>,
    /// "q8": rows × f32 scale then rows × cols i8; "f16": the values.
    encoding: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    kind: String,
    model: String,
    tensors: Vec<PackedTensor>,
}

fn bad(why: impl std::fmt::Display) -> Error {
    Error::InvalidBundle(format!("text tower: {why}"))
}

fn f32_values(view: &safetensors::tensor::TensorView) -> Result<Vec<f32>> {
    match view.dtype() {
        Dtype::F32 => Ok(view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect()),
        Dtype::F16 => Ok(view
            .data()
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect()),
        other => Err(bad(format!("unsupported dtype {other:?}"))),
    }
}

/// Packs a safetensors model (f32 or f16) and its vocabulary.
pub fn pack(safetensors: &[u8], vocab: &[u8], model: &str) -> Result<Vec<u8>> {
    let tensors = SafeTensors::deserialize(safetensors).map_err(bad)?;
    let mut names: Vec<String> = tensors.names().into_iter().map(String::from).collect();
    names.sort();
    let mut writer = ContainerWriter::default();
    writer.add(VOCAB, vocab);
    let mut listed = Vec::new();
    for name in names {
        let view = tensors.tensor(&name).map_err(bad)?;
        // Integer buffers (BERT's position_ids) are not weights; the model rebuilds them.
        if !matches!(view.dtype(), Dtype::F32 | Dtype::F16) {
            continue;
        }
        let values = f32_values(&view)?;
        let shape = view.shape().to_vec();
        let (encoding, bytes) = if shape.len() == 2 {
            let cols = shape[1];
            let mut codes = Vec::with_capacity(values.len());
            let scales: Vec<f32> = values
                .chunks_exact(cols.max(1))
                .map(|row| quantize_into(row, &mut codes))
                .collect();
            let mut bytes: Vec<u8> = scales.iter().flat_map(|s| s.to_le_bytes()).collect();
            bytes.extend(codes.iter().map(|c| *c as u8));
            ("q8", bytes)
        } else {
            (
                "f16",
                values
                    .iter()
                    .flat_map(|v| f16::from_f32(*v).to_le_bytes())
                    .collect(),
            )
        };
        writer.add(&name, &bytes);
        listed.push(PackedTensor {
            name,
            shape,
            encoding: encoding.into(),
        });
    }
    let manifest = Manifest {
        kind: "text-tower".into(),
        model: model.into(),
        tensors: listed,
    };
    Ok(writer.finish(serde_json::to_value(manifest).map_err(bad)?))
}

/// The f32 safetensors bytes and the vocabulary of a packed text tower.
pub fn unpack(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let container = Container::parse(bytes)?;
    let manifest: Manifest = serde_json::from_value(container.manifest.clone()).map_err(bad)?;
    if manifest.kind != "text-tower" {
        return Err(bad("this file is not a packed text tower"));
    }
    let mut data: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for t in &manifest.tensors {
        let raw = container.section(&t.name)?;
        let count: usize = t.shape.iter().product();
        let values: Vec<f32> = match t.encoding.as_str() {
            "q8" if t.shape.len() == 2 => {
                let (rows, cols) = (t.shape[0], t.shape[1]);
                if raw.len() != rows * 4 + count {
                    return Err(bad(format!(
                        "tensor {} has {} bytes, expected {}",
                        t.name,
                        raw.len(),
                        rows * 4 + count
                    )));
                }
                let (scales, codes) = raw.split_at(rows * 4);
                let scales: Vec<f32> = scales
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect();
                codes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| f32::from(*c as i8) * scales[i / cols.max(1)])
                    .collect()
            }
            "f16" if raw.len() == count * 2 => raw
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            _ => return Err(bad(format!("tensor {} is damaged", t.name))),
        };
        data.push((
            t.name.clone(),
            t.shape.clone(),
            values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ));
    }
    let views = data
        .iter()
        .map(|(name, shape, bytes)| {
            Ok((
                name.as_str(),
                safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
                    .map_err(bad)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let safetensors = safetensors::serialize(views, None).map_err(bad)?;
    Ok((safetensors, container.section(VOCAB)?.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_within_int8_precision() {
        let matrix: Vec<f32> = (0..60)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        let vector: Vec<f32> = vec![0.5, -1.25, 3.0];
        let m_bytes: Vec<u8> = matrix.iter().flat_map(|v| v.to_le_bytes()).collect();
        let v_bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
        let original = safetensors::serialize(
            vec![
                (
                    "w",
                    safetensors::tensor::TensorView::new(Dtype::F32, vec![6, 10], &m_bytes)
                        .unwrap(),
                ),
                (
                    "b",
                    safetensors::tensor::TensorView::new(Dtype::F32, vec![3], &v_bytes).unwrap(),
                ),
            ],
            None,
        )
        .unwrap();
        let packed = pack(&original, b"[PAD]\nhello\n", "test").unwrap();
        let (unpacked, vocab) = unpack(&packed).unwrap();
        assert_eq!(vocab, b"[PAD]\nhello\n");
        let t = SafeTensors::deserialize(&unpacked).unwrap();
        let w = f32_values(&t.tensor("w").unwrap()).unwrap();
        for (row_a, row_b) in w.chunks(10).zip(matrix.chunks(10)) {
            let peak = row_b.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(row_a
                .iter()
                .zip(row_b)
                .all(|(a, b)| (a - b).abs() <= peak / 127.0 * 0.51 + 1e-6));
        }
        assert_eq!(f32_values(&t.tensor("b").unwrap()).unwrap(), vector);
        let mut damaged = packed.clone();
        let n = damaged.len();
        damaged[n - 1] ^= 1;
        assert!(unpack(&damaged)
            .unwrap_err()
            .to_string()
            .contains("damaged"));
        assert!(
            unpack(&super::super::super::bundle::tests::small_bundle()).is_err(),
            "a case library is not a text tower"
        );
    }
}
