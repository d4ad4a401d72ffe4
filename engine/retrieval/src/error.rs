use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong loading a case library or searching it.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// The case library (or the packed text tower) is damaged or from another version.
    #[error("case library: {0}")]
    InvalidBundle(String),

    /// The waveform pack (the cases' tracings) is damaged or from another version.
    #[error("waveform pack: {0}")]
    InvalidWaveforms(String),

    /// A query that does not fit the library (its measurements, its size).
    #[error("{0}")]
    InvalidQuery(String),

    #[error(transparent)]
    Signal(#[from] ecgmatch_signal::Error),

    #[error(transparent)]
    Model(#[from] ecgmatch_model::Error),
}
