//! Degrades a rendered sheet as a scanner or a phone camera would: rotation, perspective,
//! uneven light, a shadow, a crease, blur, sensor noise and JPEG compression. Deterministic
//! for a given seed. Native only (the JPEG round trip uses the `image` crate).

use super::geometry::{apply, homography_from_corners, invert, warp};
use super::Bitmap;
use crate::{Error, Result};
use ecgmatch_formats::random::SplitMix;

/// One named level of damage. `LEVELS` lists them from none to the worst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Degradation {
    pub name: &'static str,
    /// The sheet is turned by a uniformly drawn angle within ±this.
    pub max_rotation_deg: f64,
    /// Each corner moves by up to this fraction of the sheet's width and height (perspective).
    pub perspective: f64,
    /// Table around the sheet, as a fraction of its larger side; 0 keeps the sheet's own
    /// canvas with paper-white outside it, as on a flatbed scanner.
    pub table_margin: f64,
    /// Colour outside the sheet.
    pub background: [u8; 3],
    /// Paper tint, multiplied into the sheet's colours.
    pub tint: [f64; 3],
    /// Darkening across the picture from the lit side to the far side (0..1).
    pub illumination: f64,
    /// Darkening under a soft-edged shadow over part of the picture (0..1).
    pub shadow: f64,
    /// Brightness change along a fold line (0: no crease).
    pub crease: f64,
    /// Gaussian blur, in pixels.
    pub blur_sigma: f64,
    /// Sensor noise, standard deviation in 8-bit levels.
    pub noise_sigma: f64,
    /// JPEG quality of the saved picture (0: not compressed).
    pub jpeg_quality: u8,
}

const CLEAN: Degradation = Degradation {
    name: "clean",
    max_rotation_deg: 0.0,
    perspective: 0.0,
    table_margin: 0.0,
    background: [255, 255, 255],
    tint: [1.0, 1.0, 1.0],
    illumination: 0.0,
    shadow: 0.0,
    crease: 0.0,
    blur_sigma: 0.0,
    noise_sigma: 0.0,
    jpeg_quality: 0,
};

/// The levels in order of damage, `clean` first.
pub const LEVELS: [Degradation; 4] = [
    CLEAN,
    Degradation {
        name: "scan",
        max_rotation_deg: 2.0,
        background: [250, 250, 248],
        tint: [1.0, 0.985, 0.95],
        illumination: 0.04,
        blur_sigma: 0.6,
        noise_sigma: 1.5,
        jpeg_quality: 85,
        ..CLEAN
    },
    Degradation {
        name: "phone",
        max_rotation_deg: 6.0,
        perspective: 0.03,
        table_margin: 0.06,
        background: [74, 58, 46],
        tint: [1.0, 0.97, 0.92],
        illumination: 0.3,
        shadow: 0.3,
        blur_sigma: 1.0,
        noise_sigma: 4.0,
        jpeg_quality: 70,
        ..CLEAN
    },
    Degradation {
        name: "phone-hard",
        max_rotation_deg: 10.0,
        perspective: 0.06,
        table_margin: 0.06,
        background: [52, 50, 56],
        tint: [1.0, 0.96, 0.88],
        illumination: 0.4,
        shadow: 0.45,
        crease: 0.3,
        blur_sigma: 1.4,
        noise_sigma: 6.0,
        jpeg_quality: 50,
    },
];

impl Degradation {
    pub fn by_name(name: &str) -> Option<Degradation> {
        LEVELS.iter().find(|l| l.name == name).copied()
    }
}

/// A degraded picture and the map from the rendered sheet's pixel coordinates to its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Degraded {
    pub bitmap: Bitmap,
    /// Row-major 3×3 homography: `(x', y', w) = H·(x, y, 1)` maps a point of the rendered
    /// sheet (continuous pixel coordinates) to `(x'/w, y'/w)` in `bitmap`.
    pub homography: [f64; 9],
}

impl Degraded {
    /// Where the rendered sheet's point `(x, y)` lies in the degraded picture.
    pub fn map_point(&self, x: f64, y: f64) -> (f64, f64) {
        apply(&self.homography, x, y)
    }
}

