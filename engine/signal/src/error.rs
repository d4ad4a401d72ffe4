use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong preparing a record's signals or encoding them as images.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// A filter, resampler or encoder was given parameters it cannot work with (where pyts
    /// raises `ValueError`): a programming or configuration error, not the user's file.
    #[error("{0}")]
    InvalidParameter(String),

    /// The record has nothing to prepare: no usable lead, no beat found.
    #[error("{record}: {message}")]
    InvalidRecord { record: String, message: String },
}
