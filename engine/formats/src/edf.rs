//! EDF and EDF+ (European Data Format, <https://www.edfplus.info>): a fixed-width ASCII
//! header, one block of fixed-width fields per signal, then data records of little-endian
//! 16-bit samples, each record holding every signal's samples for the same stretch of time.
//! EDF+ adds "EDF Annotations" signals whose first annotation in each record says when that
//! record starts, which is what lets an EDF+D (discontinuous) file leave gaps.

use super::{
    check_samples, millivolts_per, ByteReader, InputFile, ReadOptions, RecordParts, RecordReader,
    MAX_SAMPLES_PER_CHANNEL,
};
use crate::{Channel, Lead, Metadata, Record, Sex};
use crate::{Error, Result};

pub struct EdfReader;

const EDF: &str = "EDF";
const EDF_PLUS: &str = "EDF+";
const ANNOTATIONS_LABEL: &str = "EDF Annotations";
/// Annotations kept as comments: a sleep study can hold thousands, an ECG a handful.
const MAX_ANNOTATION_COMMENTS: usize = 50;
/// Gaps listed one by one in the warning for a discontinuous file.
const MAX_GAPS_LISTED: usize = 5;

impl RecordReader for EdfReader {
    fn name(&self) -> &'static str {
        EDF
    }

    fn detects(&self, file: &InputFile) -> bool {
        is_edf(&file.bytes) || is_bdf(&file.bytes)
    }

    fn read(
        &self,
        primary: &InputFile,
        _files: &[InputFile],
        _options: &ReadOptions,
    ) -> Result<Record> {
        read(primary)
    }
}

/// The version field every EDF file starts with, and a header size that EDF can have.
fn is_edf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"0       ")
        && bytes
            .get(184..192)
            .and_then(|field| text(field).parse::<u64>().ok())
            .is_some_and(|n| n >= 256 && n % 256 == 0)
}

/// BioSemi's 24-bit variant of EDF, recognised so that it is refused by name.
fn is_bdf(bytes: &[u8]) -> bool {
    bytes.first() == Some(&0xff) && bytes.get(1..8) == Some(b"BIOSEMI".as_slice())
}

/// Header text: ASCII by the standard, but writers put `µ` and `°` in units, as Latin-1
/// or as UTF-8.
fn text(bytes: &[u8]) -> String {
    let decoded = match std::str::from_utf8(bytes) {
        Ok(utf8) => utf8.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    decoded.trim().to_string()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum RecordLayout {
    /// Plain EDF: records follow each other without gaps.
    Plain,
    /// EDF+C: continuous, as plain EDF, with annotations.
    Continuous,
    /// EDF+D: each record starts where its time-keeping annotation says.
    Discontinuous,
}

#[derive(Debug)]
struct Header {
    patient: String,
    recording: String,
    start_date: String,
    start_time: String,
    header_bytes: usize,
    layout: RecordLayout,
    /// `None` where the file says -1 (still being recorded when the header was written).
    declared_records: Option<u64>,
    record_duration: f64,
    signals: Vec<Signal>,
}

#[derive(Debug)]
struct Signal {
    label: String,
    dimension: String,
    physical_min: f64,
    physical_max: f64,
    digital_min: i64,
    digital_max: i64,
    samples_per_record: usize,
    /// Where this signal's samples start within a data record, in bytes.
    offset: usize,
}

impl Signal {
    fn is_annotations(&self) -> bool {
        self.label == ANNOTATIONS_LABEL
    }

    fn physical(&self, digital: i16) -> f64 {
        (f64::from(digital) - self.digital_min as f64) * (self.physical_max - self.physical_min)
            / (self.digital_max - self.digital_min) as f64
            + self.physical_min
    }

    fn bytes<'d>(&self, record: &'d [u8]) -> &'d [u8] {
        record
            .get(self.offset..self.offset + 2 * self.samples_per_record)
            .unwrap_or_default()
    }
}

/// One time-stamped annotation list: an onset in seconds from the start of the recording
/// and its texts (none for the time-keeping annotation that opens each record).
#[derive(Debug, PartialEq)]
struct Tal {
    onset: f64,
    texts: Vec<String>,
}

fn parse_header(file: &str, bytes: &[u8]) -> Result<Header> {
    let mut r = ByteReader::new(bytes, file, EDF);
    let version = text(r.take(8)?);
    if version != "0" {
        return Err(r.error(format!(
            "the version field is '{version}'; EDF and EDF+ files start with '0'"
        )));
    }
    let patient = text(r.take(80)?);
    let recording = text(r.take(80)?);
    let start_date = text(r.take(8)?);
    let start_time = text(r.take(8)?);
    let header_field = field(&mut r, 8)?;
    let reserved = text(r.take(44)?);
    let records_field = field(&mut r, 8)?;
    let duration_field = field(&mut r, 8)?;
    let signals_field = field(&mut r, 4)?;

    let count = whole(&signals_field).filter(|&n| n >= 0).ok_or_else(|| {
        r.error(format!(
            "the number of signals '{signals_field}' is not a whole number"
        ))
    })?;
    let count = usize::try_from(count)
        .ok()
        .filter(|&n| n <= r.remaining() / 256)
        .ok_or_else(|| {
            r.error(format!(
            "it declares {count} signals, whose headers need {} bytes, but the file holds {} bytes",
            (count as u128 + 1) * 256,
            bytes.len()
        ))
        })?;
    let header_bytes = (count + 1) * 256;
    if whole(&header_field) != Some(header_bytes as i64) {
        return Err(r.error(format!(
            "the header size field says '{header_field}' bytes, but a header with {count} signals has {header_bytes}"
        )));
    }
    let declared_records = match whole(&records_field) {
        Some(-1) => None,
        Some(n) if n >= 0 => Some(n as u64),
        _ => {
            return Err(r.error(format!(
                "the number of data records '{records_field}' is not a whole number (or -1 for unknown)"
            )))
        }
    };
    let record_duration = decimal(&duration_field).ok_or_else(|| {
        r.error(format!(
            "the data record duration '{duration_field}' is not a number of seconds"
        ))
    })?;
    let layout = if reserved.starts_with("EDF+D") {
        RecordLayout::Discontinuous
    } else if reserved.starts_with("EDF+") {
        RecordLayout::Continuous
    } else {
        RecordLayout::Plain
    };
    let signals = parse_signals(&mut r, count)?;
    Ok(Header {
        patient,
        recording,
        start_date,
        start_time,
        header_bytes,
        layout,
        declared_records,
        record_duration,
        signals,
    })
}

fn field(r: &mut ByteReader, width: usize) -> Result<String> {
    Ok(text(r.take(width)?))
}

/// A whole number as EDF writes it, tolerating `+5` and `5.0`.
fn whole(field: &str) -> Option<i64> {
    field.parse::<i64>().ok().or_else(|| {
        let value = field.parse::<f64>().ok()?;
        (value.fract() == 0.0 && value.abs() < 1e15).then_some(value as i64)
    })
}

