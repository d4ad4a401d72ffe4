//! The printed grid: its angle (to straighten the picture) and its pitch (pixels per mm).
//!
//! Both come from projection profiles of the grid ink. At the right angle the grid lines fall
//! into single bins of the profile, so the profile's energy peaks; along a straight axis the
//! profile repeats every millimetre (minor lines) and every 5 mm (major lines), which its
//! autocorrelation shows.

use super::ink::Ink;
use crate::Bitmap;

/// Grid pitch along each axis; they differ when the picture is stretched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pitch {
    pub x: f64,
    pub y: f64,
}

/// Most grid pixels looked at per angle tried; more only costs time.
const MAX_POINTS: usize = 250_000;

/// A grid pixel: where it lies from the picture's centre (x, y), and its grid weight.
type GridPoint = (f32, f32, f32);

/// The picture's rotation in degrees (counter-clockwise positive): the angle at which the
/// grid lines line up with the projection axes.
pub fn find_rotation(ink: &Ink, max_deg: f64) -> f64 {
    let (cx, cy) = (ink.width as f64 / 2.0, ink.height as f64 / 2.0);
    // Grid pixels in a central band: narrow bands tolerate coarse angle steps (a line's
    // projection smears over band × angle error), wide ones give precision.
    let band_points = |half_band: f64| -> (Vec<GridPoint>, Vec<GridPoint>) {
        let mut across = Vec::new(); // for horizontal lines: a vertical band
        let mut down = Vec::new(); // for vertical lines: a horizontal band
        for y in 0..ink.height {
            for x in 0..ink.width {
                let w = ink.grid[y * ink.width + x];
                if w == 0 {
                    continue;
                }
                let (dx, dy) = (x as f64 - cx, y as f64 - cy);
                let point = (dx as f32, dy as f32, w as f32);
                if dx.abs() <= half_band {
                    across.push(point);
                }
                if dy.abs() <= half_band {
                    down.push(point);
                }
            }
        }
        (thin(across), thin(down))
    };
    let mut best = 0.0;
    for (half_band, step, span) in [
        (80.0, 0.25, max_deg),
        (320.0, 0.06, 0.3),
        (f64::INFINITY, 0.015, 0.08),
    ] {
        let (across, down) = band_points(half_band);
        if across.is_empty() && down.is_empty() {
            return 0.0;
        }
        let centre = best;
        let steps = (span / step).round() as i64;
        let mut best_score = f64::NEG_INFINITY;
        for k in -steps..=steps {
            let angle = centre + k as f64 * step;
            let score = sharpness(&across, angle, false) + sharpness(&down, angle, true);
            if score > best_score {
                best_score = score;
                best = angle;
            }
        }
    }
    best
}

fn thin(points: Vec<GridPoint>) -> Vec<GridPoint> {
    let stride = points.len().div_ceil(MAX_POINTS).max(1);
    points.into_iter().step_by(stride).collect()
}

/// Energy of the projection profile across horizontal lines (or along vertical ones) for a
/// picture rotated by `angle_deg`.
fn sharpness(points: &[(f32, f32, f32)], angle_deg: f64, vertical_lines: bool) -> f64 {
    if points.is_empty() {
        return 0.0;
    }
    let (s, c) = (
        angle_deg.to_radians().sin() as f32,
        angle_deg.to_radians().cos() as f32,
    );
    let project = |&(x, y, _): &(f32, f32, f32)| {
        if vertical_lines {
            x * c - y * s
        } else {
            x * s + y * c
        }
    };
    let (lo, hi) = points
        .iter()
        .map(project)
        .fold((f32::MAX, f32::MIN), |(lo, hi), p| (lo.min(p), hi.max(p)));
    let mut profile = vec![0.0f64; (hi - lo) as usize + 2];
    for point in points {
        profile[(project(point) - lo) as usize] += point.2 as f64;
    }
    profile.iter().map(|v| v * v).sum()
}

/// Where the straightened frame's point `(x, y)` lies in the picture rotated by `angle_deg`.
pub fn rotate_point(x: f64, y: f64, size: (usize, usize), angle_deg: f64) -> (f64, f64) {
    let (cx, cy) = (size.0 as f64 / 2.0, size.1 as f64 / 2.0);
    let (s, c) = angle_deg.to_radians().sin_cos();
    let (dx, dy) = (x - cx, y - cy);
    (cx + dx * c + dy * s, cy - dx * s + dy * c)
}

