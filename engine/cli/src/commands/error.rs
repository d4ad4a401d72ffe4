//! The command line's one error: an engine error (from any stage, typed, with the stage's own
//! message) or the command's own message about its arguments and files.

/// What a subcommand reports before exiting with status 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Engine(#[from] ecgmatch::Error),
    /// About the command's arguments, files or output, already worded for the user.
    #[error("{0}")]
    Usage(String),
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError::Usage(message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        CliError::Usage(message.to_string())
    }
}

/// Each stage's error reaches the command line through the engine's.
macro_rules! from_stage {
    ($($stage:path),*) => {$(
        impl From<$stage> for CliError {
            fn from(error: $stage) -> Self {
                CliError::Engine(error.into())
            }
        }
    )*};
}

from_stage!(
    ecgmatch::formats::Error,
    ecgmatch::signal::Error,
    ecgmatch::paper::Error,
    ecgmatch::model::Error,
    ecgmatch::retrieval::Error,
    ecgmatch::train::Error
);
