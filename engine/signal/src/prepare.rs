//! The preparation every encoding starts from: the twelve standard leads, resampled to
//! one rate and band-limited with zero-phase Butterworth filters.

use super::filter::{Butterworth, FilterKind};
use super::resample::resample;
use crate::{Error, Result};
use ecgmatch_formats::{Lead, Record};

#[derive(Debug, Clone, PartialEq)]
pub struct PrepareConfig {
    /// Rate every lead is resampled to, in Hz.
    pub sampling_rate: f64,
    /// High-pass cut-off in Hz (baseline wander), or none.
    pub highpass_hz: Option<f64>,
    /// Low-pass cut-off in Hz (muscle noise, mains), or none.
    pub lowpass_hz: Option<f64>,
    pub filter_order: usize,
}

impl Default for PrepareConfig {
    fn default() -> Self {
        Self {
            sampling_rate: 100.0,
            highpass_hz: Some(0.5),
            lowpass_hz: Some(40.0),
            filter_order: 2,
        }
    }
}

/// The standard leads after preparation, indexed by [`Lead::index`]; `None` where absent.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedLeads {
    pub sampling_rate: f64,
    pub leads: [Option<Vec<f32>>; 12],
}

impl PreparedLeads {
    pub fn get(&self, lead: Lead) -> Option<&[f32]> {
        self.leads[lead.index()].as_deref()
    }

    pub fn len(&self) -> usize {
        self.leads.iter().flatten().map(Vec::len).max().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Slowest sampling rate an ECG is prepared from: below it a QRS complex (80–120 ms) falls
/// between samples.
pub const MIN_ECG_RATE_HZ: f64 = 20.0;

pub fn prepare(record: &Record, config: &PrepareConfig) -> Result<PreparedLeads> {
    if record.sampling_rate < MIN_ECG_RATE_HZ {
        return Err(Error::InvalidRecord {
            record: record.name.clone(),
            message: format!(
                "it is sampled at {} Hz, too slowly to show a heartbeat's QRS complex; accepted: ECGs sampled at {MIN_ECG_RATE_HZ} Hz or more",
                record.sampling_rate
            ),
        });
    }
    if record.standard_leads().is_empty() {
        return Err(Error::InvalidRecord {
            record: record.name.clone(),
            message: format!(
                "none of its channels ({}) is a standard ECG lead (I, II, III, aVR, aVL, aVF, V1–V6)",
                record.channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let fs = config.sampling_rate;
    let filters = [
        config.highpass_hz.map(|f| (FilterKind::HighPass, f)),
        config.lowpass_hz.map(|f| (FilterKind::LowPass, f)),
    ]
    .into_iter()
    .flatten()
    .map(|(kind, cutoff)| Butterworth::design(kind, config.filter_order, cutoff, fs))
    .collect::<Result<Vec<_>>>()?;

    let mut leads: [Option<Vec<f32>>; 12] = Default::default();
    for lead in Lead::STANDARD {
        let Some(channel) = record.lead(lead) else {
            continue;
        };
        // Missing samples (NaN) would poison the filters; hold the neighbouring value instead.
        let mut last = 0.0;
        let filled: Vec<f32> = channel
            .samples
            .iter()
            .map(|v| {
                if v.is_finite() {
                    last = *v;
                }
                last
            })
            .collect();
        let mut x = resample(&filled, record.sampling_rate, fs)?;
        for f in &filters {
            x = f.filtfilt(&x);
        }
        leads[lead.index()] = Some(x);
    }
    Ok(PreparedLeads {
        sampling_rate: fs,
        leads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecgmatch_formats::{Channel, Metadata};

    fn record(fs: f64, channels: Vec<(&str, Vec<f32>)>) -> Record {
        Record {
            name: "t".into(),
            sampling_rate: fs,
            channels: channels
                .into_iter()
                .map(|(n, s)| Channel {
                    name: n.into(),
                    lead: Lead::from_name(n),
                    units: "mV".into(),
                    samples: s,
                    derived: false,
                })
                .collect(),
            metadata: Metadata::default(),
            warnings: vec![],
        }
    }

    #[test]
    fn resamples_and_removes_offset() {
        let x: Vec<f32> = (0..5000).map(|i| 2.0 + (i as f32 * 0.05).sin()).collect();
        let p = prepare(&record(500.0, vec![("II", x)]), &PrepareConfig::default()).unwrap();
        let ii = p.get(Lead::II).unwrap();
        assert_eq!(ii.len(), 1000);
        let mean: f32 = ii[200..800].iter().sum::<f32>() / 600.0;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!(p.get(Lead::I).is_none());
    }

    #[test]
    fn refuses_ecgs_sampled_too_slowly_to_show_a_qrs() {
        // At 0.0004 Hz resampling once divided by zero; at 0.001 Hz it upsampled 100,000-fold.
        for rate in [0.0004, 0.001, 5.0] {
            let err = prepare(
                &record(rate, vec![("II", vec![0.0; 10])]),
                &PrepareConfig::default(),
            )
            .unwrap_err();
            assert!(
                err.to_string().contains("accepted: ECGs sampled at 20 Hz"),
                "{err}"
            );
        }
    }

    #[test]
    fn refuses_records_without_ecg_leads() {
        let err = prepare(
            &record(100.0, vec![("ABP", vec![0.0; 100])]),
            &PrepareConfig::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("ABP"), "{err}");
    }

    #[test]
    fn missing_samples_do_not_spread_nan() {
        let mut x = vec![0.0f32; 1000];
        x[500] = f32::NAN;
        let p = prepare(&record(100.0, vec![("V1", x)]), &PrepareConfig::default()).unwrap();
        assert!(p.get(Lead::V1).unwrap().iter().all(|v| v.is_finite()));
    }
}