/// The picture turned back by its rotation, same size, white where nothing was photographed.
pub fn straighten(image: &Bitmap, angle_deg: f64) -> Bitmap {
    let mut out = Bitmap::filled(image.width, image.height, [255, 255, 255]);
    let max_x = image.width as f64 - 1.0;
    let max_y = image.height as f64 - 1.0;
    for y in 0..image.height {
        for x in 0..image.width {
            let (px, py) = rotate_point(x as f64, y as f64, (image.width, image.height), angle_deg);
            if px < 0.0 || py < 0.0 || px > max_x || py > max_y {
                continue;
            }
            // Bilinear, so that thin lines keep their darkness.
            let (x0, y0) = (px.floor() as usize, py.floor() as usize);
            let (x1, y1) = (
                (x0 + 1).min(image.width - 1),
                (y0 + 1).min(image.height - 1),
            );
            let (fx, fy) = (px - x0 as f64, py - y0 as f64);
            let (a, b, c, d) = (
                image.get(x0, y0),
                image.get(x1, y0),
                image.get(x0, y1),
                image.get(x1, y1),
            );
            let mut colour = [0u8; 3];
            for k in 0..3 {
                let top = a[k] as f64 * (1.0 - fx) + b[k] as f64 * fx;
                let bottom = c[k] as f64 * (1.0 - fx) + d[k] as f64 * fx;
                colour[k] = (top * (1.0 - fy) + bottom * fy).round() as u8;
            }
            out.set(x, y, colour);
        }
    }
    out
}

/// How much the two axes' pitches may differ and both be kept: a picture straight on a
/// scanner or a phone held square to the sheet is stretched little, while a sheet flattened
/// from its outline takes its proportions from the outline's average sides, which
/// perspective foreshortens, so it may be stretched by a fifth. Farther apart, one axis
/// misread its lines (2 mm or 5 mm for 1 mm).
pub const MAX_STRETCH: f64 = 1.11;
pub const MAX_STRETCH_FLATTENED: f64 = 1.25;

/// The grid pitch along both axes, or `None` when the picture shows no periodic grid;
/// `max_stretch` is how far apart they may lie (`MAX_STRETCH` or `MAX_STRETCH_FLATTENED`).
pub fn find_pitch(ink: &Ink, max_stretch: f64) -> Option<Pitch> {
    let mut columns = vec![0.0f64; ink.width];
    let mut rows = vec![0.0f64; ink.height];
    for (row, grid) in rows.iter_mut().zip(ink.grid.chunks_exact(ink.width.max(1))) {
        for (column, &w) in columns.iter_mut().zip(grid) {
            *column += w as f64;
            *row += w as f64;
        }
    }
    match (period(&columns), period(&rows)) {
        (Some(x), Some(y)) => {
            let ratio = x.px_per_mm / y.px_per_mm;
            if (1.0 / max_stretch..max_stretch).contains(&ratio) {
                // A photo taken at an angle: each axis keeps its own scale.
                Some(Pitch {
                    x: x.px_per_mm,
                    y: y.px_per_mm,
                })
            } else {
                // One axis misread its lines (2 mm or 5 mm for 1 mm): a printed grid is square,
                // so take the pitch that fits both axes' periodicity best.
                let fit = |px_per_mm: f64| {
                    [&x.acf, &y.acf]
                        .iter()
                        .map(|acf| comb(acf, px_per_mm) + comb(acf, 5.0 * px_per_mm))
                        .sum::<f64>()
                };
                let best = if fit(x.px_per_mm) >= fit(y.px_per_mm) {
                    x.px_per_mm
                } else {
                    y.px_per_mm
                };
                Some(Pitch { x: best, y: best })
            }
        }
        (Some(one), None) | (None, Some(one)) => Some(Pitch {
            x: one.px_per_mm,
            y: one.px_per_mm,
        }),
        (None, None) => None,
    }
}

#[derive(Debug, Clone)]
struct Period {
    px_per_mm: f64,
    /// The profile's autocorrelation, by lag.
    acf: Vec<f64>,
}

/// A printout's size in mm along either side, roughly (A4 landscape, letter): the scale a
/// picture of one is judged by when its grid alone cannot tell 1 mm from 5 mm.
const TYPICAL_SHEET_MM: f64 = 240.0;

/// Weakest autocorrelation peak taken for a grid.
const MIN_PEAK: f64 = 0.12;

