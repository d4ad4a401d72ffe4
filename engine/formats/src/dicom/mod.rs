//! DICOM waveform objects (12-lead, general and ambulatory ECG, PS3.3 A.34): a 128-byte
//! preamble, `DICM`, the file meta group in explicit VR little endian, then the data set
//! in the transfer syntax the meta group names.
//!
//! `dataset` parses the data set generically; this module picks the waveform multiplex
//! group, decodes its interleaved samples and converts them with each channel's
//! sensitivity, correction factor and baseline; `writer` writes our own files.

mod dataset;
#[cfg(test)]
mod tests;
mod writer;

pub use writer::write;

use super::{check_samples, ByteReader, InputFile, ReadOptions, RecordParts, RecordReader};
use crate::datetime::DateTime;
use crate::{AmplitudeUnits, Channel, Lead, Metadata, Record, Sex};
use crate::{Error, Result};
use dataset::{tag, Dataset, Parser, Syntax, Tag};

pub const FORMAT: &str = "DICOM ECG";

const PREAMBLE: usize = 128;

const IMPLICIT_LITTLE: &str = "1.2.840.10008.1.2";
const EXPLICIT_LITTLE: &str = "1.2.840.10008.1.2.1";
const DEFLATED: &str = "1.2.840.10008.1.2.1.99";
const EXPLICIT_BIG: &str = "1.2.840.10008.1.2.2";

const TRANSFER_SYNTAX: Tag = tag(0x0002, 0x0010);
const MODALITY: Tag = tag(0x0008, 0x0060);
const SOP_CLASS: Tag = tag(0x0008, 0x0016);
const PATIENT_SEX: Tag = tag(0x0010, 0x0040);
const PATIENT_AGE: Tag = tag(0x0010, 0x1010);
const WAVEFORM_SEQUENCE: Tag = tag(0x5400, 0x0100);
const CHANNEL_COUNT: Tag = tag(0x003A, 0x0005);
const SAMPLE_COUNT: Tag = tag(0x003A, 0x0010);
const SAMPLING_FREQUENCY: Tag = tag(0x003A, 0x001A);
const MULTIPLEX_LABEL: Tag = tag(0x003A, 0x0020);
const CHANNEL_DEFINITIONS: Tag = tag(0x003A, 0x0200);
const CHANNEL_SOURCE: Tag = tag(0x003A, 0x0208);
const SENSITIVITY: Tag = tag(0x003A, 0x0210);
const SENSITIVITY_UNITS: Tag = tag(0x003A, 0x0211);
const CORRECTION_FACTOR: Tag = tag(0x003A, 0x0212);
const BASELINE: Tag = tag(0x003A, 0x0213);
const CHANNEL_LABEL: Tag = tag(0x003A, 0x0203);
const CODE_VALUE: Tag = tag(0x0008, 0x0100);
const CODE_MEANING: Tag = tag(0x0008, 0x0104);
const BITS_ALLOCATED: Tag = tag(0x5400, 0x1004);
const SAMPLE_INTERPRETATION: Tag = tag(0x5400, 0x1006);
const WAVEFORM_DATA: Tag = tag(0x5400, 0x1010);
const ANNOTATIONS: Tag = tag(0x0040, 0xB020);
const UNFORMATTED_TEXT: Tag = tag(0x0070, 0x0006);

/// Date and time elements, most specific first: the acquisition, then the content, then the study.
const WHEN: [(Tag, Option<Tag>); 4] = [
    (tag(0x0008, 0x002A), None),
    (tag(0x0008, 0x0022), Some(tag(0x0008, 0x0032))),
    (tag(0x0008, 0x0023), Some(tag(0x0008, 0x0033))),
    (tag(0x0008, 0x0020), Some(tag(0x0008, 0x0030))),
];

pub struct DicomReader;

impl RecordReader for DicomReader {
    fn name(&self) -> &'static str {
        FORMAT
    }

    fn detects(&self, file: &InputFile) -> bool {
        data_start(&file.bytes).is_some()
    }

    fn read(
        &self,
        primary: &InputFile,
        _files: &[InputFile],
        options: &ReadOptions,
    ) -> Result<Record> {
        read(primary, options)
    }

    fn companions(&self, _primary: &InputFile) -> Vec<String> {
        Vec::new()
    }
}

