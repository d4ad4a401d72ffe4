//! Writes a record as a DICOM ECG waveform object: preamble, `DICM`, the file meta group,
//! then one data set in explicit VR little endian with a single multiplex group labelled
//! `RHYTHM`, 16-bit signed samples at 1 µV per unit (the resolution of PTB-XL and of most
//! carts), and each lead coded with its MDC code from CID 3001.

use sha2::{Digest, Sha256};

use super::dataset::{tag, Tag};
use super::EXPLICIT_LITTLE;
use crate::datetime::DateTime;
use crate::{Error, Result};
use crate::{Lead, Record, Sex};

/// Microvolts per stored unit.
const SENSITIVITY_UV: f64 = 1.0;

const TWELVE_LEAD: &str = "1.2.840.10008.5.1.4.1.1.9.1.1";
const GENERAL_ECG: &str = "1.2.840.10008.5.1.4.1.1.9.1.2";
const AMBULATORY_ECG: &str = "1.2.840.10008.5.1.4.1.1.9.1.3";

/// The most specific ECG IOD whose constraints (PS3.3 A.34.3.4, A.34.4.4, A.34.5.4) the
/// record meets. A record that meets none (a rate below 50 Hz, say) is written as a General
/// ECG all the same: readers do not enforce the constraints, and refusing would lose data.
fn sop_class(channels: usize, samples: usize, rate: f64) -> &'static str {
    if channels <= 13 && samples <= 16384 && (200.0..=1000.0).contains(&rate) {
        TWELVE_LEAD
    } else if channels <= 24 && (200.0..=1000.0).contains(&rate) {
        GENERAL_ECG
    } else if channels <= 12 && (50.0..=1000.0).contains(&rate) {
        AMBULATORY_ECG
    } else {
        GENERAL_ECG
    }
}

/// The file's bytes. Refuses a record that DICOM cannot hold: no channels, more than 65535
/// channels, or more than 4 GiB of samples.
pub fn write(record: &Record) -> Result<Vec<u8>> {
    let refuse = |message: String| Error::InvalidRecord {
        record: record.name.clone(),
        message,
    };
    let channels = &record.channels;
    let samples = record.num_samples();
    if channels.is_empty() || samples == 0 {
        return Err(refuse(
            "a DICOM waveform needs at least one channel with samples".into(),
        ));
    }
    let channel_count = u16::try_from(channels.len()).map_err(|_| {
        refuse(format!(
            "{} channels: a DICOM multiplex group holds at most 65535",
            channels.len()
        ))
    })?;
    let data_bytes = channels.len() as u64 * samples as u64 * 2;
    if data_bytes >= u64::from(u32::MAX) {
        return Err(refuse(format!(
            "{data_bytes} bytes of samples: a DICOM element holds less than 4 GiB"
        )));
    }
    let class = sop_class(channels.len(), samples, record.sampling_rate);
    let digest = record.content_digest();
    let instance = uid(&digest, "instance");
    let when = record.metadata.date.as_deref().and_then(DateTime::parse);
    let (date, time) = when.map_or((String::new(), String::new()), |w| {
        let (h, m, s) = w.time.unwrap_or((0, 0, 0));
        (
            format!("{:04}{:02}{:02}", w.year, w.month, w.day),
            format!("{h:02}{m:02}{s:02}"),
        )
    });

    let mut body = Vec::new();
    text(&mut body, tag(0x0008, 0x0005), b"CS", "ISO_IR 192");
    text(&mut body, tag(0x0008, 0x0016), b"UI", class);
    text(&mut body, tag(0x0008, 0x0018), b"UI", &instance);
    text(&mut body, tag(0x0008, 0x0020), b"DA", &date);
    text(&mut body, tag(0x0008, 0x0023), b"DA", &date);
    text(
        &mut body,
        tag(0x0008, 0x002A),
        b"DT",
        &format!("{date}{time}"),
    );
    text(&mut body, tag(0x0008, 0x0030), b"TM", &time);
    text(&mut body, tag(0x0008, 0x0033), b"TM", &time);
    text(&mut body, tag(0x0008, 0x0050), b"SH", "");
    text(&mut body, tag(0x0008, 0x0060), b"CS", "ECG");
    text(&mut body, tag(0x0008, 0x0070), b"LO", "ECGMatch");
    text(&mut body, tag(0x0008, 0x0090), b"PN", "");
    text(&mut body, tag(0x0010, 0x0010), b"PN", "");
    text(
        &mut body,
        tag(0x0010, 0x0020),
        b"LO",
        &single_value(&record.name, 64),
    );
    text(&mut body, tag(0x0010, 0x0030), b"DA", "");
    let sex = match record.metadata.sex {
        Some(Sex::Male) => "M",
        Some(Sex::Female) => "F",
        None => "",
    };
    text(&mut body, tag(0x0010, 0x0040), b"CS", sex);
    if let Some(age) = record.metadata.age.and_then(age_string) {
        text(&mut body, tag(0x0010, 0x1010), b"AS", &age);
    }
    text(
        &mut body,
        tag(0x0020, 0x000D),
        b"UI",
        &uid(&digest, "study"),
    );
    text(
        &mut body,
        tag(0x0020, 0x000E),
        b"UI",
        &uid(&digest, "series"),
    );
    text(&mut body, tag(0x0020, 0x0010), b"SH", "");
    text(&mut body, tag(0x0020, 0x0011), b"IS", "1");
    text(&mut body, tag(0x0020, 0x0013), b"IS", "1");
    sequence(&mut body, tag(0x0040, 0x0555), &[]);
    let annotations: Vec<Vec<u8>> = record
        .metadata
        .statements
        .iter()
        .map(|s| annotation(s))
        .collect();
    if !annotations.is_empty() {
        sequence(&mut body, tag(0x0040, 0xB020), &annotations);
    }
    sequence(
        &mut body,
        tag(0x5400, 0x0100),
        &[multiplex(record, channel_count, samples)],
    );

    let mut meta = Vec::new();
    element(&mut meta, tag(0x0002, 0x0001), b"OB", &[0, 1]);
    text(&mut meta, tag(0x0002, 0x0002), b"UI", class);
    text(&mut meta, tag(0x0002, 0x0003), b"UI", &instance);
    text(&mut meta, tag(0x0002, 0x0010), b"UI", EXPLICIT_LITTLE);
    let implementation: [u8; 32] = Sha256::digest(b"ECGMatch implementation").into();
    text(
        &mut meta,
        tag(0x0002, 0x0012),
        b"UI",
        &uid(&implementation, ""),
    );
    text(&mut meta, tag(0x0002, 0x0013), b"SH", "ECGMATCH");

    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    element(
        &mut out,
        tag(0x0002, 0x0000),
        b"UL",
        &(meta.len() as u32).to_le_bytes(),
    );
    out.extend(meta);
    out.extend(body);
    Ok(out)
}

