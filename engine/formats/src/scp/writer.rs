//! Writes a record as SCP-ECG (version 2.0 layout): sections 0 (pointers to sections 0–11),
//! 1 (patient and device tags), 2 (the default Huffman table, when used), 3 (leads,
//! recorded simultaneously), 6 (rhythm), and with reference-beat subtraction 4 and 5.
//! Samples are stored at 1 µV per unit (amplitude multiplier 1000 nV), the resolution of
//! PTB-XL and of most carts. Every section and the record carry their CRC.

use super::huffman::{encode_default, DEFAULT_TABLE_MARKER};
use super::sections::{HEADER, RECORD_HEADER};
use super::{crc, MAGIC};
use crate::datetime::DateTime;
use crate::lead_codes::lead_number;
use crate::{Error, Result};
use crate::{Record, Sex};

const NANOVOLTS_PER_UNIT: u16 = 1000;
/// SCP-ECG 2.0, written as in the section headers and tag 14.
const VERSION: u8 = 20;

/// How [`write_with`] encodes the samples.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// First differences coded with the standard's default Huffman table (section 2 says
    /// 19999); otherwise plain 16-bit values and no section 2.
    pub huffman: bool,
    /// Store each lead as the residual after subtracting a reference beat at the given QRS
    /// complexes (sections 4 and 5).
    pub reference_beat: Option<ReferenceBeatSubtraction>,
}

/// Where the reference beat is subtracted. The reference beat is the rounded mean of the
/// beats around the fiducials; each subtraction zone is the reference beat's span.
#[derive(Debug, Clone)]
pub struct ReferenceBeatSubtraction {
    /// 0-based sample numbers of the QRS fiducial points (R peaks, say), ascending.
    pub fiducials: Vec<usize>,
    /// Samples of the reference beat before and after its fiducial point.
    pub before: usize,
    pub after: usize,
}

/// The record as SCP-ECG with first differences and the default Huffman table.
pub fn write(record: &Record) -> Result<Vec<u8>> {
    write_with(
        record,
        &WriteOptions {
            huffman: true,
            reference_beat: None,
        },
    )
}

/// The record as SCP-ECG, encoded as `options` say. Refuses what SCP-ECG cannot hold: no
/// channels or more than 255, a sample interval that is not 1 to 65535 whole µs, or a lead
/// whose encoded data exceeds the 65535 bytes section 6 can give it.
pub fn write_with(record: &Record, options: &WriteOptions) -> Result<Vec<u8>> {
    let refuse = |message: String| Error::InvalidRecord {
        record: record.name.clone(),
        message,
    };
    let lead_count = record.channels.len();
    let samples = record.num_samples();
    if lead_count == 0 || lead_count > 255 || samples == 0 {
        return Err(refuse(format!(
            "{lead_count} channels of {samples} samples: SCP-ECG holds 1 to 255 leads with samples"
        )));
    }
    let end_sample =
        u32::try_from(samples).map_err(|_| refuse(format!("{samples} samples are too many")))?;
    let interval = (1e6 / record.sampling_rate).round();
    if !(1.0..=65535.0).contains(&interval) {
        return Err(refuse(format!(
            "a sampling rate of {} Hz: SCP-ECG stores the sample interval in whole microseconds, 1 to 65535",
            record.sampling_rate
        )));
    }
    let interval = interval as u16;
    let mut stored: Vec<Vec<i16>> = record
        .channels
        .iter()
        .map(|c| {
            (0..samples)
                .map(|i| quantise(c.samples.get(i).copied().unwrap_or(0.0)))
                .collect()
        })
        .collect();
    let subtraction = match &options.reference_beat {
        Some(subtraction) => Some(subtract(&mut stored, subtraction, interval).map_err(refuse)?),
        None => None,
    };

    let encoding = if options.huffman { 1 } else { 0 };
    let mut sections = vec![(1u16, patient(record))];
    if options.huffman {
        sections.push((2, DEFAULT_TABLE_MARKER.to_le_bytes().to_vec()));
    }
    sections.push((3, leads(record, end_sample, subtraction.is_some())));
    if let Some((reference, section4)) = &subtraction {
        sections.push((4, section4.clone()));
        sections.push((
            5,
            encoded(reference, interval, encoding, options.huffman)
                .map_err(|e| refuse(format!("section 5: {e}")))?,
        ));
    }
    sections.push((
        6,
        encoded(&stored, interval, encoding, options.huffman)
            .map_err(|e| refuse(format!("section 6: {e}")))?,
    ));
    Ok(record_with(sections))
}

/// Stored units: millivolts at 1 µV per unit, rounded and clamped to 16 bits.
fn quantise(millivolts: f32) -> i16 {
    let units = f64::from(millivolts) * 1e6 / f64::from(NANOVOLTS_PER_UNIT);
    if units.is_finite() {
        units
            .round()
            .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
    } else {
        0
    }
}

