//! Which lead each rhythm strip shows, told by the grid above it rather than by its label.
//!
//! A strip prints one lead over the whole 10 s, and the grid prints that same lead over the
//! same seconds in one of its cells: over that cell's window the two are one signal read twice.
//! The cell whose reading the strip repeats, clearly closer than any other, names the strip.
//! Labels are not read, so strips in a number without usual leads (two strips, say V1 and II)
//! are read only where the grid names them. The comparison also tells when a sheet with six
//! rows is more likely 6×2 than 3×4 with three strips.

use super::grid::Pitch;
use super::layout::SheetLayout;
use super::record::reading;
use super::trace::Followed;
use super::Config;
use crate::render::PrintLayout;
use ecgmatch_formats::Lead;

/// Largest difference between a strip and a cell (the RMS of the difference of their readings
/// over the geometric mean of their RMS, each less its median) at which the strip repeats the
/// cell. Read twice, a lead differed by 0.04–0.46 on the real printouts' strips; a neighbouring
/// chest lead, alike in form, by as little as 0.17.
const MAX_DIFFERENCE: f64 = 0.5;
/// The repeated cell differs from the strip by at most this share of the next closest cell's
/// difference: where two leads look alike over the window, neither names the strip.
const CLEARLY_CLOSER: f64 = 0.75;
/// A strip differing from its usual lead by more than this, about as far as two unrelated
/// signals (√2 for equal RMS), is contradicted by the grid.
const CONTRADICTED: f64 = 1.0;
/// Samples (at the record's rate) a strip may be shifted against a cell: two rows' time axes
/// are found apart, and a QRS complex a sample off differs much.
const MAX_LAG: isize = 2;
/// Share of a cell's window that both readings must show.
const MIN_OVERLAP: f64 = 0.5;
/// Below this RMS (mV) a reading is too flat to tell one lead from another.
const MIN_RMS_MV: f64 = 0.02;

/// The traces with each rhythm strip under its lead. Strips whose number has usual leads (II
/// alone; V1, II and V5) keep them: on phone photos a strip and its cell, each read with its
/// own errors, differ by 0.8–1.4 even where the strip is the cell's lead, and a follower that
/// strayed onto another row makes a wrong cell look repeated. Other strips (two, or four and
/// more) take the lead they repeat, and are left out where they repeat none (an empty band of
/// grid taken for a strip, or a strip read too poorly).
pub fn identify(
    traces: Vec<Followed>,
    layout: &SheetLayout,
    pitch: Pitch,
    config: &Config,
    warnings: &mut Vec<String>,
) -> Vec<Followed> {
    let (mut kept, strips): (Vec<Followed>, Vec<Followed>) = traces
        .into_iter()
        .partition(|t| t.cell.row < layout.grid_rows);
    let count = strips.len();
    if count == 0 {
        return kept;
    }
    // Only a sheet of six rows, its layout not chosen, asks whether its usual strips hold.
    let may_be_six_by_two = count == 3 && config.layout.is_none();
    let mut named = Vec::new();
    let mut contradicted = 0;
    for mut strip in strips {
        if layout.usual_strip_leads {
            let refuted = may_be_six_by_two
                && kept
                    .iter()
                    .filter(|cell| cell.lead == strip.lead)
                    .filter_map(|cell| closest(&strip, cell, layout, pitch, config))
                    .min_by(f64::total_cmp)
                    .is_some_and(|d| d > CONTRADICTED);
            contradicted += usize::from(refuted);
            named.push(strip);
        } else if let Some(lead) = repeated(&differences(&strip, &kept, layout, pitch, config)) {
            strip.lead = lead;
            strip.cell.lead = lead;
            named.push(strip);
        }
    }
    let labels: Vec<&str> = named.iter().map(|s| s.lead.label()).collect();
    if layout.usual_strip_leads {
        if count == 3 {
            warnings.push(format!(
                "3 rhythm strips read as {}, the usual order; their labels were not read",
                labels.join(", ")
            ));
        }
    } else {
        if named.len() < count {
            warnings.push(format!(
                "{} of {count} rhythm strips repeat none of the leads above them and were left out",
                count - named.len()
            ));
        }
        if !named.is_empty() {
            warnings.push(format!(
                "rhythm strips read as {}: the leads above that they repeat (their labels are not read)",
                labels.join(", ")
            ));
        }
    }
    // A 6×2 sheet read as 3×4 with three strips: its lower rows show other leads (aVR and V4,
    // aVL and V5, aVF and V6) than the usual strips' cells above them.
    if may_be_six_by_two && contradicted >= 2 {
        warnings.push(format!(
            "the lower three rows do not repeat the leads above them as rhythm strips would: if the printout has six rows of two leads, choose the {} layout",
            PrintLayout::SixByTwo.name()
        ));
    }
    kept.extend(named);
    kept
}