/// Where the file meta group starts: after the preamble and `DICM`, or at byte 0 for a file
/// written without a preamble that begins with a group-0002 element in explicit VR.
fn data_start(bytes: &[u8]) -> Option<usize> {
    if bytes.get(PREAMBLE..PREAMBLE + 4) == Some(b"DICM") {
        return Some(PREAMBLE + 4);
    }
    let starts_with_meta = bytes.get(0..2) == Some(&[0x02, 0x00])
        && bytes
            .get(4..6)
            .is_some_and(|vr| matches!(vr, b"UL" | b"OB" | b"UI" | b"SH" | b"AE"));
    starts_with_meta.then_some(0)
}

fn read(primary: &InputFile, options: &ReadOptions) -> Result<Record> {
    let file = primary.name.as_str();
    let bytes = primary.bytes.as_slice();
    let start = data_start(bytes)
        .ok_or_else(|| invalid(file, "it does not start with the DICOM preamble and 'DICM'"))?;
    let mut reader = ByteReader::new(bytes, file, FORMAT);
    reader.seek(start)?;
    let meta = Parser::new(&mut reader, bytes, Syntax::ExplicitLittle)
        .read_while(|t| t >> 16 == 0x0002)?;
    let mut warnings = Vec::new();
    let syntax = match meta.text(TRANSFER_SYNTAX).as_deref() {
        Some(IMPLICIT_LITTLE) => Syntax::ImplicitLittle,
        Some(EXPLICIT_LITTLE) => Syntax::ExplicitLittle,
        Some(uid @ (DEFLATED | EXPLICIT_BIG)) => {
            let what = if uid == DEFLATED { "deflate-compressed" } else { "big-endian" };
            return Err(not_supported(file, format!("the {what} transfer syntax {uid}")));
        }
        Some(other) => {
            return Err(not_supported(
                file,
                format!(
                    "the transfer syntax {other} (supported: {IMPLICIT_LITTLE} implicit VR and {EXPLICIT_LITTLE} \
                     explicit VR little endian)"
                ),
            ))
        }
        None => {
            let syntax = guess_syntax(bytes, reader.position());
            warnings.push(format!(
                "{file}: the file meta information names no transfer syntax; the data set looks like {} VR little endian",
                if syntax == Syntax::ExplicitLittle { "explicit" } else { "implicit" }
            ));
            syntax
        }
    };
    let body = Parser::new(&mut reader, bytes, syntax).read_while(|_| true)?;
    let multiplex = choose_multiplex(file, &body)?;
    let (sampling_rate, channels) = decode_multiplex(file, multiplex, options, &mut warnings)?;
    let mut metadata = metadata(&body);
    if channels.iter().any(|c| c.guessed) {
        metadata.guessed_units = Some(options.units.unwrap_or(AmplitudeUnits::Microvolts));
    }
    RecordParts {
        name: primary.stem().to_string(),
        sampling_rate,
        channels: channels.into_iter().map(|c| c.channel).collect(),
        metadata,
        warnings,
    }
    .assemble(file, FORMAT)
}

/// Explicit VR when the bytes after the first tag spell a value representation.
fn guess_syntax(bytes: &[u8], at: usize) -> Syntax {
    match bytes.get(at + 4..at + 6) {
        Some(vr) if vr.iter().all(u8::is_ascii_uppercase) => Syntax::ExplicitLittle,
        _ => Syntax::ImplicitLittle,
    }
}

