//! Where the leads are: the rows of traces, their baselines, the calibration pulse, where the
//! 10 s begin on the paper, and which lead each stretch of each row shows.
//!
//! A trace's baseline is the horizontal line most of its ink lies on, so rows show as peaks in
//! the count of trace pixels per pixel row. A row of text has ink too, but with gaps: a trace
//! row has ink in nearly every column.

use super::grid::{box_smooth, Pitch};
use super::ink::Ink;
use super::{Config, ACCEPTED};
use crate::paper::render::PaperLayout;
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
/// A calibration pulse is at least this high, in mm (1 mV at 5 mm/mV).
const MIN_PULSE_MM: f64 = 4.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub baseline: f64,
    /// Pixel rows the trace is looked for in.
    pub band: (f64, f64),
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
    /// Pixel column of the record's time 0.
    pub x_start: f64,
}

impl Layout {
    /// Pixel column of sample `index` at the configured paper speed.
    pub fn x_of(&self, index: usize, pitch: Pitch, config: &Config) -> f64 {
        self.x_start + index as f64 / config.sampling_rate * config.mm_per_s * pitch.x
    }
}

pub fn find(
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

    // Where each row's trace begins (after a calibration pulse) and ends.
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut pulses = Vec::new();
    for row in &rows {
        let Some((left, right)) = ink_extent(ink, row, pitch) else {
            continue;
        };
        let pulse = find_pulse(ink, row.baseline, left, pitch, config);
        if let Some(p) = pulse {
            pulses.push(p);
        }
        starts.push(pulse.map_or(left, |p| p.end_x));
        ends.push(right);
    }
    if starts.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "no ECG traces found on the grid; {ACCEPTED}"
        )));
    }
    // Ink reaches half a stroke beyond the first and last sample.
    let half_stroke = (stroke_width(ink, &rows) - 1.0).max(0.0) / 2.0;
    let starts: Vec<f64> = starts.iter().map(|s| s + half_stroke).collect();
    let ends: Vec<f64> = ends.iter().map(|e| e - half_stroke).collect();
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
    // Half-way to the neighbouring rows: the trace may end far from its baseline.
    let lo = (row.baseline - 0.5 * (row.baseline - row.band.0)).max(0.0) as usize;
    let hi = ((row.baseline + 0.5 * (row.band.1 - row.baseline)) as usize).min(ink.height - 1);
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

/// The trace's stroke width in pixels: the median height of the ink runs that cross the
/// baselines, where the trace is mostly flat.
fn stroke_width(ink: &Ink, rows: &[Row]) -> f64 {
    let mut lengths = Vec::new();
    for row in rows {
        let y = row.baseline as usize;
        for x in 0..ink.width {
            if !ink.is_trace(x, y) {
                continue;
            }
            let top = (0..=y).rev().take_while(|&yy| ink.is_trace(x, yy)).count();
            let below = (y + 1..ink.height)
                .take_while(|&yy| ink.is_trace(x, yy))
                .count();
            lengths.push((top + below) as f64);
        }
    }
    median(&lengths).max(1.0)
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
