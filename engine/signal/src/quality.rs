//! Whether a record's leads carry an ECG at all, before it is searched: a file of zeros, of
//! non-numbers, or read with an absurd gain still encodes to an embedding, and the search would
//! answer it as confidently as a real ECG. Page, CLI and JavaScript API share this gate
//! (`retrieval::search::Searcher::input`).

use crate::{Error, Result};
use ecgmatch_formats::{Lead, Record};

/// A lead whose finite samples span less than this (mV) is flat: no heartbeat moves it.
pub const FLAT_MV: f32 = 0.02;
/// A lead spanning more than this (mV) is no body-surface ECG (a QRS reaches 5 mV at most);
/// the file's gain or unit is likely wrong.
pub const IMPLAUSIBLE_MV: f32 = 30.0;
/// A lead with more than this share of non-numbers is unreadable.
pub const MAX_NON_FINITE: f64 = 0.5;
/// A lead with more than this share of its samples at its lowest or highest value was clipped
/// by the recorder's range: readable, but its peaks are cut.
pub const CLIPPED_SHARE: f64 = 0.05;

/// What the gate found in one standard lead.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadQuality {
    Usable,
    /// Usable, with a warning.
    Clipped {
        share: f64,
    },
    Flat {
        span_mv: f32,
    },
    NonFinite {
        share: f64,
    },
    Implausible {
        span_mv: f32,
    },
}

impl LeadQuality {
    pub fn usable(&self) -> bool {
        matches!(self, LeadQuality::Usable | LeadQuality::Clipped { .. })
    }

    fn describe(&self) -> Option<String> {
        match self {
            LeadQuality::Usable => None,
            LeadQuality::Clipped { share } => Some(format!(
                "clipped ({:.0}% of its samples at its extremes)",
                100.0 * share
            )),
            LeadQuality::Flat { span_mv } => Some(format!("flat (spans {span_mv:.3} mV)")),
            LeadQuality::NonFinite { share } => Some(format!(
                "{:.0}% of its samples are not numbers",
                100.0 * share
            )),
            LeadQuality::Implausible { span_mv } => Some(format!(
                "spans {span_mv:.0} mV, which no ECG does (is the gain or unit wrong?)"
            )),
        }
    }
}

/// Judges one lead's samples.
pub fn lead_quality(samples: &[f32]) -> LeadQuality {
    let finite: Vec<f32> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    let non_finite = 1.0 - finite.len() as f64 / samples.len().max(1) as f64;
    if finite.is_empty() || non_finite > MAX_NON_FINITE {
        return LeadQuality::NonFinite { share: non_finite };
    }
    let (lo, hi) = finite
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let span_mv = hi - lo;
    if span_mv < FLAT_MV {
        return LeadQuality::Flat { span_mv };
    }
    if span_mv > IMPLAUSIBLE_MV {
        return LeadQuality::Implausible { span_mv };
    }
    let at_extremes = finite.iter().filter(|&&v| v == lo || v == hi).count();
    let share = at_extremes as f64 / finite.len() as f64;
    if share > CLIPPED_SHARE {
        return LeadQuality::Clipped { share };
    }
    LeadQuality::Usable
}

/// Warnings naming each standard lead that is not plainly usable, or an error when none of
/// them is usable.
pub fn check(record: &Record) -> Result<Vec<String>> {
    let judged: Vec<(Lead, LeadQuality)> = record
        .channels
        .iter()
        .filter_map(|c| Some((c.lead?, lead_quality(&c.samples))))
        .collect();
    let described: Vec<String> = judged
        .iter()
        .filter_map(|(lead, q)| Some(format!("{}: {}", lead.label(), q.describe()?)))
        .collect();
    // Without standard leads there is nothing to judge here; preparing the record says why it
    // cannot be searched.
    if judged.is_empty() || judged.iter().any(|(_, q)| q.usable()) {
        return Ok(described
            .into_iter()
            .map(|d| format!("{d}; this lead is weighed as it is"))
            .collect());
    }
    Err(Error::InvalidRecord {
        record: record.name.clone(),
        message: format!(
            "no lead carries an ECG signal ({}); accepted: a recording in which at least one lead shows the heart's activity",
            described.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beats(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                if i % 80 == 40 {
                    1.2
                } else {
                    0.05 * ((i as f32) * 0.1).sin()
                }
            })
            .collect()
    }

    #[test]
    fn each_kind_of_garbage_is_named() {
        assert_eq!(lead_quality(&beats(1000)), LeadQuality::Usable);
        assert!(matches!(
            lead_quality(&[0.0; 1000]),
            LeadQuality::Flat { .. }
        ));
        assert!(matches!(
            lead_quality(&[f32::NAN; 1000]),
            LeadQuality::NonFinite { .. }
        ));
        assert!(matches!(
            lead_quality(&[f32::INFINITY; 10]),
            LeadQuality::NonFinite { .. }
        ));
        let huge: Vec<f32> = beats(1000).iter().map(|v| v * 1000.0).collect();
        assert!(matches!(
            lead_quality(&huge),
            LeadQuality::Implausible { .. }
        ));
        let clipped: Vec<f32> = beats(1000).iter().map(|v| v.clamp(-0.02, 0.02)).collect();
        assert!(matches!(
            lead_quality(&clipped),
            LeadQuality::Clipped { .. }
        ));
        assert!(lead_quality(&clipped).usable());
    }
}
