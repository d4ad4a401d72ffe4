//! The parts of an SCP-ECG record the reader uses: the section table (section 0), patient
//! data (1), lead definitions (3), QRS locations for reference-beat subtraction (4) and the
//! encoded reference beats (5) and rhythm (6).

use std::collections::HashMap;

use super::{crc, FORMAT};
use crate::ByteReader;
use crate::Result;
use crate::{Metadata, Sex};

/// Every section starts with CRC (2), ID (2), length (4), section version (1), protocol
/// version (1) and 6 reserved bytes.
pub const HEADER: usize = 16;
/// The record starts with its CRC (2) and length (4); section 0 follows.
pub const RECORD_HEADER: usize = 6;

/// Most sections kept from one record. SCP-ECG defines sections 0–18, and vendors add a few
/// of their own (128 and up); a table listing thousands is hostile, and checking each one's
/// CRC would take time proportional to entries × record size.
const MAX_SECTIONS: usize = 64;

pub struct Sections<'a> {
    file: &'a str,
    /// By ID: looked up once per table entry, so a map keeps a long table linear.
    found: HashMap<u16, &'a [u8]>,
    /// Why a section the table names could not be used.
    problems: HashMap<u16, String>,
    /// Sections whose stored CRC does not match their content.
    pub bad_crc: Vec<u16>,
    pub warnings: Vec<String>,
}

impl<'a> Sections<'a> {
    /// Finds the sections through section 0's pointers (ID, length, 1-based byte index);
    /// sections the table leaves out are looked for by walking the record section by section.
    pub fn locate(data: &'a [u8], file: &'a str) -> Self {
        let mut sections = Self {
            file,
            found: HashMap::new(),
            problems: HashMap::new(),
            bad_crc: Vec::new(),
            warnings: Vec::new(),
        };
        let mut r = ByteReader::new(data, file, FORMAT);
        let table_length = r.seek(RECORD_HEADER + 4).and_then(|_| r.u32()).unwrap_or(0) as usize;
        let table_end = RECORD_HEADER.saturating_add(table_length).min(data.len());
        if r.seek(RECORD_HEADER + HEADER).is_ok() {
            while r.position() + 10 <= table_end {
                let (Ok(id), Ok(length), Ok(index)) = (r.u16(), r.u32(), r.u32()) else {
                    break;
                };
                if id == 0 || length == 0 || index == 0 {
                    continue;
                }
                match section_at(data, index as usize - 1, length as usize) {
                    Some(section) => sections.add(id, section),
                    None => {
                        sections.problems.entry(id).or_insert_with(|| {
                            format!(
                                "section 0 places section {id} ({length} bytes) at byte {index}, outside the {}-byte record",
                                data.len()
                            )
                        });
                    }
                }
            }
        }
        sections.walk(data);
        sections
    }

    /// Records whose section table is incomplete: sections follow each other, each giving
    /// its own length.
    fn walk(&mut self, data: &'a [u8]) {
        let mut r = ByteReader::new(data, self.file, FORMAT);
        let mut at = RECORD_HEADER;
        while let (Ok(()), Ok(id), Ok(length)) = (r.seek(at + 2), r.u16(), r.u32()) {
            let Some(section) = section_at(data, at, length as usize) else {
                break;
            };
            let named_elsewhere = self.problems.contains_key(&id);
            if id != 0 && self.body(id).is_none() && !named_elsewhere {
                self.add(id, section);
            }
            at += section.len();
        }
    }

    fn add(&mut self, id: u16, section: &'a [u8]) {
        if self.body(id).is_some() {
            return;
        }
        if self.found.len() >= MAX_SECTIONS {
            let warning = format!(
                "the record lists more than {MAX_SECTIONS} sections; only the first {MAX_SECTIONS} are read"
            );
            if self.warnings.last() != Some(&warning) {
                self.warnings.push(warning);
            }
            return;
        }
        let mut r = ByteReader::new(section, self.file, FORMAT);
        let (stored_crc, stated_id) = (r.u16().unwrap_or(0), r.u16().unwrap_or(0));
        if stated_id != id {
            self.warnings.push(format!(
                "section 0 points to section {id}, but the header there says section {stated_id}"
            ));
        }
        if stored_crc != crc(section.get(2..).unwrap_or(&[])) {
            self.bad_crc.push(id);
        }
        self.found.insert(id, section.get(HEADER..).unwrap_or(&[]));
    }

