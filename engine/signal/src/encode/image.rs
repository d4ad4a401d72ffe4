//! Turning encoded channels into 8-bit images for people to look at.

use super::layout::{EncodedImage, Encoding};

/// The value range mapped onto 0–255: fixed for the angular fields, so that images of
/// different records compare; transition probabilities and distances are small and
/// unbounded respectively, so they are stretched to the channel's maximum to stay visible.
pub fn display_range(encoding: Encoding, values: &[f32]) -> (f32, f32) {
    match encoding {
        Encoding::Gasf | Encoding::Gadf => (-1.0, 1.0),
        Encoding::Mtf | Encoding::Rp => (
            0.0,
            values.iter().copied().fold(0.0f32, f32::max).max(1e-12),
        ),
    }
}

/// One channel as grey levels, row-major.
pub fn channel_grey(image: &EncodedImage, channel: usize) -> Vec<u8> {
    let values = image.channel(channel);
    let (lo, hi) = display_range(image.channel_names[channel].encoding, values);
    let scale = 255.0 / (hi - lo);
    values
        .iter()
        .map(|v| ((v - lo) * scale).round().clamp(0.0, 255.0) as u8)
        .collect()
}

/// One channel as opaque grey RGBA, ready for a canvas `ImageData`.
pub fn channel_rgba(image: &EncodedImage, channel: usize) -> Vec<u8> {
    channel_grey(image, channel)
        .into_iter()
        .flat_map(|g| [g, g, g, 255])
        .collect()
}

/// The first three channels as an RGB picture (the seed paper's tiled beats: GASF, RP, MTF).
pub fn rgb(image: &EncodedImage) -> Vec<u8> {
    let planes: Vec<Vec<u8>> = (0..3)
        .map(|c| {
            if c < image.channels {
                channel_grey(image, c)
            } else {
                vec![0; image.height * image.width]
            }
        })
        .collect();
    (0..image.height * image.width)
        .flat_map(|i| [planes[0][i], planes[1][i], planes[2][i]])
        .collect()
}