fn decimal(field: &str) -> Option<f64> {
    field.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The per-signal fields, stored field by field: every label, then every transducer, ...
fn parse_signals(r: &mut ByteReader, count: usize) -> Result<Vec<Signal>> {
    let mut column =
        |width: usize| -> Result<Vec<String>> { (0..count).map(|_| field(r, width)).collect() };
    let labels = column(16)?;
    let _transducers = column(80)?;
    let dimensions = column(8)?;
    let physical_mins = column(8)?;
    let physical_maxes = column(8)?;
    let digital_mins = column(8)?;
    let digital_maxes = column(8)?;
    let _prefiltering = column(80)?;
    let samples = column(8)?;
    let _reserved = column(32)?;

    let file_len = r.position() + r.remaining();
    let mut signals = Vec::with_capacity(count);
    let mut offset = 0usize;
    for (i, label) in labels.into_iter().enumerate() {
        let name = format!("signal {} ('{label}')", i + 1);
        let number = |fields: &[String], what: &str| -> Result<f64> {
            let value = fields.get(i).map(String::as_str).unwrap_or_default();
            decimal(value)
                .ok_or_else(|| r.error(format!("{name}: the {what} '{value}' is not a number")))
        };
        let integer = |fields: &[String], what: &str| -> Result<i64> {
            let value = fields.get(i).map(String::as_str).unwrap_or_default();
            whole(value).ok_or_else(|| {
                r.error(format!(
                    "{name}: the {what} '{value}' is not a whole number"
                ))
            })
        };
        let samples_per_record = integer(&samples, "number of samples per data record")?;
        let samples_per_record =
            usize::try_from(samples_per_record).ok().filter(|&n| n <= file_len / 2).ok_or_else(|| {
                r.error(format!(
                    "{name}: {samples_per_record} samples per data record cannot be held in a {file_len}-byte file"
                ))
            })?;
        let signal = Signal {
            dimension: dimensions.get(i).cloned().unwrap_or_default(),
            physical_min: number(&physical_mins, "physical minimum")?,
            physical_max: number(&physical_maxes, "physical maximum")?,
            digital_min: integer(&digital_mins, "digital minimum")?,
            digital_max: integer(&digital_maxes, "digital maximum")?,
            samples_per_record,
            offset,
            label,
        };
        if !signal.is_annotations() && signal.digital_max <= signal.digital_min {
            return Err(r.error(format!(
                "{name}: the digital maximum {} is not above the digital minimum {}, so samples cannot be scaled",
                signal.digital_max, signal.digital_min
            )));
        }
        offset += 2 * samples_per_record;
        if offset > file_len {
            return Err(r.error(format!(
                "one data record needs {offset} bytes or more, but the file holds {file_len}"
            )));
        }
        signals.push(signal);
    }
    Ok(signals)
}

fn read(input: &InputFile) -> Result<Record> {
    let (file, bytes) = (input.name.as_str(), input.bytes.as_slice());
    if is_bdf(bytes) {
        return Err(Error::NotSupported {
            file: file.to_string(),
            format: EDF,
            message: "BDF (BioSemi's 24-bit EDF)".into(),
        });
    }
    let header = parse_header(file, bytes)?;
    let format = if header.layout == RecordLayout::Plain {
        EDF
    } else {
        EDF_PLUS
    };
    let invalid = |message: String| Error::InvalidFile {
        file: file.to_string(),
        format,
        message,
    };
    let mut warnings = Vec::new();

    let signals: Vec<usize> = (0..header.signals.len())
        .filter(|&s| !header.signals[s].is_annotations())
        .collect();
    if signals.is_empty() {
        return Err(invalid(if header.signals.is_empty() {
            "it holds no signals".into()
        } else {
            format!("it holds only annotations ('{ANNOTATIONS_LABEL}'), no signals")
        }));
    }
    if header.record_duration.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(invalid(format!(
            "the data record duration is {} s; a file with signals needs a positive duration",
            header.record_duration
        )));
    }
    let (kept, rate_warning) = signals_at_the_ecg_rate(&header, &signals);
    warnings.extend(rate_warning);
    let Some(&first) = kept.first() else {
        return Err(invalid("it holds no signal samples".into()));
    };
    let samples_per_record = header.signals[first].samples_per_record;
    let records = data_records(
        file,
        bytes,
        &header,
        format,
        samples_per_record,
        &mut warnings,
    )?;
    let sampling_rate = samples_per_record as f64 / header.record_duration;

    let annotation_lists: Vec<Vec<Tal>> = records
        .iter()
        .map(|record| {
            header
                .signals
                .iter()
                .filter(|s| s.is_annotations())
                .flat_map(|s| parse_tals(s.bytes(record)))
                .collect()
        })
        .collect();
    let starts = match header.layout {
        RecordLayout::Discontinuous => {
            let onsets: Vec<Option<f64>> = annotation_lists
                .iter()
                .map(|tals| tals.first().map(|t| t.onset))
                .collect();
            place_records(
                file,
                &onsets,
                samples_per_record,
                sampling_rate,
                &mut warnings,
            )?
        }
        _ => (0..records.len()).map(|r| r * samples_per_record).collect(),
    };
    let length = starts.last().map_or(0, |&start| start + samples_per_record);
    check_samples(file, length as u64)?;
    // The gaps of an EDF+D file cost memory that the file's size does not bound.
    let total = (length as u64).saturating_mul(kept.len() as u64);
    let recorded = (records.len() * samples_per_record * kept.len()) as u64;
    let limit = recorded.max(12 * MAX_SAMPLES_PER_CHANNEL);
    if total > limit {
        return Err(Error::TooLarge {
            file: file.to_string(),
            what: "the number of samples in all signals, gaps filled",
            actual: total,
            limit,
        });
    }

    let mut channels = Vec::with_capacity(kept.len());
    for &s in &kept {
        let signal = &header.signals[s];
        let to_mv = millivolts_per(&signal.dimension);
        let scale = to_mv.unwrap_or(1.0);
        let mut samples = vec![0f32; length];
        for (record, &start) in records.iter().zip(&starts) {
            let digital = signal
                .bytes(record)
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]));
            for (slot, d) in samples.iter_mut().skip(start).zip(digital) {
                *slot = (signal.physical(d) * scale) as f32;
            }
        }
        channels.push(Channel {
            name: signal.label.clone(),
            lead: to_mv.and_then(|_| Lead::from_name(&signal.label)),
            units: if to_mv.is_some() {
                "mV".to_string()
            } else {
                signal.dimension.clone()
            },
            samples,
            derived: false,
        });
    }

    let parts = RecordParts {
        name: input.stem().to_string(),
        sampling_rate,
        channels,
        metadata: metadata(&header, &annotation_lists),
        warnings,
    };
    parts.assemble(file, format)
}

