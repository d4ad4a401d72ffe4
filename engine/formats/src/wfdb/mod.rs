//! WFDB records: a `.hea` header and the signal files it names.
//!
//! `header` reads the text, `storage` turns each signal file into digital samples,
//! `metadata` reads patient details from the comments; this module ties them
//! together and converts to physical units.

mod header;
mod matlab;
mod metadata;
mod storage;

pub use metadata::challenge_diagnoses;
#[cfg(test)]
mod tests;

use super::{
    check_sampling_rate, millivolts_per, InputFile, ReadOptions, RecordReader,
    MAX_SAMPLES_PER_CHANNEL,
};
use std::collections::HashMap;

use crate::{Channel, Lead, Record};
use crate::{Error, Result};
use header::{Header, SignalSpec};
use storage::{Format, StorageLayout};

pub struct WfdbReader;

impl RecordReader for WfdbReader {
    fn name(&self) -> &'static str {
        "WFDB"
    }

    fn detects(&self, file: &InputFile) -> bool {
        file.extension() == "hea"
    }

    fn read(
        &self,
        primary: &InputFile,
        files: &[InputFile],
        _options: &ReadOptions,
    ) -> Result<Record> {
        read(primary, files)
    }

    fn companions(&self, primary: &InputFile) -> Vec<String> {
        header::signal_file_names(&primary.bytes)
    }
}

/// The signals stored in one file, in header order.
struct Group<'h> {
    file_name: &'h str,
    format: Format,
    byte_offset: u64,
    signals: Vec<usize>,
    /// Samples in one frame of this file.
    frame_len: u64,
}

fn read(primary: &InputFile, files: &[InputFile]) -> Result<Record> {
    let header = header::parse(&primary.name, &primary.bytes)?;
    check_sampling_rate(&primary.name, "WFDB", header.frequency)?;
    let mut warnings = header.warnings.clone();
    let groups = group_by_file(&primary.name, &header, &mut warnings)?;

    let mut data = Vec::with_capacity(groups.len());
    let dropped = by_base_name(files);
    for group in &groups {
        let file =
            find_file(primary, &dropped, group.file_name).ok_or_else(|| Error::MissingFile {
                file: primary.name.clone(),
                missing: header::base_name(group.file_name).to_string(),
            })?;
        data.push(file);
    }

    let frames = match header.num_frames {
        Some(n) => n,
        None => infer_frames(&header, &groups, &data, &mut warnings)?,
    };
    let too_large = |actual| Error::TooLarge {
        file: primary.name.clone(),
        what: "the number of samples per signal",
        actual,
        limit: MAX_SAMPLES_PER_CHANNEL,
    };
    for spec in &header.signals {
        let samples = frames.saturating_mul(spec.samples_per_frame);
        if samples > MAX_SAMPLES_PER_CHANNEL {
            return Err(too_large(samples));
        }
    }

    let mut channels: Vec<Option<Channel>> = vec![None; header.signals.len()];
    for (group, file) in groups.iter().zip(&data) {
        let available = (file.bytes.len() as u64).saturating_sub(group.byte_offset);
        let needed = frames
            .checked_mul(group.frame_len)
            .and_then(|n| group.format.bytes_for(n))
            .ok_or_else(|| too_large(u64::MAX))?;
        let truncated = || Error::Truncated {
            file: file.name.clone(),
            expected: needed,
            found: available,
        };
        if available < needed {
            return Err(truncated());
        }
        let bytes = usize::try_from(group.byte_offset)
            .ok()
            .and_then(|o| file.bytes.get(o..))
            .ok_or_else(truncated)?;
        if file.extension() == "mat" {
            let expected = matlab::Expected {
                rows: group.signals.len(),
                columns: frames,
                offset: group.byte_offset,
            };
            warnings.extend(matlab::check(
                &file.name,
                &file.bytes,
                expected,
                group.format,
            ));
        }
        let layouts: Vec<StorageLayout> = group
            .signals
            .iter()
            .map(|&s| {
                let spec = &header.signals[s];
                StorageLayout {
                    // Bounded by MAX_SAMPLES_PER_CHANNEL above.
                    samples_per_frame: spec.samples_per_frame as usize,
                    skew: spec.skew,
                    initial_value: spec.initial_value,
                }
            })
            .collect();
        let conversions: Vec<Conversion> = group
            .signals
            .iter()
            .map(|&s| Conversion::of(&header.signals[s]))
            .collect();
        let decoded = storage::decode(group.format, bytes, &layouts, frames as usize, |i, d| {
            conversions[i].physical(d)
        })
        .ok_or_else(truncated)?;
        for (&s, signal) in group.signals.iter().zip(decoded) {
            let spec = &header.signals[s];
            if header.num_frames.is_some() {
                check_sum(
                    &primary.name,
                    &file.name,
                    s,
                    spec,
                    signal.checksum,
                    &mut warnings,
                );
            }
            let converted = channel(&header, s, signal.samples);
            // A gain so small that samples overflow (1e-300) gives no signal, only infinities.
            let overflowed = converted.samples.iter().filter(|v| v.is_infinite()).count();
            if overflowed > 0 {
                return Err(Error::InvalidFile {
                    file: primary.name.clone(),
                    format: "WFDB",
                    message: format!(
                        "signal {s} ({}) has an ADC gain of {} units per mV, under which {overflowed} samples are too large to represent; accepted: a gain such as 200 or 1000",
                        converted.name, spec.gain
                    ),
                });
            }
            channels[s] = Some(converted);
        }
    }

    let mut metadata = metadata::from_header(&header);
    let matlab = data.iter().any(|f| f.extension() == "mat");
    metadata.format = Some(
        if matlab {
            "WFDB with MATLAB v4 signals (PhysioNet Challenge)"
        } else {
            "WFDB"
        }
        .into(),
    );
    Ok(Record {
        name: header.record_name.clone(),
        sampling_rate: header.frequency,
        channels: channels.into_iter().flatten().collect(),
        metadata,
        warnings,
    })
}

