//! Following one lead's trace through its cell, column by column.
//!
//! In each pixel column the trace ink forms vertical runs; the lead's trace is the run that
//! continues the one taken in the previous column (a drawn line is connected), which keeps
//! the follower off labels and off a neighbouring row's trace that reaches into the band.
//! Short breaks (a faint print, a crease) are bridged by looking a little farther after them.

use super::grid::Pitch;
use super::ink::Ink;
use super::layout::{Cell, SheetLayout};
use super::Config;
use ecgmatch_formats::Lead;

/// Farthest (in mm) the trace may move between neighbouring columns without a connecting run.
const MAX_STEP_MM: f64 = 4.0;
/// After this many mm of columns without the trace, look farther for it.
const LOST_MM: f64 = 0.25;
/// Gaps in a column's trace ink up to this many mm are bridged.
const BRIDGED_MM: f64 = 0.3;
/// Longest stretch (in mm, 0.12 s) the trace may stay near a neighbouring row's baseline
/// (beyond `NEAR_NEIGHBOUR` of the way to it): only a QRS complex reaches that far, and
/// briefly. A follower there for longer has climbed a tall R wave onto the neighbouring row's
/// trace and is following that.
const MAX_OUTSIDE_MM: f64 = 3.0;
const NEAR_NEIGHBOUR: f64 = 0.75;
/// A peak or trough standing out this far (mm) from both neighbouring columns is a spike's tip.
const SPIKE_MM: f64 = 2.0;

/// One cell's trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Followed {
    pub lead: Lead,
    pub cell: Cell,
    /// First pixel column of `ys`.
    pub first_x: usize,
    /// Per pixel column: the trace's height (pixel row), where seen.
    pub ys: Vec<Option<f64>>,
    /// Indices into `ys` of the tips of spikes, ascending: peaks or troughs standing out from
    /// both neighbouring columns by at least `SPIKE_MM`, their runs not cut off by the band.
    pub spike_tips: Vec<usize>,
    pub baseline: f64,
    /// `[x0, y0, x1, y1]` of the cell.
    pub bounds: [f64; 4],
}

impl Followed {
    pub fn points(&self) -> Vec<(f64, f64)> {
        self.ys
            .iter()
            .enumerate()
            .filter_map(|(i, y)| y.map(|y| ((self.first_x + i) as f64, y)))
            .collect()
    }
}

pub fn follow_all(ink: &Ink, layout: &SheetLayout, pitch: Pitch, config: &Config) -> Vec<Followed> {
    layout
        .cells
        .iter()
        .filter_map(|cell| follow(ink, layout, cell, pitch, config))
        .collect()
}

fn follow(
    ink: &Ink,
    layout: &SheetLayout,
    cell: &Cell,
    pitch: Pitch,
    config: &Config,
) -> Option<Followed> {
    let row = layout.rows.get(cell.row)?;
    let x0 = layout
        .x_of(cell.samples.0, cell.row, pitch, config)
        .round()
        .max(0.0) as usize;
    let x1 = (layout
        .x_of(cell.samples.1.saturating_sub(1), cell.row, pitch, config)
        .round()
        .max(0.0) as usize)
        .min(ink.width - 1);
    if x1 < x0 {
        return None;
    }
    let (band_top, band_bottom) = (
        row.band.0.max(0.0) as usize,
        (row.band.1 as usize).min(ink.height - 1),
    );
    let mut runs_taken: Vec<Option<(usize, usize)>> = Vec::with_capacity(x1 - x0 + 1);
    // The run taken in the previous column (a point on the baseline at the start).
    let mut previous = (row.baseline, row.baseline);
    let mut lost = 0usize;
    let lost_after = (LOST_MM * pitch.x).ceil() as usize;
    let near_neighbours = row.band_share(NEAR_NEIGHBOUR);
    let max_outside = (MAX_OUTSIDE_MM * pitch.x).ceil() as usize;
    // Columns in a row, up to this one, whose run lies near a neighbouring row's baseline.
    let mut outside = 0usize;
    let bridged = ((BRIDGED_MM * pitch.y).round() as usize).max(1);
    for x in x0..=x1 {
        let lost_long = lost >= lost_after;
        let reach = (if lost_long {
            2.0 * MAX_STEP_MM
        } else {
            MAX_STEP_MM
        }) * pitch.y;
        // A blurred photo loses the thin return stroke of a deep S or a tall R, leaving the
        // follower at the stroke's tip while the trace runs on along the baseline; once lost,
        // the trace is also looked for around the row's baseline, where it spends most time.
        let from = |top, bottom| {
            let d = gap(previous, top, bottom);
            let d = if lost_long {
                d.min(gap((row.baseline, row.baseline), top, bottom))
            } else {
                d
            };
            // A run within the bridged gap of the last one touches it as much as one that
            // overlaps: a blurred R wave's tip breaks off its upstroke by a pixel or two,
            // while a speck beside the stroke's foot overlaps, and the longer must win.
            (d - bridged as f64).max(0.0)
        };
        // A drawn line's runs in neighbouring columns touch, so along a steep stroke several
        // may touch the last one: the longest is the stroke, the others specks beside it.
        let best = runs(ink, x, band_top, band_bottom, bridged)
            .into_iter()
            .map(|(top, bottom)| (from(top, bottom), (top, bottom)))
            .filter(|(d, _)| *d <= reach)
            .min_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then_with(|| (b.1 .1 - b.1 .0).cmp(&(a.1 .1 - a.1 .0)))
            });
        match best {
            Some((_, (top, bottom))) => {
                let centre = 0.5 * (top + bottom) as f64;
                outside = if centre < near_neighbours.0 || centre > near_neighbours.1 {
                    outside + 1
                } else {
                    0
                };
                if outside > max_outside {
                    // The whole excursion is the neighbour's (or starts this row's tall R,
                    // which the filling restores from the lead's other beats): drop it and
                    // look for the trace around the baseline again.
                    let kept = runs_taken.len() + 1 - outside;
                    runs_taken[kept..].fill(None);
                    runs_taken.push(None);
                    previous = (row.baseline, row.baseline);
                    lost = lost_after;
                    outside = 0;
                } else {
                    previous = (top as f64, bottom as f64);
                    runs_taken.push(Some((top, bottom)));
                    lost = 0;
                }
            }
            None => {
                runs_taken.push(None);
                lost += 1;
            }
        }
    }
    let (ys, extremes) = heights(&runs_taken);
    let spike_tips = spike_tips(
        &runs_taken,
        &ys,
        extremes,
        SPIKE_MM * pitch.y,
        (band_top, band_bottom),
    );
    Some(Followed {
        lead: cell.lead,
        cell: cell.clone(),
        first_x: x0,
        ys,
        spike_tips,
        baseline: row.baseline,
        bounds: {
            let (top, bottom) = row.own_band();
            [x0 as f64, top, x1 as f64, bottom]
        },
    })
}

