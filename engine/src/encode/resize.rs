//! Antialiased bilinear resizing of one f32 plane (a triangle filter widened by the
//! scale factor when shrinking, as Pillow's BILINEAR does), with precomputed weights.

/// Per output coordinate: the first input index and its weights.
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

/// Resizes `src` (`src_h`×`src_w`) into `dst` (`dst_h`×`dst_w`), rows then columns.
pub fn resize_bilinear(src: &[f32], src_h: usize, src_w: usize, dst: &mut [f32], dst_h: usize, dst_w: usize) {
    let horizontal = taps(src_w, dst_w);
    let vertical = taps(src_h, dst_h);
    let mut rows = vec![0.0f32; src_h * dst_w];
    for y in 0..src_h {
        let line = &src[y * src_w..(y + 1) * src_w];
        for (x, (s, w)) in horizontal.start.iter().zip(&horizontal.weights).enumerate() {
            rows[y * dst_w + x] = w.iter().zip(&line[*s..]).map(|(a, b)| a * b).sum();
        }
    }
    for (y, (s, w)) in vertical.start.iter().zip(&vertical.weights).enumerate() {
        let out = &mut dst[y * dst_w..(y + 1) * dst_w];
        out.fill(0.0);
        for (k, weight) in w.iter().enumerate() {
            let line = &rows[(s + k) * dst_w..(s + k + 1) * dst_w];
            for (o, v) in out.iter_mut().zip(line) {
                *o += weight * v;
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
        resize_bilinear(&src, 300, 400, &mut dst, 224, 224);
        assert!(dst.iter().all(|v| (v - 0.7).abs() < 1e-6));
    }

    #[test]
    fn identity_size_is_a_copy() {
        let src: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut dst = vec![0.0; 12];
        resize_bilinear(&src, 3, 4, &mut dst, 3, 4);
        assert_eq!(src, dst);
    }

    #[test]
    fn halving_averages_pairs() {
        // A ramp 0..8 shrunk to 4 keeps its mean and stays monotone.
        let src: Vec<f32> = (0..8).map(|v| v as f32).collect();
        let mut dst = vec![0.0; 4];
        resize_bilinear(&src, 1, 8, &mut dst, 1, 4);
        assert!((dst.iter().sum::<f32>() / 4.0 - 3.5).abs() < 0.3, "{dst:?}");
        assert!(dst.windows(2).all(|w| w[1] > w[0]));
        assert!((dst[1] - 2.5).abs() < 1e-5 && (dst[2] - 4.5).abs() < 1e-5, "{dst:?}");
    }
}