fn multiplex(record: &Record, channel_count: u16, samples: usize) -> Vec<u8> {
    let channels = &record.channels[..usize::from(channel_count)];
    let mut group = Vec::new();
    text(&mut group, tag(0x003A, 0x0004), b"CS", "ORIGINAL");
    element(
        &mut group,
        tag(0x003A, 0x0005),
        b"US",
        &channel_count.to_le_bytes(),
    );
    element(
        &mut group,
        tag(0x003A, 0x0010),
        b"UL",
        &(samples as u32).to_le_bytes(),
    );
    text(
        &mut group,
        tag(0x003A, 0x001A),
        b"DS",
        &decimal(record.sampling_rate),
    );
    text(&mut group, tag(0x003A, 0x0020), b"SH", "RHYTHM");
    let definitions: Vec<Vec<u8>> = channels
        .iter()
        .map(|c| channel_definition(&c.name, c.lead, &c.units))
        .collect();
    sequence(&mut group, tag(0x003A, 0x0200), &definitions);
    element(&mut group, tag(0x5400, 0x1004), b"US", &16u16.to_le_bytes());
    text(&mut group, tag(0x5400, 0x1006), b"CS", "SS");
    let mut data = Vec::with_capacity(channels.len() * samples * 2);
    for s in 0..samples {
        for channel in channels {
            data.extend_from_slice(
                &quantise(channel.samples.get(s).copied().unwrap_or(0.0)).to_le_bytes(),
            );
        }
    }
    element(&mut group, tag(0x5400, 0x1010), b"OW", &data);
    group
}

/// Stored units: millivolts at [`SENSITIVITY_UV`], rounded and clamped to 16 bits.
fn quantise(millivolts: f32) -> i16 {
    let units = f64::from(millivolts) * 1000.0 / SENSITIVITY_UV;
    if units.is_finite() {
        units
            .round()
            .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
    } else {
        0
    }
}

