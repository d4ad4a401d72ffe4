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
}
