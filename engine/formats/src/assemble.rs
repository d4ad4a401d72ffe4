//! The checks every reader's output passes before it becomes a [`Record`], so that the
//! promises the rest of the engine relies on (a positive finite rate, channels of one
//! non-zero length, every sample finite, limits kept) are enforced in one place.

use super::MAX_SAMPLES_PER_CHANNEL;
use crate::{Channel, Lead, Metadata, Record};
use crate::{Error, Result};

/// What a reader found, before the checks.
#[derive(Debug, Default)]
pub struct RecordParts {
    pub name: String,
    pub sampling_rate: f64,
    pub channels: Vec<Channel>,
    pub metadata: Metadata,
    pub warnings: Vec<String>,
}

impl RecordParts {
    /// Checks the parts and makes the record. `file` and `format` name the source in errors.
    pub fn assemble(mut self, file: &str, format: &'static str) -> Result<Record> {
        let invalid = |message: String| Error::InvalidFile {
            file: file.to_string(),
            format,
            message,
        };
        check_sampling_rate(file, format, self.sampling_rate)?;
        self.channels.retain(|c| !c.samples.is_empty());
        if self.channels.is_empty() {
            return Err(invalid("it holds no signal samples".into()));
        }
        let longest = self
            .channels
            .iter()
            .map(|c| c.samples.len())
            .max()
            .unwrap_or(0);
        check_samples(file, longest as u64)?;
        let shortest = self
            .channels
            .iter()
            .map(|c| c.samples.len())
            .min()
            .unwrap_or(0);
        if shortest != longest {
            self.warnings.push(format!(
                "{file}: the channels have different lengths ({shortest} to {longest} samples); all are cut to {shortest}"
            ));
            for channel in &mut self.channels {
                channel.samples.truncate(shortest);
            }
        }
        for channel in &mut self.channels {
            if channel.units.trim().is_empty() {
                // A file that leaves the unit blank: say so rather than show nothing.
                channel.units = "no unit given".to_string();
                channel.lead = None;
            }
        }
        let mut replaced = 0usize;
        for sample in self.channels.iter_mut().flat_map(|c| c.samples.iter_mut()) {
            if !sample.is_finite() {
                *sample = 0.0;
                replaced += 1;
            }
        }
        if replaced > 0 {
            self.warnings.push(format!(
                "{file}: {replaced} samples were not numbers and are read as 0"
            ));
        }
        self.metadata
            .format
            .get_or_insert_with(|| format.to_string());
        Ok(Record {
            name: self.name,
            sampling_rate: self.sampling_rate,
            channels: self.channels,
            metadata: self.metadata,
            warnings: self.warnings,
        })
    }
}

/// The sampling rates a file may declare. Slow channels (a temperature, an SpO2 trend) are
/// sampled at 1 Hz or less in EDF; far below, a rate near zero would make resampling divide by
/// zero or multiply the samples a millionfold, and above 100 kHz no biosignal device records.
/// (A search needs more: `signal::prepare` refuses an ECG below 20 Hz.)
pub const SAMPLING_RATES_HZ: std::ops::RangeInclusive<f64> = 0.5..=100_000.0;

/// Refuses a sampling rate outside [`SAMPLING_RATES_HZ`] (or not a number); every reader's
/// record passes it, and readers call it before decoding samples.
pub fn check_sampling_rate(file: &str, format: &'static str, rate: f64) -> Result<()> {
    if SAMPLING_RATES_HZ.contains(&rate) {
        return Ok(());
    }
    Err(Error::InvalidFile {
        file: file.to_string(),
        format,
        message: format!(
            "the sampling rate {rate} Hz is outside what any recording uses; accepted: {} Hz to {} kHz",
            SAMPLING_RATES_HZ.start(),
            SAMPLING_RATES_HZ.end() / 1000.0
        ),
    })
}

/// Refuses more samples per channel than [`MAX_SAMPLES_PER_CHANNEL`]; readers call it
/// before allocating, with the count the file declares.
pub fn check_samples(file: &str, samples: u64) -> Result<()> {
    if samples > MAX_SAMPLES_PER_CHANNEL {
        return Err(Error::TooLarge {
            file: file.to_string(),
            what: "the number of samples per signal",
            actual: samples,
            limit: MAX_SAMPLES_PER_CHANNEL,
        });
    }
    Ok(())
}

/// A channel in millivolts, recognised as a standard lead by its name where it is one.
pub fn millivolt_channel(name: &str, samples: Vec<f32>) -> Channel {
    Channel {
        name: name.to_string(),
        lead: Lead::from_name(name),
        units: "mV".to_string(),
        samples,
        derived: false,
    }
}

/// Millivolts per unit for the voltage units files write (`V`, `mV`, `uV`, `µV`, `nV`, in any
/// case, spelled out or not), `None` for anything else.
pub fn millivolts_per(unit: &str) -> Option<f64> {
    match unit.trim().to_lowercase().as_str() {
        "v" | "volt" | "volts" => Some(1000.0),
        "mv" | "millivolt" | "millivolts" => Some(1.0),
        "uv" | "\u{b5}v" | "\u{3bc}v" | "microvolt" | "microvolts" => Some(0.001),
        "nv" | "nanovolt" | "nanovolts" => Some(1e-6),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_unit_is_named_and_the_channel_is_not_taken_for_a_lead() {
        // Found by the `edf` fuzz target: an EDF signal with an empty physical dimension.
        let mut channel = millivolt_channel("I", vec![0.0, 1.0]);
        channel.units = "  ".into();
        let parts = RecordParts {
            name: "r".into(),
            sampling_rate: 100.0,
            channels: vec![channel],
            ..RecordParts::default()
        };
        let record = parts.assemble("r.edf", "EDF").unwrap();
        assert_eq!(
            (record.channels[0].units.as_str(), record.channels[0].lead),
            ("no unit given", None)
        );
    }
}