/// The rhythm multiplex group: labelled `RHYTHM` where the file labels its groups, and the
/// one with the most samples in all, so that a median beat is not taken for the recording.
fn choose_multiplex<'d, 'a>(file: &str, body: &'d Dataset<'a>) -> Result<&'d Dataset<'a>> {
    let groups = body.items(WAVEFORM_SEQUENCE);
    if groups.is_empty() {
        let what = match (body.text(MODALITY), body.text(SOP_CLASS)) {
            (Some(modality), _) => format!("modality {modality}"),
            (None, Some(class)) => format!("SOP class {class}"),
            (None, None) => "no modality".to_string(),
        };
        return Err(invalid(
            file,
            format!("it holds no Waveform Sequence (5400,0100), so it is not an ECG waveform object ({what})"),
        ));
    }
    let size = |g: &Dataset| {
        u64::from(g.unsigned(CHANNEL_COUNT).unwrap_or(0))
            * u64::from(g.unsigned(SAMPLE_COUNT).unwrap_or(0))
    };
    let is_rhythm = |g: &&Dataset| {
        g.text(MULTIPLEX_LABEL)
            .is_some_and(|l| l.eq_ignore_ascii_case("RHYTHM"))
    };
    let largest =
        |candidates: Vec<&'d Dataset<'a>>| candidates.into_iter().rev().max_by_key(|g| size(g));
    let rhythm: Vec<&Dataset> = groups.iter().filter(is_rhythm).collect();
    let chosen = if rhythm.is_empty() {
        largest(groups.iter().collect())
    } else {
        largest(rhythm)
    };
    chosen.ok_or_else(|| invalid(file, "its Waveform Sequence is empty"))
}

/// A decoded channel, and whether its units were assumed rather than stated.
struct Decoded {
    channel: Channel,
    guessed: bool,
}

#[derive(Clone, Copy)]
enum SampleType {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
}

impl SampleType {
    fn bytes(self) -> usize {
        match self {
            SampleType::I8 | SampleType::U8 => 1,
            SampleType::I16 | SampleType::U16 => 2,
            SampleType::I32 | SampleType::U32 => 4,
        }
    }

    fn decode(self, b: &[u8]) -> f64 {
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        match self {
            SampleType::I8 => f64::from(at(0) as i8),
            SampleType::U8 => f64::from(at(0)),
            SampleType::I16 => f64::from(i16::from_le_bytes([at(0), at(1)])),
            SampleType::U16 => f64::from(u16::from_le_bytes([at(0), at(1)])),
            SampleType::I32 => f64::from(i32::from_le_bytes([at(0), at(1), at(2), at(3)])),
            SampleType::U32 => f64::from(u32::from_le_bytes([at(0), at(1), at(2), at(3)])),
        }
    }
}

fn sample_type(file: &str, group: &Dataset) -> Result<SampleType> {
    let interpretation = group
        .text(SAMPLE_INTERPRETATION)
        .unwrap_or_else(|| "SS".to_string());
    let sample_type = match interpretation.as_str() {
        "SB" => SampleType::I8,
        "UB" => SampleType::U8,
        "SS" => SampleType::I16,
        "US" => SampleType::U16,
        "SL" => SampleType::I32,
        "UL" => SampleType::U32,
        "MB" | "AB" => {
            return Err(not_supported(
                file,
                format!("{interpretation} (mu-law or A-law) waveform samples"),
            ))
        }
        other => {
            return Err(invalid(
                file,
                format!(
                "the Waveform Sample Interpretation '{other}' is not one of SB, UB, SS, US, SL, UL"
            ),
            ))
        }
    };
    let bits = group
        .unsigned(BITS_ALLOCATED)
        .unwrap_or(8 * sample_type.bytes() as u32);
    if bits as usize != 8 * sample_type.bytes() {
        return Err(invalid(
            file,
            format!(
                "Waveform Bits Allocated is {bits}, but {interpretation} samples take {}",
                8 * sample_type.bytes()
            ),
        ));
    }
    Ok(sample_type)
}