/// Subtracts the reference beat over each usable zone; gives the reference beats and section 4.
fn subtract(
    stored: &mut [Vec<i16>],
    subtraction: &ReferenceBeatSubtraction,
    interval: u16,
) -> std::result::Result<(Vec<Vec<i16>>, Vec<u8>), String> {
    let samples = stored.first().map_or(0, Vec::len);
    let (before, after) = (subtraction.before, subtraction.after);
    let length = before + after + 1;
    // Zones inside the recording, each after the previous one.
    let mut fiducials = Vec::new();
    for &f in &subtraction.fiducials {
        let inside = f >= before && f + after < samples;
        if inside
            && fiducials
                .last()
                .is_none_or(|&last: &usize| f > last + after + before)
        {
            fiducials.push(f);
        }
    }
    if fiducials.is_empty() {
        return Err("no QRS complex has its whole subtraction zone inside the recording".into());
    }
    let length_us = length as u64 * u64::from(interval);
    let length_ms = u16::try_from(length_us / 1000).ok().filter(|_| length_us.is_multiple_of(1000)).ok_or_else(|| {
        format!("a reference beat of {length} samples every {interval} µs is not a whole number of milliseconds up to 65535")
    })?;
    let fiducial_in_beat = u16::try_from(before + 1)
        .map_err(|_| "the reference beat's fiducial is past sample 65535")?;
    let count = u16::try_from(fiducials.len()).map_err(|_| "more than 65535 QRS complexes")?;

    let mut reference = Vec::with_capacity(stored.len());
    for lead in stored.iter_mut() {
        let beat: Vec<i16> = (0..length)
            .map(|k| {
                let sum: i64 = fiducials
                    .iter()
                    .map(|&f| i64::from(lead[f - before + k]))
                    .sum();
                (sum as f64 / fiducials.len() as f64).round() as i16
            })
            .collect();
        for &f in &fiducials {
            for (k, &r) in beat.iter().enumerate() {
                let at = f - before + k;
                lead[at] = i16::try_from(i32::from(lead[at]) - i32::from(r)).map_err(|_| {
                    format!("the residual at sample {} does not fit 16 bits", at + 1)
                })?;
            }
        }
        reference.push(beat);
    }

    let mut section4 = Vec::new();
    for value in [length_ms, fiducial_in_beat, count] {
        section4.extend_from_slice(&value.to_le_bytes());
    }
    let zone = |f: usize| {
        (
            (f - before + 1) as u32,
            (f + 1) as u32,
            (f + after + 1) as u32,
        )
    };
    for &f in &fiducials {
        let (start, fiducial, end) = zone(f);
        section4.extend_from_slice(&0u16.to_le_bytes());
        for value in [start, fiducial, end] {
            section4.extend_from_slice(&value.to_le_bytes());
        }
    }
    // Protected areas (used by bimodal compression only): the same zones.
    for &f in &fiducials {
        let (start, _, end) = zone(f);
        section4.extend_from_slice(&start.to_le_bytes());
        section4.extend_from_slice(&end.to_le_bytes());
    }
    Ok((reference, section4))
}

/// Section 5 or 6: multiplier, interval, difference encoding, a zero byte (no bimodal
/// compression / reserved), each lead's byte length, then the data.
fn encoded(
    leads: &[Vec<i16>],
    interval: u16,
    encoding: u8,
    huffman: bool,
) -> std::result::Result<Vec<u8>, String> {
    let data: Vec<Vec<u8>> = leads
        .iter()
        .map(|values| {
            if huffman {
                encode_default(&first_differences(values))
            } else {
                values.iter().flat_map(|v| v.to_le_bytes()).collect()
            }
        })
        .collect();
    let mut body = Vec::new();
    body.extend_from_slice(&NANOVOLTS_PER_UNIT.to_le_bytes());
    body.extend_from_slice(&interval.to_le_bytes());
    body.extend_from_slice(&[encoding, 0]);
    for (lead, bytes) in data.iter().enumerate() {
        let length = u16::try_from(bytes.len()).map_err(|_| {
            format!(
                "lead {} needs {} bytes, more than the 65535 a lead can have; shorten the record",
                lead + 1,
                bytes.len()
            )
        })?;
        body.extend_from_slice(&length.to_le_bytes());
    }
    data.iter().for_each(|bytes| body.extend_from_slice(bytes));
    Ok(body)
}

fn first_differences(values: &[i16]) -> Vec<i16> {
    let previous = std::iter::once(0).chain(values.iter().copied());
    values
        .iter()
        .zip(previous)
        .map(|(v, p)| v.wrapping_sub(p))
        .collect()
}

/// Section 3: every lead from sample 1 to `end`, recorded simultaneously.
fn leads(record: &Record, end: u32, subtracted: bool) -> Vec<u8> {
    let count = record.channels.len() as u8;
    let flags = u8::from(subtracted) | 0b100 | (count.min(31) << 3);
    let mut body = vec![count, flags];
    for channel in &record.channels {
        let id = match channel.lead {
            Some(lead) => lead_number(lead),
            None => channel
                .name
                .strip_prefix("SCP lead ")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        };
        body.extend_from_slice(&1u32.to_le_bytes());
        body.extend_from_slice(&end.to_le_bytes());
        body.push(id);
    }
    body
}

