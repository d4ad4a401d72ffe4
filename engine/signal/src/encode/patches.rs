//! The model's input: an encoded ECG cut into flattened patches, each value brought to
//! a comparable range. Training, evaluation, the CLI and the page all go through here, so
//! a query is prepared exactly as the training records were.

use serde::{Deserialize, Serialize};

use super::layout::{
    encode, Beat, BeatTilesConfig, EncodedImage, Encoding, EncodingLayout, StackConfig,
};
use crate::Result;
use ecgmatch_formats::Record;

/// The image layout the model reads, with its patch size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum InputLayout {
    Stack {
        image_size: usize,
        patch: usize,
    },
    /// The seed paper's tiled beats (named `Paper` in bundles and training runs).
    #[serde(rename = "Paper")]
    BeatTiles {
        patch: usize,
    },
    Hybrid {
        image_size: usize,
        patch: usize,
        /// Absent in models made before the median beat, which read the central one.
        #[serde(default)]
        beat: Beat,
    },
}

impl InputLayout {
    /// (number of patches, values per patch).
    pub fn patch_shape(&self) -> (usize, usize) {
        match *self {
            InputLayout::Stack { image_size, patch }
            | InputLayout::Hybrid {
                image_size, patch, ..
            } => {
                let channels = StackConfig::default().leads.len() * 4;
                ((image_size / patch).pow(2), channels * patch * patch)
            }
            InputLayout::BeatTiles { patch } => (
                (BeatTilesConfig::default().output_size / patch).pow(2),
                3 * patch * patch,
            ),
        }
    }

    /// The encoding this layout reads, with its settings.
    pub fn layout(&self) -> EncodingLayout {
        match *self {
            InputLayout::Stack { image_size, .. } => EncodingLayout::Stack(StackConfig {
                image_size,
                ..StackConfig::default()
            }),
            InputLayout::BeatTiles { .. } => EncodingLayout::BeatTiles(BeatTilesConfig::default()),
            InputLayout::Hybrid {
                image_size, beat, ..
            } => EncodingLayout::Hybrid(
                StackConfig {
                    image_size,
                    ..StackConfig::default()
                },
                beat,
            ),
        }
    }

    /// The same layout reading `beat`; `None` for a layout without beat planes of its choice
    /// (`paper` always cuts the central beat, as the seed paper does).
    pub fn with_beat(self, beat: Beat) -> Option<Self> {
        match self {
            InputLayout::Hybrid {
                image_size, patch, ..
            } => Some(InputLayout::Hybrid {
                image_size,
                patch,
                beat,
            }),
            InputLayout::Stack { .. } | InputLayout::BeatTiles { .. } => None,
        }
    }

    pub fn patch(&self) -> usize {
        match *self {
            InputLayout::Stack { patch, .. }
            | InputLayout::BeatTiles { patch }
            | InputLayout::Hybrid { patch, .. } => patch,
        }
    }

    /// A record's model input, `num_patches × patch_dim` values.
    pub fn record_patches(&self, record: &Record) -> Result<Vec<f32>> {
        let image = encode(record, &self.layout())?;
        let mut out = Vec::new();
        patchify(&image, self.patch(), &mut out);
        Ok(out)
    }
}

/// Brings each encoding to a comparable range around zero: the angular fields already lie
/// in [−1, 1]; transition probabilities are in [0, 1]; recurrence distances (robust units)
/// are clipped at 10.
fn normalise(encoding: Encoding, v: f32) -> f32 {
    match encoding {
        Encoding::Gasf | Encoding::Gadf => v,
        Encoding::Mtf => 2.0 * v - 1.0,
        Encoding::Rp => (v / 5.0).min(2.0) - 1.0,
    }
}

/// The model's input for one image: `[num_patches, channels × patch²]`, patches in
/// row-major order, each patch channel-major then row-major, values normalised.
pub fn patchify(image: &EncodedImage, patch: usize, out: &mut Vec<f32>) {
    let (h, w, c) = (image.height, image.width, image.channels);
    let (ph, pw) = (h / patch, w / patch);
    out.clear();
    out.reserve(ph * pw * c * patch * patch);
    for py in 0..ph {
        for px in 0..pw {
            for (ch, name) in image.channel_names.iter().enumerate() {
                let plane = image.channel(ch);
                for y in 0..patch {
                    let row = &plane[(py * patch + y) * w + px * patch..][..patch];
                    out.extend(row.iter().map(|v| normalise(name.encoding, *v)));
                }
            }
        }
    }
    debug_assert_eq!(out.len(), ph * pw * c * patch * patch);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_keep_the_names_bundles_and_runs_were_written_with() {
        let tiles = InputLayout::BeatTiles { patch: 16 };
        let json = serde_json::to_string(&tiles).unwrap();
        assert_eq!(json, r#"{"Paper":{"patch":16}}"#);
        assert_eq!(serde_json::from_str::<InputLayout>(&json).unwrap(), tiles);
    }

    #[test]
    fn patches_are_cut_in_row_major_order() {
        use crate::encode::layout::ChannelName;
        let image = EncodedImage {
            channels: 1,
            height: 4,
            width: 4,
            data: (0..16).map(|v| v as f32 / 16.0).collect(),
            channel_names: vec![ChannelName {
                lead: None,
                encoding: Encoding::Gasf,
            }],
        };
        let mut out = Vec::new();
        patchify(&image, 2, &mut out);
        let expect: Vec<f32> = [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]
            .iter()
            .map(|v| *v as f32 / 16.0)
            .collect();
        assert_eq!(out, expect);
    }

    #[test]
    fn a_record_becomes_the_patches_the_model_expects() {
        let bytes = |name: &str| {
            std::fs::read(format!(
                "{}/../../tests/fixtures/ptbxl/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let files = [
            ecgmatch_formats::InputFile::new("00001_lr.hea", bytes("00001_lr.hea")),
            ecgmatch_formats::InputFile::new("00001_lr.dat", bytes("00001_lr.dat")),
        ];
        let record = ecgmatch_formats::read_records(&files)
            .remove(0)
            .result
            .unwrap();
        for layout in [
            InputLayout::Stack {
                image_size: 64,
                patch: 8,
            },
            InputLayout::BeatTiles { patch: 32 },
            InputLayout::Hybrid {
                image_size: 64,
                patch: 8,
                beat: Beat::Central,
            },
            InputLayout::Hybrid {
                image_size: 64,
                patch: 8,
                beat: Beat::Median,
            },
        ] {
            let (n, dim) = layout.patch_shape();
            let patches = layout.record_patches(&record).unwrap();
            assert_eq!(patches.len(), n * dim);
            assert!(patches
                .iter()
                .all(|v| v.is_finite() && v.abs() <= 1.0 + 1e-5));
        }
    }
}
