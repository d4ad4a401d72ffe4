//! Paper ECGs: rendering a record as a printed sheet (to measure with), degrading the picture
//! as a phone camera would, digitizing a photo or scan back into signals, and scoring the
//! result. Works on plain RGB bitmaps so that the page can hand over what the browser decoded
//! (no image codec in the wasm).

#[cfg(not(target_arch = "wasm32"))]
pub mod degrade;
pub mod digitize;
mod error;
pub mod evaluate;
pub mod geometry;
pub mod pdf;
pub mod picture_size;
pub mod render;
pub mod sheet;
pub mod snr;

pub use error::{Error, Result};

/// An RGB image, row-major, three bytes per pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct Bitmap {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Bitmap {
    /// A `width`×`height` image filled with `colour`.
    pub fn filled(width: usize, height: usize, colour: [u8; 3]) -> Self {
        let rgb = colour
            .iter()
            .copied()
            .cycle()
            .take(width * height * 3)
            .collect();
        Self { width, height, rgb }
    }

    /// From RGBA bytes, as a canvas's `getImageData` gives them (alpha dropped).
    pub fn from_rgba(width: usize, height: usize, rgba: &[u8]) -> Option<Self> {
        (rgba.len() == width * height * 4).then(|| Self {
            width,
            height,
            rgb: rgba
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
        })
    }

    pub fn get(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    pub fn set(&mut self, x: usize, y: usize, colour: [u8; 3]) {
        let i = (y * self.width + x) * 3;
        self.rgb[i..i + 3].copy_from_slice(&colour);
    }
}
