//! Which pixels are trace, which are grid, which are paper.
//!
//! A trace is printed black (or dark blue): every channel is dark. A grid is printed red, pink
//! or light grey: its brightest channel stays high (red, pink) or it is only a little darker
//! than the paper (grey). Both are judged against the paper's brightness around the pixel,
//! because a photo is lit unevenly.

use crate::Bitmap;

/// Side of the square blocks over which the paper's brightness is estimated.
const BLOCK: usize = 32;
/// A trace pixel's brightest channel is below this fraction of the paper's.
const TRACE_FRACTION: f64 = 0.6;
/// A pixel whose brightest channel is below this fraction of the paper's is trace when it
/// continues sure trace (see `grow_into_weak`).
const WEAK_TRACE_FRACTION: f64 = 0.8;
/// A faint trace pixel is this much (a share of the paper's brightness) darker than the
/// pixels `RIDGE_REACH` away on both sides.
const RIDGE_MARGIN: f64 = 0.06;
const RIDGE_REACH: usize = 3;
/// A faint trace pixel darkens its brightest channel at least this share as much as its
/// darkest: a black trace darkens all channels alike, a red or pink grid line mostly the
/// green and blue ones.
const NEUTRAL_DARKENING: f64 = 0.9;
/// Share of neutral grid pixels above which the grid is grey (a red grid photographed in poor
/// light still has 10–45% that are not neutral; a grey print has none).
const GREY_GRID_SHARE: f64 = 0.95;
/// Paper darker than this (a shadow, the table around the sheet) holds no readable trace.
const DARKEST_PAPER: f64 = 60.0;
/// Largest fraction of a block that trace ink covers.
const MAX_DARK_FRACTION: f64 = 0.35;
/// Grid darkness below this is noise on the paper.
const GRID_NOISE: u8 = 12;
/// A dark pixel is grid, not trace, when its red channel stands above its green and blue by
/// more than this share of its darkening (beyond the paper's own tint): a red grid photographed
/// in dim light is as dark as a trace, but still red, while a trace is black or blue.
const GRID_REDNESS: f64 = 0.08;
/// Share of the picture that dark red grid pixels must cover for the grid to count as dark.
/// Measured: 0.3–0.6% on our renders (scan, phone, phone-hard: a pink grid, darkened only in a
/// shadow), 4.4–9.2% on five real phone photos of red-gridded printouts.
const MIN_DARK_GRID_SHARE: f64 = 0.02;
/// How dark a dark grid is: this quantile of its red pixels' brightness.
const DARK_GRID_QUANTILE: f64 = 0.1;

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

    /// Trace ink drawn by a test, with no grid.
    #[cfg(test)]
    pub fn of_trace(width: usize, height: usize, trace: Vec<bool>) -> Ink {
        Ink {
            width,
            height,
            grid: vec![0; trace.len()],
            trace,
        }
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
    // The paper's own redness (warm light tints it), the median over the block.
    let mut paper_red = vec![0.0f64; blocks_x * blocks_y];
    for by in 0..blocks_y {
        for bx in 0..blocks_x {
            let mut hist_max = [0u32; 256];
            let mut hist_min = [0u32; 256];
            let mut hist_red = [0u32; 256];
            let mut n = 0u32;
            for y in by * BLOCK..((by + 1) * BLOCK).min(height) {
                for x in bx * BLOCK..((bx + 1) * BLOCK).min(width) {
                    let [r, g, b] = image.get(x, y);
                    hist_max[r.max(g).max(b) as usize] += 1;
                    hist_min[r.min(g).min(b) as usize] += 1;
                    hist_red[(r.saturating_sub(g.max(b))) as usize] += 1;
                    n += 1;
                }
            }
            let bright = percentile(&hist_max, n, 0.9);
            paper_dark[by * blocks_x + bx] = percentile(&hist_min, n, 0.9);
            paper_red[by * blocks_x + bx] = percentile(&hist_red, n, 0.5);
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
    let redness_at = |x: usize, y: usize, block: usize| {
        let [r, g, b] = image.get(x, y);
        let redness = (r as f64 - g.max(b) as f64) - paper_red[block];
        redness > GRID_REDNESS * (paper_dark[block] - r.min(g).min(b) as f64).max(0.0)
    };
    let dark_grid = dark_grid_limits(image, &paper_bright, blocks_x, &redness_at);
    let (sure, faint) = dark_grid.unwrap_or((TRACE_FRACTION, WEAK_TRACE_FRACTION));
    let mut trace = vec![false; width * height];
    let mut weak = vec![false; width * height];
    let mut grid = vec![0u8; width * height];
    // Grid pixels, and those of them darkened in every channel alike (see below).
    let (mut grid_pixels, mut neutral_grid) = (0usize, 0usize);
    for y in 0..height {
        for x in 0..width {
            let block = (y / BLOCK) * blocks_x + x / BLOCK;
            let [r, g, b] = image.get(x, y);
            let brightest = r.max(g).max(b) as f64;
            let darkest = r.min(g).min(b) as f64;
            let i = y * width + x;
            let readable = paper_bright[block] >= DARKEST_PAPER;
            // Colour is trusted only on a dark red grid: elsewhere JPEG's smeared colour would
            // tint the trace pixels beside a pink grid line.
            let red = dark_grid.is_some() && redness_at(x, y, block);
            if readable && brightest < sure * paper_bright[block] && !red {
                trace[i] = true;
            } else {
                let neutral = neutral(paper_bright[block], paper_dark[block], brightest, darkest);
                weak[i] = readable
                    && brightest < faint * paper_bright[block]
                    && neutral
                    && !red
                    && is_thin_line(image, x, y, brightest, RIDGE_MARGIN * paper_bright[block]);
                let darkness = (paper_dark[block] - darkest).clamp(0.0, 255.0) as u8;
                if darkness >= GRID_NOISE {
                    grid[i] = darkness;
                    grid_pixels += 1;
                    neutral_grid += usize::from(neutral);
                }
            }
        }
    }
    // On a grey grid every grid line is a thin neutral line as dark as a faint trace, so faint
    // pixels cannot be told from grid there and only sure trace counts. Grown pixels keep their
    // grid darkness: the grid's period and angle are measured on it, and a faint pixel may as
    // well be grid.
    if (neutral_grid as f64) < GREY_GRID_SHARE * grid_pixels as f64 {
        grow_into_weak(&mut trace, &weak, width, height);
    }
    Ink {
        width,
        height,
        trace,
        grid,
    }
}

/// On a dark red grid, the fractions of the paper's brightness below which a pixel is sure
/// trace and faint trace; `None` on a light grid, where [`TRACE_FRACTION`] and
/// [`WEAK_TRACE_FRACTION`] hold. A red grid photographed in dim light has lines as dark as a
/// trace, which only their colour tells apart, and JPEG smears colour across thin lines so that
/// stretches of them look grey; so both fractions go below the darkest of the surely red grid
/// pixels ([`DARK_GRID_QUANTILE`]).
fn dark_grid_limits(
    image: &Bitmap,
    paper_bright: &[f64],
    blocks_x: usize,
    is_red: &dyn Fn(usize, usize, usize) -> bool,
) -> Option<(f64, f64)> {
    let mut hist = [0u32; 256];
    let mut n = 0u32;
    for y in 0..image.height {
        for x in 0..image.width {
            let block = (y / BLOCK) * blocks_x + x / BLOCK;
            let paper = paper_bright[block];
            if paper < DARKEST_PAPER || !is_red(x, y, block) {
                continue;
            }
            let [r, g, b] = image.get(x, y);
            let ratio = r.max(g).max(b) as f64 / paper;
            if ratio < WEAK_TRACE_FRACTION {
                hist[((ratio * 255.0) as usize).min(255)] += 1;
                n += 1;
            }
        }
    }
    // Too few dark red pixels: a light grid, which the usual fractions already leave out.
    if (n as f64) < MIN_DARK_GRID_SHARE * (image.width * image.height) as f64 {
        return None;
    }
    let darkest_grid = percentile(&hist, n, DARK_GRID_QUANTILE) / 255.0;
    Some((
        TRACE_FRACTION.min(darkest_grid),
        WEAK_TRACE_FRACTION.min(darkest_grid),
    ))
}

/// The pixel darkens its brightest channel about as much as its darkest, against the paper's.
fn neutral(paper_bright: f64, paper_dark: f64, brightest: f64, darkest: f64) -> bool {
    paper_bright - brightest >= NEUTRAL_DARKENING * (paper_dark - darkest)
}

/// The pixel is no brighter than its neighbours and darker, by `margin`, than the pixels
/// `RIDGE_REACH` away on both sides, across or along: the middle of a thin line, not the edge
/// of a printed stroke, a crease or a shadow.
fn is_thin_line(image: &Bitmap, x: usize, y: usize, brightest: f64, margin: f64) -> bool {
    let level = |x: usize, y: usize| {
        let [r, g, b] = image.get(x, y);
        r.max(g).max(b) as f64
    };
    let d = RIDGE_REACH;
    let vertical = y >= d
        && y + d < image.height
        && brightest <= level(x, y - 1).min(level(x, y + 1))
        && brightest + margin < level(x, y - d).min(level(x, y + d));
    let horizontal = x >= d
        && x + d < image.width
        && brightest <= level(x - 1, y).min(level(x + 1, y))
        && brightest + margin < level(x - d, y).min(level(x + d, y));
    vertical || horizontal
}

/// Hysteresis: a blurred trace fades along thin stretches and steep strokes to a grey no
/// darker than a grid line, so faint pixels count as trace where they connect, through other
/// faint pixels, to a pixel that is surely trace.
fn grow_into_weak(trace: &mut [bool], weak: &[bool], width: usize, height: usize) {
    let mut stack: Vec<usize> = (0..trace.len()).filter(|&i| trace[i]).collect();
    while let Some(i) = stack.pop() {
        let (x, y) = (i % width, i / width);
        for ny in y.saturating_sub(1)..=(y + 1).min(height - 1) {
            for nx in x.saturating_sub(1)..=(x + 1).min(width - 1) {
                let j = ny * width + nx;
                if weak[j] && !trace[j] {
                    trace[j] = true;
                    stack.push(j);
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Paper (240, 235, 225) with a row of sure trace and its faint continuation, a lone faint
    /// line, a faint pink grid line and a wide crease, the last two crossed by a dark stroke.
    fn sheet() -> Bitmap {
        let (width, height) = (200, 120);
        let mut rgb = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            for x in 0..width {
                let px: [u8; 3] = match y {
                    70..=110 if x == 150 => [40, 40, 40],
                    // A trace, dark on the left half and faint (0.7 of the paper) on the right.
                    20 if x < 100 => [40, 40, 40],
                    20 => [168, 165, 158],
                    // A lone faint neutral line with no sure trace anywhere along it.
                    50 => [168, 165, 158],
                    // A pink grid line as dark in its brightest channel as the faint trace.
                    80 => [168, 110, 105],
                    // A crease: 30% darker over 9 rows with no thin middle.
                    100..=108 => [168, 165, 158],
                    _ => [240, 235, 225],
                };
                rgb.extend_from_slice(&px);
            }
        }
        Bitmap { width, height, rgb }
    }

    #[test]
    fn faint_trace_is_kept_where_it_continues_sure_trace_and_nothing_else_is() {
        let ink = classify(&sheet());
        let row = |y: usize| (0..ink.width).filter(|&x| ink.is_trace(x, y)).count();
        assert_eq!(row(20), ink.width, "the faint half continues the dark half");
        assert_eq!(row(50), 0, "a faint line alone is not trace");
        assert_eq!(
            row(80),
            1,
            "a pink grid line is not trace where a stroke crosses it"
        );
        assert_eq!(
            (100..=108).map(row).sum::<usize>(),
            9,
            "a crease is not trace where a stroke crosses it"
        );
    }
}
