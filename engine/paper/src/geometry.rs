//! Plane geometry shared by the degrader and the digitizer: homographies between a flat
//! sheet and its picture, and resampling a picture through one.

use super::Bitmap;

/// Where `h` takes the point `(x, y)`.
pub fn apply(h: &[f64; 9], x: f64, y: f64) -> (f64, f64) {
    let w = h[6] * x + h[7] * y + h[8];
    (
        (h[0] * x + h[1] * y + h[2]) / w,
        (h[3] * x + h[4] * y + h[5]) / w,
    )
}

/// The homography taking each of `from` to the matching `to` (direct linear transform with
/// h₃₃ = 1), or `None` when the corners are degenerate.
pub fn homography_from_corners(from: &[(f64, f64); 4], to: &[(f64, f64); 4]) -> Option<[f64; 9]> {
    let mut a = [[0.0f64; 9]; 8];
    for (i, ((x, y), (u, v))) in from.iter().zip(to).enumerate() {
        a[2 * i] = [*x, *y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, *u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, *x, *y, 1.0, -v * x, -v * y, *v];
    }
    // Gaussian elimination with partial pivoting on the 8×8 system (last column: right side).
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        for row in 0..8 {
            if row != col {
                let f = a[row][col] / a[col][col];
                let pivot_row = a[col];
                for (value, pivot_value) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                    *value -= f * pivot_value;
                }
            }
        }
    }
    let mut h = [0.0; 9];
    for i in 0..8 {
        h[i] = a[i][8] / a[i][i];
    }
    h[8] = 1.0;
    Some(h)
}

pub fn invert(m: &[f64; 9]) -> Option<[f64; 9]> {
    let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6]);
    if det.abs() < 1e-15 {
        return None;
    }
    let inv = [
        m[4] * m[8] - m[5] * m[7],
        m[2] * m[7] - m[1] * m[8],
        m[1] * m[5] - m[2] * m[4],
        m[5] * m[6] - m[3] * m[8],
        m[0] * m[8] - m[2] * m[6],
        m[2] * m[3] - m[0] * m[5],
        m[3] * m[7] - m[4] * m[6],
        m[1] * m[6] - m[0] * m[7],
        m[0] * m[4] - m[1] * m[3],
    ];
    Some(inv.map(|v| v / det))
}

/// Bilinear resampling: each output pixel's centre mapped back through `inverse`; what falls
/// outside the sheet takes the background, blended at the sheet's edge.
pub fn warp(
    src: &[f32],
    sw: usize,
    sh: usize,
    inverse: &[f64; 9],
    out_w: usize,
    out_h: usize,
    background: [u8; 3],
) -> Vec<f32> {
    let bg = background.map(|v| v as f32);
    let mut out = vec![0.0f32; out_w * out_h * 3];
    for y in 0..out_h {
        for x in 0..out_w {
            let (sx, sy) = apply(inverse, x as f64 + 0.5, y as f64 + 0.5);
            let (fx, fy) = (sx - 0.5, sy - 0.5);
            let (x0, y0) = (fx.floor(), fy.floor());
            let (tx, ty) = ((fx - x0) as f32, (fy - y0) as f32);
            let texel = |xi: f64, yi: f64| -> [f32; 3] {
                if xi < 0.0 || yi < 0.0 || xi >= sw as f64 || yi >= sh as f64 {
                    return bg;
                }
                let i = (yi as usize * sw + xi as usize) * 3;
                [src[i], src[i + 1], src[i + 2]]
            };
            let (a, b, c, d) = (
                texel(x0, y0),
                texel(x0 + 1.0, y0),
                texel(x0, y0 + 1.0),
                texel(x0 + 1.0, y0 + 1.0),
            );
            let o = (y * out_w + x) * 3;
            for k in 0..3 {
                let top = a[k] + (b[k] - a[k]) * tx;
                let bottom = c[k] + (d[k] - c[k]) * tx;
                out[o + k] = top + (bottom - top) * ty;
            }
        }
    }
    out
}

/// `image` resampled into an `out_w`×`out_h` picture through `inverse` (output pixel → source
/// pixel), `background` where the source has nothing.
pub fn warp_bitmap(
    image: &Bitmap,
    inverse: &[f64; 9],
    out_w: usize,
    out_h: usize,
    background: [u8; 3],
) -> Bitmap {
    let src: Vec<f32> = image.rgb.iter().map(|&v| v as f32).collect();
    let out = warp(
        &src,
        image.width,
        image.height,
        inverse,
        out_w,
        out_h,
        background,
    );
    Bitmap {
        width: out_w,
        height: out_h,
        rgb: out
            .iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homography_maps_corners_exactly() {
        let from = [(0.0, 0.0), (100.0, 0.0), (100.0, 50.0), (0.0, 50.0)];
        let to = [(3.0, 5.0), (98.0, 2.0), (105.0, 61.0), (-4.0, 49.0)];
        let h = homography_from_corners(&from, &to).unwrap();
        for (f, t) in from.iter().zip(&to) {
            let (x, y) = apply(&h, f.0, f.1);
            assert!((x - t.0).abs() < 1e-9 && (y - t.1).abs() < 1e-9);
        }
        let inv = invert(&h).unwrap();
        let (x, y) = apply(&inv, 3.0, 5.0);
        assert!(x.abs() < 1e-9 && y.abs() < 1e-9);
    }
}
