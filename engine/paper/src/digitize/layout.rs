//! Where the leads are: the rows of traces, their baselines, the calibration pulse, where the
//! 10 s begin on the paper, and which lead each stretch of each row shows.
//!
//! A trace's baseline is the horizontal line most of its ink lies on, so rows show as peaks in
//! the count of trace pixels per pixel row. A row of text has ink too, but with gaps: a trace
//! row has ink in nearly every column.

use super::grid::{box_smooth, Pitch};
use super::ink::Ink;
use super::ruler::{self, Ruler};
use super::{Config, ACCEPTED};
use crate::render::PrintLayout;
use crate::Bitmap;
use crate::{Error, Result};
use ecgmatch_formats::Lead;

/// Rows closer than this (in mm) are one row.
const MIN_ROW_GAP_MM: f64 = 12.0;
/// A row's count of trace pixels, against the strongest row's, below which it is not a trace.
const MIN_ROW_STRENGTH: f64 = 0.2;
/// A trace row has ink near its baseline in at least this fraction of the columns the best
/// row covers.
const MIN_COVERAGE: f64 = 0.5;
/// A trace row has ink near its baseline across at least this fraction of the picture's width
/// (calibration pulses and labels alone do not make rows).
const MIN_ABSOLUTE_COVERAGE: f64 = 0.25;
/// Half the width of a printed trace, in mm (carts print 0.2–0.3 mm): the ink reaches this
/// far beyond the first and last samples' centres.
const TRACE_HALF_WIDTH_MM: f64 = 0.1;
/// Brightness levels between a trace and the paper below which a trace's end is too faint to
/// measure to a fraction of a pixel (the last inked column is taken instead).
const MIN_END_CONTRAST: f64 = 20.0;
/// A calibration pulse is looked for within this many mm of either end of a row's ink, and
/// its outer side lies within `PULSE_EDGE_MM` of that end.
const PULSE_SEARCH_MM: f64 = 12.0;
const PULSE_EDGE_MM: f64 = 3.0;
/// Breaks in a pulse's top up to this many mm are bridged.
const PULSE_GAP_MM: f64 = 0.5;
/// Largest share of the area under a pulse's top that ink may cover.
const MAX_PULSE_FILL: f64 = 0.1;
/// A pulse's top line, blurred, is at most this thick (in mm).
const PULSE_LINE_MM: f64 = 0.75;
/// A calibration pulse is at least this high, in mm (1 mV at 5 mm/mV).
const MIN_PULSE_MM: f64 = 4.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub baseline: f64,
    /// Pixel rows the trace is looked for in.
    pub band: (f64, f64),
}

impl Row {
    /// The row's own share of the picture: half-way to the neighbouring rows (the trace may
    /// end far from its baseline, but beyond half-way lies the next row's trace).
    pub fn own_band(&self) -> (f64, f64) {
        self.band_share(0.5)
    }

    /// The pixel rows `share` of the way from the baseline to either edge of the band (the
    /// neighbouring rows' baselines, where there are neighbours).
    pub fn band_share(&self, share: f64) -> (f64, f64) {
        (
            self.baseline - share * (self.baseline - self.band.0),
            self.baseline + share * (self.band.1 - self.baseline),
        )
    }

    /// [`Row::own_band`] as pixel rows of a picture `height` high.
    fn own_pixel_rows(&self, height: usize) -> (usize, usize) {
        let (top, bottom) = self.own_band();
        (top.max(0.0) as usize, (bottom as usize).min(height - 1))
    }
}

