use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong building or running a tower.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// Weights or a vocabulary that do not fit the model: the wrong file or a damaged download.
    #[error("{0}")]
    InvalidWeights(String),

    /// A configuration the network cannot be built with.
    #[error("{0}")]
    InvalidConfig(String),

    /// The tensor backend failed, for example reading results back from the GPU.
    #[error("{0}")]
    Backend(String),
}