/// Applies `level` to `sheet`; the same seed gives the same picture.
pub fn degrade(sheet: &Bitmap, level: &Degradation, seed: u64) -> Result<Degraded> {
    let (w, h) = (sheet.width as f64, sheet.height as f64);
    if sheet.width == 0 || sheet.height == 0 || sheet.rgb.len() != sheet.width * sheet.height * 3 {
        return Err(Error::Degrade(format!(
            "cannot degrade a {}×{} picture",
            sheet.width, sheet.height
        )));
    }
    let mut rng = SplitMix(seed ^ name_hash(level.name));

    // Geometry: turn about the centre, move each corner for perspective, then put the sheet on
    // the table (or keep the scanner's canvas).
    let angle = rng.uniform(-1.0, 1.0) * level.max_rotation_deg.to_radians();
    let (sin, cos) = angle.sin_cos();
    let (cx, cy) = (w / 2.0, h / 2.0);
    let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let mut moved = corners.map(|(x, y)| {
        let (dx, dy) = (x - cx, y - cy);
        (cx + cos * dx - sin * dy, cy + sin * dx + cos * dy)
    });
    for c in moved.iter_mut() {
        c.0 += rng.uniform(-1.0, 1.0) * level.perspective * w;
        c.1 += rng.uniform(-1.0, 1.0) * level.perspective * h;
    }
    let (out_w, out_h) = if level.table_margin > 0.0 {
        let margin = level.table_margin * w.max(h);
        let min_x = moved.iter().map(|c| c.0).fold(f64::INFINITY, f64::min) - margin;
        let min_y = moved.iter().map(|c| c.1).fold(f64::INFINITY, f64::min) - margin;
        let max_x = moved.iter().map(|c| c.0).fold(f64::NEG_INFINITY, f64::max) + margin;
        let max_y = moved.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max) + margin;
        moved
            .iter_mut()
            .for_each(|c| *c = (c.0 - min_x, c.1 - min_y));
        (
            (max_x - min_x).ceil() as usize,
            (max_y - min_y).ceil() as usize,
        )
    } else {
        (sheet.width, sheet.height)
    };
    let homography = homography_from_corners(&corners, &moved)
        .ok_or_else(|| Error::Degrade("the sheet's corners fold onto a line".into()))?;
    let inverse =
        invert(&homography).ok_or_else(|| Error::Degrade("the warp cannot be inverted".into()))?;

    let tinted: Vec<f32> = sheet
        .rgb
        .chunks_exact(3)
        .flat_map(|p| [0, 1, 2].map(|c| p[c] as f32 * level.tint[c] as f32))
        .collect();
    let mut image = warp(
        &tinted,
        sheet.width,
        sheet.height,
        &inverse,
        out_w,
        out_h,
        level.background,
    );

    // Light: a gradient from a random side, a soft shadow, a crease.
    let diag = ((out_w * out_w + out_h * out_h) as f64).sqrt();
    let light_dir = rng.uniform(0.0, std::f64::consts::TAU);
    let (lx, ly) = (light_dir.cos(), light_dir.sin());
    let shadow_line = random_line(&mut rng, out_w, out_h);
    let crease_line = random_line(&mut rng, out_w, out_h);
    let (ocx, ocy) = (out_w as f64 / 2.0, out_h as f64 / 2.0);
    let shadow_soft = 0.04 * diag;
    let crease_width = 0.0025 * diag;
    for y in 0..out_h {
        for x in 0..out_w {
            let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
            let along = ((px - ocx) * lx + (py - ocy) * ly) / (diag / 2.0);
            let mut gain = 1.0 - level.illumination * (0.5 + 0.5 * along.clamp(-1.0, 1.0));
            if level.shadow > 0.0 {
                let d = shadow_line.signed_distance(px, py) / shadow_soft;
                gain *= 1.0 - level.shadow * smoothstep(d);
            }
            // The fold is in the paper, not in the table.
            if level.crease > 0.0 && on_sheet(&inverse, px, py, w, h) {
                // A fold: a bright ridge beside a dark valley.
                let d = crease_line.signed_distance(px, py) / crease_width;
                gain *= 1.0
                    + level.crease
                        * (0.6 * (-(d - 1.0).powi(2)).exp() - (-(d + 1.0).powi(2)).exp());
            }
            let i = (y * out_w + x) * 3;
            image[i..i + 3].iter_mut().for_each(|v| *v *= gain as f32);
        }
    }

    if level.blur_sigma > 0.0 {
        image = gaussian_blur(&image, out_w, out_h, level.blur_sigma);
    }
    if level.noise_sigma > 0.0 {
        image
            .iter_mut()
            .for_each(|v| *v += (rng.gaussian() * level.noise_sigma) as f32);
    }
    let rgb: Vec<u8> = image
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    let mut bitmap = Bitmap {
        width: out_w,
        height: out_h,
        rgb,
    };
    if level.jpeg_quality > 0 {
        bitmap = jpeg_round_trip(&bitmap, level.jpeg_quality)?;
    }
    Ok(Degraded { bitmap, homography })
}

/// Saves as JPEG at `quality` and decodes it again, keeping the compression's artefacts.
pub fn jpeg_round_trip(bitmap: &Bitmap, quality: u8) -> Result<Bitmap> {
    let failed = |e: image::ImageError| Error::Degrade(format!("JPEG compression failed: {e}"));
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality.clamp(1, 100))
        .encode(
            &bitmap.rgb,
            bitmap.width as u32,
            bitmap.height as u32,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(failed)?;
    let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .map_err(failed)?
        .to_rgb8();
    Ok(Bitmap {
        width: decoded.width() as usize,
        height: decoded.height() as usize,
        rgb: decoded.into_raw(),
    })
}

fn on_sheet(inverse: &[f64; 9], x: f64, y: f64, w: f64, h: f64) -> bool {
    let (sx, sy) = apply(inverse, x, y);
    (0.0..w).contains(&sx) && (0.0..h).contains(&sy)
}