/// Groups signals by file and checks each file's format before any file is looked for, so
/// that a record in an unsupported format says so even when its signal files are missing.
fn group_by_file<'h>(
    file: &str,
    header: &'h Header,
    warnings: &mut Vec<String>,
) -> Result<Vec<Group<'h>>> {
    let mut groups: Vec<Group<'h>> = Vec::new();
    // Groups by file name in a map: a header listing many signals in many files stays linear.
    let mut by_name: HashMap<&'h str, usize> = HashMap::new();
    for (s, spec) in header.signals.iter().enumerate() {
        let Some(group) = by_name
            .get(spec.file_name.as_str())
            .map(|&g| &mut groups[g])
        else {
            let format =
                Format::from_code(&spec.format).ok_or_else(|| Error::UnsupportedFormat {
                    file: file.to_string(),
                    format: describe_format(&spec.format),
                })?;
            by_name.insert(&spec.file_name, groups.len());
            groups.push(Group {
                file_name: &spec.file_name,
                format,
                byte_offset: spec.byte_offset,
                signals: vec![s],
                frame_len: spec.samples_per_frame,
            });
            continue;
        };
        let first = &header.signals[group.signals[0]];
        if spec.format != first.format {
            return Err(Error::InvalidHeader {
                file: file.to_string(),
                line: spec.line,
                message: format!(
                    "'{}' is given storage format {} here and {} on line {}; the signals of one file share one format",
                    spec.file_name, spec.format, first.format, first.line
                ),
            });
        }
        if spec.byte_offset != group.byte_offset {
            warnings.push(format!(
                "{file}: line {}: byte offset {} differs from the {} given for '{}' on line {}; the first is used",
                spec.line, spec.byte_offset, group.byte_offset, spec.file_name, first.line
            ));
        }
        group.frame_len = group
            .frame_len
            .checked_add(spec.samples_per_frame)
            .ok_or_else(|| Error::TooLarge {
                file: file.to_string(),
                what: "the number of samples per frame",
                actual: u64::MAX,
                limit: MAX_SAMPLES_PER_CHANNEL,
            })?;
        group.signals.push(s);
    }
    Ok(groups)
}

