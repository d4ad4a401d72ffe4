//! Where the grid's millimetres lie along each row of traces, read off the printed grid itself.
//!
//! A uniform scale (one pitch for the whole picture) is not enough for a photo: a sheet
//! flattened from a slightly misplaced outline keeps a little perspective, so its millimetres
//! widen or narrow across the width, by a pixel or two over a row. At 25 mm/s and 100 Hz a
//! pixel is half a sample, which costs a QRS complex several dB. The vertical grid lines are a
//! ruler printed under every trace: their phase, measured window by window along the row,
//! gives each pixel column's position on the grid.

use super::grid::Pitch;
use super::ink::Ink;
use crate::geometry::invert;

/// Width of the window the grid's phase is measured over, in mm.
const WINDOW_MM: f64 = 10.0;
/// Step between windows, in mm.
const STEP_MM: f64 = 5.0;
/// A window's grid is measured when the 1 mm wave's share of its ink variation is at least
/// this: thin lines spread their variation over many harmonics, so a clear grid gives
/// 0.1–0.3, noise alone about 1 / (window's width in pixels).
const MIN_STRENGTH: f64 = 0.06;
/// Fewest measured windows a ruler needs; fewer, and the uniform scale is kept.
const MIN_WINDOWS: usize = 4;

/// A row's grid positions: pixel column `x` lies `offset(x)` pixels to the right of where a
/// uniform grid of the measured pitch would put it. Grid coordinates are `x - offset(x)`.
///
/// The offset is a quadratic in `x`: what perspective left after flattening changes the scale
/// smoothly along a row, and a smooth fit through some fifty windows averages their noise
/// away (joining the windows' own offsets cost as much as it gained on some pictures).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ruler {
    /// `offset(x) = c0 + c1·t + c2·t²` with `t = (x - centre) / half_width`.
    coefficients: [f64; 3],
    centre: f64,
    half_width: f64,
}

impl Ruler {
    /// The uniform scale: grid coordinates are pixel columns.
    pub fn uniform() -> Self {
        Self::default()
    }

    fn offset(&self, x: f64) -> f64 {
        if self.half_width <= 0.0 {
            return self.coefficients[0];
        }
        let t = (x - self.centre) / self.half_width;
        self.coefficients[0] + t * (self.coefficients[1] + t * self.coefficients[2])
    }

    /// Grid coordinate of pixel column `x`.
    pub fn to_grid(self, x: f64) -> f64 {
        x - self.offset(x)
    }

    /// Pixel column of grid coordinate `u`.
    pub fn to_pixel(self, u: f64) -> f64 {
        // The offset changes by far less than a pixel per pixel, so this converges at once.
        let mut x = u;
        for _ in 0..4 {
            x = u + self.offset(x);
        }
        x
    }

    /// The least-squares quadratic through the windows' offsets; `None` when they do not
    /// determine one.
    fn fit(knots: &[(f64, f64)]) -> Option<Self> {
        let (first, last) = (knots.first()?.0, knots.last()?.0);
        let (centre, half_width) = (0.5 * (first + last), 0.5 * (last - first));
        if half_width <= 0.0 {
            return None;
        }
        // Normal equations of the 3×3 system, `a` row-major.
        let mut a = [0.0f64; 9];
        let mut b = [0.0f64; 3];
        for &(x, d) in knots {
            let t = (x - centre) / half_width;
            let basis = [1.0, t, t * t];
            for i in 0..3 {
                b[i] += basis[i] * d;
                for j in 0..3 {
                    a[3 * i + j] += basis[i] * basis[j];
                }
            }
        }
        let inverse = invert(&a)?;
        let coefficients =
            [0, 1, 2].map(|i| (0..3).map(|j| inverse[3 * i + j] * b[j]).sum::<f64>());
        Some(Self {
            coefficients,
            centre,
            half_width,
        })
    }
}

/// The rulers of the rows whose trace bands are given, one per band. The grid measured over
/// the whole picture ties them together (each row's lines are taken to be its nearest), so
/// that all rows share one grid coordinate, and stands in for a row whose grid is not seen.
pub fn measure(ink: &Ink, bands: &[(f64, f64)], pitch: Pitch) -> Vec<Ruler> {
    let whole = unwrap(&phases(ink, (0.0, ink.height as f64 - 1.0), pitch), pitch.x)
        .and_then(|knots| Ruler::fit(&knots));
    let Some(whole) = whole else {
        return bands.iter().map(|_| Ruler::uniform()).collect();
    };
    bands
        .iter()
        .map(|&band| {
            unwrap(&phases(ink, band, pitch), pitch.x)
                .map(|knots| {
                    // Whole periods are not seen by a phase: take the row's lines to be the
                    // whole picture's nearest ones.
                    let shift: f64 = knots.iter().map(|&(x, d)| d - whole.offset(x)).sum::<f64>()
                        / knots.len() as f64;
                    let periods = pitch.x * (shift / pitch.x).round();
                    knots
                        .into_iter()
                        .map(|(x, d)| (x, d - periods))
                        .collect::<Vec<_>>()
                })
                .and_then(|knots| Ruler::fit(&knots))
                .unwrap_or(whole)
        })
        .collect()
}