/// The data records present: as many as the header declares (or, for -1, as the file
/// holds). A file cut short keeps its complete records, with a warning. Too many samples per
/// signal (`samples_per_record` each) are refused here, before anything is kept per record:
/// a file of tiny records, each with its annotations, once took 54 times its size in memory.
fn data_records<'b>(
    file: &str,
    bytes: &'b [u8],
    header: &Header,
    format: &'static str,
    samples_per_record: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<&'b [u8]>> {
    let record_bytes: usize = header
        .signals
        .iter()
        .map(|s| 2 * s.samples_per_record)
        .sum();
    let data = bytes.get(header.header_bytes..).unwrap_or_default();
    let invalid = |message: String| Error::InvalidFile {
        file: file.to_string(),
        format,
        message,
    };
    if record_bytes == 0 {
        return Err(invalid(
            "its data records hold no samples (every signal has 0 samples per record)".into(),
        ));
    }
    let complete = data.len() / record_bytes;
    let count = match header.declared_records {
        Some(declared) if declared as u128 * record_bytes as u128 > data.len() as u128 => {
            if complete == 0 {
                return Err(Error::Truncated {
                    file: file.to_string(),
                    expected: (declared as u128 * record_bytes as u128).min(u64::MAX as u128) as u64,
                    found: data.len() as u64,
                });
            }
            warnings.push(format!(
                "{file}: the header declares {declared} data records but the file holds only {complete} complete ones \
                 ({record_bytes} bytes each); those are read. The file may have been cut short"
            ));
            complete
        }
        Some(declared) => declared as usize,
        None if complete == 0 => {
            return Err(invalid(format!(
                "the number of data records is not given (-1) and the file holds no complete record of {record_bytes} bytes"
            )))
        }
        None => complete,
    };
    if count == 0 {
        return Err(invalid("the header declares 0 data records".into()));
    }
    check_samples(
        file,
        (count as u64).saturating_mul(samples_per_record as u64),
    )?;
    Ok(data.chunks_exact(record_bytes).take(count).collect())
}

/// The signals kept: those at the rate most ECG leads share (standard leads first, then any
/// voltage signal, then any signal), and a warning naming the rest.
fn signals_at_the_ecg_rate(header: &Header, signals: &[usize]) -> (Vec<usize>, Option<String>) {
    let signal = |s: usize| &header.signals[s];
    let voltage = |s: &usize| millivolts_per(&signal(*s).dimension).is_some();
    let leads: Vec<usize> = signals
        .iter()
        .copied()
        .filter(|s| voltage(s) && Lead::from_name(&signal(*s).label).is_some())
        .collect();
    let voltages: Vec<usize> = signals.iter().copied().filter(voltage).collect();
    let voters = [leads, voltages, signals.to_vec()]
        .into_iter()
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    let count = |spr: usize| {
        voters
            .iter()
            .filter(|&&s| signal(s).samples_per_record == spr)
            .count()
    };
    // The most shared rate; between rates shared equally, the faster.
    let chosen = voters
        .iter()
        .map(|&s| signal(s).samples_per_record)
        .max_by_key(|&spr| (count(spr), spr));
    let (kept, dropped): (Vec<usize>, Vec<usize>) = signals
        .iter()
        .partition(|&&s| Some(signal(s).samples_per_record) == chosen);
    if dropped.is_empty() {
        return (kept, None);
    }
    let rate = |s: usize| signal(s).samples_per_record as f64 / header.record_duration;
    let listed: Vec<String> = dropped
        .iter()
        .map(|&s| format!("'{}' ({} Hz)", signal(s).label, rate(s)))
        .collect();
    let kept_rate = kept.first().map_or(0.0, |&s| rate(s));
    let warning = format!(
        "signals at another sampling rate than the ECG's {kept_rate} Hz were left out: {}",
        listed.join(", ")
    );
    (kept, Some(warning))
}

/// The time-stamped annotation lists in one annotation signal's bytes of one record.
fn parse_tals(bytes: &[u8]) -> Vec<Tal> {
    bytes
        .split(|&b| b == 0)
        .filter(|tal| !tal.is_empty())
        .filter_map(parse_tal)
        .collect()
}

