//! Antialiased bilinear resizing of one f32 plane (a triangle filter widened by the
//! scale factor when shrinking, as Pillow's BILINEAR does), with precomputed weights.

/// Per output coordinate: the first input index and its weights.
#[derive(Debug, Default)]
struct Taps {
    start: Vec<usize>,
    weights: Vec<Vec<f32>>,
}

fn taps(input: usize, output: usize) -> Taps {
    let scale = input as f64 / output as f64;
    let support = scale.max(1.0);
    let mut start = Vec::with_capacity(output);
    let mut weights = Vec::with_capacity(output);
    for o in 0..output {
        let centre = (o as f64 + 0.5) * scale;
        let lo = ((centre - support).floor().max(0.0)) as usize;
        let hi = ((centre + support).ceil() as usize).min(input);
        let mut w: Vec<f32> = (lo..hi)
            .map(|i| {
                let d = ((i as f64 + 0.5 - centre) / support).abs();
                (1.0 - d).max(0.0) as f32
            })
            .collect();
        let sum: f32 = w.iter().sum();
        if sum > 0.0 {
            w.iter_mut().for_each(|v| *v /= sum);
        }
        start.push(lo);
        weights.push(w);
    }
    Taps { start, weights }
}

/// Resizes `src` (`src_h`×`src_w`) into `dst` (`dst_h`×`dst_w`).
pub fn resize_bilinear(
    src: &[f32],
    src_h: usize,
    src_w: usize,
    dst: &mut [f32],
    dst_h: usize,
    dst_w: usize,
    scratch: &mut ResizeScratch,
) {
    resize_tiles(&[src], 1, src_h, src_w, dst, dst_h, dst_w, scratch);
}

/// Resizes the image made of `tiles` (row-major in a grid `grid_cols` wide, each
/// `tile_h`×`tile_w`, all present) into `dst` without assembling that image first.
/// Both passes are weighted sums of whole rows, which vectorise; the horizontal pass
/// runs on the transposed plane.
#[allow(clippy::too_many_arguments)]
pub fn resize_tiles(
    tiles: &[&[f32]],
    grid_cols: usize,
    tile_h: usize,
    tile_w: usize,
    dst: &mut [f32],
    dst_h: usize,
    dst_w: usize,
    scratch: &mut ResizeScratch,
) {
    let grid_rows = tiles.len() / grid_cols;
    let (src_h, src_w) = (grid_rows * tile_h, grid_cols * tile_w);
    if scratch.sizes != (src_h, src_w, dst_h, dst_w) {
        scratch.sizes = (src_h, src_w, dst_h, dst_w);
        scratch.vertical = taps(src_h, dst_h);
        scratch.horizontal = taps(src_w, dst_w);
        scratch.tall.resize(dst_h * src_w, 0.0);
        scratch.across.resize(src_w * dst_h, 0.0);
        scratch.narrow.resize(dst_w * dst_h, 0.0);
    }
    let ResizeScratch {
        tall,
        across,
        narrow,
        vertical,
        horizontal,
        ..
    } = scratch;
    for (o, (start, weights)) in vertical.start.iter().zip(&vertical.weights).enumerate() {
        let out = &mut tall[o * src_w..(o + 1) * src_w];
        out.fill(0.0);
        for (k, weight) in weights.iter().enumerate() {
            let (tile_row, y) = ((start + k) / tile_h, (start + k) % tile_h);
            for (segment, tile) in out
                .chunks_exact_mut(tile_w)
                .zip(&tiles[tile_row * grid_cols..])
            {
                accumulate(segment, *weight, &tile[y * tile_w..(y + 1) * tile_w]);
            }
        }
    }
    transpose(tall, dst_h, src_w, across);
    for (o, (start, weights)) in horizontal.start.iter().zip(&horizontal.weights).enumerate() {
        let out = &mut narrow[o * dst_h..(o + 1) * dst_h];
        out.fill(0.0);
        for (k, weight) in weights.iter().enumerate() {
            accumulate(
                out,
                *weight,
                &across[(start + k) * dst_h..(start + k + 1) * dst_h],
            );
        }
    }
    transpose(narrow, dst_w, dst_h, dst);
}

super::wide_simd! {
    /// `out += weight × row`.
    fn accumulate(out: &mut [f32], weight: f32, row: &[f32]) {
        for (v, x) in out.iter_mut().zip(row) {
            *v += weight * x;
        }
    }
}

/// Intermediate planes and filter taps of [`resize_bilinear`], kept between calls.
#[derive(Debug, Default)]
pub struct ResizeScratch {
    sizes: (usize, usize, usize, usize),
    vertical: Taps,
    horizontal: Taps,
    tall: Vec<f32>,
    across: Vec<f32>,
    narrow: Vec<f32>,
}

super::wide_simd! {
    /// `src` is `h`×`w`; `dst` becomes `w`×`h`. Eight source rows at a time, so every
    /// write is eight contiguous floats.
    fn transpose(src: &[f32], h: usize, w: usize, dst: &mut [f32]) {
        let full = h / 8 * 8;
        for y0 in (0..full).step_by(8) {
            let rows: [&[f32]; 8] = std::array::from_fn(|k| &src[(y0 + k) * w..(y0 + k + 1) * w]);
            for (x, out) in dst.chunks_exact_mut(h).enumerate() {
                let out = &mut out[y0..y0 + 8];
                for k in 0..8 {
                    out[k] = rows[k][x];
                }
            }
        }
        for y in full..h {
            for (x, v) in src[y * w..(y + 1) * w].iter().enumerate() {
                dst[x * h + y] = *v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_stays_constant() {
        let src = vec![0.7f32; 300 * 400];
        let mut dst = vec![0.0; 224 * 224];
        resize_bilinear(
            &src,
            300,
            400,
            &mut dst,
            224,
            224,
            &mut ResizeScratch::default(),
        );
        assert!(dst.iter().all(|v| (v - 0.7).abs() < 1e-6));
    }

    #[test]
    fn identity_size_is_a_copy() {
        let src: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut dst = vec![0.0; 12];
        resize_bilinear(&src, 3, 4, &mut dst, 3, 4, &mut ResizeScratch::default());
        assert_eq!(src, dst);
    }

    #[test]
    fn halving_averages_pairs() {
        // A ramp 0..8 shrunk to 4 keeps its mean and stays monotone.
        let src: Vec<f32> = (0..8).map(|v| v as f32).collect();
        let mut dst = vec![0.0; 4];
        resize_bilinear(&src, 1, 8, &mut dst, 1, 4, &mut ResizeScratch::default());
        assert!((dst.iter().sum::<f32>() / 4.0 - 3.5).abs() < 0.3, "{dst:?}");
        assert!(dst.windows(2).all(|w| w[1] > w[0]));
        assert!(
            (dst[1] - 2.5).abs() < 1e-5 && (dst[2] - 4.5).abs() < 1e-5,
            "{dst:?}"
        );
    }
}
