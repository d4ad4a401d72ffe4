//! ECG files read into one [`Record`]. Each format is one [`RecordReader`] in its own module;
//! [`read_records`] groups a set of dropped files into records and reads each.
//! Formats are recognised from content (magic bytes, XML root element) wherever the
//! format has a signature, so a renamed file still reads.

mod assemble;
mod bytes;
pub mod csv;
mod datetime;
pub mod dicom;
pub mod drop_budget;
pub mod edf;
mod error;
#[cfg(not(target_arch = "wasm32"))]
mod files;
pub mod hl7_aecg;
mod lead_codes;
pub mod muse;
pub mod philips;
pub mod random;
pub mod record;
pub mod scp;
pub mod wfdb;
pub mod write;
mod xml;

#[cfg(test)]
mod test_support;

pub use assemble::{
    check_samples, check_sampling_rate, millivolt_channel, millivolts_per, RecordParts,
    SAMPLING_RATES_HZ,
};
pub use bytes::ByteReader;

#[cfg(not(target_arch = "wasm32"))]
pub use files::{read_file, read_record_files};

pub use error::{Error, Result};
pub use record::{AmplitudeUnits, Channel, Lead, Metadata, Record, Sex};

/// Largest single file accepted. A 12-lead 24-hour Holter at 500 Hz in format 16 is ~1 GB,
/// far beyond what a query needs; refusing early keeps a browser tab alive.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Largest total of one drop, or of one command's inputs: two files at the limit. Files past it
/// are refused before they are read, so many large files at once cannot exhaust memory.
pub const MAX_DROP_BYTES: u64 = 2 * MAX_FILE_BYTES;
/// Largest number of samples per channel accepted (one hour at 1 kHz).
pub const MAX_SAMPLES_PER_CHANNEL: u64 = 3_600_000;

/// What the page shows when a file is refused: every format a drop may hold.
pub const ACCEPTED: &str = "WFDB (.hea with its .dat or .mat files), EDF/EDF+ (.edf), CSV or TXT \
    (one column per lead), GE MUSE XML, HL7 aECG XML, Philips SierraECG XML (uncompressed), \
    DICOM ECG waveforms (.dcm) and SCP-ECG (.scp)";

/// Choices a user makes for a file that does not state them itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    /// Samples per second, for a table without a time column.
    pub sampling_rate: Option<f64>,
    /// Amplitude units, overriding the guess made for a table that does not state them.
    pub units: Option<AmplitudeUnits>,
}

/// A file as the user gave it: a name and its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl InputFile {
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            bytes,
        }
    }

    /// The file name without any directory part.
    pub fn base_name(&self) -> &str {
        self.name.rsplit(['/', '\\']).next().unwrap_or(&self.name)
    }

    pub fn extension(&self) -> String {
        match self.base_name().rsplit_once('.') {
            Some((_, ext)) => ext.to_ascii_lowercase(),
            None => String::new(),
        }
    }

    pub fn stem(&self) -> &str {
        let base = self.base_name();
        base.rsplit_once('.').map_or(base, |(stem, _)| stem)
    }
}

/// A format: recognises its primary file and reads a record from it and its companions.
pub trait RecordReader {
    /// Short name shown to users, e.g. `WFDB`.
    fn name(&self) -> &'static str;
    /// Whether `file` is the primary file of a record in this format.
    fn detects(&self, file: &InputFile) -> bool;
    /// Reads the record whose primary file is `primary`; `files` holds every file of the drop.
    fn read(
        &self,
        primary: &InputFile,
        files: &[InputFile],
        options: &ReadOptions,
    ) -> Result<Record>;
    /// Names of the companion files `primary` needs, so that a drop can be grouped;
    /// most formats keep a record in one file.
    fn companions(&self, _primary: &InputFile) -> Vec<String> {
        Vec::new()
    }
}

pub fn readers() -> Vec<Box<dyn RecordReader>> {
    // Signatures first (binary magic, then XML root elements), WFDB by its header, and the
    // content sniffing of plain tables last, so that it never claims a file with a signature.
    vec![
        Box::new(dicom::DicomReader),
        Box::new(scp::ScpReader),
        Box::new(edf::EdfReader),
        Box::new(muse::READER),
        Box::new(hl7_aecg::READER),
        Box::new(philips::READER),
        Box::new(wfdb::WfdbReader),
        Box::new(csv::CsvReader),
    ]
}

/// The outcome for one group of dropped files.
#[derive(Debug)]
pub struct ReadOutcome {
    /// The files this outcome covers, primary first.
    pub files: Vec<String>,
    pub result: Result<Record>,
}

/// Groups `files` into records and reads each one. Every file ends up in exactly one outcome,
/// so a bad file is reported on its own and never hides the good ones.
pub fn read_records(files: &[InputFile]) -> Vec<ReadOutcome> {
    read_records_with(files, &ReadOptions::default())
}

/// [`read_records`] with the user's choices for files that do not state them.
pub fn read_records_with(files: &[InputFile], options: &ReadOptions) -> Vec<ReadOutcome> {
    let readers = readers();
    let mut used = vec![false; files.len()];
    let mut outcomes = Vec::new();
    for (i, file) in files.iter().enumerate() {
        if let Some(err) = size_error(file) {
            used[i] = true;
            outcomes.push(ReadOutcome {
                files: vec![file.name.clone()],
                result: Err(err),
            });
            continue;
        }
        let Some(reader) = readers.iter().find(|r| r.detects(file)) else {
            continue;
        };
        used[i] = true;
        let mut names = vec![file.name.clone()];
        for companion in reader.companions(file) {
            if let Some(j) = files.iter().position(|f| f.base_name() == companion) {
                if !used[j] {
                    used[j] = true;
                    names.push(files[j].name.clone());
                }
            }
        }
        let result = reader.read(file, files, options).map(|mut record| {
            record.derive_missing_limb_leads();
            record
        });
        outcomes.push(ReadOutcome {
            files: names,
            result,
        });
    }
    for file in files
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(file, _)| file)
    {
        outcomes.push(ReadOutcome {
            files: vec![file.name.clone()],
            result: Err(orphan_error(file)),
        });
    }
    outcomes
}

fn size_error(file: &InputFile) -> Option<Error> {
    let actual = file.bytes.len() as u64;
    (actual > MAX_FILE_BYTES).then(|| Error::TooLarge {
        file: file.name.clone(),
        what: "the file size in bytes",
        actual,
        limit: MAX_FILE_BYTES,
    })
}

fn orphan_error(file: &InputFile) -> Error {
    if file.extension() == "dat" {
        Error::MissingHeader {
            file: file.name.clone(),
            header: format!("{}.hea", file.stem()),
        }
    } else {
        Error::UnknownFormat {
            file: file.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_parts() {
        let f = InputFile::new("dir/sub\\00001_lr.HEA", vec![]);
        assert_eq!(f.base_name(), "00001_lr.HEA");
        assert_eq!(f.extension(), "hea");
        assert_eq!(f.stem(), "00001_lr");
    }

    #[test]
    fn lone_dat_and_unknown_files_get_their_own_messages() {
        let files = vec![
            InputFile::new("a.dat", vec![0; 4]),
            InputFile::new("report.pdf", b"%PDF".to_vec()),
        ];
        let out = read_records(&files);
        assert_eq!(out.len(), 2);
        let msgs: Vec<String> = out
            .iter()
            .map(|o| o.result.as_ref().unwrap_err().to_string())
            .collect();
        assert!(msgs[0].contains("a.hea"), "{}", msgs[0]);
        assert!(msgs[1].contains("not a recognised ECG file"), "{}", msgs[1]);
    }
}
