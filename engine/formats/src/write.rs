//! Writing a record in each format the engine reads: how our fixtures are made from real
//! PTB-XL records, what the round-trip property tests use, and `ecgmatch convert`.

use sha2::{Digest, Sha256};

use crate::{Channel, Record};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Edf,
    Csv,
    Muse,
    Hl7Aecg,
    Philips,
    Dicom,
    Scp,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 7] = [
        OutputFormat::Edf,
        OutputFormat::Csv,
        OutputFormat::Muse,
        OutputFormat::Hl7Aecg,
        OutputFormat::Philips,
        OutputFormat::Dicom,
        OutputFormat::Scp,
    ];

    /// The short name the CLI takes.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Edf => "edf",
            OutputFormat::Csv => "csv",
            OutputFormat::Muse => "muse",
            OutputFormat::Hl7Aecg => "hl7",
            OutputFormat::Philips => "philips",
            OutputFormat::Dicom => "dicom",
            OutputFormat::Scp => "scp",
        }
    }

    pub fn from_name(name: &str) -> Option<OutputFormat> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The file name for record `stem`; the three XML formats are told apart in the name.
    pub fn file_name(self, stem: &str) -> String {
        match self {
            OutputFormat::Edf => format!("{stem}.edf"),
            OutputFormat::Csv => format!("{stem}.csv"),
            OutputFormat::Muse => format!("{stem}_muse.xml"),
            OutputFormat::Hl7Aecg => format!("{stem}_hl7.xml"),
            OutputFormat::Philips => format!("{stem}_philips.xml"),
            OutputFormat::Dicom => format!("{stem}.dcm"),
            OutputFormat::Scp => format!("{stem}.scp"),
        }
    }

    pub fn write(self, record: &Record) -> Result<Vec<u8>> {
        match self {
            OutputFormat::Edf => super::edf::write(record),
            OutputFormat::Csv => Ok(super::csv::write(record)),
            OutputFormat::Muse => super::muse::write(record),
            OutputFormat::Hl7Aecg => super::hl7_aecg::write(record),
            OutputFormat::Philips => super::philips::write(record),
            OutputFormat::Dicom => super::dicom::write(record),
            OutputFormat::Scp => super::scp::write(record),
        }
    }
}

/// The first `seconds` of `record`, for small examples and fuzz seeds.
pub fn excerpt(record: &Record, seconds: f64) -> Record {
    let keep = (seconds * record.sampling_rate).round().max(1.0) as usize;
    let mut out = record.clone();
    for channel in &mut out.channels {
        channel.samples.truncate(keep);
    }
    out
}

/// The record's channels that carry a standard lead, in its order: what a writer of a format
/// that names every lead stores. An error where there is none, rather than an empty document.
pub fn standard_channels(record: &Record) -> Result<Vec<&Channel>> {
    let leads: Vec<&Channel> = record
        .channels
        .iter()
        .filter(|c| c.lead.is_some())
        .collect();
    if leads.is_empty() {
        return Err(Error::NothingToWrite {
            record: record.name.clone(),
            message: "the record has no standard ECG lead to write".into(),
        });
    }
    Ok(leads)
}

/// A digest of the record's name, rate and samples: writers derive their document ids from it,
/// so that writing the same record twice gives the same file (fixtures stay stable) and
/// different records differ.
pub fn content_digest(record: &Record) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(record.name.as_bytes());
    hash.update(record.sampling_rate.to_le_bytes());
    for channel in &record.channels {
        hash.update(channel.name.as_bytes());
        for sample in &channel.samples {
            hash.update(sample.to_le_bytes());
        }
    }
    hash.finalize().into()
}
