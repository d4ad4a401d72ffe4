//! Finding the sheet in a photo and flattening it: a phone sees the printout at an angle, on a
//! darker table, so the paper is the largest bright region and its outline a quadrilateral.
//! The four sides are fitted to that region's edge and the sheet is warped back to a
//! rectangle, which undoes the perspective that a rotation alone cannot.
//!
//! A scan, where the paper fills the picture, has no outline to find and is left as it is.

use super::super::geometry::{apply, homography_from_corners, warp_bitmap};
use super::super::Bitmap;

/// The analysis runs on a copy about this many pixels on its longer side.
const WORK_SIDE: usize = 480;
/// The sheet must be brighter than the table around it by this much (8-bit levels).
const MIN_CONTRAST: f32 = 40.0;
/// Paper is what is brighter than this fraction of the way from the table to the paper. Low,
/// because paper in a deep shadow is only a fifth of the way there (at a third, a shadowed
/// corner was cut off and the whole sheet warped wrong).
const TABLE_TO_PAPER: f32 = 0.15;
/// A sheet must cover at least this fraction of the picture.
const MIN_AREA: f64 = 0.2;
/// With more than this fraction of the picture bright, the paper fills it (a scan).
const FILLS_PICTURE: f64 = 0.93;
/// A sheet whose outline runs along more than this fraction of the picture's border is cut
/// off by it, and its corners cannot be trusted.
const MAX_BORDER_CONTACT: f64 = 0.25;

/// The sheet's corners in picture pixels: top left, top right, bottom right, bottom left.
pub type Corners = [(f64, f64); 4];

/// The sheet flattened to a rectangle, and the map from its pixels back to the picture's.
pub struct Flattened {
    pub bitmap: Bitmap,
    /// Row-major homography from the flattened sheet's pixels to the picture's.
    pub to_picture: [f64; 9],
}

/// The sheet's outline in `image`, or `None` when the paper fills the picture or no
/// sheet-shaped bright region stands out.
pub fn find_corners(image: &Bitmap) -> Option<Corners> {
    let scale = (image.width.max(image.height) as f64 / WORK_SIDE as f64).max(1.0);
    let (w, h) = (
        ((image.width as f64 / scale) as usize).max(1),
        ((image.height as f64 / scale) as usize).max(1),
    );
    let luma = shrunk_luma(image, w, h, scale);
    // The table is what the picture's border shows; paper in a shadow is still far brighter
    // than it, but may be darker than the lit paper by more than a two-class split allows.
    let mut border: Vec<f32> = (0..w)
        .flat_map(|x| [luma[x], luma[(h - 1) * w + x]])
        .chain((0..h).flat_map(|y| [luma[y * w], luma[y * w + w - 1]]))
        .collect();
    let table = quantile(&mut border, 0.5);
    let mut all = luma.clone();
    let paper = quantile(&mut all, 0.95);
    if paper - table < MIN_CONTRAST {
        return None;
    }
    let threshold = table + TABLE_TO_PAPER * (paper - table);
    let bright: Vec<bool> = luma.iter().map(|&v| v > threshold).collect();
    let bright_share = bright.iter().filter(|&&b| b).count() as f64 / bright.len() as f64;
    if bright_share > FILLS_PICTURE {
        return None;
    }
    let region = largest_region(&bright, w, h);
    if (region.len() as f64) < MIN_AREA * (w * h) as f64 {
        return None;
    }
    let mut inside = vec![false; w * h];
    region.iter().for_each(|&i| inside[i] = true);
    // Ink on the sheet makes holes in the bright region; only its outer edge is the sheet's.
    let outside = reachable_from_border(&inside, w, h);
    let mut edge = Vec::new();
    let mut on_border = 0usize;
    for &i in &region {
        let (x, y) = (i % w, i / w);
        if x == 0 || y == 0 || x == w - 1 || y == h - 1 {
            on_border += 1;
            continue;
        }
        if outside[i - 1] || outside[i + 1] || outside[i - w] || outside[i + w] {
            edge.push((x as f64 + 0.5, y as f64 + 0.5));
        }
    }
    if on_border as f64 > MAX_BORDER_CONTACT * 2.0 * (w + h) as f64 {
        return None;
    }
    // Rough corners from the extremes along both diagonals, then each side fitted to the edge
    // points nearest it, away from the corners (a dog-ear or a shadow bends them).
    let extreme = |f: &dyn Fn(&(f64, f64)) -> f64| {
        *edge
            .iter()
            .max_by(|a, b| f(a).total_cmp(&f(b)))
            .expect("edge")
    };
    if edge.len() < 40 {
        return None;
    }
    let rough = [
        extreme(&|p| -p.0 - p.1),
        extreme(&|p| p.0 - p.1),
        extreme(&|p| p.0 + p.1),
        extreme(&|p| -p.0 + p.1),
    ];
    let mut lines = Vec::with_capacity(4);
    for side in 0..4 {
        let (a, b) = (rough[side], rough[(side + 1) % 4]);
        let length = (b.0 - a.0).hypot(b.1 - a.1);
        if length < 10.0 {
            return None;
        }
        let points: Vec<(f64, f64)> = edge
            .iter()
            .copied()
            .filter(|p| {
                let along =
                    ((p.0 - a.0) * (b.0 - a.0) + (p.1 - a.1) * (b.1 - a.1)) / (length * length);
                let off = ((p.0 - a.0) * (b.1 - a.1) - (p.1 - a.1) * (b.0 - a.0)).abs() / length;
                (0.1..0.9).contains(&along) && off < 0.04 * length + 2.0
            })
            .collect();
        lines.push(fit_line(&points)?);
    }
    let mut corners = [(0.0, 0.0); 4];
    for (k, corner) in corners.iter_mut().enumerate() {
        let (x, y) = intersect(lines[(k + 3) % 4], lines[k])?;
        *corner = (x * scale, y * scale);
    }
    plausible(&corners, image).then_some(corners)
}