/// `+onset[\x15duration]\x14text\x14text\x14`: the onset is signed seconds.
fn parse_tal(tal: &[u8]) -> Option<Tal> {
    let mut parts = tal.split(|&b| b == 0x14);
    let timing = parts.next()?;
    let onset = timing.split(|&b| b == 0x15).next()?;
    let onset = std::str::from_utf8(onset).ok()?;
    if !onset.starts_with(['+', '-']) {
        return None;
    }
    let onset = onset.parse::<f64>().ok().filter(|v| v.is_finite())?;
    let texts = parts
        .map(|t| String::from_utf8_lossy(t).trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    Some(Tal { onset, texts })
}

/// Sample index at which each record of an EDF+D file starts: its time-keeping onset
/// relative to the first record's, never overlapping the record before.
fn place_records(
    file: &str,
    onsets: &[Option<f64>],
    samples_per_record: usize,
    rate: f64,
    warnings: &mut Vec<String>,
) -> Result<Vec<usize>> {
    let origin = onsets.first().copied().flatten().unwrap_or(0.0);
    let mut starts = Vec::with_capacity(onsets.len());
    let mut gaps: Vec<(f64, f64)> = Vec::new();
    let (mut unstamped, mut overlapping) = (0usize, 0usize);
    let mut end = 0usize;
    for onset in onsets {
        let wanted = match onset {
            Some(onset) => {
                let position = ((onset - origin) * rate).round().max(0.0);
                check_samples(file, position as u64)?;
                position as usize
            }
            None => {
                unstamped += 1;
                end
            }
        };
        if wanted < end {
            overlapping += 1;
        } else if wanted > end {
            gaps.push((end as f64 / rate, (wanted - end) as f64 / rate));
        }
        let start = wanted.max(end);
        starts.push(start);
        end = start + samples_per_record;
        check_samples(file, end as u64)?;
    }
    if !gaps.is_empty() {
        let total: f64 = gaps.iter().map(|(_, length)| length).sum();
        let mut listed: Vec<String> = gaps
            .iter()
            .take(MAX_GAPS_LISTED)
            .map(|(at, length)| format!("{} s after {} s", seconds(*length), seconds(*at)))
            .collect();
        if gaps.len() > MAX_GAPS_LISTED {
            listed.push(format!("{} more", gaps.len() - MAX_GAPS_LISTED));
        }
        warnings.push(format!(
            "{file}: the recording is discontinuous (EDF+D): {} gap{} of {} s in all ({}) filled with zeros",
            gaps.len(),
            if gaps.len() == 1 { "" } else { "s" },
            seconds(total),
            listed.join(", ")
        ));
    }
    if unstamped > 0 {
        warnings.push(format!(
            "{file}: {unstamped} data records carry no start time (time-keeping annotation); each is placed straight \
             after the record before it"
        ));
    }
    if overlapping > 0 {
        warnings.push(format!(
            "{file}: {overlapping} data records start before the record before them ends; each is placed straight \
             after it"
        ));
    }
    Ok(starts)
}

/// Seconds with at most three decimals and no trailing zeros.
fn seconds(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn metadata(header: &Header, annotation_lists: &[Vec<Tal>]) -> Metadata {
    let mut meta = Metadata::default();
    let when: Vec<&str> = [&header.start_date, &header.start_time]
        .into_iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    meta.date = (!when.is_empty() && !start_date_unknown(header)).then(|| when.join(" "));
    if header.layout != RecordLayout::Plain {
        // EDF+: "code sex birthdate name ...", each subfield X when unknown.
        let patient: Vec<&str> = header.patient.split_whitespace().collect();
        meta.sex = match patient.get(1).map(|s| s.to_ascii_uppercase()).as_deref() {
            Some("M") => Some(Sex::Male),
            Some("F") => Some(Sex::Female),
            _ => None,
        };
        let birth = patient.get(2).and_then(|b| edf_plus_date(b));
        meta.age = birth
            .zip(start_date(header))
            .and_then(|(birth, start)| age(birth, start));
    }
    if !header.recording.is_empty() {
        meta.comments
            .push(format!("recording: {}", header.recording));
    }
    let annotations: Vec<String> = annotation_lists
        .iter()
        .flatten()
        .flat_map(|tal| {
            tal.texts
                .iter()
                .map(move |t| format!("annotation at {} s: {t}", seconds(tal.onset)))
        })
        .collect();
    let unlisted = annotations.len().saturating_sub(MAX_ANNOTATION_COMMENTS);
    meta.comments
        .extend(annotations.into_iter().take(MAX_ANNOTATION_COMMENTS));
    if unlisted > 0 {
        meta.comments
            .push(format!("{unlisted} more annotations are not listed"));
    }
    meta
}

/// (year, month, day)
type Date = (i32, u32, u32);

/// `02-AUG-1951`, as EDF+ writes birthdates and start dates.
fn edf_plus_date(text: &str) -> Option<Date> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let mut parts = text.split('-');
    let day = parts
        .next()?
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    let month = parts.next()?.to_ascii_uppercase();
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let year = parts
        .next()?
        .parse::<i32>()
        .ok()
        .filter(|y| (1800..=2200).contains(y))?;
    parts.next().is_none().then_some((year, month, day))
}

/// EDF+ writes `Startdate X` where the date is unknown, and then a placeholder (01.01.85)
/// in the header's date field.
fn start_date_unknown(header: &Header) -> bool {
    let mut recording = header.recording.split_whitespace();
    header.layout != RecordLayout::Plain
        && recording.next() == Some("Startdate")
        && recording.next() == Some("X")
}

/// The start date from EDF+'s `Startdate dd-MMM-yyyy` (four-digit year) or else the header's
/// `dd.mm.yy`, whose years 85–99 are 1985–1999 and 00–84 are 2000–2084.
fn start_date(header: &Header) -> Option<Date> {
    if start_date_unknown(header) {
        return None;
    }
    let mut recording = header.recording.split_whitespace();
    if recording.next() == Some("Startdate") {
        if let Some(date) = recording.next().and_then(edf_plus_date) {
            return Some(date);
        }
    }
    let mut parts = header.start_date.split('.').map(|p| p.parse::<u32>().ok());
    let (day, month, year) = (parts.next()??, parts.next()??, parts.next()??);
    let year = if year >= 85 { 1900 + year } else { 2000 + year } as i32;
    ((1..=31).contains(&day) && (1..=12).contains(&month) && year < 2100)
        .then_some((year, month, day))
}

fn age(birth: Date, at: Date) -> Option<f32> {
    let before_birthday = (at.1, at.2) < (birth.1, birth.2);
    let years = at.0 - birth.0 - i32::from(before_birthday);
    (0..=130).contains(&years).then_some(years as f32)
}

/// One signal as the writer lays it out.
struct SignalFields {
    label: String,
    dimension: String,
    physical_min: String,
    physical_max: String,
    samples_per_record: usize,
    /// Every data record's digital samples, record after record.
    digital: Vec<i16>,
}

/// Writes `record` as EDF+C with 1 s data records (longer where the rate is not a whole
/// number of samples per second), each signal's physical range taken from its own samples.
/// Leads are written in µV under EDF+'s standard labels (`ECG I`, `ECG V1`, ...). The last
/// record is padded by repeating the last sample, since EDF stores whole records only.
pub fn write(record: &Record) -> Result<Vec<u8>> {
    let refuse = |message: String| Error::InvalidRecord {
        record: record.name.clone(),
        message,
    };
    let length = record.num_samples();
    if record.channels.is_empty() || length == 0 {
        return Err(refuse("there are no samples to write".into()));
    }
    let duration = (1..=100u32)
        .find(|&d| {
            let samples = record.sampling_rate * f64::from(d);
            samples >= 1.0 && (samples - samples.round()).abs() < 1e-6
        })
        .ok_or_else(|| {
            refuse(format!(
                "EDF stores a whole number of samples per data record, and {} Hz gives none for records of 1 to 100 s",
                record.sampling_rate
            ))
        })?;
    let samples_per_record = (record.sampling_rate * f64::from(duration)).round() as usize;
    let records = length.div_ceil(samples_per_record);
    let mut signals = Vec::with_capacity(record.channels.len() + 1);
    for channel in &record.channels {
        signals.push(signal_fields(channel, samples_per_record, records).map_err(refuse)?);
    }
    signals.push(time_keeping(records, duration));
    let patient_sex = match record.metadata.sex {
        Some(Sex::Male) => "M",
        Some(Sex::Female) => "F",
        None => "X",
    };
    let fixed = FixedFields {
        patient: format!("X {patient_sex} X X"),
        recording: "Startdate X X X X".into(),
        // EDF+ asks for 01.01.85 where the start date is unknown.
        start_date: "01.01.85".into(),
        start_time: "00.00.00".into(),
        reserved: "EDF+C".into(),
        records: records.to_string(),
        duration: duration.to_string(),
    };
    Ok(encode(&fixed, &signals))
}

/// The header fields that are not per signal, as text.
struct FixedFields {
    patient: String,
    recording: String,
    start_date: String,
    start_time: String,
    reserved: String,
    records: String,
    duration: String,
}

type SignalField = fn(&SignalFields) -> String;

fn encode(fixed: &FixedFields, signals: &[SignalFields]) -> Vec<u8> {
    let mut out = Vec::new();
    let put = |out: &mut Vec<u8>, value: &str, width: usize| {
        // Latin-1, as the reader reads it; what Latin-1 cannot hold becomes '?'.
        let mut bytes: Vec<u8> = value
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect();
        bytes.resize(width, b' ');
        out.extend_from_slice(&bytes);
    };
    put(&mut out, "0", 8);
    put(&mut out, &fixed.patient, 80);
    put(&mut out, &fixed.recording, 80);
    put(&mut out, &fixed.start_date, 8);
    put(&mut out, &fixed.start_time, 8);
    put(&mut out, &(256 * (signals.len() + 1)).to_string(), 8);
    put(&mut out, &fixed.reserved, 44);
    put(&mut out, &fixed.records, 8);
    put(&mut out, &fixed.duration, 8);
    put(&mut out, &signals.len().to_string(), 4);
    // The per-signal fields, each written for every signal in turn: width and text.
    let columns: [(usize, SignalField); 10] = [
        (16, |s| s.label.clone()),
        (80, |_| String::new()),
        (8, |s| s.dimension.clone()),
        (8, |s| s.physical_min.clone()),
        (8, |s| s.physical_max.clone()),
        (8, |_| "-32768".into()),
        (8, |_| "32767".into()),
        (80, |_| String::new()),
        (8, |s| s.samples_per_record.to_string()),
        (32, |_| String::new()),
    ];
    for (width, value) in columns {
        for signal in signals {
            put(&mut out, &value(signal), width);
        }
    }
    let records = signals
        .iter()
        .map(|s| s.digital.len() / s.samples_per_record.max(1))
        .min()
        .unwrap_or(0);
    for r in 0..records {
        for signal in signals {
            let n = signal.samples_per_record;
            for d in signal.digital.iter().skip(r * n).take(n) {
                out.extend_from_slice(&d.to_le_bytes());
            }
        }
    }
    out
}

fn signal_fields(
    channel: &Channel,
    samples_per_record: usize,
    records: usize,
) -> std::result::Result<SignalFields, String> {
    let (label, dimension, scale) = match channel.lead {
        Some(lead) if channel.units == "mV" => {
            (format!("ECG {}", lead.label()), "uV".to_string(), 1000.0)
        }
        _ => (channel.name.clone(), channel.units.clone(), 1.0),
    };
    let values: Vec<f64> = channel
        .samples
        .iter()
        .map(|&v| f64::from(v) * scale)
        .collect();
    let (low, high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (low, high) = if low < high {
        (low, high)
    } else {
        (low - 1.0, low + 1.0)
    };
    let describe = |v: f64| {
        format!(
            "'{}': the value {v} {dimension} does not fit EDF's 8-character fields",
            channel.name
        )
    };
    let physical_min = number_field(low).ok_or_else(|| describe(low))?;
    let mut physical_max = number_field(high).ok_or_else(|| describe(high))?;
    let (min, mut max) = (parse_written(&physical_min), parse_written(&physical_max));
    if max <= min {
        physical_max = number_field(min + 1.0).ok_or_else(|| describe(min + 1.0))?;
        max = parse_written(&physical_max);
    }
    let span = max - min;
    let mut digital: Vec<i16> = values
        .iter()
        .map(|&v| {
            ((v - min) / span * 65535.0 - 32768.0)
                .round()
                .clamp(-32768.0, 32767.0) as i16
        })
        .collect();
    let last = digital.last().copied().unwrap_or(0);
    digital.resize(records * samples_per_record, last);
    Ok(SignalFields {
        label,
        dimension,
        physical_min,
        physical_max,
        samples_per_record,
        digital,
    })
}

fn parse_written(field: &str) -> f64 {
    field.parse().unwrap_or(0.0)
}

/// The closest number that EDF's 8-character fields can hold, or `None` beyond ±99999999.
fn number_field(value: f64) -> Option<String> {
    (0..=7usize)
        .rev()
        .map(|decimals| format!("{value:.decimals$}"))
        .find(|text| text.len() <= 8)
}

/// EDF+'s annotation signal, holding only the time-keeping annotation that opens each record.
fn time_keeping(records: usize, duration: u32) -> SignalFields {
    let tals: Vec<String> = (0..records)
        .map(|r| format!("+{}\u{14}\u{14}\u{0}", r as u64 * u64::from(duration)))
        .collect();
    annotation_signal(&tals)
}

/// An annotation signal holding `tals[r]` (time-stamped annotation lists, each ending in a
/// NUL) in data record `r`.
fn annotation_signal(tals: &[String]) -> SignalFields {
    let samples_per_record = tals
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .div_ceil(2)
        .max(1);
    let mut digital = Vec::with_capacity(tals.len() * samples_per_record);
    for tal in tals {
        let mut bytes = tal.as_bytes().to_vec();
        bytes.resize(2 * samples_per_record, 0);
        digital.extend(
            bytes
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]])),
        );
    }
    SignalFields {
        label: ANNOTATIONS_LABEL.into(),
        dimension: String::new(),
        physical_min: "-1".into(),
        physical_max: "1".into(),
        samples_per_record,
        digital,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::read_records;
    use proptest::prelude::*;

    fn fixture(path: &str) -> String {
        format!("{}/../../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
    }

    /// The PTB-XL record every format's round trip starts from.
    pub(crate) use crate::test_support::ptbxl_record as ptbxl;

    fn read_one(name: &str, bytes: Vec<u8>) -> Result<Record> {
        let mut out = read_records(&[InputFile::new(name, bytes)]);
        assert_eq!(out.len(), 1);
        out.remove(0).result
    }

    fn read_bytes(bytes: &[u8]) -> Result<Record> {
        read(&InputFile::new("t.edf", bytes.to_vec()))
    }

    fn fixed(reserved: &str, records: usize, duration: &str) -> FixedFields {
        FixedFields {
            patient: "X X X X".into(),
            recording: "Startdate X X X X".into(),
            start_date: "01.01.85".into(),
            start_time: "00.00.00".into(),
            reserved: reserved.into(),
            records: records.to_string(),
            duration: duration.into(),
        }
    }

    fn signal(
        label: &str,
        dimension: &str,
        range: (&str, &str),
        spr: usize,
        digital: Vec<i16>,
    ) -> SignalFields {
        SignalFields {
            label: label.into(),
            dimension: dimension.into(),
            physical_min: range.0.into(),
            physical_max: range.1.into(),
            samples_per_record: spr,
            digital,
        }
    }

    /// A small valid EDF+C file: I and II, 2 s at 50 Hz.
    fn small_file() -> Vec<u8> {
        let ramp = |k: i16| {
            (0..100)
                .map(|i| (i * 300 - 15000) * k)
                .collect::<Vec<i16>>()
        };
        let signals = [
            signal("ECG I", "uV", ("-1000", "1000"), 50, ramp(1)),
            signal("ECG II", "mV", ("-2", "2"), 50, ramp(-2)),
            time_keeping(2, 1),
        ];
        encode(&fixed("EDF+C", 2, "1"), &signals)
    }

    /// Overwrites a header field, padding it with spaces.
    fn patch(bytes: &mut [u8], at: usize, width: usize, value: &str) {
        let mut field = value.as_bytes().to_vec();
        field.resize(width, b' ');
        bytes[at..at + width].copy_from_slice(&field);
    }

    #[test]
    fn ptbxl_round_trip_through_detection() {
        let original = ptbxl();
        let bytes = write(&original).unwrap();
        // No extension: the reader is found from the content.
        let back = read_one("00009_lr", bytes).unwrap();
        assert_eq!(back.metadata.format.as_deref(), Some("EDF+"));
        assert_eq!(back.sampling_rate, original.sampling_rate);
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_eq!(back.standard_leads(), Lead::STANDARD.to_vec());
        assert_eq!(back.metadata.sex, original.metadata.sex);
        for lead in Lead::STANDARD {
            let (a, b) = (
                &original.lead(lead).unwrap().samples,
                &back.lead(lead).unwrap().samples,
            );
            assert_eq!(a.len(), b.len());
            assert!(!back.lead(lead).unwrap().derived);
            let (lo, hi) = a
                .iter()
                .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let step = (hi - lo) / 65535.0;
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (x - y).abs() <= step / 2.0 + 1e-6,
                    "{lead:?}: {x} vs {y} (step {step})"
                );
            }
        }
    }

    #[test]
    fn test_generator_2_matches_its_wfdb_record() {
        let edf = std::fs::read(fixture("edf/test_generator_2_head.edf")).unwrap();
        let r = read_one("test_generator_2_head.edf", edf).unwrap();
        assert_eq!(r.metadata.format.as_deref(), Some("EDF+"));
        assert_eq!(r.sampling_rate, 200.0);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.metadata.date.as_deref(), Some("10.12.09 12.44.02"));
        let comments = [
            "recording: Startdate 10-DEC-2009 X X test_generator",
            "annotation at 0 s: RECORD START",
            "annotation at 600 s: REC STOP",
        ];
        assert_eq!(r.metadata.comments, comments);

        // The WFDB record of the same recording: format 16, gain 32.7675 per unit, baseline 0.
        let hea = std::fs::read(fixture("wfdb/test_generator_2_head.hea")).unwrap();
        let hea: String = hea.iter().map(|&b| char::from(b)).collect();
        let specs: Vec<(usize, f64, String, String)> = hea
            .lines()
            .skip(1)
            .map(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                let spf = fields[1].split_once('x').unwrap().1.parse().unwrap();
                let (gain, units) = fields[2].split_once('/').unwrap_or((fields[2], ""));
                assert_eq!(fields[4], "0");
                (
                    spf,
                    gain.parse().unwrap(),
                    units.to_string(),
                    fields[8..].join(" "),
                )
            })
            .collect();
        let dat = std::fs::read(fixture("wfdb/test_generator_2_head.dat")).unwrap();
        let digital: Vec<i16> = dat
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let frame: usize = specs.iter().map(|s| s.0).sum();
        let signals: Vec<_> = specs.iter().filter(|s| s.3 != ANNOTATIONS_LABEL).collect();
        assert_eq!(r.channels.len(), signals.len());
        let mut offset = 0;
        for (channel, (spf, gain, units, name)) in r.channels.iter().zip(&signals) {
            assert_eq!(&channel.name, name);
            let voltage = units == "uV";
            assert_eq!(
                channel.units,
                if voltage { "mV" } else { "\u{b0}" },
                "{name}"
            );
            assert_eq!(channel.lead, None);
            assert_eq!(channel.samples.len(), 30 * spf);
            for (i, &value) in channel.samples.iter().enumerate() {
                let d = digital[(i / spf) * frame + offset + i % spf];
                let expected = f64::from(d) / gain;
                let edf = if voltage {
                    f64::from(value) * 1000.0
                } else {
                    f64::from(value)
                };
                // EDF's range maps digital 0 to 0.0153 units, WFDB's baseline 0 to 0.
                assert!(
                    (edf - expected).abs() < 0.02,
                    "{name}[{i}]: {edf} vs {expected}"
                );
            }
            offset += spf;
        }
    }

    #[test]
    fn annotation_only_file_is_refused_and_its_annotations_parse() {
        let bytes = std::fs::read(fixture("edf/test_edfann.edf")).unwrap();
        let err = read_one("test_edfann.edf", bytes.clone())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("only annotations") && err.contains("EDF+"),
            "{err}"
        );
        let header = parse_header("test_edfann.edf", &bytes).unwrap();
        let tals = parse_tals(header.signals[0].bytes(&bytes[header.header_bytes..]));
        assert_eq!(tals.len(), 857);
        assert_eq!(
            tals[0],
            Tal {
                onset: 0.0,
                texts: vec![]
            }
        );
        assert_eq!(
            tals[1],
            Tal {
                onset: 0.0,
                texts: vec!["Sleep stage W".into()]
            }
        );
        assert_eq!(
            tals[3],
            Tal {
                onset: 33.43,
                texts: vec!["Lights off@@EEG F4-A1".into()]
            }
        );
        assert_eq!(
            tals[856],
            Tal {
                onset: 25618.74,
                texts: vec!["Lights on@@EEG Fpz-Cz".into()]
            }
        );
    }

    #[test]
    fn annotations_become_comments() {
        let tals = [
            "+0\u{14}\u{14}\u{0}+0.5\u{15}1\u{14}Sinus rhythm\u{14}\u{0}",
            "+1\u{14}\u{14}\u{0}",
        ];
        let tals: Vec<String> = tals.iter().map(|t| t.to_string()).collect();
        let signals = [
            signal("ECG V1", "uV", ("-500", "500"), 4, vec![0; 8]),
            annotation_signal(&tals),
        ];
        let r = read_bytes(&encode(&fixed("EDF+C", 2, "1"), &signals)).unwrap();
        assert_eq!(r.metadata.comments[1], "annotation at 0.5 s: Sinus rhythm");
        assert_eq!(r.channels.len(), 1);
        assert_eq!(r.channels[0].lead, Some(Lead::V1));
    }

    #[test]
    fn discontinuous_records_are_placed_at_their_onsets() {
        let tals: Vec<String> = ["+10", "+13", "+14.5"]
            .iter()
            .map(|t| format!("{t}\u{14}\u{14}\u{0}"))
            .collect();
        let digital: Vec<i16> = (1..=12).collect();
        let signals = [
            signal("II", "uV", ("-32768", "32767"), 4, digital),
            annotation_signal(&tals),
        ];
        let r = read_bytes(&encode(&fixed("EDF+D", 3, "1"), &signals)).unwrap();
        assert_eq!(r.sampling_rate, 4.0);
        let mv: Vec<f32> = [
            1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 9, 10, 11, 12,
        ]
        .iter()
        .map(|&v| (f64::from(v) * 0.001) as f32)
        .collect();
        assert_eq!(r.channels[0].samples, mv);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        let w = &r.warnings[0];
        assert!(
            w.contains("2 gaps of 2.5 s in all") && w.contains("2 s after 1 s, 0.5 s after 4 s"),
            "{w}"
        );
        // The same records read as continuous EDF+C follow each other.
        let signals = [
            signal("II", "uV", ("-32768", "32767"), 4, (1..=12).collect()),
            annotation_signal(&tals),
        ];
        let r = read_bytes(&encode(&fixed("EDF+C", 3, "1"), &signals)).unwrap();
        assert_eq!(r.channels[0].samples.len(), 12);
        assert!(r.warnings.is_empty());
        // Gaps that would fill more memory than the file could are refused.
        let tals: Vec<String> = ["+0", "+3000000"]
            .iter()
            .map(|t| format!("{t}\u{14}\u{14}\u{0}"))
            .collect();
        let mut signals: Vec<SignalFields> = (0..30)
            .map(|k| signal(&format!("ECG {k}"), "uV", ("-1", "1"), 1, vec![0; 2]))
            .collect();
        signals.push(annotation_signal(&tals));
        let e = read_bytes(&encode(&fixed("EDF+D", 2, "1"), &signals)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TooLarge {
                    actual: 90_000_030,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn too_many_tiny_records_are_refused_before_they_are_kept() {
        // 4,000,000 records of one sample and one annotation each: more samples than a lead
        // may have, refused before each record's annotations are parsed.
        let records = 4_000_000;
        let tal = b"+0\x14\x14\x00\x00\x00\x00".to_vec();
        let tals: Vec<String> = vec![String::from_utf8(tal).unwrap(); records];
        let signals = [
            signal("ECG II", "uV", ("-1", "1"), 1, vec![0; records]),
            annotation_signal(&tals),
        ];
        let bytes = encode(&fixed("EDF+C", records, "0.01"), &signals);
        let started = std::time::Instant::now();
        let e = read_bytes(&bytes).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TooLarge {
                    actual: 4_000_000,
                    ..
                }
            ),
            "{e}"
        );
        // Measured: 1.06 s and 1.08 GB peak before (records kept, annotations parsed, then
        // refused); 0.02 s after.
        let seconds = started.elapsed().as_secs_f64();
        assert!(seconds < 0.25, "{seconds:.2} s");
    }

    #[test]
    fn signals_at_other_rates_are_dropped_by_name() {
        let signals = [
            signal("Resp", "mV", ("-1", "1"), 2, vec![0; 2]),
            signal("ECG I", "uV", ("-1", "1"), 10, vec![0; 10]),
            signal("ECG II", "uV", ("-1", "1"), 10, vec![0; 10]),
            signal("ECG V1", "uV", ("-1", "1"), 5, vec![0; 5]),
            signal("Temp", "degC", ("-1", "1"), 10, vec![0; 10]),
        ];
        let r = read_bytes(&encode(&fixed("", 1, "0.5"), &signals)).unwrap();
        assert_eq!(r.metadata.format.as_deref(), Some("EDF"));
        assert_eq!(r.sampling_rate, 20.0);
        let names: Vec<&str> = r.channels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["ECG I", "ECG II", "Temp"]);
        assert_eq!(r.channels[2].units, "degC");
        assert_eq!(r.warnings.len(), 1);
        let w = &r.warnings[0];
        assert!(
            w.contains("'Resp' (4 Hz), 'ECG V1' (10 Hz)") && w.contains("20 Hz"),
            "{w}"
        );
    }

    #[test]
    fn units_are_converted_to_millivolts() {
        let signals = [
            signal("I", "V", ("-32768", "32767"), 1, vec![2]),
            signal("II", "mV", ("-32768", "32767"), 1, vec![2]),
            signal("V1", "\u{b5}V", ("-32768", "32767"), 1, vec![2]),
            signal("V2", "nV", ("-32768", "32767"), 1, vec![2000]),
            signal("V3", "mmHg", ("-32768", "32767"), 1, vec![2]),
        ];
        let r = read_bytes(&encode(&fixed("", 1, "1"), &signals)).unwrap();
        for (channel, expected) in r.channels.iter().zip([2000.0, 2.0, 0.002, 0.002, 2.0]) {
            assert!(
                (channel.samples[0] - expected).abs() < 1e-6,
                "{}: {:?}",
                channel.name,
                channel.samples
            );
        }
        let units: Vec<&str> = r.channels.iter().map(|c| c.units.as_str()).collect();
        assert_eq!(units, ["mV", "mV", "mV", "mV", "mmHg"]);
        // A pressure is not a lead, whatever its label.
        assert_eq!(r.channels[4].lead, None);
    }

    #[test]
    fn edf_plus_patient_sex_and_age() {
        let signals = [signal("ECG I", "uV", ("-1", "1"), 1, vec![0])];
        let mut f = fixed("EDF+C", 1, "1");
        f.patient = "MCH-0234567 F 02-MAY-1951 Haagse_Harry".into();
        f.recording = "Startdate 02-MAR-2002 PSG-1234/2002 NN Telemetry03".into();
        f.start_date = "02.03.02".into();
        let r = read_bytes(&encode(&f, &signals)).unwrap();
        assert_eq!(
            (r.metadata.sex, r.metadata.age),
            (Some(Sex::Female), Some(50.0))
        );
        assert_eq!(r.metadata.date.as_deref(), Some("02.03.02 00.00.00"));
        // Without EDF+'s Startdate the header's two-digit year counts, 85-99 being 1985-1999.
        f.patient = "X M 02-FEB-1951 X".into();
        f.recording = String::new();
        f.start_date = "03.02.99".into();
        let r = read_bytes(&encode(&f, &signals)).unwrap();
        assert_eq!(
            (r.metadata.sex, r.metadata.age),
            (Some(Sex::Male), Some(48.0))
        );
        // EDF+'s unknown start date: no date, no age.
        f.recording = "Startdate X X X X".into();
        f.start_date = "01.01.85".into();
        let r = read_bytes(&encode(&f, &signals)).unwrap();
        assert_eq!(
            (r.metadata.sex, r.metadata.age, r.metadata.date),
            (Some(Sex::Male), None, None)
        );
        // Plain EDF's patient field is free text.
        f.reserved = String::new();
        let r = read_bytes(&encode(&f, &signals)).unwrap();
        assert_eq!((r.metadata.sex, r.metadata.age), (None, None));
    }

    #[test]
    fn record_counts_unknown_or_short() {
        let good = small_file();
        let mut unknown = good.clone();
        patch(&mut unknown, 236, 8, "-1");
        let r = read_bytes(&unknown).unwrap();
        assert_eq!(r.channels[0].samples.len(), 100);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        // Cut inside the second record: the first is read, with a warning.
        let r = read_bytes(&good[..good.len() - 10]).unwrap();
        assert_eq!(r.channels[0].samples.len(), 50);
        assert!(
            r.warnings[0].contains("declares 2 data records but the file holds only 1"),
            "{:?}",
            r.warnings
        );
        // Cut inside the first record.
        let header_bytes = 256 * 4;
        let e = read_bytes(&good[..header_bytes + 10]).unwrap_err();
        assert!(matches!(e, Error::Truncated { found: 10, .. }), "{e}");
    }

    #[test]
    fn header_mistakes_are_named() {
        let ns = 3;
        let cases = [
            (
                256 + ns * (16 + 80 + 8 * 4) + 8,
                8,
                "-32768",
                "signal 2 ('ECG II'): the digital maximum -32768 is not above",
            ),
            (184, 8, "512", "header size field says '512'"),
            (244, 8, "0", "record duration is 0 s"),
            (252, 4, "300", "declares 300 signals"),
            (
                256 + ns * (16 + 80 + 8),
                8,
                "low",
                "signal 1 ('ECG I'): the physical minimum 'low' is not a number",
            ),
            (236, 8, "0", "declares 0 data records"),
            (
                236,
                8,
                "many",
                "the number of data records 'many' is not a whole number",
            ),
            (0, 8, "1", "the version field is '1'"),
        ];
        for (at, width, value, expected) in cases {
            let mut bytes = small_file();
            patch(&mut bytes, at, width, value);
            let message = read_bytes(&bytes).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
        let mut bdf = small_file();
        bdf[..8].copy_from_slice(b"\xffBIOSEMI");
        let e = read_one("x.bdf", bdf).unwrap_err();
        assert!(
            matches!(e, Error::NotSupported { .. }) && e.to_string().contains("BDF"),
            "{e}"
        );
    }

    #[test]
    fn detection_needs_the_version_and_a_header_size() {
        let good = small_file();
        assert!(is_edf(&good));
        let mut b = good.clone();
        patch(&mut b, 184, 8, "1000");
        assert!(!is_edf(&b));
        assert!(!is_edf(b"0       "));
        assert!(!is_edf(b"00001_lr 12 100 1000\n"));
        assert!(!EdfReader.detects(&InputFile::new(
            "r.edf",
            b"<?xml version=\"1.0\"?>".to_vec()
        )));
    }

    #[test]
    fn every_prefix_reads_or_fails_cleanly() {
        let good = small_file();
        let header_bytes = 256 * 4;
        let record_bytes = (good.len() - header_bytes) / 2;
        for len in 0..=good.len() {
            let result = read_bytes(&good[..len]);
            assert_eq!(
                result.is_ok(),
                len >= header_bytes + record_bytes,
                "{len}: {result:?}"
            );
        }
        assert!(read_bytes(&good).unwrap().warnings.is_empty());
    }

    #[test]
    fn writer_refuses_what_edf_cannot_hold() {
        let mut r = ptbxl();
        r.sampling_rate = 100.0 * std::f64::consts::PI;
        let e = write(&r).unwrap_err().to_string();
        assert!(e.contains("whole number of samples per data record"), "{e}");
        r.sampling_rate = 62.5;
        for channel in &mut r.channels {
            channel.samples.truncate(990);
        }
        let back = read_bytes(&write(&r).unwrap()).unwrap();
        assert_eq!(back.sampling_rate, 62.5);
        // 990 samples at 62.5 Hz fill 7 records of 2 s and a padded 8th.
        assert_eq!(back.channels[0].samples.len(), 1000);
        let padding = &back.channels[0].samples[989..];
        assert!(padding.iter().all(|&v| v == padding[0]), "{padding:?}");
    }

    /// A record whose samples are on EDF's grid: each channel has its own range in whole µV
    /// and reaches both ends of it.
    fn grid_record() -> impl Strategy<Value = Record> {
        let leads = proptest::sample::subsequence(Lead::STANDARD.to_vec(), 1..=12).prop_shuffle();
        let rate = prop_oneof![(1u32..=500).prop_map(f64::from), Just(62.5), Just(0.5)];
        let sex = prop_oneof![Just(None), Just(Some(Sex::Male)), Just(Some(Sex::Female))];
        (leads, rate, 1usize..=3, sex)
            .prop_flat_map(|(leads, rate, records, sex)| {
                let duration = if rate.fract() == 0.0 { 1.0 } else { 2.0 };
                let length = records * (rate * duration) as usize;
                let channel = (
                    -5000i32..0,
                    1i32..5000,
                    proptest::collection::vec(any::<i16>(), length),
                );
                (
                    Just(leads.clone()),
                    Just(rate),
                    Just(sex),
                    proptest::collection::vec(channel, leads.len()),
                )
            })
            .prop_map(|(leads, rate, sex, channels)| {
                let channels = leads
                    .iter()
                    .zip(channels)
                    .map(|(lead, (low, high, mut digital))| {
                        digital[0] = i16::MIN;
                        let last = digital.len() - 1;
                        if last > 0 {
                            digital[last] = i16::MAX;
                        }
                        let (low, high) = (f64::from(low), f64::from(high));
                        let samples = digital
                            .iter()
                            .map(|&d| {
                                (((f64::from(d) + 32768.0) * (high - low) / 65535.0 + low) * 0.001)
                                    as f32
                            })
                            .collect();
                        crate::millivolt_channel(lead.label(), samples)
                    })
                    .collect();
                let metadata = Metadata {
                    sex,
                    ..Metadata::default()
                };
                Record {
                    name: "grid".into(),
                    sampling_rate: rate,
                    channels,
                    metadata,
                    warnings: vec![],
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn records_on_the_grid_round_trip(record in grid_record()) {
            let back = read_one("grid.edf", write(&record).unwrap()).unwrap();
            prop_assert_eq!(back.sampling_rate, record.sampling_rate);
            prop_assert_eq!(back.metadata.sex, record.metadata.sex);
            let recorded: Vec<&Channel> = back.channels.iter().filter(|c| !c.derived).collect();
            prop_assert_eq!(recorded.len(), record.channels.len());
            for (a, b) in record.channels.iter().zip(recorded) {
                prop_assert_eq!(a.lead, b.lead);
                // One-sample channels have no range to reach both ends of; the writer widens it.
                if a.samples.len() > 1 {
                    prop_assert_eq!(&a.samples, &b.samples);
                }
            }
        }

        #[test]
        fn byte_flips_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), header in any::<bool>()) {
            let mut bytes = small_file();
            let span = if header { 256 * 4 } else { bytes.len() };
            for (at, value) in flips {
                bytes[at % span] = value;
            }
            let _ = read_bytes(&bytes);
            let _ = EdfReader.detects(&InputFile::new("x", bytes));
        }
    }
}