/// Vertical runs of trace ink in column `x` between `top` and `bottom`, joined across gaps of
/// up to `bridged` pixels (a grid line or a JPEG block crossing a steep stroke).
fn runs(ink: &Ink, x: usize, top: usize, bottom: usize, bridged: usize) -> Vec<(usize, usize)> {
    let mut found: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    let close = |s: usize, e: usize, found: &mut Vec<(usize, usize)>| match found.last_mut() {
        Some(last) if s - last.1 - 1 <= bridged => last.1 = e,
        _ => found.push((s, e)),
    };
    for y in top..=bottom {
        match (ink.is_trace(x, y), start) {
            (true, None) => start = Some(y),
            (false, Some(s)) => {
                close(s, y - 1, &mut found);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        close(s, bottom, &mut found);
    }
    found
}

/// Pixels between the interval `(from_top, from_bottom)` and the run `top..=bottom` (0 where
/// they overlap or touch).
fn gap((from_top, from_bottom): (f64, f64), top: usize, bottom: usize) -> f64 {
    if from_bottom < top as f64 {
        top as f64 - from_bottom
    } else if from_top > bottom as f64 {
        from_top - bottom as f64
    } else {
        0.0
    }
}

/// The trace's height in each column: the run's centre, except at a peak or a trough, where
/// the run reaches past both neighbours' runs and the line's outer edge (less half its
/// thickness) is the signal's extreme. Also the columns read as such a peak or trough.
fn heights(runs: &[Option<(usize, usize)>]) -> (Vec<Option<f64>>, Vec<usize>) {
    let mut lengths: Vec<usize> = runs.iter().flatten().map(|(t, b)| b - t + 1).collect();
    lengths.sort_unstable();
    let thickness = lengths.get(lengths.len() / 2).copied().unwrap_or(1) as f64;
    let half = (thickness - 1.0) / 2.0;
    let mut extremes = Vec::new();
    let ys: Vec<Option<f64>> = (0..runs.len())
        .map(|i| {
            let (top, bottom) = runs[i]?;
            let before = if i > 0 { runs[i - 1] } else { None }.unwrap_or((top, bottom));
            let after = runs.get(i + 1).copied().flatten().unwrap_or((top, bottom));
            let (t, b) = (top as f64, bottom as f64);
            if b - t + 1.0 > thickness + 1.0 {
                let peak = top <= before.0 && top <= after.0 && (top < before.0 || top < after.0);
                let trough = bottom >= before.1
                    && bottom >= after.1
                    && (bottom > before.1 || bottom > after.1);
                if peak && !trough {
                    extremes.push(i);
                    return Some(t + half);
                }
                if trough && !peak {
                    extremes.push(i);
                    return Some(b - half);
                }
            }
            // On a steep stroke the column sees the line over the stroke's width, so the run's
            // centre leans toward the steeper side at a corner. The neighbours' runs overlap
            // only around this column's own height: take the overlap's centre.
            if b - t + 1.0 > thickness + 1.0 {
                if let (Some(l), Some(r)) = (
                    if i > 0 { runs[i - 1] } else { None },
                    runs.get(i + 1).copied().flatten(),
                ) {
                    let (lo, hi) = (
                        l.0.max(r.0).max(top) as f64,
                        l.1.min(r.1).min(bottom) as f64,
                    );
                    if lo <= hi {
                        return Some((lo + hi) / 2.0);
                    }
                }
            }
            Some((t + b) / 2.0)
        })
        .collect();
    (ys, extremes)
}

/// Of the peaks and troughs `extremes` (indices into `ys` and `runs`), the tips of spikes: those
/// standing `spike` pixels or more out from both neighbouring columns, whose runs lie within
/// the band's pixel rows `band`.
fn spike_tips(
    runs: &[Option<(usize, usize)>],
    ys: &[Option<f64>],
    mut extremes: Vec<usize>,
    spike: f64,
    (band_top, band_bottom): (usize, usize),
) -> Vec<usize> {
    extremes.retain(|&i| {
        let (Some(y), Some(Some(before)), Some(Some(after))) = (
            ys[i],
            i.checked_sub(1).map(|j| ys[j]),
            ys.get(i + 1).copied(),
        ) else {
            return false;
        };
        // A small peak is as likely a blot on a blurred line as the signal's extreme, and a
        // run cut off by the band's edge ends there, not at the stroke's tip.
        (y - before).abs().min((y - after).abs()) >= spike
            && runs[i].is_some_and(|(top, bottom)| top > band_top && bottom < band_bottom)
    });
    extremes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digitize::layout::Row;
    use crate::digitize::ruler::Ruler;

    /// A trace along y = 150 with a deep S wave at x = 100 whose return stroke the picture
    /// lost (as blur loses a thin steep stroke): the stroke ends 17.5 mm below the baseline.
    fn ink_with_a_lost_return_stroke() -> Ink {
        let (width, height) = (400, 300);
        let mut trace = vec![false; width * height];
        let mut set = |x: usize, y: usize| trace[y * width + x] = true;
        for x in (0..100).chain(110..width) {
            set(x, 150);
        }
        for y in 150..=290 {
            set(100, y);
            set(101, y);
        }
        Ink::of_trace(width, height, trace)
    }

    fn one_row_layout() -> SheetLayout {
        SheetLayout {
            name: "test".into(),
            rows: vec![Row {
                baseline: 150.0,
                band: (10.0, 295.0),
            }],
            cells: vec![Cell {
                lead: Lead::V1,
                row: 0,
                samples: (0, 200),
            }],
            rulers: vec![Ruler::uniform()],
            x_start: 0.0,
            grid_rows: 1,
            usual_strip_leads: false,
        }
    }

    const PITCH: Pitch = Pitch { x: 8.0, y: 8.0 };

    #[test]
    fn the_trace_is_found_again_along_the_baseline_after_a_lost_stroke() {
        let ink = ink_with_a_lost_return_stroke();
        let followed = follow_all(&ink, &one_row_layout(), PITCH, &Config::default());
        let at = |x: usize| followed[0].ys[x - followed[0].first_x];
        assert_eq!(at(50), Some(150.0));
        assert!(
            at(105).is_none(),
            "nothing is drawn where the stroke was lost"
        );
        for x in [120, 250, 390] {
            assert_eq!(at(x), Some(150.0), "column {x}");
        }
    }

    /// A narrow QRS drawn 2 px thick: from the baseline (y = 150) up to R (y = 60) over four
    /// columns, down to S (y = `s`) over four, back over three; a horizontal grid line left a
    /// 2 px gap across every stroke at y = 140.
    fn ink_with_a_crossed_qrs_down_to(s: usize) -> Ink {
        let (width, height) = (300, 300);
        let mut trace = vec![false; width * height];
        let corners = [
            (0, 150),
            (100, 150),
            (104, 60),
            (108, s),
            (111, 150),
            (299, 150),
        ];
        for pair in corners.windows(2) {
            let ((xa, ya), (xb, yb)) = (pair[0], pair[1]);
            let steps = (xb - xa).max((yb as i64 - ya as i64).unsigned_abs() as usize) * 2;
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                let x = (xa as f64 + t * (xb - xa) as f64).round() as usize;
                let y = (ya as f64 + t * (yb as f64 - ya as f64)).round() as usize;
                trace[y * width + x] = true;
                trace[(y + 1) * width + x] = true;
            }
        }
        for x in 0..width {
            trace[140 * width + x] = false;
            trace[141 * width + x] = false;
        }
        Ink::of_trace(width, height, trace)
    }

    #[test]
    fn an_r_wave_tip_broken_off_its_upstroke_is_followed_past_a_speck() {
        // Column by column, as the follower met record 00167's V4 under phone-hard's shadow:
        // the upstroke's foot, then the rest of the stroke 2 px above it beside a speck that
        // overlaps the foot, then the tip, the downstroke and the baseline.
        let (width, height) = (300, 300);
        let mut trace = vec![false; width * height];
        let columns: [(usize, &[(usize, usize)]); 4] = [
            (100, &[(120, 151)]),
            (101, &[(60, 118), (122, 123)]),
            (102, &[(58, 70)]),
            (103, &[(72, 151)]),
        ];
        for x in (0..100).chain(104..width) {
            trace[150 * width + x] = true;
        }
        for (x, runs) in columns {
            for &(top, bottom) in runs {
                (top..=bottom).for_each(|y| trace[y * width + x] = true);
            }
        }
        let ink = Ink::of_trace(width, height, trace);
        let followed = follow_all(&ink, &one_row_layout(), PITCH, &Config::default());
        let r = followed[0].ys[100..=103]
            .iter()
            .flatten()
            .fold(f64::MAX, |lo, y| lo.min(*y));
        assert!(
            r < 65.0,
            "R reached {r} (drawn at 58): {:?}",
            &followed[0].ys[100..=103]
        );
    }

    #[test]
    fn a_tall_r_wave_that_reaches_the_row_above_does_not_take_the_follower_along_its_trace() {
        // As in record 00299's V3 (phone-hard): the R wave climbs from the baseline (y = 150)
        // to the row above, whose trace runs along y = 40; the blurred downstroke is lost, and
        // the row's own trace goes on along its baseline from x = 110.
        let (width, height) = (300, 300);
        let mut trace = vec![false; width * height];
        for x in 0..width {
            trace[40 * width + x] = true;
            if !(101..110).contains(&x) {
                trace[150 * width + x] = true;
            }
        }
        (40..=150).for_each(|y| trace[y * width + 100] = true);
        let ink = Ink::of_trace(width, height, trace);
        let followed = follow_all(&ink, &one_row_layout(), PITCH, &Config::default());
        let ys = &followed[0].ys;
        assert!(
            ys[101..=110].iter().all(Option::is_none),
            "the stretch along the row above is dropped: {:?}",
            &ys[101..=110]
        );
        for x in [150, 250] {
            assert_eq!(ys[x], Some(150.0), "back on the own trace at column {x}");
        }
    }

    #[test]
    fn only_peaks_standing_out_by_the_spike_height_are_spike_tips() {
        // A 3 px line along y = 150 with a blot 4 px high at column 10 and an R wave at 20
        // whose tip (y = 60) stands 30 px above its neighbouring columns.
        let mut runs = vec![Some((149, 151)); 40];
        runs[10] = Some((146, 151));
        runs[19] = Some((90, 151));
        runs[20] = Some((60, 120));
        runs[21] = Some((90, 151));
        let (ys, extremes) = heights(&runs);
        let tips = spike_tips(&runs, &ys, extremes, 16.0, (0, 299));
        assert_eq!(tips, vec![20]);
        assert_eq!(
            ys[20],
            Some(61.0),
            "the tip's outer edge less half the line"
        );
    }

    #[test]
    fn a_stroke_cut_off_by_the_band_has_no_tip() {
        let tips = |s: usize| {
            let ink = ink_with_a_crossed_qrs_down_to(s);
            let followed = follow_all(&ink, &one_row_layout(), PITCH, &Config::default());
            let first_x = followed[0].first_x;
            followed[0]
                .spike_tips
                .iter()
                .map(|i| i + first_x)
                .collect::<Vec<_>>()
        };
        assert_eq!(tips(230), vec![104, 108], "the R's tip and the S's");
        assert_eq!(
            tips(297),
            vec![104],
            "the S runs past the band's bottom (295)"
        );
    }

    #[test]
    fn a_narrow_qrs_crossed_by_a_grid_line_keeps_its_r_and_its_s() {
        let ink = ink_with_a_crossed_qrs_down_to(230);
        let followed = follow_all(&ink, &one_row_layout(), PITCH, &Config::default());
        let qrs: Vec<f64> = followed[0].ys[100..=111]
            .iter()
            .flatten()
            .copied()
            .collect();
        let (r, s) = qrs
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(*y), hi.max(*y)));
        assert!(r < 65.0, "R reached {r} (drawn at 60): {qrs:?}");
        assert!(s > 225.0, "S reached {s} (drawn at 230): {qrs:?}");
        assert_eq!(followed[0].ys[200], Some(150.5), "back on the baseline");
    }
}
