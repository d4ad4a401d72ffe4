//! Piecewise Aggregate Approximation, as pyts's `PiecewiseAggregateApproximation`
//! and its `segmentation` helper define it.
//!
//! Segment bounds are computed the way numpy's `linspace(...).astype(int64)` does
//! (`i as f64 * step`, truncated, last bound forced to the stop value), because a
//! bound that lands one sample off changes every mean after it.

use crate::{Error, Result};

/// pyts's `PiecewiseAggregateApproximation(window_size, output_size, overlapping)`.
///
/// Exactly one of `window_size` and `output_size` is used: `window_size` when it is
/// `Some`, as in pyts (set it to `None` to size the output instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Samples per window; `Some(1)` leaves the series as it is.
    pub window_size: Option<usize>,
    /// Number of output values, used only when `window_size` is `None`.
    pub output_size: Option<usize>,
    /// Fixed-size windows that may overlap (true) or varying-size windows that tile
    /// the series (false).
    pub overlapping: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            window_size: Some(1),
            output_size: None,
            overlapping: true,
        }
    }
}

impl Config {
    /// The configuration pyts's image encoders use internally: reduce to `output_size` values.
    pub fn to_size(output_size: usize, overlapping: bool) -> Self {
        Self {
            window_size: None,
            output_size: Some(output_size),
            overlapping,
        }
    }
}

/// The windows of pyts's `segmentation(ts_size, window_size, overlapping, n_segments)`.
///
/// Holds only the arithmetic, so bounds are computed on demand without allocating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segmentation {
    ts_size: usize,
    window_size: usize,
    n_segments: usize,
    overlapping: bool,
    /// numpy's linspace step for the bounds (non-overlapping) or the overlaps (overlapping).
    step: f64,
    /// The value linspace forces as its last element.
    stop: i64,
}

impl Segmentation {
    /// Validates as pyts does, except that `n_segments == 1` and `ts_size == 1` are
    /// accepted (pyts raises; here they give one window over the whole series).
    pub fn new(
        ts_size: usize,
        window_size: usize,
        overlapping: bool,
        n_segments: Option<usize>,
    ) -> Result<Self> {
        if ts_size == 0 {
            return Err(Error::InvalidParameter(
                "segmentation: the series is empty".into(),
            ));
        }
        if window_size == 0 || window_size > ts_size {
            return Err(Error::InvalidParameter(format!(
                "segmentation: window_size must be between 1 and the series length {ts_size} (got {window_size})"
            )));
        }
        let n_segments = match n_segments {
            Some(n) if n == 0 || n > ts_size => {
                return Err(Error::InvalidParameter(format!(
                    "segmentation: n_segments must be between 1 and the series length {ts_size} (got {n})"
                )))
            }
            Some(n) => n,
            None => ts_size.div_ceil(window_size),
        };
        let (step, stop) = if overlapping {
            // May be negative when a caller passes n_segments * window_size < ts_size;
            // pyts accepts that (windows then leave gaps) and so does this.
            let n_overlapping = (n_segments * window_size) as i64 - ts_size as i64;
            (
                linspace_step(n_overlapping as f64, n_segments - 1),
                n_overlapping,
            )
        } else {
            (linspace_step(ts_size as f64, n_segments), ts_size as i64)
        };
        Ok(Self {
            ts_size,
            window_size,
            n_segments,
            overlapping,
            step,
            stop,
        })
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.n_segments
    }

    pub fn is_empty(&self) -> bool {
        self.n_segments == 0
    }

    pub fn window_size(&self) -> usize {
        self.window_size
    }

    /// `(start, end)` of window `i`, end exclusive; always within `0..=ts_size`.
    #[inline]
    pub fn bounds(&self, i: usize) -> (usize, usize) {
        let (start, end) = if self.overlapping {
            let overlap = self.linspace_at(i, self.n_segments);
            let start = (i * self.window_size) as i64 - overlap;
            (start, start + self.window_size as i64)
        } else {
            (
                self.linspace_at(i, self.n_segments + 1),
                self.linspace_at(i + 1, self.n_segments + 1),
            )
        };
        let n = self.ts_size as i64;
        (start.clamp(0, n) as usize, end.clamp(0, n) as usize)
    }

    /// All windows in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        // Without overlap each window starts where the previous one ended: carry the
        // bound instead of computing every one twice.
        let mut next_start = 0;
        (0..self.n_segments).map(move |i| {
            if self.overlapping {
                self.bounds(i)
            } else {
                let start = next_start;
                let end = (self
                    .linspace_at(i + 1, self.n_segments + 1)
                    .clamp(0, self.ts_size as i64)) as usize;
                next_start = end;
                (start.min(end), end)
            }
        })
    }

    /// Element `i` of `linspace(0, stop, num).astype(int64)`.
    #[inline]
    fn linspace_at(&self, i: usize, num: usize) -> i64 {
        if num > 1 && i == num - 1 {
            self.stop
        } else {
            // `as` truncates toward zero like numpy's astype(int64).
            (i as f64 * self.step) as i64
        }
    }
}

/// numpy's step for `linspace(0, delta, num)`; only used when `num > 1`, and zero
/// otherwise because then only element 0 (always 0) is ever read.
fn linspace_step(delta: f64, divisions: usize) -> f64 {
    if divisions == 0 {
        0.0
    } else {
        delta / divisions as f64
    }
}

