use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a picture of a paper ECG could not be read. Each message says what to do instead
/// (retake, choose the layout, place the corners), since the page shows it as it is.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// The picture itself is unusable: its pixels do not match its size, it is too small, or
    /// the sheet's corners enclose no area.
    #[error("{0}")]
    InvalidPicture(String),

    /// No printed millimetre grid was found.
    #[error("{0}")]
    NoGrid(String),

    /// A grid was found but no (or too few) rows of trace on it.
    #[error("{0}")]
    NoTraces(String),

    /// The rows found do not fit the layout the user chose.
    #[error("{0}")]
    LayoutMismatch(String),

    /// Only part of the printout is in the picture.
    #[error("{0}")]
    PartialSheet(String),

    /// A rendered sheet could not be degraded (native evaluation only).
    #[error("{0}")]
    Degrade(String),

    #[error(transparent)]
    Format(#[from] ecgmatch_formats::Error),

    #[error(transparent)]
    Signal(#[from] ecgmatch_signal::Error),
}
