//! Writing a record in each format the engine reads: how our fixtures are made from real
//! PTB-XL records, what the round-trip property tests use, and `ecgmatch convert`.

use crate::Record;
use crate::Result;

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