/// Per window: its centre column and the grid lines' offset within a period (in pixels,
/// `0..pitch`), where the 1 mm lines show.
fn phases(ink: &Ink, (top, bottom): (f64, f64), pitch: Pitch) -> Vec<(f64, f64)> {
    let top = top.max(0.0) as usize;
    let bottom = (bottom.max(0.0) as usize).min(ink.height.saturating_sub(1));
    // Each column's mean grid ink over the pixels the trace leaves visible: where a steep
    // stroke hides the grid, the column would otherwise dip and blur the lines' phase.
    let mut profile = vec![0.0f64; ink.width];
    let mut visible = vec![0usize; ink.width];
    for y in top..=bottom {
        for x in 0..ink.width {
            if !ink.is_trace(x, y) {
                profile[x] += ink.grid[y * ink.width + x] as f64;
                visible[x] += 1;
            }
        }
    }
    for (p, n) in profile.iter_mut().zip(&visible) {
        *p /= (*n).max(1) as f64;
    }
    let window = (WINDOW_MM * pitch.x).round() as usize;
    let step = ((STEP_MM * pitch.x).round() as usize).max(1);
    if window < 8 || window > ink.width {
        return Vec::new();
    }
    let omega = std::f64::consts::TAU / pitch.x;
    (0..=ink.width - window)
        .step_by(step)
        .filter_map(|start| {
            let values = &profile[start..start + window];
            let mean = values.iter().sum::<f64>() / window as f64;
            let variation: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
            let (mut re, mut im) = (0.0, 0.0);
            for (i, v) in values.iter().enumerate() {
                let angle = omega * (start + i) as f64;
                re += (v - mean) * angle.cos();
                im += (v - mean) * angle.sin();
            }
            // The share of the variation a pure 1 mm wave of this amplitude would explain.
            let strength =
                2.0 * (re * re + im * im) / (window as f64 * variation.max(f64::MIN_POSITIVE));
            (strength >= MIN_STRENGTH).then(|| {
                let phase = im.atan2(re).rem_euclid(std::f64::consts::TAU);
                (start as f64 + window as f64 / 2.0, phase / omega)
            })
        })
        .collect()
}

/// Joins the windows' offsets into a continuous curve (a line never jumps by half a
/// millimetre between neighbouring windows); `None` with too few windows.
fn unwrap(phases: &[(f64, f64)], period: f64) -> Option<Vec<(f64, f64)>> {
    if phases.len() < MIN_WINDOWS {
        return None;
    }
    let mut knots: Vec<(f64, f64)> = Vec::with_capacity(phases.len());
    for &(x, d) in phases {
        let d = match knots.last() {
            Some(&(_, previous)) => d + period * ((previous - d) / period).round(),
            None => d,
        };
        knots.push((x, d));
    }
    Some(knots)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture of vertical grid lines whose spacing grows across the width, as a sheet
    /// flattened from a misplaced outline shows them.
    fn widening_grid(width: usize, height: usize, pitch: f64, growth: f64) -> (Ink, Vec<f64>) {
        let mut lines = Vec::new();
        let mut x = 3.0;
        while x < width as f64 {
            lines.push(x);
            x += pitch * (1.0 + growth * x / width as f64);
        }
        let mut grid = vec![0u8; width * height];
        for y in 0..height {
            for &line in &lines {
                for dx in -1i64..=1 {
                    let px = line.round() as i64 + dx;
                    if (0..width as i64).contains(&px) {
                        let weight = (1.0 - (px as f64 - line).abs()).max(0.0);
                        grid[y * width + px as usize] = (80.0 * weight) as u8;
                    }
                }
            }
        }
        let ink = Ink {
            width,
            height,
            trace: vec![false; width * height],
            grid,
        };
        (ink, lines)
    }

    #[test]
    fn a_widening_grid_is_read_line_for_line() {
        let pitch = 8.0;
        let (ink, lines) = widening_grid(1600, 60, pitch, 0.01);
        let rulers = measure(&ink, &[(0.0, 59.0)], Pitch { x: pitch, y: pitch });
        let ruler = &rulers[0];
        // Line k lies k pitches from the first on the grid, though the lines spread 1% from
        // one end to the other (8 px over the width: a whole millimetre by the far end).
        let inner: Vec<f64> = lines
            .iter()
            .filter(|&&x| (100.0..1500.0).contains(&x))
            .map(|&x| ruler.to_grid(x))
            .collect();
        for (k, u) in inner.iter().enumerate() {
            let error = u - inner[0] - k as f64 * pitch;
            assert!(error.abs() < 0.3, "line {k} is {error:.2} px off the grid");
        }
        assert!(
            lines.last().unwrap() - lines[0] > (lines.len() - 1) as f64 * pitch + 6.0,
            "the lines do spread"
        );
        for &x in &[200.0, 777.7, 1400.0] {
            assert!((ruler.to_pixel(ruler.to_grid(x)) - x).abs() < 1e-6);
        }
    }

    #[test]
    fn no_grid_keeps_the_uniform_scale() {
        let ink = Ink::of_trace(400, 40, vec![false; 400 * 40]);
        let rulers = measure(&ink, &[(0.0, 39.0), (10.0, 30.0)], Pitch { x: 8.0, y: 8.0 });
        assert_eq!(rulers, vec![Ruler::uniform(), Ruler::uniform()]);
        assert_eq!(rulers[0].to_grid(123.4), 123.4);
    }
}
