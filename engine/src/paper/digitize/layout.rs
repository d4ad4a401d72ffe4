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
use crate::paper::render::PaperLayout;
use crate::paper::Bitmap;
use crate::{Error, Lead, Result};

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
        (
            self.baseline - 0.5 * (self.baseline - self.band.0),
            self.baseline + 0.5 * (self.band.1 - self.baseline),
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
pub struct Layout {
    pub name: String,
    pub rows: Vec<Row>,
    pub cells: Vec<Cell>,
    /// Where the grid's millimetres lie along each row.
    pub rulers: Vec<Ruler>,
    /// Grid coordinate (see [`Ruler`]) of the record's time 0.
    pub x_start: f64,
}

impl Layout {
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
) -> Result<Layout> {
    let baselines = find_baselines(ink, pitch);
    if baselines.len() < 3 {
        return Err(Error::InvalidArgument(format!(
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
    for (row, ruler) in rows.iter().zip(&rulers) {
        let Some((left, right)) = ink_extent(ink, row, pitch) else {
            continue;
        };
        let pulse = find_pulse(ink, row.baseline, left, pitch, config);
        if let Some(p) = pulse {
            pulses.push(p);
        }
        let ink_end = |last: f64, step: i64| fading_end(picture, ink, row, last, step, pitch);
        let start = pulse.map_or_else(
            || ink_end(left, -1).map_or(left, |x| x + half_stroke),
            |p| p.end_x + half_stroke,
        );
        starts.push(ruler.to_grid(start));
        ends.push(ruler.to_grid(ink_end(right, 1).map_or(right, |x| x - half_stroke)));
    }
    if starts.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "no ECG traces found on the grid; {ACCEPTED}"
        )));
    }
    let full_width =
        (config.duration_s * config.mm_per_s - config.mm_per_s / config.sampling_rate) * pitch.x;
    let x_start = if pulses.is_empty() {
        median(&starts)
    } else {
        // After a pulse the trace may go on without a break, so its start does not show: count
        // back from the end of the 10 s instead, but never into the pulse.
        median(&ends.iter().map(|e| e - full_width).collect::<Vec<_>>()).max(median(&starts))
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

    let total = (config.duration_s * config.sampling_rate).round() as usize;
    // Twelve rows can only be one lead each; fewer are read as 3×4 with rhythm strips below,
    // unless the person chose the layout.
    let kind = config.layout.unwrap_or(if rows.len() >= 12 {
        PaperLayout::TwelveByOne
    } else {
        PaperLayout::ThreeByFour
    });
    let grid_rows = kind.grid_rows();
    if rows.len() < grid_rows {
        return Err(Error::InvalidArgument(format!(
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
    match rhythm_rows {
        0 => {}
        1 => cells.push(Cell { lead: config.rhythm_lead, row: grid_rows, samples: (0, total) }),
        3 => {
            for (k, lead) in config.three_rhythm_leads.iter().enumerate() {
                cells.push(Cell { lead: *lead, row: grid_rows + k, samples: (0, total) });
            }
            let names: Vec<&str> = config.three_rhythm_leads.iter().map(|l| l.label()).collect();
            warnings.push(format!("3 rhythm strips read as {}, the usual order; their labels were not read", names.join(", ")));
        }
        _ => warnings.push(format!(
            "{rhythm_rows} rhythm strips found; their leads are not known, so only the {} grid was read",
            kind.name()
        )),
    }
    Ok(Layout {
        name,
        rows,
        cells,
        rulers,
        x_start,
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
    /// First column after the pulse's falling edge.
    end_x: f64,
}

/// A calibration pulse at the start of a row: a flat top at least 4 mm above the baseline,
/// at least `min_pulse_width_mm` wide, beginning within 2 mm of where the ink begins.
fn find_pulse(ink: &Ink, baseline: f64, left: f64, pitch: Pitch, config: &Config) -> Option<Pulse> {
    let top_limit = (baseline - 25.0 * pitch.y).max(0.0) as usize;
    let bottom = (baseline + 1.0 * pitch.y).min(ink.height as f64 - 1.0) as usize;
    let topmost = |x: usize| (top_limit..=bottom).find(|&y| ink.is_trace(x, y));
    let first = left as usize;
    let last = ((left + 12.0 * pitch.x) as usize).min(ink.width - 1);
    let tolerance = 0.5 * pitch.y;
    let mut run_start: Option<(usize, usize)> = None; // (x, top y)
    for x in first..=last {
        let high = topmost(x).filter(|&y| baseline - y as f64 >= MIN_PULSE_MM * pitch.y);
        match (high, run_start) {
            // The rising edge is a vertical stroke from the baseline up (a label is not).
            (Some(y), None)
                if x as f64 <= left + 3.0 * pitch.x && rising_edge(ink, x, y, baseline) =>
            {
                run_start = Some((x, y))
            }
            (Some(y), Some((_, top))) if (y as f64 - top as f64).abs() <= tolerance => {}
            (_, Some((start, top))) => {
                let width_mm = (x - start) as f64 / pitch.x;
                if width_mm >= config.min_pulse_width_mm {
                    return Some(Pulse {
                        height_mm: (baseline - top as f64) / pitch.y,
                        end_x: x as f64,
                    });
                }
                return None;
            }
            _ => {}
        }
    }
    None
}

/// Column `x` (or a neighbour) is inked over most of the way from `top` down to the baseline.
fn rising_edge(ink: &Ink, x: usize, top: usize, baseline: f64) -> bool {
    let bottom = (baseline as usize).min(ink.height - 1);
    if bottom <= top {
        return false;
    }
    (x.saturating_sub(1)..=(x + 1).min(ink.width - 1)).any(|xx| {
        let inked = (top..=bottom).filter(|&y| ink.is_trace(xx, y)).count();
        inked as f64 >= 0.8 * (bottom - top + 1) as f64
    })
}

pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