/// One stretch of one row showing one lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub lead: Lead,
    pub row: usize,
    /// Samples of the record it shows, `start..end`.
    pub samples: (usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SheetLayout {
    pub name: String,
    pub rows: Vec<Row>,
    pub cells: Vec<Cell>,
    /// Where the grid's millimetres lie along each row.
    pub rulers: Vec<Ruler>,
    /// Grid coordinate (see [`Ruler`]) of the record's time 0.
    pub x_start: f64,
    /// Rows of the grid of leads; the rows below it are rhythm strips, whose cells carry a
    /// provisional lead until `strips::identify` finds the lead each repeats.
    pub grid_rows: usize,
    /// Whether the strips' provisional leads are the usual ones for their number (II alone;
    /// V1, II, V5), to keep where the grid does not tell; otherwise they are placeholders.
    pub usual_strip_leads: bool,
}

impl SheetLayout {
    /// The same rows read as the layout `kind` instead: only the cells the rows hold change.
    pub fn arranged_as(&self, kind: PrintLayout, config: &Config) -> Result<SheetLayout> {
        arrange(
            self.rows.clone(),
            self.rulers.clone(),
            self.x_start,
            kind,
            config,
        )
    }

    /// Pixel column, in row `row`, of sample `index` at the configured paper speed.
    pub fn x_of(&self, index: usize, row: usize, pitch: Pitch, config: &Config) -> f64 {
        let grid = self.x_start + index as f64 / config.sampling_rate * config.mm_per_s * pitch.x;
        self.rulers.get(row).map_or(grid, |r| r.to_pixel(grid))
    }
}

pub fn find(
    picture: &Bitmap,
    ink: &Ink,
    pitch: Pitch,
    config: &Config,
    warnings: &mut Vec<String>,
) -> Result<SheetLayout> {
    let baselines = find_baselines(ink, pitch);
    if baselines.len() < 3 {
        return Err(Error::NoTraces(format!(
            "no ECG traces found: {} row(s) of trace found on the grid, a 12-lead printout has at least 3; {ACCEPTED}",
            baselines.len()
        )));
    }
    let spacing = median(
        &baselines
            .windows(2)
            .map(|w| w[1] - w[0])
            .collect::<Vec<_>>(),
    );
    let rows: Vec<Row> = baselines
        .iter()
        .map(|&baseline| Row {
            baseline,
            band: (
                (baseline - spacing).max(0.0),
                (baseline + spacing).min(ink.height as f64 - 1.0),
            ),
        })
        .collect();

    let bands: Vec<(f64, f64)> = rows.iter().map(|r| r.band).collect();
    let rulers = ruler::measure(ink, &bands, pitch);

    // Where each row's trace begins (after a calibration pulse) and ends, in grid
    // coordinates: the centres of its first and last samples.
    let half_stroke = TRACE_HALF_WIDTH_MM * pitch.x;
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut pulses = Vec::new();
    let mut pulses_before = 0;
    let (reach, edge) = (PULSE_SEARCH_MM * pitch.x, PULSE_EDGE_MM * pitch.x);
    for (row, ruler) in rows.iter().zip(&rulers) {
        let Some((left, right)) = ink_extent(ink, row, pitch) else {
            continue;
        };
        // Carts print the pulse before the traces, some after them (then the row's ink ends
        // in the pulse, not the trace).
        let pulse = find_pulse(
            ink,
            row.baseline,
            (left as usize, (left + reach) as usize),
            pitch,
            config,
        )
        .filter(|p| p.rise_x <= left + edge);
        let pulse_after = find_pulse(
            ink,
            row.baseline,
            ((right - reach).max(0.0) as usize, right as usize),
            pitch,
            config,
        )
        .filter(|p| p.end_x >= right - edge);
        pulses.extend(pulse.into_iter().chain(pulse_after));
        let ink_end = |last: f64, step: i64| fading_end(picture, ink, row, last, step, pitch);
        let start = pulse.map_or_else(
            || ink_end(left, -1).map_or(left, |x| x + half_stroke),
            |p| p.end_x + half_stroke,
        );
        starts.push(ruler.to_grid(start));
        if pulse_after.is_none() {
            ends.push(ruler.to_grid(ink_end(right, 1).map_or(right, |x| x - half_stroke)));
        }
        pulses_before += usize::from(pulse.is_some());
    }
    if starts.is_empty() {
        return Err(Error::NoTraces(format!(
            "no ECG traces found on the grid; {ACCEPTED}"
        )));
    }
    let full_width =
        (config.duration_s * config.mm_per_s - config.mm_per_s / config.sampling_rate) * pitch.x;
    let from_starts = median(&starts);
    let x_start = if pulses_before == 0 || ends.is_empty() {
        from_starts
    } else {
        // After a pulse the trace may go on without a break, so its start does not show: count
        // back from the end of the 10 s instead, but never into the pulse.
        median(&ends.iter().map(|e| e - full_width).collect::<Vec<_>>()).max(from_starts)
    };
    if !pulses.is_empty() {
        let height = median(&pulses.iter().map(|p| p.height_mm).collect::<Vec<_>>());
        if (height - config.mm_per_mv).abs() > 0.15 * config.mm_per_mv {
            warnings.push(format!(
                "the calibration pulse is {height:.1} mm high, not {:.0} mm: the printout may use another gain than the {:.0} mm/mV assumed",
                config.mm_per_mv, config.mm_per_mv
            ));
        }
    }

    // Twelve rows can only be one lead each; fewer are read as 3×4 with rhythm strips below,
    // unless the person chose the layout.
    let kind = config.layout.unwrap_or(if rows.len() >= 12 {
        PrintLayout::TwelveByOne
    } else {
        PrintLayout::ThreeByFour
    });
    arrange(rows, rulers, x_start, kind, config)
}

/// The rows found, with the cells of the layout `kind`: its grid of leads, and rhythm strips
/// in the rows below it.
fn arrange(
    rows: Vec<Row>,
    rulers: Vec<Ruler>,
    x_start: f64,
    kind: PrintLayout,
    config: &Config,
) -> Result<SheetLayout> {
    let total = (config.duration_s * config.sampling_rate).round() as usize;
    let grid_rows = kind.grid_rows();
    if rows.len() < grid_rows {
        return Err(Error::LayoutMismatch(format!(
            "{} rows of trace found, but a {} printout has {grid_rows}; choose the layout the printout has; {ACCEPTED}",
            rows.len(),
            kind.name()
        )));
    }
    let at = |seconds: f64| ((seconds * config.sampling_rate).round() as usize).min(total);
    let mut cells: Vec<Cell> = kind
        .cells(config.column_s)
        .into_iter()
        .filter(|&(_, row, ..)| row < grid_rows)
        .map(|(lead, row, _, start_s, seconds)| Cell {
            lead,
            row,
            samples: (at(start_s), at(start_s + seconds)),
        })
        .collect();
    let rhythm_rows = rows.len() - grid_rows;
    let name = if rhythm_rows == 0 {
        kind.name().to_string()
    } else {
        format!("{}+{rhythm_rows}", kind.name())
    };
    let usual: &[Lead] = match rhythm_rows {
        1 => std::slice::from_ref(&config.rhythm_lead),
        3 => &config.three_rhythm_leads,
        _ => &[],
    };
    for k in 0..rhythm_rows {
        let lead = usual.get(k).copied().unwrap_or(config.rhythm_lead);
        cells.push(Cell {
            lead,
            row: grid_rows + k,
            samples: (0, total),
        });
    }
    Ok(SheetLayout {
        name,
        rows,
        cells,
        rulers,
        x_start,
        grid_rows,
        usual_strip_leads: !usual.is_empty(),
    })
}

/// The baselines of the rows of traces, top to bottom.
fn find_baselines(ink: &Ink, pitch: Pitch) -> Vec<f64> {
    let counts: Vec<f64> = (0..ink.height)
        .map(|y| {
            ink.trace[y * ink.width..(y + 1) * ink.width]
                .iter()
                .filter(|&&t| t)
                .count() as f64
        })
        .collect();
    let smoothed = box_smooth(&counts, (2.0 * pitch.y).round().max(1.0) as usize);
    let strongest = smoothed.iter().copied().fold(0.0, f64::max);
    if strongest <= 0.0 {
        return vec![];
    }
    let min_gap = MIN_ROW_GAP_MM * pitch.y;
    let mut candidates: Vec<usize> = (1..ink.height.saturating_sub(1))
        .filter(|&y| smoothed[y] > smoothed[y - 1] && smoothed[y] >= smoothed[y + 1])
        .filter(|&y| smoothed[y] >= MIN_ROW_STRENGTH * strongest)
        .collect();
    candidates.sort_by(|&a, &b| smoothed[b].total_cmp(&smoothed[a]));
    let mut peaks: Vec<usize> = Vec::new();
    for y in candidates {
        if peaks
            .iter()
            .all(|&p| (p as f64 - y as f64).abs() >= min_gap)
        {
            peaks.push(y);
        }
    }
    // The baseline is the single pixel row with most ink near the smoothed peak.
    let reach = (3.0 * pitch.y).round() as usize;
    let mut rows: Vec<(f64, f64)> = peaks
        .iter()
        .map(|&p| {
            let lo = p.saturating_sub(reach);
            let hi = (p + reach).min(ink.height - 1);
            let best = (lo..=hi)
                .max_by(|&a, &b| counts[a].total_cmp(&counts[b]))
                .unwrap_or(p);
            (best as f64, coverage(ink, best as f64, 4.0 * pitch.y))
        })
        .collect();
    let best_coverage = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    rows.retain(|r| r.1 >= MIN_COVERAGE * best_coverage && r.1 >= MIN_ABSOLUTE_COVERAGE);
    let mut baselines: Vec<f64> = rows.into_iter().map(|r| r.0).collect();
    baselines.sort_by(f64::total_cmp);
    baselines
}

/// Fraction of the picture's columns with trace ink within `reach` pixels of `y`.
fn coverage(ink: &Ink, y: f64, reach: f64) -> f64 {
    let lo = (y - reach).max(0.0) as usize;
    let hi = ((y + reach) as usize).min(ink.height - 1);
    let covered = (0..ink.width)
        .filter(|&x| (lo..=hi).any(|yy| ink.is_trace(x, yy)))
        .count();
    covered as f64 / ink.width as f64
}

/// First and last columns of the run of trace ink in the row, ignoring specks
/// shorter than 1 mm.
fn ink_extent(ink: &Ink, row: &Row, pitch: Pitch) -> Option<(f64, f64)> {
    let (lo, hi) = row.own_pixel_rows(ink.height);
    let has_ink: Vec<bool> = (0..ink.width)
        .map(|x| (lo..=hi).any(|y| ink.is_trace(x, y)))
        .collect();
    let run = pitch.x.round().max(2.0) as usize;
    let solid = |x: usize| x + run <= ink.width && has_ink[x..x + run].iter().all(|&h| h);
    let left = (0..ink.width).find(|&x| solid(x))?;
    let right = (0..ink.width)
        .rev()
        .find(|&x| x + 1 >= run && solid(x + 1 - run))?;
    Some((left as f64, right as f64))
}

/// Where the trace's ink ends, to a fraction of a pixel: searching outwards from the last
/// inked column `last` in direction `step` (+1 rightwards, -1 leftwards), the point at which
/// the trace's darkness has fallen half-way to the paper's.
///
/// Why not the last inked column: blur spreads the end of the stroke into a ramp, and the ink
/// threshold cuts the ramp inside the true end (a pixel at phone blur, half a sample at
/// 8 px/mm), which shifts every lead's time origin. The ramp's midpoint stays at the true end
/// whatever the blur. Each column's darkness is its darkest pixel near the trace, so that a
/// steep stroke counts as much as a flat one.
fn fading_end(
    picture: &Bitmap,
    ink: &Ink,
    row: &Row,
    last: f64,
    step: i64,
    pitch: Pitch,
) -> Option<f64> {
    let last = last as i64;
    let column = |mm: f64| last + step * (mm * pitch.x).round() as i64;
    // The pixel rows the trace's end lies in: its ink over the last millimetre, and a margin
    // for the blur.
    let (lo, hi) = row.own_pixel_rows(ink.height);
    let inside = column(-1.0).clamp(0, ink.width as i64 - 1) as usize;
    let inked: Vec<usize> = (inside.min(last as usize)..=inside.max(last as usize))
        .flat_map(|x| (lo..=hi).filter(move |&y| ink.is_trace(x, y)))
        .collect();
    let margin = (0.5 * pitch.y).ceil() as usize;
    let top = inked.iter().min()?.saturating_sub(margin);
    let bottom = (inked.iter().max()? + margin).min(picture.height - 1);
    // By the brightest channel: a red or pink grid stays bright in it, a black trace does not.
    let brightness =
        |x: i64, y: usize| picture.get(x as usize, y).into_iter().max().unwrap_or(0) as f64;
    let within = |x: i64| (0..picture.width as i64).contains(&x);
    // The paper beyond the end, pixel row by pixel row, so that a grey grid line along the
    // trace's end counts as paper and not as ink.
    let (near, far) = (column(0.6), column(1.5));
    if !within(far) {
        return None;
    }
    let paper: Vec<f64> = (top..=bottom)
        .map(|y| {
            median(
                &(near.min(far)..=near.max(far))
                    .map(|x| brightness(x, y))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    // A column's darkness: its darkest pixel near the trace against that pixel row's paper,
    // less the column's own grid line (the median over the column, which the thin trace
    // hardly moves), so that a grey grid line through the trace's end counts as paper.
    let darkness = |x: i64| -> Option<f64> {
        within(x).then(|| {
            let column: Vec<f64> = (top..=bottom)
                .zip(&paper)
                .map(|(y, p)| p - brightness(x, y))
                .collect();
            column.iter().copied().fold(f64::MIN, f64::max) - median(&column)
        })
    };
    let (from, to) = (column(-1.0), column(-0.4));
    let trace = median(
        &(from.min(to)..=from.max(to))
            .map(darkness)
            .collect::<Option<Vec<f64>>>()?,
    );
    if trace < MIN_END_CONTRAST {
        return None;
    }
    let half = 0.5 * trace;
    let mut x = to;
    let mut previous = darkness(x)?;
    while step * (column(1.0) - x) > 0 {
        x += step;
        let current = darkness(x)?;
        if current <= half {
            let fraction = (previous - half) / (previous - current).max(f64::MIN_POSITIVE);
            return Some((x - step) as f64 + step as f64 * fraction.clamp(0.0, 1.0));
        }
        previous = current;
    }
    None
}

#[derive(Debug, Clone, Copy)]
struct Pulse {
    height_mm: f64,
    /// The rising edge's column.
    rise_x: f64,
    /// First column after the pulse's falling edge.
    end_x: f64,
}

/// A calibration pulse among `columns` of a row: a flat top at least 4 mm above the baseline
/// and at least `min_pulse_width_mm` wide, with a vertical stroke from one of its ends down to
/// the baseline.
///
/// Why not the topmost ink per column: the header's text may lie within a pulse's height
/// above the first row. Why one side and a bridged top: in a blurred photo a pulse's thin
/// sides and top break up, and a side slants across two columns.
fn find_pulse(
    ink: &Ink,
    baseline: f64,
    columns: (usize, usize),
    pitch: Pitch,
    config: &Config,
) -> Option<Pulse> {
    let (first, last) = (columns.0, columns.1.min(ink.width - 1));
    let top_limit = (baseline - 25.0 * pitch.y).max(1.0) as usize;
    let lowest_top = (baseline - MIN_PULSE_MM * pitch.y).floor();
    if lowest_top < top_limit as f64 || last <= first {
        return None;
    }
    let min_width = config.min_pulse_width_mm * pitch.x;
    let bridged = (PULSE_GAP_MM * pitch.x).round() as usize;
    let thickest = ((PULSE_LINE_MM * pitch.y).round() as usize).max(4);
    // A line a pixel off the level (a slight slant, a broken stroke) still counts.
    let on_line =
        |x: usize, y: usize| (y - 1..=(y + 1).min(ink.height - 1)).any(|yy| ink.is_trace(x, yy));
    // Upwards from the lowest possible top: the first top found is the pulse's, not text
    // above it.
    for y in (top_limit..=lowest_top as usize).rev() {
        let mut x = first;
        while x <= last {
            if !on_line(x, y) {
                x += 1;
                continue;
            }
            let run_start = x;
            let mut run_end = x;
            while x <= last && x <= run_end + bridged + 1 {
                if on_line(x, y) {
                    run_end = x;
                }
                x += 1;
            }
            x = run_end + 1;
            if ((run_end + 1 - run_start) as f64) < min_width {
                continue;
            }
            // A side ends at the top: a stroke that goes on upwards crosses this height (the
            // pulse's own sides do, below its top) and the run is something else beside it.
            let tops_out =
                |c: usize| (2..=thickest + 2).any(|k| y < k || !inked_near(ink, c, y - k));
            let side = |c: usize| tops_out(c) && vertical_side(ink, c, y, baseline);
            let ends = [run_start, run_start + 1, run_end.saturating_sub(1), run_end];
            let below = (y + thickest + 1, (baseline - 0.5 * pitch.y) as usize);
            if ends.into_iter().any(side) && hollow(ink, (run_start, run_end), below, pitch) {
                return Some(Pulse {
                    height_mm: (baseline - y as f64) / pitch.y,
                    rise_x: run_start as f64,
                    end_x: run_end as f64 + 1.0,
                });
            }
        }
    }
    None
}

/// Under a pulse's top, between its sides (columns `from..=to`, less a margin) over pixel
/// rows `lo..=hi`, lies paper; under a label's strokes beside a QRS complex (which can look
/// like a top and a side) lies ink.
fn hollow(ink: &Ink, (from, to): (usize, usize), (lo, hi): (usize, usize), pitch: Pitch) -> bool {
    let margin = ((0.3 * pitch.x).round() as usize).max(2);
    if to < from + 2 * margin + 1 || hi <= lo {
        return true;
    }
    let columns = from + margin..=to - margin;
    let inked = (lo..=hi)
        .flat_map(|y| columns.clone().map(move |x| (x, y)))
        .filter(|&(x, y)| ink.is_trace(x, y))
        .count();
    (inked as f64) < MAX_PULSE_FILL * ((hi - lo + 1) * (to - from - 2 * margin + 1)) as f64
}

/// Column `x` (with a neighbour either side, for a slanted stroke) is inked over most of the
/// way from `top` down to the baseline.
fn vertical_side(ink: &Ink, x: usize, top: usize, baseline: f64) -> bool {
    let bottom = (baseline as usize).min(ink.height - 1);
    if bottom <= top {
        return false;
    }
    let inked = (top..=bottom).filter(|&y| inked_near(ink, x, y)).count();
    inked as f64 >= 0.8 * (bottom - top + 1) as f64
}

/// Pixel row `y` holds trace ink in column `x` or a neighbour either side.
fn inked_near(ink: &Ink, x: usize, y: usize) -> bool {
    (x.saturating_sub(1)..=(x + 1).min(ink.width - 1)).any(|xx| ink.is_trace(xx, y))
}

pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    const PITCH: Pitch = Pitch { x: 8.0, y: 8.0 };
    const BASELINE: usize = 250;

    /// A 400×300 picture's ink at 8 px/mm: a row's baseline at pixel row 250 from column 20
    /// on, and the given trace pixels.
    fn row_with(points: impl IntoIterator<Item = (usize, usize)>) -> Ink {
        let (width, height) = (400, 300);
        let mut trace = vec![false; width * height];
        for (x, y) in (20..width).map(|x| (x, BASELINE)).chain(points) {
            trace[y * width + x] = true;
        }
        Ink::of_trace(width, height, trace)
    }

    fn pulse_in(ink: &Ink) -> Option<Pulse> {
        find_pulse(ink, BASELINE as f64, (20, 116), PITCH, &Config::default())
    }

    /// A 10 mm by 5 mm calibration pulse 2 mm into the row, its falling side broken (as blur
    /// leaves a thin stroke); `text` adds two lines of header text 17–21 mm above the
    /// baseline over it, as the first row of a printout may have them.
    fn pulse(text: bool) -> Vec<(usize, usize)> {
        let top = BASELINE - 80;
        let sides = (top..BASELINE)
            .flat_map(|y| std::iter::once((36, y)).chain((y % 4 == 0).then_some((76, y))));
        let header = (BASELINE - 168..BASELINE - 136)
            .flat_map(|y| (30..90).filter(|x| x % 7 < 3).map(move |x| (x, y)))
            .filter(|_| text);
        (36..=76)
            .map(|x| (x, top))
            .chain(sides)
            .chain(header)
            .collect()
    }

    #[test]
    fn a_pulse_is_found_beneath_the_header_text_and_with_a_broken_side() {
        for text in [false, true] {
            let found = pulse_in(&row_with(pulse(text)))
                .unwrap_or_else(|| panic!("no pulse found (text above it: {text})"));
            assert_eq!((found.rise_x, found.end_x), (36.0, 77.0), "text: {text}");
            assert!(
                (found.height_mm - 10.0).abs() < 0.2,
                "{} mm high",
                found.height_mm
            );
        }
        // The text alone, without the pulse, is no pulse.
        let header_only: Vec<_> = pulse(true)
            .into_iter()
            .filter(|&(_, y)| y < BASELINE - 120)
            .collect();
        assert!(pulse_in(&row_with(header_only)).is_none());
    }

    #[test]
    fn a_label_printed_over_a_qrs_complex_is_no_pulse() {
        // A scan (ecg00012) prints each row's label over its first QRS complex: the R wave's
        // upstroke is a side down to the baseline, and the label's strokes beside its tip a
        // top, but ink fills the space under that top.
        let r_wave = (BASELINE - 68..BASELINE).flat_map(|y| [(40, y), (41, y)]);
        // "II" in strokes 0.35 mm thick: two bars 3 mm tall joined by serifs, from the R
        // wave's tip rightwards.
        let serifs =
            (40..58).flat_map(|x| [(x, BASELINE - 66), (x, BASELINE - 65), (x, BASELINE - 42)]);
        let bars =
            (BASELINE - 66..=BASELINE - 42).flat_map(|y| [45, 46, 47, 53, 54, 55].map(|x| (x, y)));
        let found = pulse_in(&row_with(r_wave.chain(serifs).chain(bars)));
        assert!(found.is_none(), "{found:?}");
    }
}