/// The segmentation pyts's PAA uses for a series of length `n`, or `None` when it
/// returns the series unchanged (a window of one sample).
pub fn segmentation(n: usize, config: &Config) -> Result<Option<Segmentation>> {
    if n == 0 {
        return Err(Error::InvalidParameter("PAA: the series is empty".into()));
    }
    let (window_size, n_segments) = match (config.window_size, config.output_size) {
        (Some(w), _) => {
            if w == 0 || w > n {
                return Err(Error::InvalidParameter(format!(
                    "PAA: window_size must be between 1 and the series length {n} (got {w})"
                )));
            }
            (w, None)
        }
        (None, Some(s)) => {
            if s == 0 || s > n {
                return Err(Error::InvalidParameter(format!(
                    "PAA: output_size must be between 1 and the series length {n} (got {s})"
                )));
            }
            (n.div_ceil(s), Some(s))
        }
        (None, None) => {
            return Err(Error::InvalidParameter(
                "PAA: window_size and output_size cannot both be None".into(),
            ))
        }
    };
    if window_size == 1 {
        return Ok(None);
    }
    Segmentation::new(n, window_size, config.overlapping, n_segments).map(Some)
}

/// Length of the PAA of a series of length `n`.
pub fn output_len(n: usize, config: &Config) -> Result<usize> {
    Ok(segmentation(n, config)?.map_or(n, |s| s.len()))
}

/// PAA of `x` into `out`, whose length must be [`output_len`].
pub fn paa(x: &[f32], config: &Config, out: &mut [f32]) -> Result<()> {
    let seg = segmentation(x.len(), config)?;
    let len = seg.as_ref().map_or(x.len(), |s| s.len());
    if out.len() != len {
        return Err(Error::InvalidParameter(format!(
            "PAA: the output holds {} values, {len} are needed",
            out.len()
        )));
    }
    match seg {
        None => out.copy_from_slice(x),
        Some(seg) => {
            for (o, (start, end)) in out.iter_mut().zip(seg.iter()) {
                *o = mean(&x[start..end]) as f32;
            }
        }
    }
    Ok(())
}

/// PAA in f64 for the encoders that scale the result: the sums of f32 samples are
/// exact in f64 for any realistic window, so the means equal numpy's bit for bit.
pub(crate) fn paa_f64(x: &[f32], seg: Option<&Segmentation>, out: &mut [f64]) {
    match seg {
        None => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = v as f64;
            }
        }
        Some(seg) => {
            for (o, (start, end)) in out.iter_mut().zip(seg.iter()) {
                *o = mean(&x[start..end]);
            }
        }
    }
}

/// Mean in f64. A sum of f32 samples is exact in f64 unless the samples span more
/// than ~2^29 in magnitude, so the order of the additions (numpy sums pairwise) does
/// not matter: four independent lanes keep the adder busy.
#[inline]
fn mean(x: &[f32]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let chunks = x.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += v as f64;
        }
    }
    let mut sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for &v in rest {
        sum += v as f64;
    }
    sum / x.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(n: usize, w: usize, overlapping: bool, s: Option<usize>) -> Vec<(usize, usize)> {
        Segmentation::new(n, w, overlapping, s)
            .unwrap()
            .iter()
            .collect()
    }

    #[test]
    fn segmentation_matches_pyts_docstring() {
        assert_eq!(
            bounds(12, 3, false, None),
            vec![(0, 3), (3, 6), (6, 9), (9, 12)]
        );
    }

    #[test]
    fn segmentation_by_hand() {
        // linspace(0, 10, 4) = [0, 3.33, 6.67, 10] -> [0, 3, 6, 10]
        assert_eq!(bounds(10, 4, false, Some(3)), vec![(0, 3), (3, 6), (6, 10)]);
        // 3 windows of 4 over 10 samples overlap by 2 in total: overlaps [0, 1, 2]
        assert_eq!(bounds(10, 4, true, Some(3)), vec![(0, 4), (3, 7), (6, 10)]);
        // One window is the whole series either way.
        assert_eq!(bounds(7, 7, true, Some(1)), vec![(0, 7)]);
        assert_eq!(bounds(7, 7, false, Some(1)), vec![(0, 7)]);
    }

    #[test]
    fn paa_matches_pyts_docstring() {
        let x = [0.0, 4.0, 2.0, 1.0, 7.0, 6.0, 3.0, 5.0];
        let cfg = Config {
            window_size: Some(2),
            ..Config::default()
        };
        let mut out = [0.0; 4];
        paa(&x, &cfg, &mut out).unwrap();
        assert_eq!(out, [2.0, 1.5, 6.5, 4.0]);
    }

    #[test]
    fn window_one_passes_through() {
        let x = [1.0, -2.0, 3.5];
        let mut out = [0.0; 3];
        paa(&x, &Config::default(), &mut out).unwrap();
        assert_eq!(out, x);
        paa(&x, &Config::to_size(3, false), &mut out).unwrap();
        assert_eq!(out, x);
    }

    #[test]
    fn rejects_bad_sizes() {
        let x = [1.0; 5];
        let mut out = [0.0; 5];
        assert!(paa(&x, &Config::to_size(0, false), &mut out).is_err());
        assert!(paa(&x, &Config::to_size(6, false), &mut out).is_err());
        assert!(paa(
            &x,
            &Config {
                window_size: Some(0),
                ..Config::default()
            },
            &mut out
        )
        .is_err());
        assert!(
            paa(&x, &Config::to_size(2, false), &mut out).is_err(),
            "wrong output length"
        );
        assert!(paa(&[], &Config::default(), &mut []).is_err());
    }
}