fn channel_definition(name: &str, lead: Option<Lead>, units: &str) -> Vec<u8> {
    let mut source = Vec::new();
    match lead {
        Some(lead) => {
            text(
                &mut source,
                tag(0x0008, 0x0100),
                b"SH",
                &format!("2:{}", crate::lead_codes::lead_number(lead)),
            );
            text(&mut source, tag(0x0008, 0x0102), b"SH", "MDC");
            text(
                &mut source,
                tag(0x0008, 0x0104),
                b"LO",
                &format!("Lead {}", lead.label()),
            );
        }
        None => {
            // Not a lead of CID 3001: a private code that keeps the name.
            text(
                &mut source,
                tag(0x0008, 0x0100),
                b"SH",
                &single_value(name, 16),
            );
            text(&mut source, tag(0x0008, 0x0102), b"SH", "99ECGMATCH");
            text(
                &mut source,
                tag(0x0008, 0x0104),
                b"LO",
                &single_value(name, 64),
            );
        }
    }
    let mut unit = Vec::new();
    let (code, meaning) = if units == "mV" {
        ("uV", "microvolt")
    } else {
        (units, units)
    };
    text(
        &mut unit,
        tag(0x0008, 0x0100),
        b"SH",
        &single_value(code, 16),
    );
    text(&mut unit, tag(0x0008, 0x0102), b"SH", "UCUM");
    text(
        &mut unit,
        tag(0x0008, 0x0104),
        b"LO",
        &single_value(meaning, 64),
    );

    let mut item = Vec::new();
    sequence(&mut item, tag(0x003A, 0x0208), &[source]);
    text(
        &mut item,
        tag(0x003A, 0x0210),
        b"DS",
        &decimal(SENSITIVITY_UV),
    );
    sequence(&mut item, tag(0x003A, 0x0211), &[unit]);
    text(&mut item, tag(0x003A, 0x0212), b"DS", "1");
    text(&mut item, tag(0x003A, 0x0213), b"DS", "0");
    text(&mut item, tag(0x003A, 0x0214), b"DS", "0");
    element(&mut item, tag(0x003A, 0x021A), b"US", &16u16.to_le_bytes());
    text(&mut item, tag(0x003A, 0x0220), b"DS", "");
    text(&mut item, tag(0x003A, 0x0221), b"DS", "");
    item
}

/// A statement about the whole waveform: Referenced Waveform Channels (1, 0) is multiplex
/// group 1, all channels.
fn annotation(statement: &str) -> Vec<u8> {
    let mut item = Vec::new();
    let channels: Vec<u8> = [1u16, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
    element(&mut item, tag(0x0040, 0xA0B0), b"US", &channels);
    text(
        &mut item,
        tag(0x0070, 0x0006),
        b"ST",
        &truncate(statement, 1024),
    );
    item
}

fn element(out: &mut Vec<u8>, tag: Tag, vr: &[u8; 2], value: &[u8]) {
    out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
    out.extend_from_slice(&((tag & 0xFFFF) as u16).to_le_bytes());
    out.extend_from_slice(vr);
    if matches!(vr, b"OB" | b"OW" | b"SQ" | b"UT" | b"UN") {
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    } else {
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    }
    out.extend_from_slice(value);
}

/// A text value padded to even length: UIDs with a NUL, everything else with a space.
fn text(out: &mut Vec<u8>, tag: Tag, vr: &[u8; 2], value: &str) {
    let mut bytes = value.as_bytes().to_vec();
    if bytes.len() % 2 == 1 {
        bytes.push(if vr == b"UI" { 0 } else { b' ' });
    }
    element(out, tag, vr, &bytes);
}

/// A sequence of defined length whose items are the given encoded data sets.
fn sequence(out: &mut Vec<u8>, tag: Tag, items: &[Vec<u8>]) {
    let mut value = Vec::new();
    for item in items {
        value.extend_from_slice(&0xFFFEu16.to_le_bytes());
        value.extend_from_slice(&0xE000u16.to_le_bytes());
        value.extend_from_slice(&(item.len() as u32).to_le_bytes());
        value.extend_from_slice(item);
    }
    element(out, tag, b"SQ", &value);
}

/// A decimal string of at most 16 characters.
fn decimal(value: f64) -> String {
    let plain = format!("{value}");
    if plain.len() <= 16 {
        return plain;
    }
    (0..=15)
        .rev()
        .map(|digits| format!("{value:.digits$}"))
        .find(|s| s.len() <= 16)
        .unwrap_or_else(|| format!("{value:.6e}"))
}

/// One value of at most `max` characters: a backslash would split it into several.
fn single_value(text: &str, max: usize) -> String {
    truncate(&text.replace('\\', "/"), max)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// An age string (AS): years from one year up, then months, then days.
fn age_string(years: f32) -> Option<String> {
    if !(years.is_finite() && years >= 0.0) {
        return None;
    }
    let (value, unit) = if years >= 1.0 {
        (years.round(), 'Y')
    } else if years * 12.0 >= 1.0 {
        ((years * 12.0).round(), 'M')
    } else {
        ((years * 365.25).round(), 'D')
    };
    (value <= 999.0).then(|| format!("{:03}{unit}", value as u32))
}

/// A UUID-derived UID (`2.25.<decimal>`, PS3.5 B.2) from the content and a role, so that
/// the same record always gets the same UIDs. The UUID is RFC 9562 version 8 (custom).
fn uid(digest: &[u8; 32], role: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(digest);
    hash.update(role.as_bytes());
    let bytes: [u8; 32] = hash.finalize().into();
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&bytes[..16]);
    uuid[6] = (uuid[6] & 0x0F) | 0x80;
    uuid[8] = (uuid[8] & 0x3F) | 0x80;
    format!("2.25.{}", u128::from_be_bytes(uuid))
}
