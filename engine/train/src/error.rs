use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong preparing data, training, fitting, evaluating or writing a bundle.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// The PTB-XL folder, a signal cache or a text table is missing, damaged or stale; the
    /// message names the command that rebuilds it.
    #[error("{0}")]
    Dataset(String),

    /// A training run, its checkpoint or its log cannot be written or read back.
    #[error("{0}")]
    Training(String),

    /// The whitening or the probe cannot be fitted on the vectors given.
    #[error("{0}")]
    Fit(String),

    #[error(transparent)]
    Format(#[from] ecgmatch_formats::Error),

    #[error(transparent)]
    Signal(#[from] ecgmatch_signal::Error),

    #[error(transparent)]
    Model(#[from] ecgmatch_model::Error),

    #[error(transparent)]
    Retrieval(#[from] ecgmatch_retrieval::Error),
}