fn describe_format(code: &str) -> String {
    match code {
        "508" | "516" | "524" => format!("{code} (FLAC-compressed)"),
        "0" => "0 (null signal, no samples stored)".to_string(),
        _ => code.to_string(),
    }
}

/// The dropped file a header names, preferring one in the header's own folder when a drop
/// holds several files of that name.
fn find_file<'f>(
    primary: &InputFile,
    dropped: &HashMap<&str, Vec<&'f InputFile>>,
    wanted: &str,
) -> Option<&'f InputFile> {
    let folder = |f: &InputFile| f.name.len() - f.base_name().len();
    let same_folder = |f: &&&InputFile| f.name[..folder(f)] == primary.name[..folder(primary)];
    let candidates = dropped.get(header::base_name(wanted))?;
    candidates
        .iter()
        .find(same_folder)
        .or(candidates.first())
        .copied()
}

/// The dropped files by base name, in drop order, looked up once per signal file.
fn by_base_name(files: &[InputFile]) -> HashMap<&str, Vec<&InputFile>> {
    let mut index: HashMap<&str, Vec<&InputFile>> = HashMap::new();
    for f in files {
        index.entry(f.base_name()).or_default().push(f);
    }
    index
}

/// Frames in the record when the header does not say: as many whole frames as every file holds.
fn infer_frames(
    header: &Header,
    groups: &[Group],
    data: &[&InputFile],
    warnings: &mut Vec<String>,
) -> Result<u64> {
    let counts: Vec<u64> = groups
        .iter()
        .zip(data)
        .map(|(g, f)| {
            let available = (f.bytes.len() as u64).saturating_sub(g.byte_offset);
            g.format.samples_in(available) / g.frame_len
        })
        .collect();
    let frames = counts.iter().copied().min().unwrap_or(0);
    if frames == 0 {
        return Err(Error::InvalidRecord {
            record: header.record_name.clone(),
            message: "the header does not give the number of samples and the signal files hold no complete frame"
                .into(),
        });
    }
    if counts.iter().any(|&c| c != frames) {
        let listed: Vec<String> = data
            .iter()
            .zip(&counts)
            .map(|(f, c)| format!("{} {c}", f.name))
            .collect();
        warnings.push(format!(
            "{}: the signal files hold different numbers of frames ({}); {frames} are read",
            header.record_name,
            listed.join(", ")
        ));
    }
    Ok(frames)
}

fn check_sum(
    hea: &str,
    dat: &str,
    s: usize,
    spec: &SignalSpec,
    actual: u16,
    warnings: &mut Vec<String>,
) {
    let Some(expected) = spec.checksum else {
        return;
    };
    if expected.rem_euclid(65536) != i64::from(actual) {
        warnings.push(format!(
            "{hea}: signal {s} ({}): checksum mismatch: the header gives {expected}, the samples in {dat} add up to \
             {actual} (modulo 65536). The signal file may be damaged or belong to another version of the record",
            spec.description.as_deref().unwrap_or("no description")
        ));
    }
}

/// From a signal's digital values to its physical ones (mV where the units say so).
struct Conversion {
    baseline: f64,
    gain: f64,
    scale: f64,
}

impl Conversion {
    fn of(spec: &SignalSpec) -> Conversion {
        Conversion {
            baseline: spec.baseline as f64,
            gain: spec.gain,
            scale: millivolts_per(&spec.units).unwrap_or(1.0),
        }
    }

    fn physical(&self, digital: i64) -> f32 {
        ((digital as f64 - self.baseline) / self.gain * self.scale) as f32
    }
}

/// The channel of signal `s`, whose `samples` are already physical values.
fn channel(header: &Header, s: usize, samples: Vec<f32>) -> Channel {
    let spec = &header.signals[s];
    let name = spec
        .description
        .clone()
        .unwrap_or_else(|| format!("record {}, signal {s}", header.record_name));
    let to_mv = millivolts_per(&spec.units);
    Channel {
        lead: to_mv.and_then(|_| Lead::from_name(&name)),
        units: if to_mv.is_some() {
            "mV".to_string()
        } else {
            spec.units.clone()
        },
        samples,
        derived: false,
        name,
    }
}