/// The sheet inside `corners` warped to a rectangle as long as its sides are on average.
pub fn flatten(image: &Bitmap, corners: &Corners) -> Option<Flattened> {
    let side = |a: (f64, f64), b: (f64, f64)| (b.0 - a.0).hypot(b.1 - a.1);
    let width = 0.5 * (side(corners[0], corners[1]) + side(corners[3], corners[2]));
    let height = 0.5 * (side(corners[0], corners[3]) + side(corners[1], corners[2]));
    let (out_w, out_h) = (width.round() as usize, height.round() as usize);
    if out_w < 2 || out_h < 2 {
        return None;
    }
    let (fw, fh) = (out_w as f64, out_h as f64);
    let to_picture =
        homography_from_corners(&[(0.0, 0.0), (fw, 0.0), (fw, fh), (0.0, fh)], corners)?;
    let bitmap = warp_bitmap(image, &to_picture, out_w, out_h, [255, 255, 255]);
    Some(Flattened { bitmap, to_picture })
}

/// Where a point of the flattened sheet lies in the picture.
pub fn to_picture(flattened_to_picture: &[f64; 9], x: f64, y: f64) -> (f64, f64) {
    apply(flattened_to_picture, x, y)
}

/// A convex quadrilateral inside the picture (with a little slack), of sheet-like angles.
fn plausible(corners: &Corners, image: &Bitmap) -> bool {
    let slack = 0.05 * image.width.max(image.height) as f64;
    let inside = corners.iter().all(|&(x, y)| {
        x > -slack
            && y > -slack
            && x < image.width as f64 + slack
            && y < image.height as f64 + slack
    });
    let convex_and_square = (0..4).all(|k| {
        let (p, c, n) = (corners[(k + 3) % 4], corners[k], corners[(k + 1) % 4]);
        let (ax, ay, bx, by) = (p.0 - c.0, p.1 - c.1, n.0 - c.0, n.1 - c.1);
        let cross = ax * by - ay * bx;
        let cos = (ax * bx + ay * by) / (ax.hypot(ay) * bx.hypot(by)).max(1e-9);
        cross < 0.0 && cos.abs() < 0.5
    });
    inside && convex_and_square
}

/// Block-averaged brightness at `w`×`h`.
fn shrunk_luma(image: &Bitmap, w: usize, h: usize, scale: f64) -> Vec<f32> {
    let mut sum = vec![0.0f32; w * h];
    let mut count = vec![0u32; w * h];
    for y in 0..image.height {
        let sy = ((y as f64 / scale) as usize).min(h - 1);
        for x in 0..image.width {
            let sx = ((x as f64 / scale) as usize).min(w - 1);
            let [r, g, b] = image.get(x, y);
            sum[sy * w + sx] += 0.299 * r as f32 + 0.587 * g as f32 + 0.114 * b as f32;
            count[sy * w + sx] += 1;
        }
    }
    sum.iter()
        .zip(&count)
        .map(|(s, &c)| s / c.max(1) as f32)
        .collect()
}

fn quantile(values: &mut [f32], q: f64) -> f32 {
    let k = ((values.len() - 1) as f64 * q).round() as usize;
    *values.select_nth_unstable_by(k, f32::total_cmp).1
}

/// The pixels outside `region` that connect to the picture's border without crossing it.
fn reachable_from_border(region: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut reached = vec![false; w * h];
    let border: Vec<usize> = (0..w)
        .flat_map(|x| [x, (h - 1) * w + x])
        .chain((0..h).flat_map(|y| [y * w, y * w + w - 1]))
        .collect();
    let outside: Vec<bool> = region.iter().map(|r| !r).collect();
    flood(&outside, &border, w, h, &mut reached);
    reached
}

