//! Which pixels are trace, which are grid, which are paper.
//!
//! A trace is printed black (or dark blue): every channel is dark. A grid is printed red, pink
//! or light grey: its brightest channel stays high (red, pink) or it is only a little darker
//! than the paper (grey). Both are judged against the paper's brightness around the pixel,
//! because a photo is lit unevenly.

use crate::paper::Bitmap;

/// Side of the square blocks over which the paper's brightness is estimated.
const BLOCK: usize = 32;
/// A trace pixel's brightest channel is below this fraction of the paper's.
const TRACE_FRACTION: f64 = 0.6;
/// Paper darker than this (a shadow, the table around the sheet) holds no readable trace.
const DARKEST_PAPER: f64 = 60.0;
/// Largest fraction of a block that trace ink covers.
const MAX_DARK_FRACTION: f64 = 0.35;
/// Grid darkness below this is noise on the paper.
const GRID_NOISE: u8 = 12;

pub struct Ink {
    pub width: usize,
    pub height: usize,
    /// Row-major: the pixel is trace ink.
    pub trace: Vec<bool>,
    /// Row-major: how much darker than the paper a non-trace pixel is (its darkest channel),
    /// i.e. how much grid ink it holds.
    pub grid: Vec<u8>,
}

impl Ink {
    pub fn is_trace(&self, x: usize, y: usize) -> bool {
        self.trace[y * self.width + x]
    }
}

pub fn classify(image: &Bitmap) -> Ink {
    let (width, height) = (image.width, image.height);
    let blocks_x = width.div_ceil(BLOCK);
    let blocks_y = height.div_ceil(BLOCK);
    // The paper's brightness per block: a high percentile, so that ink in the block does not
    // pull it down.
    let mut paper_bright = vec![0.0f64; blocks_x * blocks_y];
    let mut paper_dark = vec![0.0f64; blocks_x * blocks_y];
    for by in 0..blocks_y {
        for bx in 0..blocks_x {
            let mut hist_max = [0u32; 256];
            let mut hist_min = [0u32; 256];
            let mut n = 0u32;
            for y in by * BLOCK..((by + 1) * BLOCK).min(height) {
                for x in bx * BLOCK..((bx + 1) * BLOCK).min(width) {
                    let [r, g, b] = image.get(x, y);
                    hist_max[r.max(g).max(b) as usize] += 1;
                    hist_min[r.min(g).min(b) as usize] += 1;
                    n += 1;
                }
            }
            let bright = percentile(&hist_max, n, 0.9);
            paper_dark[by * blocks_x + bx] = percentile(&hist_min, n, 0.9);
            // A trace is a thin line: a block that is largely dark holds the table around the
            // sheet, a shadow's edge or a black border, not a trace. Mark it unreadable.
            let threshold = (TRACE_FRACTION * bright).ceil() as usize;
            let dark: u32 = hist_max[..threshold.min(256)].iter().sum();
            paper_bright[by * blocks_x + bx] = if dark as f64 > MAX_DARK_FRACTION * n as f64 {
                0.0
            } else {
                bright
            };
        }
    }
    let mut trace = vec![false; width * height];
    let mut grid = vec![0u8; width * height];
    for y in 0..height {
        for x in 0..width {
            let block = (y / BLOCK) * blocks_x + x / BLOCK;
            let [r, g, b] = image.get(x, y);
            let brightest = r.max(g).max(b) as f64;
            let darkest = r.min(g).min(b) as f64;
            let i = y * width + x;
            if paper_bright[block] >= DARKEST_PAPER
                && brightest < TRACE_FRACTION * paper_bright[block]
            {
                trace[i] = true;
            } else {
                let darkness = (paper_dark[block] - darkest).clamp(0.0, 255.0) as u8;
                grid[i] = if darkness >= GRID_NOISE { darkness } else { 0 };
            }
        }
    }
    Ink {
        width,
        height,
        trace,
        grid,
    }
}

fn percentile(hist: &[u32; 256], n: u32, q: f64) -> f64 {
    let target = (n as f64 * q).ceil() as u32;
    let mut seen = 0;
    for (value, count) in hist.iter().enumerate() {
        seen += count;
        if seen >= target {
            return value as f64;
        }
    }
    255.0
}