/// Section 1: patient ID (the record name), age, sex, the acquiring device (tag 14, which
/// the standard requires), date and time of acquisition when known, and the end tag.
fn patient(record: &Record) -> Vec<u8> {
    let mut body = Vec::new();
    let mut tag = |tag: u8, value: &[u8]| {
        body.push(tag);
        body.extend_from_slice(&(value.len() as u16).to_le_bytes());
        body.extend_from_slice(value);
    };
    let mut id: Vec<u8> = record
        .name
        .chars()
        .take(64)
        .collect::<String>()
        .into_bytes();
    id.push(0);
    tag(2, &id);
    if let Some((value, unit)) = record.metadata.age.and_then(age) {
        let mut age = value.to_le_bytes().to_vec();
        age.push(unit);
        tag(4, &age);
    }
    match record.metadata.sex {
        Some(Sex::Male) => tag(8, &[1]),
        Some(Sex::Female) => tag(8, &[2]),
        None => {}
    }
    tag(14, &device());
    if let Some(when) = record.metadata.date.as_deref().and_then(DateTime::parse) {
        let mut date = when.year.to_le_bytes().to_vec();
        date.extend_from_slice(&[when.month, when.day]);
        tag(25, &date);
        if let Some((h, m, s)) = when.time {
            tag(26, &[h, m, s]);
        }
    }
    tag(255, &[]);
    body
}

/// Tag 14: institution, department and device numbers (0), device type 1 (host: a converter
/// is no cart), manufacturer 255 (other), model, protocol revision, compatibility level,
/// language (ASCII), capabilities, mains frequency (unspecified), 16 reserved bytes, then the
/// analysing program revision (length-prefixed) and four NUL-terminated texts.
fn device() -> Vec<u8> {
    let mut value = vec![0, 0, 0, 0, 0, 0, 1, 255];
    value.extend_from_slice(b"ECGMA\0");
    value.extend_from_slice(&[VERSION, 0xA0, 0, 0, 0]);
    value.extend_from_slice(&[0; 16]);
    value.extend_from_slice(&[1, 0]);
    for text in ["", "", "ECGMatch", "ECGMatch"] {
        value.extend_from_slice(text.as_bytes());
        value.push(0);
    }
    value
}

/// Years from one year up, then months, then days, with the SCP-ECG unit code.
fn age(years: f32) -> Option<(u16, u8)> {
    let (value, unit) = if years >= 1.0 {
        (years.round(), 1)
    } else if years * 12.0 >= 1.0 {
        ((years * 12.0).round(), 2)
    } else {
        ((years * 365.25).round(), 4)
    };
    (value.is_finite() && value >= 1.0 && value <= f32::from(u16::MAX))
        .then_some((value as u16, unit))
}

/// The record: CRC, length, section 0 with pointers to sections 0–11, then the sections.
pub(super) fn record_with(sections: Vec<(u16, Vec<u8>)>) -> Vec<u8> {
    let mut reserved = [0u8; 6];
    reserved.copy_from_slice(MAGIC);
    let pointer_count = 12;
    let section0_length = HEADER + 10 * pointer_count;
    let encoded: Vec<(u16, Vec<u8>)> = sections
        .into_iter()
        .map(|(id, body)| (id, section(id, &body, [0; 6])))
        .collect();
    let mut pointers = Vec::new();
    let mut index = RECORD_HEADER + 1;
    let mut entry = |id: u16, length: usize, index: usize| {
        pointers.extend_from_slice(&id.to_le_bytes());
        pointers.extend_from_slice(&(length as u32).to_le_bytes());
        pointers.extend_from_slice(&(index as u32).to_le_bytes());
    };
    entry(0, section0_length, index);
    index += section0_length;
    let mut at = vec![None; pointer_count];
    for (id, bytes) in &encoded {
        if let Some(slot) = at.get_mut(usize::from(*id)) {
            *slot = Some((bytes.len(), index));
        }
        index += bytes.len();
    }
    for (id, slot) in at.iter().enumerate().skip(1) {
        let (length, index) = slot.unwrap_or((0, 0));
        entry(id as u16, length, index);
    }
    let mut out = vec![0u8; RECORD_HEADER];
    out.extend(section(0, &pointers, reserved));
    encoded
        .iter()
        .for_each(|(_, bytes)| out.extend_from_slice(bytes));
    let length = out.len() as u32;
    out[2..6].copy_from_slice(&length.to_le_bytes());
    let record_crc = crc(&out[2..]);
    out[0..2].copy_from_slice(&record_crc.to_le_bytes());
    out
}

/// A section: header, body, a zero byte where needed for even length, and its CRC.
fn section(id: u16, body: &[u8], reserved: [u8; 6]) -> Vec<u8> {
    let mut out = vec![0, 0];
    out.extend_from_slice(&id.to_le_bytes());
    let length = (HEADER + body.len()).next_multiple_of(2);
    out.extend_from_slice(&(length as u32).to_le_bytes());
    out.extend_from_slice(&[VERSION, VERSION]);
    out.extend_from_slice(&reserved);
    out.extend_from_slice(body);
    out.resize(length, 0);
    let section_crc = crc(&out[2..]);
    out[0..2].copy_from_slice(&section_crc.to_le_bytes());
    out
}