fn smoothstep(d: f64) -> f64 {
    let t = (d * 0.5 + 0.5).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A line `n·p = c` with unit normal `n`.
struct Line {
    nx: f64,
    ny: f64,
    c: f64,
}

impl Line {
    fn signed_distance(&self, x: f64, y: f64) -> f64 {
        self.nx * x + self.ny * y - self.c
    }
}

/// A line through a point in the middle half of the picture, at any angle.
fn random_line(rng: &mut SplitMix, w: usize, h: usize) -> Line {
    let (px, py) = (
        rng.uniform(0.25, 0.75) * w as f64,
        rng.uniform(0.25, 0.75) * h as f64,
    );
    let a = rng.uniform(0.0, std::f64::consts::TAU);
    let (nx, ny) = (a.cos(), a.sin());
    Line {
        nx,
        ny,
        c: nx * px + ny * py,
    }
}

/// Separable Gaussian blur of an interleaved RGB float image, edges clamped.
fn gaussian_blur(image: &[f32], w: usize, h: usize, sigma: f64) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil() as i64;
    let taps: Vec<f32> = (-radius..=radius)
        .map(|k| (-0.5 * (k * k) as f64 / (sigma * sigma)).exp() as f32)
        .collect();
    let sum: f32 = taps.iter().sum();
    let taps: Vec<f32> = taps.iter().map(|t| t / sum).collect();
    let pass = |input: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0.0f32; input.len()];
        for y in 0..h {
            for x in 0..w {
                let mut acc = [0.0f32; 3];
                for (k, t) in taps.iter().enumerate() {
                    let off = k as i64 - radius;
                    let (xx, yy) = if horizontal {
                        ((x as i64 + off).clamp(0, w as i64 - 1) as usize, y)
                    } else {
                        (x, (y as i64 + off).clamp(0, h as i64 - 1) as usize)
                    };
                    let i = (yy * w + xx) * 3;
                    for c in 0..3 {
                        acc[c] += input[i + c] * t;
                    }
                }
                out[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&acc);
            }
        }
        out
    };
    pass(&pass(image, true), false)
}

fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{render, RenderConfig};
    use ecgmatch_testkit::ptbxl_00009;

    fn small_sheet() -> (crate::render::Rendered, RenderConfig) {
        let config = RenderConfig {
            px_per_mm: 3.0,
            trace_width_mm: 0.3,
            ..RenderConfig::default()
        };
        (render(&ptbxl_00009(), &config), config)
    }

    #[test]
    fn levels_are_named_in_order_and_clean_changes_nothing() {
        let names: Vec<&str> = LEVELS.iter().map(|l| l.name).collect();
        assert_eq!(names, ["clean", "scan", "phone", "phone-hard"]);
        let (sheet, _) = small_sheet();
        let out = degrade(&sheet.bitmap, &LEVELS[0], 1).unwrap();
        assert_eq!(out.bitmap, sheet.bitmap);
        assert_eq!(out.map_point(12.5, 40.0), (12.5, 40.0));
    }

    #[test]
    fn degradation_is_deterministic_and_the_homography_tracks_the_trace() {
        let (sheet, _) = small_sheet();
        for level in &LEVELS[1..] {
            let a = degrade(&sheet.bitmap, level, 7).unwrap();
            let b = degrade(&sheet.bitmap, level, 7).unwrap();
            assert_eq!(a, b, "{}", level.name);
            let c = degrade(&sheet.bitmap, level, 8).unwrap();
            assert_ne!(a.homography, c.homography, "{}", level.name);
            // The rhythm strip's trace, mapped through the homography, lands on dark pixels
            // far more often than random points of the sheet do.
            let strip = sheet.truth.last().unwrap();
            let lead = ptbxl_00009();
            let samples = &lead.lead(strip.lead).unwrap().samples;
            // Dark: some pixel of the 3×3 around the point well below the paper's brightness
            // (the trace is 0.9 px wide at 3 px/mm, and blurred).
            let dark = |img: &Bitmap, (x, y): (f64, f64)| {
                (0..9).any(|k| {
                    let (x, y) = ((x - 1.0) as usize + k % 3, (y - 1.0) as usize + k / 3);
                    x < img.width && y < img.height && {
                        let p = img.get(x, y);
                        (p[0] as u32 + p[1] as u32 + p[2] as u32) < 3 * 150
                    }
                })
            };
            let hits = (0..1000)
                .filter(|&n| {
                    let x = strip.x0_px + n as f64 / 100.0 * strip.px_per_s;
                    let y = strip.baseline_y_px - samples[n] as f64 * strip.px_per_mv;
                    dark(&a.bitmap, a.map_point(x, y))
                })
                .count();
            assert!(
                hits > 800,
                "{}: {hits} of 1000 trace points dark",
                level.name
            );
            if level.table_margin > 0.0 {
                // The table shows in the corner.
                let p = a.bitmap.get(1, 1);
                assert!(p.iter().all(|v| *v < 120), "{}: corner {:?}", level.name, p);
            }
        }
    }
}
