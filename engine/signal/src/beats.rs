//! Beat windows around R peaks.

/// The samples from `r - before` to `r + after` (exclusive), if they all exist.
pub fn beat_window(x: &[f32], r: usize, before: usize, after: usize) -> Option<&[f32]> {
    let start = r.checked_sub(before)?;
    x.get(start..r.checked_add(after)?)
}

/// The R peak whose full window fits and lies nearest the middle of the recording:
/// the middle avoids the filter's edge transients at both ends.
pub fn central_beat(peaks: &[usize], len: usize, before: usize, after: usize) -> Option<usize> {
    peaks
        .iter()
        .copied()
        .filter(|&r| r >= before && r + after <= len)
        .min_by_key(|&r| r.abs_diff(len / 2))
}

/// The sample-wise median of every complete window around `peaks`: one beat with the
/// record's typical shape, where a single beat carries its noise and any ectopic beat's
/// form. `None` without a complete window.
pub fn median_beat(x: &[f32], peaks: &[usize], before: usize, after: usize) -> Option<Vec<f32>> {
    let windows: Vec<&[f32]> = peaks
        .iter()
        .filter_map(|&r| beat_window(x, r, before, after))
        .collect();
    let first = windows.first()?;
    let mut column = Vec::with_capacity(windows.len());
    Some(
        (0..first.len())
            .map(|i| {
                column.clear();
                column.extend(windows.iter().map(|w| w[i]));
                column.sort_unstable_by(f32::total_cmp);
                let m = column.len() / 2;
                if column.len() % 2 == 1 {
                    column[m]
                } else {
                    0.5 * (column[m - 1] + column[m])
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_bounds_are_exact() {
        let x: Vec<f32> = (0..200).map(|i| i as f32).collect();
        let w = beat_window(&x, 50, 35, 65).unwrap();
        assert_eq!(w.len(), 100);
        assert_eq!(w[0], 15.0);
        assert_eq!(w[35], 50.0);
        assert_eq!(w[99], 114.0);
        assert!(beat_window(&x, 20, 35, 65).is_none());
        assert!(beat_window(&x, 150, 35, 65).is_none());
    }

    #[test]
    fn picks_the_central_complete_beat() {
        assert_eq!(
            central_beat(&[10, 300, 480, 700, 990], 1000, 35, 65),
            Some(480)
        );
        assert_eq!(central_beat(&[10, 990], 1000, 35, 65), None);
        assert_eq!(central_beat(&[], 1000, 35, 65), None);
    }

    #[test]
    fn the_median_beat_ignores_one_odd_beat() {
        // Three beats of the same shape and one inverted: the median keeps the shape.
        let shape: Vec<f32> = (0..10).map(|i| (i as f32 - 5.0).abs()).collect();
        let mut x = Vec::new();
        for k in 0..4 {
            let sign = if k == 2 { -1.0 } else { 1.0 };
            x.extend(shape.iter().map(|v| sign * v));
        }
        let peaks = [5, 15, 25, 35];
        assert_eq!(median_beat(&x, &peaks, 5, 5).unwrap(), shape);
        // Windows that do not fit are skipped, not padded.
        assert_eq!(median_beat(&x, &[2, 38], 5, 5), None);
        assert_eq!(median_beat(&x, &[2, 15], 5, 5).unwrap(), shape);
    }
}
