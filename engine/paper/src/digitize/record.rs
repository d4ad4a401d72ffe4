//! From followed traces to a 12-lead record, each lead at its true time window.
//!
//! Sample `i` of the record was printed at grid coordinate `x_start + i / fs · speed`, whatever
//! cell shows it, so each cell is read at exactly those columns (through its row's ruler).
//! Samples no cell shows are marked not visible and filled from the same lead's seen beats,
//! timed by the lead seen longest (the rhythm strip), so that the model gets a whole record; a
//! rhythm strip, showing its lead's whole 10 s, is preferred to the cell.

use super::grid::Pitch;
use super::layout::SheetLayout;
use super::trace::Followed;
use super::Config;
use ecgmatch_formats::{Channel, Lead, Metadata, Record};
use ecgmatch_signal::fill_leads;

/// A lead with less than this fraction of a 3×4 cell's samples seen gets a warning.
const WARN_VISIBLE: f64 = 0.5;
/// A lead seen in less than this fraction of a 3×4 cell (0.6 s: under one heartbeat) is
/// missing: its filled samples would rest on no beat of its own.
const MISSING_VISIBLE: f64 = 0.25;

pub struct Assembled {
    pub record: Record,
    pub visible: Vec<Vec<bool>>,
    pub warnings: Vec<String>,
    /// The leads seen too little to be read (`MISSING_VISIBLE`).
    pub missing: Vec<Lead>,
}

pub fn assemble(
    traces: &[Followed],
    layout: &SheetLayout,
    pitch: Pitch,
    config: &Config,
) -> Assembled {
    let total = (config.duration_s * config.sampling_rate).round() as usize;
    let mut samples = vec![vec![0.0f32; total]; Lead::STANDARD.len()];
    let mut visible = vec![vec![false; total]; Lead::STANDARD.len()];
    // Cells first, full-width strips last, so that a strip's reading wins.
    let mut ordered: Vec<&Followed> = traces.iter().collect();
    ordered.sort_by_key(|t| t.cell.samples.1 - t.cell.samples.0);
    for trace in ordered {
        let lead = trace.lead.index();
        for i in trace.cell.samples.0..trace.cell.samples.1.min(total) {
            if let Some(v) = reading(trace, i, layout, pitch, config) {
                samples[lead][i] = v;
                visible[lead][i] = true;
            }
        }
    }
    let mut warnings = Vec::new();
    let mut missing = Vec::new();
    let cell = total as f64 / 4.0;
    for lead in Lead::STANDARD {
        let seen = visible[lead.index()].iter().filter(|&&v| v).count();
        if (seen as f64) < MISSING_VISIBLE * cell {
            missing.push(lead);
        }
        if (seen as f64) < WARN_VISIBLE * cell {
            warnings.push(format!(
                "{}: the trace was seen in only {seen} of its samples",
                lead.label()
            ));
        }
    }
    let filled = visible.iter().any(|v| v.iter().any(|&seen| !seen));
    fill_leads(&mut samples, &visible, config.sampling_rate);
    let channels = Lead::STANDARD
        .iter()
        .map(|lead| Channel {
            name: lead.label().to_string(),
            lead: Some(*lead),
            units: "mV".into(),
            samples: samples[lead.index()].clone(),
            derived: false,
        })
        .collect();
    let record = Record {
        name: "digitized".into(),
        sampling_rate: config.sampling_rate,
        channels,
        metadata: Metadata {
            format: Some("paper ECG (digitized)".into()),
            ..Metadata::default()
        },
        warnings: if filled {
            vec!["read from a picture: where the printout does not show a lead (a 3×4 sheet shows each for 2.5 s), it is filled from that lead's own beats for the search".into()]
        } else {
            vec![]
        },
    };
    Assembled {
        record,
        visible,
        warnings,
        missing,
    }
}

/// Sample `i` as `trace` shows it, in mV, where the trace was seen.
pub fn reading(
    trace: &Followed,
    i: usize,
    layout: &SheetLayout,
    pitch: Pitch,
    config: &Config,
) -> Option<f32> {
    // A spike's tip is a sample (the printer drew straight lines between samples). Read between
    // columns, a tip found a pixel off the sample's column (blur, a ruler's rounding) loses
    // much of a narrow R wave's height, so a sample within half a sample of a tip takes it.
    let snap = 0.5 * pitch.x * config.mm_per_s / config.sampling_rate;
    let x = layout.x_of(i, trace.cell.row, pitch, config) - trace.first_x as f64;
    let tip = nearest_tip(&trace.spike_tips, x, snap).and_then(|p| trace.ys[p]);
    let y = tip.or_else(|| height_at(&trace.ys, x))?;
    Some(((trace.baseline - y) / pitch.y / config.mm_per_mv) as f32)
}