fn decode_multiplex(
    file: &str,
    group: &Dataset,
    options: &ReadOptions,
    warnings: &mut Vec<String>,
) -> Result<(f64, Vec<Decoded>)> {
    let required = |tag: Tag, name: &str| {
        group.unsigned(tag).ok_or_else(|| {
            invalid(
                file,
                format!("the waveform has no {name} {}", dataset::describe(tag)),
            )
        })
    };
    let channel_count = required(CHANNEL_COUNT, "Number of Waveform Channels")? as usize;
    let sample_count = required(SAMPLE_COUNT, "Number of Waveform Samples")?;
    check_samples(file, u64::from(sample_count))?;
    let sample_count = sample_count as usize;
    let sampling_rate = group.number(SAMPLING_FREQUENCY).ok_or_else(|| {
        invalid(
            file,
            "the waveform has no readable Sampling Frequency (003A,001A)",
        )
    })?;
    let sample_type = sample_type(file, group)?;
    let data = group
        .bytes(WAVEFORM_DATA)
        .ok_or_else(|| invalid(file, "the waveform has no Waveform Data (5400,1010)"))?;
    let frame = channel_count * sample_type.bytes();
    let needed = frame as u64 * sample_count as u64;
    if needed > data.len() as u64 {
        return Err(invalid(
            file,
            format!(
                "the Waveform Data holds {} bytes, but {channel_count} channels of {sample_count} samples need {needed}",
                data.len()
            ),
        ));
    }
    let definitions = group.items(CHANNEL_DEFINITIONS);
    if definitions.len() != channel_count {
        return Err(invalid(
            file,
            format!(
                "the Channel Definition Sequence has {} items for {channel_count} channels",
                definitions.len()
            ),
        ));
    }
    let mut channels = Vec::with_capacity(channel_count);
    for (index, definition) in definitions.iter().enumerate() {
        let scale = ChannelScale::read(definition, options);
        let samples = (0..sample_count)
            .map(|s| {
                let at = s * frame + index * sample_type.bytes();
                let raw = sample_type.decode(data.get(at..at + sample_type.bytes()).unwrap_or(&[]));
                scale.physical(raw)
            })
            .collect();
        let name = channel_name(definition, index);
        let lead = if scale.is_voltage() {
            lead_of(definition, &name)
        } else {
            None
        };
        channels.push(Decoded {
            channel: Channel {
                name,
                lead,
                units: scale.units.clone(),
                samples,
                derived: false,
            },
            guessed: scale.guessed,
        });
    }
    if channels.iter().any(|c| c.guessed) {
        let units = options.units.unwrap_or(AmplitudeUnits::Microvolts);
        warnings.push(format!(
            "{file}: the channels give no sensitivity, so their samples are read as {} per unit",
            units.label()
        ));
    }
    Ok((sampling_rate, channels))
}

/// How one channel's stored values become physical values.
struct ChannelScale {
    /// Sensitivity times correction factor, in `units` per stored unit.
    gain: f64,
    /// In `units`, added after scaling: PS3.3 C.10.9.1.4.3 defines the baseline as the offset
    /// of stored value 0 from actual 0 in the sensitivity's units.
    baseline: f64,
    units: String,
    guessed: bool,
}

impl ChannelScale {
    fn read(definition: &Dataset, options: &ReadOptions) -> Self {
        let correction = definition.number(CORRECTION_FACTOR).unwrap_or(1.0);
        let baseline = definition.number(BASELINE).unwrap_or(0.0);
        let Some(sensitivity) = definition.number(SENSITIVITY) else {
            let units = options.units.unwrap_or(AmplitudeUnits::Microvolts);
            let to_mv = f64::from(units.millivolts_per_unit());
            return Self {
                gain: to_mv * correction,
                baseline: baseline * to_mv,
                units: "mV".into(),
                guessed: true,
            };
        };
        let code = definition
            .items(SENSITIVITY_UNITS)
            .first()
            .and_then(|u| u.text(CODE_VALUE));
        // Without units the sensitivity of an ECG channel is in µV by convention.
        let to_mv = code.as_deref().map_or(Some(0.001), millivolts_per);
        match to_mv {
            Some(to_mv) => Self {
                gain: sensitivity * correction * to_mv,
                baseline: baseline * to_mv,
                units: "mV".into(),
                guessed: false,
            },
            None => Self {
                gain: sensitivity * correction,
                baseline,
                units: code.unwrap_or_default(),
                guessed: false,
            },
        }
    }

