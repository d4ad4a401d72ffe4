//! A minimal printed-sheet drawer for the digitizer's tests (the real renderer lives in
//! `paper::render`): millimetre grid, the standard 3×4 + rhythm geometry from
//! `render::sheet::Sheet::standard`, a calibration pulse before each row, labels as blocks.

use crate::paper::Bitmap;
use crate::render::sheet::{Sheet, SheetConfig};
use crate::Record;

pub struct Style {
    pub px_per_mm: f64,
    pub minor: [u8; 3],
    pub major: [u8; 3],
    pub pulse: bool,
}

impl Style {
    pub fn red() -> Self {
        Self { px_per_mm: 8.0, minor: [250, 200, 200], major: [235, 120, 120], pulse: true }
    }

    pub fn grey() -> Self {
        Self { px_per_mm: 8.0, minor: [222, 222, 222], major: [175, 175, 175], pulse: false }
    }
}

/// Left margin: room for the calibration pulse.
pub const LEFT_MM: f64 = 15.0;
const TOP_MM: f64 = 10.0;

pub fn draw(record: &Record, style: &Style) -> Bitmap {
    let config = SheetConfig::default();
    let sheet = Sheet::standard(record, &config);
    let s = style.px_per_mm;
    let width_mm = LEFT_MM + sheet.width_mm + 10.0;
    let height_mm = TOP_MM + sheet.height_mm + 10.0;
    let (w, h) = ((width_mm * s).round() as usize, (height_mm * s).round() as usize);
    let mut image = Bitmap::filled(w, h, [255, 255, 255]);
    // Grid: minor lines first, major over them.
    for major in [false, true] {
        let mut mm = 0.0;
        while mm <= width_mm.max(height_mm) {
            let is_major = (mm as i64) % 5 == 0;
            if is_major == major {
                let p = (mm * s).round() as usize;
                let colour = if major { style.major } else { style.minor };
                for t in 0..if major { 2 } else { 1 } {
                    if p + t < w {
                        (0..h).for_each(|y| image.set(p + t, y, colour));
                    }
                    if p + t < h {
                        (0..w).for_each(|x| image.set(x, p + t, colour));
                    }
                }
            }
            mm += 1.0;
        }
    }
    let to_px = |(x, y): (f64, f64)| ((LEFT_MM + x) * s, (TOP_MM + y) * s);
    for trace in &sheet.traces {
        let points: Vec<(f64, f64)> = trace.points_mm.iter().map(|&p| to_px(p)).collect();
        polyline(&mut image, &points, 1.0);
        // The label: a dark block standing on the label position.
        let (lx, ly) = to_px(trace.label_mm);
        fill(&mut image, lx, ly - 2.5 * s, lx + 3.0 * s, ly);
    }
    if style.pulse {
        let rows = (sheet.height_mm / config.row_height_mm).round() as usize;
        for row in 0..rows {
            let y0 = (row as f64 + 0.5) * config.row_height_mm;
            let pulse = [(-10.0, y0), (-8.0, y0), (-8.0, y0 - 10.0), (-3.0, y0 - 10.0), (-3.0, y0), (-1.0, y0)];
            let points: Vec<(f64, f64)> = pulse.iter().map(|&p| to_px(p)).collect();
            polyline(&mut image, &points, 1.0);
        }
    }
    image
}

fn polyline(image: &mut Bitmap, points: &[(f64, f64)], radius: f64) {
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        let steps = ((x1 - x0).hypot(y1 - y0) * 3.0).ceil().max(1.0) as usize;
        for k in 0..=steps {
            let t = k as f64 / steps as f64;
            dot(image, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, radius);
        }
    }
}

fn dot(image: &mut Bitmap, cx: f64, cy: f64, radius: f64) {
    let (x_lo, x_hi) = ((cx - radius).round().max(0.0) as usize, (cx + radius).round() as usize);
    let (y_lo, y_hi) = ((cy - radius).round().max(0.0) as usize, (cy + radius).round() as usize);
    for y in y_lo..=y_hi.min(image.height - 1) {
        for x in x_lo..=x_hi.min(image.width - 1) {
            if (x as f64 - cx).hypot(y as f64 - cy) <= radius + 0.25 {
                image.set(x, y, [20, 20, 30]);
            }
        }
    }
}

fn fill(image: &mut Bitmap, x0: f64, y0: f64, x1: f64, y1: f64) {
    for y in y0.max(0.0) as usize..(y1 as usize).min(image.height) {
        for x in x0.max(0.0) as usize..(x1 as usize).min(image.width) {
            image.set(x, y, [30, 30, 30]);
        }
    }
}
