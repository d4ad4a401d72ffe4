//! Scoring the digitizer on rendered sheets of real records: each lead's Challenge 2024 SNR
//! against the window of the record that the sheet printed (the rest of the truth is NaN, so
//! that a 2.5 s cell is not charged for the 7.5 s it never showed).

use super::digitize::Digitized;
use super::render::Rendered;
use super::snr::{challenge_snr, SnrConfig};
use ecgmatch_formats::{Lead, Record};
use ecgmatch_signal::fill_leads;

/// The true samples of `lead` inside the longest window the sheet printed it in (lead II's
/// rhythm strip, where there is one), NaN elsewhere.
pub fn printed_reference(truth: &Record, rendered: &Rendered, lead: Lead) -> Vec<f32> {
    let Some(channel) = truth.lead(lead) else {
        return Vec::new();
    };
    let fs = truth.sampling_rate;
    let (start, end) = rendered
        .truth
        .iter()
        .filter(|p| p.lead == lead)
        .map(|p| {
            (
                (p.start_s * fs).round() as usize,
                (p.end_s * fs).round() as usize,
            )
        })
        .max_by_key(|(a, b)| b.saturating_sub(*a))
        .unwrap_or((0, 0));
    channel
        .samples
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if (start..end).contains(&i) {
                *v
            } else {
                f32::NAN
            }
        })
        .collect()
}

/// The true record cut to what the sheet printed and filled as the digitizer fills what it
/// did not see: the best a perfect digitizer could give the search.
pub fn printed_only(truth: &Record, rendered: &Rendered) -> Record {
    let mut leads: Vec<Vec<f32>> = Lead::STANDARD
        .iter()
        .map(|&lead| printed_reference(truth, rendered, lead))
        .collect();
    let seen: Vec<Vec<bool>> = leads
        .iter()
        .map(|x| x.iter().map(|v| v.is_finite()).collect())
        .collect();
    for x in &mut leads {
        x.iter_mut()
            .filter(|v| !v.is_finite())
            .for_each(|v| *v = 0.0);
    }
    fill_leads(&mut leads, &seen, truth.sampling_rate);
    let mut record = truth.clone();
    record
        .channels
        .retain(|c| c.lead.is_some_and(|l| Lead::STANDARD.contains(&l)));
    for channel in &mut record.channels {
        let lead = channel.lead.expect("kept only standard leads");
        channel.samples = std::mem::take(&mut leads[lead.index()]);
    }
    record
}

/// What the digitizer read for `lead`, NaN where it saw nothing.
pub fn read_estimate(digitized: &Digitized, lead: Lead) -> Vec<f32> {
    let (Some(channel), Some(seen)) = (
        digitized.record.lead(lead),
        digitized.visible.get(lead.index()),
    ) else {
        return Vec::new();
    };
    channel
        .samples
        .iter()
        .zip(seen)
        .map(|(v, s)| if *s { *v } else { f32::NAN })
        .collect()
}

/// Each standard lead's Challenge SNR in dB, in [`Lead::STANDARD`] order.
pub fn lead_snrs(truth: &Record, rendered: &Rendered, digitized: &Digitized) -> Vec<f64> {
    Lead::STANDARD
        .iter()
        .map(|&lead| {
            let estimate = read_estimate(digitized, lead);
            challenge_snr(
                &printed_reference(truth, rendered, lead),
                &estimate,
                truth.sampling_rate,
                &SnrConfig::default(),
            )
            .snr_db
        })
        .collect()
}