/// Of `tips` (ascending), the one nearest fractional column `x` if nearer than `reach`.
fn nearest_tip(tips: &[usize], x: f64, reach: f64) -> Option<usize> {
    let after = tips.partition_point(|&p| (p as f64) < x);
    [after.checked_sub(1), Some(after)]
        .into_iter()
        .flatten()
        .filter_map(|k| tips.get(k).copied())
        .map(|p| (p, (p as f64 - x).abs()))
        .filter(|(_, d)| *d < reach)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(p, _)| p)
}

/// The trace's height at fractional column `x`: between two seen columns, interpolated; next
/// to one seen column, that column's; otherwise not seen.
fn height_at(ys: &[Option<f64>], x: f64) -> Option<f64> {
    if x < -0.5 || x > ys.len() as f64 - 0.5 {
        return None;
    }
    let left = x.floor().max(0.0) as usize;
    let right = (left + 1).min(ys.len().saturating_sub(1));
    let fraction = x - left as f64;
    match (
        ys.get(left).copied().flatten(),
        ys.get(right).copied().flatten(),
    ) {
        (Some(a), Some(b)) => Some(a + (b - a) * fraction.clamp(0.0, 1.0)),
        (Some(a), None) if fraction <= 0.5 => Some(a),
        (None, Some(b)) if fraction >= 0.5 => Some(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digitize::layout::{Cell, Row};
    use crate::digitize::ruler::Ruler;

    #[test]
    fn the_nearest_tip_within_reach_is_found_and_ties_go_to_the_earlier() {
        let tips = [10, 20, 30];
        assert_eq!(nearest_tip(&tips, 19.6, 0.5), Some(20));
        assert_eq!(nearest_tip(&tips, 20.4, 0.5), Some(20));
        assert_eq!(nearest_tip(&tips, 15.0, 0.5), None);
        assert_eq!(nearest_tip(&tips, 25.0, 5.1), Some(20));
        assert_eq!(nearest_tip(&tips, 31.0, 1.5), Some(30));
        assert_eq!(nearest_tip(&tips, 9.2, 1.0), Some(10));
        assert_eq!(nearest_tip(&[], 9.2, 1.0), None);
    }

    /// Lead II along y = 150 at 8 px/mm (a sample every 2 px), with a narrow R wave whose tip,
    /// at y = 50 (1.25 mV), was found in column 101 while sample 50 falls at x = 100.3.
    fn a_spike_a_pixel_off_its_sample(spike_tips: Vec<usize>) -> f32 {
        let pitch = Pitch { x: 8.0, y: 8.0 };
        let cell = Cell {
            lead: Lead::II,
            row: 0,
            samples: (0, 100),
        };
        let layout = SheetLayout {
            name: "test".into(),
            rows: vec![Row {
                baseline: 150.0,
                band: (10.0, 290.0),
            }],
            cells: vec![cell.clone()],
            rulers: vec![Ruler::uniform()],
            x_start: 0.3,
            grid_rows: 1,
            usual_strip_leads: false,
        };
        let mut ys = vec![Some(150.0); 200];
        ys[100] = Some(110.0);
        ys[101] = Some(50.0);
        ys[102] = Some(110.0);
        let trace = Followed {
            lead: Lead::II,
            cell,
            first_x: 0,
            ys,
            spike_tips,
            baseline: 150.0,
            bounds: [0.0, 10.0, 199.0, 290.0],
        };
        let assembled = assemble(&[trace], &layout, pitch, &Config::default());
        let ii = &assembled.record.channels[Lead::II.index()].samples;
        assert!(
            (ii[51] - 0.35).abs() < 1e-4,
            "the next sample is read between columns: {}",
            ii[51]
        );
        ii[50]
    }

    #[test]
    fn a_sample_within_half_a_sample_of_a_spike_tip_takes_the_tip() {
        let r = a_spike_a_pixel_off_its_sample(vec![101]);
        assert!((r - 1.25).abs() < 1e-4, "R read {r} mV, drawn 1.25");
        let between = a_spike_a_pixel_off_its_sample(vec![]);
        assert!(
            between < 1.0,
            "read between columns without the tip: {between}"
        );
    }
}