/// Each grid cell's lead with its difference from `strip`, closest first.
fn differences(
    strip: &Followed,
    grid: &[Followed],
    layout: &SheetLayout,
    pitch: Pitch,
    config: &Config,
) -> Vec<(f64, Lead)> {
    let mut differences: Vec<(f64, Lead)> = grid
        .iter()
        .filter_map(|cell| closest(strip, cell, layout, pitch, config).map(|d| (d, cell.lead)))
        .collect();
    differences.sort_by(|a, b| a.0.total_cmp(&b.0));
    differences
}

/// The strip's difference from `cell` at the shift (up to `MAX_LAG`) that brings them closest.
fn closest(
    strip: &Followed,
    cell: &Followed,
    layout: &SheetLayout,
    pitch: Pitch,
    config: &Config,
) -> Option<f64> {
    (-MAX_LAG..=MAX_LAG)
        .filter_map(|lag| difference(strip, cell, lag, layout, pitch, config))
        .min_by(f64::total_cmp)
}

/// The lead a strip repeats: the closest cell's, if close enough and clearly the closest.
fn repeated(differences: &[(f64, Lead)]) -> Option<Lead> {
    let &(best, lead) = differences.first()?;
    let clear = differences
        .get(1)
        .is_none_or(|(next, _)| best <= CLEARLY_CLOSER * next);
    (best <= MAX_DIFFERENCE && clear).then_some(lead)
}