    fn physical(&self, raw: f64) -> f32 {
        (raw * self.gain + self.baseline) as f32
    }

    fn is_voltage(&self) -> bool {
        self.units == "mV"
    }
}

/// Millivolts per unit for the UCUM voltage codes, `None` for anything else.
fn millivolts_per(code: &str) -> Option<f64> {
    match code {
        "V" => Some(1000.0),
        "mV" => Some(1.0),
        "uV" | "\u{b5}V" => Some(0.001),
        "nV" => Some(1e-6),
        _ => None,
    }
}

/// The channel source's meaning as the file writes it (`Lead I`, `Lead aVR`), else the code,
/// else the channel label.
fn channel_name(definition: &Dataset, index: usize) -> String {
    let source = definition.items(CHANNEL_SOURCE).first();
    source
        .and_then(|s| s.text(CODE_MEANING))
        .or_else(|| {
            source
                .and_then(|s| s.text(CODE_VALUE))
                .map(|code| match scp_lead_number(&code) {
                    Some(number) => crate::lead_codes::lead_name(number),
                    None => code,
                })
        })
        .or_else(|| definition.text(CHANNEL_LABEL))
        .unwrap_or_else(|| format!("channel {}", index + 1))
}

/// The standard lead from the meaning (`Lead I (Einthoven)` names lead I) or from the code:
/// MDC `2:n` and SCP-ECG `5.6.3-9-n` both number leads as SCP-ECG section 3 does.
fn lead_of(definition: &Dataset, name: &str) -> Option<Lead> {
    let without_note = name.split('(').next().unwrap_or(name);
    Lead::from_name(without_note).or_else(|| {
        let code = definition.items(CHANNEL_SOURCE).first()?.text(CODE_VALUE)?;
        let number = scp_lead_number(&code)?;
        Lead::from_name(&crate::lead_codes::lead_name(number))
    })
}

fn scp_lead_number(code: &str) -> Option<u8> {
    let number = code
        .strip_prefix("2:")
        .or_else(|| code.strip_prefix("5.6.3-9-"))?;
    number.parse().ok()
}

fn metadata(body: &Dataset) -> Metadata {
    let statements = body
        .items(ANNOTATIONS)
        .iter()
        .filter_map(|a| a.text(UNFORMATTED_TEXT))
        .collect();
    Metadata {
        age: body.text(PATIENT_AGE).as_deref().and_then(parse_age),
        sex: match body.text(PATIENT_SEX).as_deref() {
            Some("M") => Some(Sex::Male),
            Some("F") => Some(Sex::Female),
            _ => None,
        },
        date: WHEN
            .iter()
            .find_map(|&(date, time)| {
                let date = body.text(date)?;
                Some(match time.and_then(|t| body.text(t)) {
                    Some(time) => format!("{date}{time}"),
                    None => date,
                })
            })
            .and_then(|dt| DateTime::parse_dicom(&dt))
            .map(|dt| dt.to_string()),
        statements,
        ..Metadata::default()
    }
}

/// An age string (AS): three digits and D, W, M or Y, e.g. `045Y`, `006M`.
fn parse_age(text: &str) -> Option<f32> {
    // The unit is the last character, which a damaged file may make any character at all.
    let unit = text.chars().last()?;
    let value: f32 = text[..text.len() - unit.len_utf8()].trim().parse().ok()?;
    let years = match unit {
        'Y' | 'y' => value,
        'M' | 'm' => value / 12.0,
        'W' | 'w' => value * 7.0 / 365.25,
        'D' | 'd' => value / 365.25,
        _ => return None,
    };
    (0.0..=150.0).contains(&years).then_some(years)
}

fn invalid(file: &str, message: impl Into<String>) -> Error {
    Error::InvalidFile {
        file: file.to_string(),
        format: FORMAT,
        message: message.into(),
    }
}

fn not_supported(file: &str, message: impl Into<String>) -> Error {
    Error::NotSupported {
        file: file.to_string(),
        format: FORMAT,
        message: message.into(),
    }
}