    pub fn body(&self, id: u16) -> Option<&'a [u8]> {
        self.found.get(&id).copied()
    }

    /// A section the record cannot be read without; the message says why it is missing.
    pub fn require(&self, id: u16, what: &str) -> std::result::Result<&'a [u8], String> {
        self.body(id).ok_or_else(|| match self.problems.get(&id) {
            Some(problem) => problem.clone(),
            None => format!("it has no section {id} ({what})"),
        })
    }
}

fn section_at(data: &[u8], start: usize, length: usize) -> Option<&[u8]> {
    (length >= HEADER)
        .then(|| data.get(start..start.checked_add(length)?))
        .flatten()
}

/// Age, sex and the date of acquisition from section 1's tags (tag, 2-byte length, value;
/// tag 255 ends the list). A damaged list ends the reading, not the record.
pub fn patient(body: &[u8], file: &str) -> Metadata {
    let mut metadata = Metadata::default();
    let (mut date, mut time) = (None, None);
    let mut r = ByteReader::new(body, file, FORMAT);
    while let (Ok(tag), Ok(length)) = (r.u8(), r.u16()) {
        let Ok(value) = r.take(usize::from(length)) else {
            break;
        };
        let mut v = ByteReader::new(value, file, FORMAT);
        match tag {
            4 => {
                metadata.age = v
                    .u16()
                    .and_then(|age| Ok((age, v.u8()?)))
                    .ok()
                    .and_then(|(a, unit)| years(a, unit))
            }
            8 => {
                metadata.sex = match v.u8() {
                    Ok(1) => Some(Sex::Male),
                    Ok(2) => Some(Sex::Female),
                    _ => None,
                }
            }
            25 => date = v.u16().and_then(|year| Ok((year, v.u8()?, v.u8()?))).ok(),
            26 => time = v.u8().and_then(|h| Ok((h, v.u8()?, v.u8()?))).ok(),
            255 => break,
            _ => {}
        }
    }
    metadata.date = date
        .and_then(|(year, month, day)| crate::datetime::DateTime::new(year, month, day, time))
        .map(|when| when.to_string());
    metadata
}

/// Years from an age and its unit code: 1 years, 2 months, 3 weeks, 4 days, 5 hours;
/// 0 (unspecified) is taken as years, which is what carts that leave it out mean.
fn years(value: u16, unit: u8) -> Option<f32> {
    let value = f32::from(value);
    let years = match unit {
        0 | 1 => value,
        2 => value / 12.0,
        3 => value * 7.0 / 365.25,
        4 => value / 365.25,
        5 => value / (24.0 * 365.25),
        _ => return None,
    };
    (value > 0.0 && years <= 150.0).then_some(years)
}

pub struct Lead {
    /// 1-based sample numbers, inclusive.
    pub start: u32,
    pub end: u32,
    pub id: u8,
}

pub struct Leads {
    pub leads: Vec<Lead>,
    /// Flag bit 0: the rhythm data is the residual after reference beats were subtracted.
    pub reference_beat_subtracted: bool,
}

/// Section 3: number of leads, flags, then start, end and lead ID of each lead.
pub fn leads(body: &[u8], file: &str) -> Result<Leads> {
    let mut r = ByteReader::new(body, file, FORMAT);
    let (count, flags) = r
        .u8()
        .and_then(|c| Ok((c, r.u8()?)))
        .map_err(|_| r.error("section 3 is empty"))?;
    if count == 0 {
        return Err(r.error("section 3 defines no leads"));
    }
    let mut leads = Vec::with_capacity(usize::from(count));
    for number in 1..=count {
        let (start, end, id) = r
            .u32()
            .and_then(|start| Ok((start, r.u32()?, r.u8()?)))
            .map_err(|_| r.error(format!("section 3 ends before lead {number} of {count}")))?;
        if start == 0 || end < start {
            return Err(r.error(format!(
                "section 3 gives lead {number} samples {start} to {end}, which is no range"
            )));
        }
        leads.push(Lead { start, end, id });
    }
    Ok(Leads {
        leads,
        reference_beat_subtracted: flags & 1 == 1,
    })
}