/// How far the strip's reading, `lag` samples later, is from the cell's over the cell's
/// window; `None` where too little of it was seen by both, or either is flat.
fn difference(
    strip: &Followed,
    cell: &Followed,
    lag: isize,
    layout: &SheetLayout,
    pitch: Pitch,
    config: &Config,
) -> Option<f64> {
    let (from, to) = cell.cell.samples;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in from..to {
        let Some(shifted) = i.checked_add_signed(lag) else {
            continue;
        };
        if let (Some(x), Some(y)) = (
            reading(strip, shifted, layout, pitch, config),
            reading(cell, i, layout, pitch, config),
        ) {
            a.push(x as f64);
            b.push(y as f64);
        }
    }
    if (a.len() as f64) < MIN_OVERLAP * to.saturating_sub(from) as f64 || a.is_empty() {
        return None;
    }
    // Each less its median: the two rows' baselines are found apart, and may be off by a little.
    for v in [&mut a, &mut b] {
        let level = super::layout::median(v);
        v.iter_mut().for_each(|x| *x -= level);
    }
    let n = a.len() as f64;
    let rms = |v: &mut dyn Iterator<Item = f64>| (v.map(|x| x * x).sum::<f64>() / n).sqrt();
    let (ra, rb) = (rms(&mut a.iter().copied()), rms(&mut b.iter().copied()));
    if ra.min(rb) < MIN_RMS_MV {
        return None;
    }
    let apart = rms(&mut a.iter().zip(&b).map(|(x, y)| x - y));
    Some(apart / (ra * rb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digitize::tests::{followed, layout_of_rows, waveform, ONE_SAMPLE_PER_PX};
    use ecgmatch_formats::random::SplitMix;

    fn identified(traces: Vec<Followed>, layout: &SheetLayout) -> (Vec<Followed>, Vec<String>) {
        let mut warnings = Vec::new();
        let kept = identify(
            traces,
            layout,
            ONE_SAMPLE_PER_PX,
            &Config::default(),
            &mut warnings,
        );
        (kept, warnings)
    }

    #[test]
    fn a_strip_takes_the_lead_it_repeats_and_one_that_repeats_none_is_left_out() {
        let layout = layout_of_rows(3, 1, false);
        let grid = [Lead::I, Lead::AVR, Lead::V1, Lead::V4];
        let mut traces: Vec<Followed> = grid
            .iter()
            .enumerate()
            .map(|(c, &lead)| followed(lead, 0, (250 * c, 250 * (c + 1)), |i| waveform(lead, i)))
            .collect();
        traces.push(followed(Lead::II, 1, (0, 1000), |i| waveform(Lead::V1, i)));
        let mut noise = SplitMix(7);
        let noise: Vec<f64> = (0..1000).map(|_| 0.5 * noise.gaussian()).collect();
        traces.push(followed(Lead::II, 2, (0, 1000), |i| noise[i]));

        let (kept, warnings) = identified(traces, &layout);
        let strips: Vec<Lead> = kept
            .iter()
            .filter(|t| t.cell.row >= 1)
            .map(|t| t.lead)
            .collect();
        assert_eq!(strips, vec![Lead::V1], "{warnings:?}");
        assert_eq!(kept.len(), 5);
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("1 of 2 rhythm strips")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("read as V1")),
            "{warnings:?}"
        );
    }

    /// A 3×4 grid of each lead's own waveform, with three strips below drawn by `strip`.
    fn three_by_four_with_strips(strip: impl Fn(usize, usize) -> f64) -> Vec<Followed> {
        let mut traces: Vec<Followed> = crate::sheet::GRID
            .iter()
            .enumerate()
            .flat_map(|(row, leads)| {
                leads.iter().enumerate().map(move |(c, &lead)| {
                    followed(lead, row, (250 * c, 250 * (c + 1)), |i| waveform(lead, i))
                })
            })
            .collect();
        for (k, lead) in Config::default().three_rhythm_leads.into_iter().enumerate() {
            traces.push(followed(lead, 3 + k, (0, 1000), |i| strip(k, i)));
        }
        traces
    }

    #[test]
    fn six_rows_whose_lower_rows_repeat_no_usual_strip_suggest_six_by_two() {
        let layout = layout_of_rows(6, 3, true);
        let suggests =
            |warnings: &[String]| warnings.iter().any(|w| w.contains("choose the 6x2 layout"));
        let usual = Config::default().three_rhythm_leads;
        let (_, warnings) = identified(
            three_by_four_with_strips(|k, i| waveform(usual[k], i)),
            &layout,
        );
        assert!(!suggests(&warnings), "{warnings:?}");
        // Rows showing other leads than the usual strips (as a 6×2's aVR, aVL, aVF would).
        let others = [Lead::AVR, Lead::AVL, Lead::AVF];
        let (kept, warnings) = identified(
            three_by_four_with_strips(|k, i| -waveform(others[k], i)),
            &layout,
        );
        assert!(suggests(&warnings), "{warnings:?}");
        assert_eq!(kept.len(), 15, "usual strips are kept even so");
    }

    #[test]
    fn strips_with_usual_leads_keep_them() {
        let layout = layout_of_rows(2, 1, true);
        let traces = vec![
            followed(Lead::I, 0, (0, 250), |i| waveform(Lead::I, i)),
            followed(Lead::II, 1, (0, 1000), |i| waveform(Lead::I, i)),
        ];
        let (kept, warnings) = identified(traces, &layout);
        assert_eq!(kept[1].lead, Lead::II);
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}
