use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between a user's file and a [`Record`](crate::Record).
///
/// Each message says what is wrong and, where it helps, what is accepted instead,
/// because it is shown to a clinician as it is.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    #[error("{file}: not a recognised ECG file. Accepted: {}", crate::ACCEPTED)]
    UnknownFormat { file: String },

    /// The file is in a format we know but its content breaks that format's rules.
    #[error("{file}: not a readable {format} file: {message}")]
    InvalidFile {
        file: String,
        format: &'static str,
        message: String,
    },

    /// A valid file using a feature of its format that is not implemented.
    #[error("{file}: {format}: {message} is not supported yet. Export the ECG without it, or as WFDB, EDF or CSV")]
    NotSupported {
        file: String,
        format: &'static str,
        message: String,
    },

    #[error("{file}: the file has no time column, so its sampling rate is unknown. Give the sampling rate in Hz (for example 500)")]
    NeedsSamplingRate { file: String },

    #[error("{file}: header line {line}: {message}")]
    InvalidHeader {
        file: String,
        line: usize,
        message: String,
    },

    #[error("{file}: the header needs the signal file '{missing}', which was not given. Drop the .hea together with all of its .dat files")]
    MissingFile { file: String, missing: String },

    #[error("{file}: a signal file without its header. Drop the matching '{header}' as well")]
    MissingHeader { file: String, header: String },

    #[error("{file}: storage format {format} is not supported. Supported WFDB formats: 8, 16, 24, 32, 61, 80, 160, 212, 310, 311")]
    UnsupportedFormat { file: String, format: String },

    #[error("{file}: the file is truncated: expected {expected} bytes of samples, found {found}")]
    Truncated {
        file: String,
        expected: u64,
        found: u64,
    },

    #[error("{file}: too large: {what} is {actual}, the limit is {limit}")]
    TooLarge {
        file: String,
        what: &'static str,
        actual: u64,
        limit: u64,
    },

    #[error("{record}: {message}")]
    InvalidRecord { record: String, message: String },

    /// A record asked to be written in a format that cannot hold any of its leads.
    #[error("{record}: {message}")]
    NothingToWrite { record: String, message: String },

    /// A file on disk could not be read (native only).
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}