/// Indices of the largest 4-connected set of `true` pixels.
fn largest_region(mask: &[bool], w: usize, h: usize) -> Vec<usize> {
    let mut reached = vec![false; mask.len()];
    let mut best = Vec::new();
    for start in 0..mask.len() {
        let region = flood(mask, &[start], w, h, &mut reached);
        if region.len() > best.len() {
            best = region;
        }
    }
    best
}

/// Marks in `reached` and returns the `mask` pixels 4-connected to `seeds` not reached before.
fn flood(mask: &[bool], seeds: &[usize], w: usize, h: usize, reached: &mut [bool]) -> Vec<usize> {
    let mut stack: Vec<usize> = seeds
        .iter()
        .copied()
        .filter(|&i| mask[i] && !reached[i])
        .collect();
    stack.iter().for_each(|&i| reached[i] = true);
    let mut region = Vec::new();
    while let Some(i) = stack.pop() {
        region.push(i);
        let (x, y) = (i % w, i / w);
        let neighbours = [
            (x > 0).then(|| i - 1),
            (x + 1 < w).then(|| i + 1),
            (y > 0).then(|| i - w),
            (y + 1 < h).then(|| i + w),
        ];
        for n in neighbours.into_iter().flatten() {
            if mask[n] && !reached[n] {
                reached[n] = true;
                stack.push(n);
            }
        }
    }
    region
}

/// The total-least-squares line through `points` as `(nx, ny, c)` with `nx·x + ny·y = c`.
fn fit_line(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    if points.len() < 5 {
        return None;
    }
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for p in points {
        let (dx, dy) = (p.0 - mx, p.1 - my);
        (sxx, sxy, syy) = (sxx + dx * dx, sxy + dx * dy, syy + dy * dy);
    }
    // The normal is the direction of least spread: the covariance's smaller eigenvector.
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy) + std::f64::consts::FRAC_PI_2;
    let (nx, ny) = (angle.cos(), angle.sin());
    Some((nx, ny, nx * mx + ny * my))
}

fn intersect(a: (f64, f64, f64), b: (f64, f64, f64)) -> Option<(f64, f64)> {
    let det = a.0 * b.1 - a.1 * b.0;
    (det.abs() > 1e-9).then(|| ((a.2 * b.1 - a.1 * b.2) / det, (a.0 * b.2 - a.2 * b.0) / det))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::degrade::{degrade, Degradation};
    use crate::render::{render, RenderConfig};
    use ecgmatch_testkit::ptbxl_00009;

    #[test]
    fn finds_the_corners_of_a_photographed_sheet() {
        let config = RenderConfig {
            px_per_mm: 4.0,
            ..RenderConfig::default()
        };
        let sheet = render(&ptbxl_00009(), &config).bitmap;
        let (w, h) = (sheet.width as f64, sheet.height as f64);
        for (level, seed) in [("phone", 1), ("phone", 2), ("phone-hard", 3)] {
            let photo = degrade(&sheet, &Degradation::by_name(level).unwrap(), seed).unwrap();
            let truth =
                [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)].map(|(x, y)| photo.map_point(x, y));
            let found = find_corners(&photo.bitmap).expect("a sheet on a table");
            for (f, t) in found.iter().zip(&truth) {
                let miss = (f.0 - t.0).hypot(f.1 - t.1);
                assert!(
                    miss < 0.01 * w,
                    "{level} seed {seed}: corner {f:?} is {miss:.1} px from {t:?}"
                );
            }
        }
    }

    #[test]
    fn a_scan_filling_the_picture_has_no_outline() {
        let sheet = render(
            &ptbxl_00009(),
            &RenderConfig {
                px_per_mm: 3.0,
                ..RenderConfig::default()
            },
        )
        .bitmap;
        assert_eq!(find_corners(&sheet), None);
    }

    #[test]
    fn flattening_a_rectangle_keeps_it() {
        let mut image = Bitmap::filled(40, 30, [255, 255, 255]);
        image.set(10, 5, [0, 0, 0]);
        let flat = flatten(
            &image,
            &[(0.0, 0.0), (40.0, 0.0), (40.0, 30.0), (0.0, 30.0)],
        )
        .unwrap();
        assert_eq!((flat.bitmap.width, flat.bitmap.height), (40, 30));
        assert_eq!(flat.bitmap.get(10, 5), [0, 0, 0]);
        assert_eq!(
            flat.bitmap.get(1, 1),
            [255, 255, 255],
            "the border is blanked"
        );
        let (x, y) = to_picture(&flat.to_picture, 10.5, 5.5);
        assert!((x - 10.5).abs() < 1e-9 && (y - 5.5).abs() < 1e-9);
    }
}