/// One QRS complex of section 4: its reference beat type and the 1-based sample numbers of
/// its subtraction zone and fiducial point.
pub struct Beat {
    pub kind: u16,
    pub zone_start: u32,
    pub fiducial: u32,
    pub zone_end: u32,
}

pub struct ReferenceBeats {
    pub length_ms: u16,
    /// 1-based sample number of the fiducial point within the reference beat.
    pub fiducial: u16,
    pub beats: Vec<Beat>,
}

/// Section 4: reference beat length (ms), its fiducial sample, the number of QRS complexes,
/// then type, subtraction zone start, fiducial and zone end of each (the protected areas
/// that follow matter only for bimodal compression).
pub fn reference_beats(body: &[u8], file: &str) -> Result<ReferenceBeats> {
    let mut r = ByteReader::new(body, file, FORMAT);
    let (length_ms, fiducial, count) = r
        .u16()
        .and_then(|length| Ok((length, r.u16()?, r.u16()?)))
        .map_err(|_| r.error("section 4 ends within its first 6 bytes"))?;
    let mut beats = Vec::with_capacity(usize::from(count).min(r.remaining() / 14));
    for _ in 0..count {
        let beat = r
            .u16()
            .and_then(|kind| {
                Ok(Beat {
                    kind,
                    zone_start: r.u32()?,
                    fiducial: r.u32()?,
                    zone_end: r.u32()?,
                })
            })
            .map_err(|_| r.error(format!("section 4 ends before its {count} QRS complexes")))?;
        beats.push(beat);
    }
    Ok(ReferenceBeats {
        length_ms,
        fiducial,
        beats,
    })
}

/// Sections 5 and 6: amplitude value multiplier (nV), sample interval (µs), difference
/// encoding, a byte that is bimodal compression in section 6 and reserved in 5, the byte
/// length of each lead's data, then the data.
pub struct Encoded<'a> {
    pub nanovolts: u16,
    pub interval_us: u16,
    pub differences: u8,
    pub bimodal: bool,
    pub leads: Vec<&'a [u8]>,
}

pub fn encoded<'a>(
    body: &'a [u8],
    file: &'a str,
    section: u16,
    lead_count: usize,
) -> Result<Encoded<'a>> {
    let mut r = ByteReader::new(body, file, FORMAT);
    let short = |r: &ByteReader| r.error(format!("section {section} ends before its lead data"));
    let (nanovolts, interval_us, differences, mode) = r
        .u16()
        .and_then(|avm| Ok((avm, r.u16()?, r.u8()?, r.u8()?)))
        .map_err(|_| short(&r))?;
    if nanovolts == 0 || interval_us == 0 {
        return Err(r.error(format!(
            "section {section} gives an amplitude multiplier of {nanovolts} nV and a sample interval of \
             {interval_us} µs; both must be positive"
        )));
    }
    if differences > 2 {
        return Err(r.error(format!(
            "section {section} gives difference encoding {differences} (0, 1 or 2 are defined)"
        )));
    }
    let lengths = (0..lead_count)
        .map(|_| r.u16())
        .collect::<Result<Vec<u16>>>()
        .map_err(|_| short(&r))?;
    let mut leads = Vec::with_capacity(lead_count);
    for (lead, &length) in lengths.iter().enumerate() {
        let at = r.position();
        let data = r.take(usize::from(length)).map_err(|_| {
            r.error(format!(
                "section {section} gives lead {} {length} bytes at byte {at}, past the section's end ({} bytes)",
                lead + 1,
                body.len()
            ))
        })?;
        leads.push(data);
    }
    Ok(Encoded {
        nanovolts,
        interval_us,
        differences,
        bimodal: section == 6 && mode == 1,
        leads,
    })
}
