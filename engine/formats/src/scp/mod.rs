//! SCP-ECG (EN 1064, ISO 11073-91064): a record CRC and length, then numbered sections
//! found through section 0's pointer table. `sections` parses the sections the signal
//! needs, `huffman` decodes section 2's codes; this module undoes the difference
//! encoding, adds back subtracted reference beats and scales to millivolts. `writer`
//! writes our own files.

mod huffman;
mod sections;
#[cfg(test)]
mod tests;
mod writer;

pub use writer::{write, write_with, ReferenceBeatSubtraction, WriteOptions};

use super::{check_samples, ByteReader, InputFile, ReadOptions, RecordParts, RecordReader};
use crate::lead_codes::lead_name;
use crate::Record;
use crate::{Error, Result};
use huffman::Tables;
use sections::{Encoded, Sections, HEADER, RECORD_HEADER};

pub const FORMAT: &str = "SCP-ECG";

/// Section 0's reserved bytes hold this text, at bytes 16..22 of the record.
const MAGIC: &[u8; 6] = b"SCPECG";

pub struct ScpReader;

impl RecordReader for ScpReader {
    fn name(&self) -> &'static str {
        FORMAT
    }

    fn detects(&self, file: &InputFile) -> bool {
        let magic_at = RECORD_HEADER + 10;
        file.bytes.get(magic_at..magic_at + MAGIC.len()) == Some(MAGIC)
            && file.bytes.get(RECORD_HEADER + 2..RECORD_HEADER + 4) == Some(&[0, 0])
    }

    fn read(
        &self,
        primary: &InputFile,
        _files: &[InputFile],
        _options: &ReadOptions,
    ) -> Result<Record> {
        read(primary)
    }

    fn companions(&self, _primary: &InputFile) -> Vec<String> {
        Vec::new()
    }
}

/// CRC-CCITT as SCP-ECG uses it: polynomial 0x1021, initial value 0xFFFF, most significant
/// bit first, no final XOR (the byte-wise algorithm of the standard computes the same).
pub(crate) fn crc(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF, |crc, &byte| {
        (0..8).fold(crc ^ (u16::from(byte) << 8), |c, _| {
            if c & 0x8000 != 0 {
                (c << 1) ^ 0x1021
            } else {
                c << 1
            }
        })
    })
}

fn read(primary: &InputFile) -> Result<Record> {
    let file = primary.name.as_str();
    let invalid = |message: String| Error::InvalidFile {
        file: file.to_string(),
        format: FORMAT,
        message,
    };
    let mut warnings = Vec::new();
    let data = record_bytes(file, &primary.bytes, &mut warnings);
    let mut bad_crc = Vec::new();
    if ByteReader::new(data, file, FORMAT).u16().ok() != Some(crc(data.get(2..).unwrap_or(&[]))) {
        bad_crc.push("the record".to_string());
    }
    let sections = Sections::locate(data, file);
    bad_crc.extend(sections.bad_crc.iter().map(|id| format!("section {id}")));
    warnings.extend(sections.warnings.iter().map(|w| format!("{file}: {w}")));
    if !bad_crc.is_empty() {
        warnings.push(format!(
            "{file}: the checksum (CRC) of {} does not match; read anyway, as carts often write it wrong",
            bad_crc.join(", ")
        ));
    }

    let metadata = sections
        .body(1)
        .map(|body| sections::patient(body, file))
        .unwrap_or_default();
    let leads = sections::leads(
        sections.require(3, "lead definitions").map_err(invalid)?,
        file,
    )?;
    let tables = match sections.body(2) {
        Some(body) => Some(Tables::read(body).map_err(invalid)?),
        None => None,
    };
    if sections.body(6).is_none() && sections.body(12).is_some() {
        return Err(not_supported(
            file,
            "SCP-ECG 3 long-term rhythm data (section 12 without section 6)",
        ));
    }
    let rhythm = sections::encoded(
        sections.require(6, "rhythm data").map_err(invalid)?,
        file,
        6,
        leads.leads.len(),
    )?;
    if rhythm.bimodal {
        return Err(not_supported(file, "bimodal compression (section 6)"));
    }
    let Some(first) = leads.leads.first() else {
        return Err(invalid("section 3 defines no leads".into()));
    };
    if leads
        .leads
        .iter()
        .any(|l| (l.start, l.end) != (first.start, first.end))
    {
        return Err(not_supported(
            file,
            "leads recorded at different times (section 3 gives them different sample ranges)",
        ));
    }
    let samples = u64::from(first.end - first.start) + 1;
    check_samples(file, samples)?;
    let mut leads_nv =
        decode_all(&rhythm, samples as usize, tables.as_ref(), 6).map_err(invalid)?;
    if leads.reference_beat_subtracted {
        let beats = sections::reference_beats(
            sections.require(4, "QRS locations").map_err(invalid)?,
            file,
        )?;
        let reference = sections::encoded(
            sections.require(5, "reference beats").map_err(invalid)?,
            file,
            5,
            leads.leads.len(),
        )?;
        if reference.interval_us != rhythm.interval_us {
            return Err(not_supported(
                file,
                format!(
                    "a reference beat sampled every {} µs with rhythm data sampled every {} µs",
                    reference.interval_us, rhythm.interval_us
                ),
            ));
        }
        let length = (f64::from(beats.length_ms) * 1000.0 / f64::from(reference.interval_us))
            .round() as usize;
        let reference_nv = decode_all(&reference, length, tables.as_ref(), 5).map_err(invalid)?;
        let skipped = add_reference_beats(&mut leads_nv, &reference_nv, &beats, first.start);
        if skipped > 0 {
            warnings.push(format!(
                "{file}: {skipped} QRS complexes of section 4 overlap the one before or lie outside the recording; \
                 no reference beat was added there"
            ));
        }
    }
    let channels = leads
        .leads
        .iter()
        .zip(leads_nv)
        .map(|(lead, nv)| {
            super::millivolt_channel(
                &lead_name(lead.id),
                nv.iter().map(|v| (v * 1e-6) as f32).collect(),
            )
        })
        .collect();
    RecordParts {
        name: primary.stem().to_string(),
        sampling_rate: 1e6 / f64::from(rhythm.interval_us),
        channels,
        metadata,
        warnings,
    }
    .assemble(file, FORMAT)
}

