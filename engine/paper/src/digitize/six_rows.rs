//! Whether six rows of traces are a 6×2 sheet or a 3×4 with three rhythm strips.
//!
//! The two look alike: six rows, the lead changing part-way along. Labels are not read, but
//! the limb leads tell: carts compute III, aVR, aVL and aVF from I and II, so on a 6×2, whose
//! first 5 s show all six at the same seconds, the rows obey Einthoven's and Goldberger's
//! relations (III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2). On a 3×4 the
//! lower rows are rhythm strips (V1, II, V5, say) and do not.

use super::grid::Pitch;
use super::layout::SheetLayout;
use super::record::reading;
use super::trace::Followed;
use super::trust::spread;
use super::Config;
use ecgmatch_formats::record::LIMB_LEADS_FROM_I_AND_II;
use ecgmatch_formats::Lead;

/// Largest share of a lead's spread that what a relation leaves unexplained may take, for the
/// second worst of the four relations, on a 6×2: one relation may break where its lead was
/// read poorly (aVR left 0.97 on renders of two records whose other relations left under
/// 0.25). On 6×2 renders of the first 50 fold-10 records (clean), of the first 20 (phone,
/// phone-hard) and of the five fixtures (four levels), the second worst left 0.04–0.66 on every
/// picture whose rows were found; on the three real 3×4 sheets with three strips (photos 02,
/// 06, 53), read as 6×2, 0.99–1.28.
const MAX_UNEXPLAINED: f64 = 0.8;
/// Spread (mV) below which a lead is taken as flat, for the comparison's scale.
const MIN_SPREAD_MV: f64 = 0.05;
/// Share of the first 5 s that I and II, and each computed lead with them, must show.
const MIN_SEEN: f64 = 0.5;

/// Whether traces read as a 6×2 obey the limb-lead relations.
pub fn limb_leads_agree(
    traces: &[Followed],
    layout: &SheetLayout,
    pitch: Pitch,
    config: &Config,
) -> bool {
    unexplained(traces, layout, pitch, config).is_some_and(|u| u <= MAX_UNEXPLAINED)
}

/// The second worst relation's unexplained share (see `MAX_UNEXPLAINED`); `None` where the
/// leads were seen too little.
fn unexplained(
    traces: &[Followed],
    layout: &SheetLayout,
    pitch: Pitch,
    config: &Config,
) -> Option<f64> {
    let trace = |wanted: Lead| traces.iter().find(|t| t.lead == wanted);
    let (i, ii) = (trace(Lead::I)?, trace(Lead::II)?);
    let derived = LIMB_LEADS_FROM_I_AND_II.map(|(lead, _)| trace(lead));
    let half = (2.0 * config.column_s * config.sampling_rate).round() as usize;
    let read = |t: &Followed, s: usize| reading(t, s, layout, pitch, config);
    // Per relation: (the lead as read, as computed from I and II), where all three were seen.
    let mut pairs = vec![(Vec::new(), Vec::new()); derived.len()];
    let mut seen = 0;
    for s in 0..half {
        let (Some(a), Some(b)) = (read(i, s), read(ii, s)) else {
            continue;
        };
        seen += 1;
        for ((trace, (_, from)), (read_, computed)) in
            derived.iter().zip(LIMB_LEADS_FROM_I_AND_II).zip(&mut pairs)
        {
            if let Some(v) = trace.and_then(|t| read(t, s)) {
                read_.push(v as f64);
                computed.push(from(a, b) as f64);
            }
        }
    }
    if (seen as f64) < MIN_SEEN * half as f64
        || pairs
            .iter()
            .any(|(r, _)| (r.len() as f64) < MIN_SEEN * half as f64)
    {
        return None;
    }
    let mut unexplained: Vec<f64> = pairs
        .iter()
        .map(|(lead, computed)| {
            let residual: Vec<f64> = lead.iter().zip(computed).map(|(l, c)| l - c).collect();
            // Against the larger of the two: a lead nearly flat (an axis at right angles to
            // it) must not make a reading's noise look like a broken relation.
            spread(&residual) / spread(lead).max(spread(computed)).max(MIN_SPREAD_MV)
        })
        .collect();
    unexplained.sort_by(f64::total_cmp);
    unexplained
        .get(unexplained.len().saturating_sub(2))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digitize::tests::{followed, layout_of_rows, waveform, ONE_SAMPLE_PER_PX};

    /// The first 5 s of six rows, as a 6×2 reads them: I, II and four more leads made by `row`.
    fn agree(row: impl Fn(Lead, usize) -> f64) -> bool {
        let layout = layout_of_rows(6, 6, false);
        // The first six standard leads are the limb leads.
        let traces: Vec<Followed> = Lead::STANDARD[..6]
            .iter()
            .enumerate()
            .map(|(r, &lead)| followed(lead, r, (0, 500), |i| row(lead, i)))
            .collect();
        limb_leads_agree(&traces, &layout, ONE_SAMPLE_PER_PX, &Config::default())
    }

    #[test]
    fn limb_leads_made_from_i_and_ii_agree_and_rhythm_strips_in_their_place_do_not() {
        let (i, ii) = (|s| waveform(Lead::I, s), |s| 0.8 * waveform(Lead::V2, s));
        let goldberger = |lead: Lead, s: usize| match lead {
            Lead::I => i(s),
            Lead::II => ii(s),
            Lead::III => ii(s) - i(s),
            Lead::AVR => -(i(s) + ii(s)) / 2.0,
            Lead::AVL => i(s) - ii(s) / 2.0,
            _ => ii(s) - i(s) / 2.0,
        };
        assert!(agree(goldberger));
        // A 3×4's lower rows: strips of V1, II and V5 where aVR, aVL and aVF would be.
        assert!(!agree(|lead, s| match lead {
            Lead::AVR => waveform(Lead::V1, s),
            Lead::AVL => ii(s),
            Lead::AVF => waveform(Lead::V5, s),
            _ => goldberger(lead, s),
        }));
    }
}
