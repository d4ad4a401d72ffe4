//! ECGMatch's engine under one roof: each stage of the data flow is its own crate, re-exported
//! here by the name of its stage, and each stage's error converts into one [`Error`].
//!
//! ```text
//! file bytes ─ formats ─▶ Record ─ signal ─▶ prepared leads, encoding images
//!            ─ model ─▶ embedding ─ retrieval ─▶ similar cases and reports
//! photo / scan / PDF ─ paper ─▶ Record
//! a case's report ─ reports ─▶ its language and English
//! ```

pub use ecgmatch_formats as formats;
pub use ecgmatch_model as model;
pub use ecgmatch_paper as paper;
pub use ecgmatch_reports as reports;
pub use ecgmatch_retrieval as retrieval;
pub use ecgmatch_signal as signal;
#[cfg(feature = "train")]
pub use ecgmatch_train as train;

pub use ecgmatch_formats::{
    read_records, read_records_with, AmplitudeUnits, Channel, InputFile, Lead, Metadata,
    ReadOptions, Record, Sex,
};

/// Anything that can go wrong between a user's file and the cases that fit it. Each stage's
/// own error keeps its variants, so a caller can match on what went wrong; the message is the
/// stage's, written to be shown to a clinician as it is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Format(#[from] ecgmatch_formats::Error),
    #[error(transparent)]
    Signal(#[from] ecgmatch_signal::Error),
    #[error(transparent)]
    Paper(#[from] ecgmatch_paper::Error),
    #[error(transparent)]
    Model(#[from] ecgmatch_model::Error),
    #[error(transparent)]
    Retrieval(#[from] ecgmatch_retrieval::Error),
    #[cfg(feature = "train")]
    #[error(transparent)]
    Train(#[from] ecgmatch_train::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