fn period(profile: &[f64]) -> Option<Period> {
    let n = profile.len();
    if n < 40 {
        return None;
    }
    // Remove slow changes (light, the sheet's edge) so that only the lines repeat.
    let window = (n / 20).clamp(31, 301);
    let detrended: Vec<f64> = profile
        .iter()
        .zip(box_smooth(profile, window))
        .map(|(v, mean)| v - mean)
        .collect();
    let max_lag = (n / 3).min(420);
    let energy: f64 = detrended.iter().map(|v| v * v).sum();
    if energy <= 0.0 || max_lag < 8 {
        return None;
    }
    let acf: Vec<f64> = (0..=max_lag)
        .map(|lag| {
            let s: f64 = detrended[..n - lag]
                .iter()
                .zip(&detrended[lag..])
                .map(|(a, b)| a * b)
                .sum();
            s / energy * n as f64 / (n - lag) as f64
        })
        .collect();
    let peaks: Vec<usize> = (2..max_lag)
        .filter(|&l| acf[l] > acf[l - 1] && acf[l] >= acf[l + 1])
        .collect();
    let strongest = peaks
        .iter()
        .map(|&l| acf[l])
        .fold(f64::NEG_INFINITY, f64::max);
    if strongest.is_nan() || strongest < MIN_PEAK {
        return None;
    }
    // The grid's period is the lag whose multiples are all peaks and whose half-way points
    // are all troughs ("comb contrast"). With 1 mm and 5 mm lines of similar weight, 1, 3 and
    // 5 mm fit about equally well, so take the shortest lag that fits nearly as well as the
    // best and of which the best is a whole multiple. If the best is no whole multiple of it
    // (it is 2 or 3 mm where the 1 mm lines are too faint to show), the best is the period.
    let comb = |q: f64| comb(&acf, q);
    let candidates: Vec<(f64, f64)> = peaks
        .iter()
        .filter(|&&l| acf[l] >= 0.3 * strongest)
        .filter_map(|&l| refine_peak(&acf, l))
        .map(|q| (comb(q), q))
        .filter(|(c, _)| c.is_finite())
        .collect();
    let (contrast, best) = candidates
        .iter()
        .copied()
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    if contrast < MIN_PEAK {
        return None;
    }
    let (_, shortest) = candidates
        .iter()
        .copied()
        .filter(|c| c.0 >= 0.5 * contrast)
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let ratio = best / shortest;
    let mut main = if (ratio - ratio.round()).abs() <= 0.06 * ratio.round() {
        shortest
    } else {
        best
    };
    // Blur or perspective can weaken the 1 mm peak until 3 mm fits better: if the picture
    // would then be far smaller than a printout, step down to a third (or half) that shows
    // as a peak.
    if (n as f64 / main) < 0.5 * TYPICAL_SHEET_MM {
        let shows = |lag: f64| {
            peaks.iter().any(|&l| {
                (l as f64 - lag).abs() <= (0.06 * lag).max(1.0) && acf[l] > 0.5 * MIN_PEAK
            })
        };
        if let Some(divisor) = [3.0, 2.0]
            .into_iter()
            .find(|d| main / d >= 2.0 && shows(main / d))
        {
            main /= divisor;
        }
    }
    // 1 mm? Then the 5 mm lines make its fifth multiple stand out.
    let near = |lag: f64| -> f64 {
        let spread = (0.2 * main).max(1.0);
        let lo = (lag - spread).floor().max(1.0) as usize;
        let hi = ((lag + spread).ceil() as usize).min(max_lag);
        if lo > hi {
            return f64::NEG_INFINITY;
        }
        acf[lo..=hi]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let fifth = near(5.0 * main);
    let between = (2..5)
        .map(|k| near(k as f64 * main))
        .fold(f64::NEG_INFINITY, f64::max);
    let is_mm = 5.0 * main <= max_lag as f64 && fifth > 1.1 * between && fifth > MIN_PEAK;
    // 5 mm, with the 1 mm lines showing inside?
    let is_five_mm = main / 5.0 >= 1.5 && comb(main / 5.0) >= 0.35 * comb(main);
    // Otherwise take the reading under which the picture is about as wide or tall as a printout.
    let misfit = |px_per_mm: f64| (n as f64 / px_per_mm / TYPICAL_SHEET_MM).ln().abs();
    let mm_period = if is_mm {
        main
    } else if is_five_mm || misfit(main / 5.0) < misfit(main) {
        main / 5.0
    } else {
        main
    };
    // Precision: the farthest multiple of the period that still shows as a peak.
    let mut px_per_mm = mm_period;
    let big = if is_mm { 5.0 * main } else { main };
    let mut k = (max_lag as f64 / big).floor();
    while k >= 1.0 {
        let lag = (k * big).round() as usize;
        let spread = ((0.3 * mm_period) as usize).max(1);
        let lo = lag.saturating_sub(spread).max(2);
        let hi = (lag + spread).min(max_lag - 1);
        if lo < hi {
            let best = (lo..=hi)
                .max_by(|&a, &b| acf[a].total_cmp(&acf[b]))
                .unwrap_or(lag);
            if best > lo && best < hi && acf[best] > MIN_PEAK {
                if let Some(exact) = refine_peak(&acf, best) {
                    px_per_mm = exact / (k * big / mm_period);
                    break;
                }
            }
        }
        k -= 1.0;
    }
    Some(Period { px_per_mm, acf })
}

/// How well lag `q` fits as the period: the mean autocorrelation at its multiples less that
/// half-way between them (up to 10 of each).
fn comb(acf: &[f64], q: f64) -> f64 {
    let max_lag = acf.len().saturating_sub(1) as f64;
    let count = ((max_lag / q).floor() as usize).min(10);
    if q < 1.0 || count < 2 {
        return f64::NEG_INFINITY;
    }
    let on: f64 = (1..=count).map(|k| interpolate(acf, k as f64 * q)).sum();
    let off: f64 = (0..count)
        .map(|k| interpolate(acf, (k as f64 + 0.5) * q))
        .sum();
    (on - off) / count as f64
}

/// The autocorrelation at a fractional lag.
fn interpolate(acf: &[f64], lag: f64) -> f64 {
    let i = lag.floor() as usize;
    if i + 1 >= acf.len() {
        return acf.last().copied().unwrap_or(0.0);
    }
    let f = lag - i as f64;
    acf[i] * (1.0 - f) + acf[i + 1] * f
}

/// The peak's lag to a fraction of a pixel, from the parabola through it and its neighbours.
fn refine_peak(acf: &[f64], lag: usize) -> Option<f64> {
    if lag == 0 || lag + 1 >= acf.len() {
        return None;
    }
    let (a, b, c) = (acf[lag - 1], acf[lag], acf[lag + 1]);
    let curvature = a - 2.0 * b + c;
    let offset = if curvature < 0.0 {
        (0.5 * (a - c) / curvature).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    Some(lag as f64 + offset)
}

/// Each value's mean over a centred window of `window` values (shorter at the ends).
pub(super) fn box_smooth(values: &[f64], window: usize) -> Vec<f64> {
    let n = values.len();
    let mut prefix = vec![0.0; n + 1];
    for (i, v) in values.iter().enumerate() {
        prefix[i + 1] = prefix[i] + v;
    }
    let half = window / 2;
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            (prefix[hi] - prefix[lo]) / (hi - lo) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grid ink with 1 mm lines every `x`, `y` pixels and 5 mm lines darker.
    fn grid_ink(width: usize, height: usize, x: f64, y: f64) -> Ink {
        let on_line = |p: usize, pitch: f64| -> Option<u8> {
            let mm = (p as f64 / pitch).round();
            ((p as f64 - mm * pitch).abs() < 1.0).then_some(if mm as i64 % 5 == 0 {
                90
            } else {
                40
            })
        };
        let mut grid = vec![0u8; width * height];
        for row in 0..height {
            for col in 0..width {
                grid[row * width + col] = on_line(col, x).max(on_line(row, y)).unwrap_or(0);
            }
        }
        Ink {
            width,
            height,
            trace: vec![false; width * height],
            grid,
        }
    }

    #[test]
    fn a_flattened_sheet_keeps_each_axis_scale_and_a_straight_picture_one() {
        // A sheet flattened from a photo at an angle: 7.55 px/mm across, 8.4 down (as measured
        // on a phone-hard render whose columns drifted by 10% when both took 8.4).
        let ink = grid_ink(1200, 800, 7.55, 8.4);
        let flattened = find_pitch(&ink, MAX_STRETCH_FLATTENED).expect("grid");
        assert!((flattened.x - 7.55).abs() < 0.1, "{flattened:?}");
        assert!((flattened.y - 8.4).abs() < 0.1, "{flattened:?}");
        // Straight on a scanner such a difference is a misread axis: one pitch for both.
        let straight = find_pitch(&ink, MAX_STRETCH).expect("grid");
        assert_eq!(straight.x, straight.y);
    }
}