/// The record as its length field gives it, or the whole file where that field is wrong.
fn record_bytes<'a>(file: &str, bytes: &'a [u8], warnings: &mut Vec<String>) -> &'a [u8] {
    let mut reader = ByteReader::new(bytes, file, FORMAT);
    let stated = reader.seek(2).and_then(|_| reader.u32()).unwrap_or(0) as usize;
    if stated == bytes.len() {
        return bytes;
    }
    warnings.push(format!(
        "{file}: the record says it is {stated} bytes long, the file has {}",
        bytes.len()
    ));
    if (RECORD_HEADER + HEADER..bytes.len()).contains(&stated) {
        &bytes[..stated]
    } else {
        bytes
    }
}

/// Every lead's values in nanovolts: Huffman-decoded (or 16-bit as stored), differences
/// undone, times the amplitude multiplier.
fn decode_all(
    encoded: &Encoded,
    count: usize,
    tables: Option<&Tables>,
    section: u16,
) -> std::result::Result<Vec<Vec<f64>>, String> {
    encoded
        .leads
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            let stored = match tables {
                Some(tables) => tables.decode(bytes, count),
                None if bytes.len() / 2 >= count => Ok(bytes
                    .chunks_exact(2)
                    .take(count)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect()),
                None => Err(format!(
                    "it holds {} bytes for {count} 16-bit values",
                    bytes.len()
                )),
            }
            .map_err(|e| format!("section {section}, lead {}: {e}", index + 1))?;
            let values = undo_differences(stored, encoded.differences);
            let nanovolts = f64::from(encoded.nanovolts);
            Ok(values
                .into_iter()
                .map(|v| f64::from(v) * nanovolts)
                .collect())
        })
        .collect()
}

/// First differences store `x[n] - x[n-1]`, second differences `x[n] - 2x[n-1] + x[n-2]`;
/// the first one or two values are stored as they are. Arithmetic wraps at 16 bits, as the
/// encoders compute it.
fn undo_differences(mut values: Vec<i16>, order: u8) -> Vec<i16> {
    match order {
        1 => {
            for n in 1..values.len() {
                values[n] = values[n].wrapping_add(values[n - 1]);
            }
        }
        2 => {
            for n in 2..values.len() {
                values[n] = values[n]
                    .wrapping_add(values[n - 1].wrapping_mul(2))
                    .wrapping_sub(values[n - 2]);
            }
        }
        _ => {}
    }
    values
}

/// Adds each lead's reference beat back over the subtraction zone of every QRS complex of
/// reference type 0 (EN 1064 5.7): sample `s` of the zone gets reference sample
/// `s - fiducial + reference fiducial`, all numbers 1-based. Zones are taken in order and
/// must not overlap, which bounds the work by the recording's length. Returns the number of
/// complexes skipped.
fn add_reference_beats(
    leads: &mut [Vec<f64>],
    reference: &[Vec<f64>],
    beats: &sections::ReferenceBeats,
    first_sample: u32,
) -> usize {
    let mut skipped = 0;
    let mut previous_end = 0i64;
    for beat in beats.beats.iter().filter(|b| b.kind == 0) {
        let (zone_start, zone_end) = (i64::from(beat.zone_start), i64::from(beat.zone_end));
        if zone_start <= previous_end || zone_end < zone_start {
            skipped += 1;
            continue;
        }
        previous_end = zone_end;
        let shift = i64::from(beats.fiducial) - i64::from(beat.fiducial);
        for (lead, beat_values) in leads.iter_mut().zip(reference) {
            // Only the samples that both the recording and the reference beat have.
            let first = zone_start.max(i64::from(first_sample)).max(1 - shift);
            let last = zone_end
                .min(i64::from(first_sample) + lead.len() as i64 - 1)
                .min(beat_values.len() as i64 - shift);
            for s in first..=last {
                let (Ok(at), Ok(from)) = (
                    usize::try_from(s - i64::from(first_sample)),
                    usize::try_from(s + shift - 1),
                ) else {
                    continue;
                };
                if let (Some(value), Some(add)) = (lead.get_mut(at), beat_values.get(from)) {
                    *value += add;
                }
            }
        }
    }
    skipped
}

fn not_supported(file: &str, message: impl Into<String>) -> Error {
    Error::NotSupported {
        file: file.to_string(),
        format: FORMAT,
        message: message.into(),
    }
}
