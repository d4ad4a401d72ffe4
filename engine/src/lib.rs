//! ECGMatch engine: reads ECG files, prepares signals and encodes them as images.
//!
//! The same code runs natively (CLI, training) and in the browser (wasm32), so
//! every reader works on bytes that the caller already holds, never on paths.

pub mod bundle;
#[cfg(not(target_arch = "wasm32"))]
pub mod dataset;
pub mod encode;
pub mod error;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod eval;
pub mod formats;
#[cfg(feature = "model")]
pub mod model;
pub mod paper;
pub mod random;
pub mod record;
pub mod render;
pub mod retrieval;
#[cfg(feature = "model")]
pub mod search;
pub mod signal;
pub mod text;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod train;

/// The tensor library the model runs on, for callers that pick a device.
#[cfg(feature = "model")]
pub use burn;
pub use error::{Error, Result};
pub use formats::{read_records, read_records_with, InputFile, ReadOptions};
pub use record::{AmplitudeUnits, Channel, Lead, Metadata, Record, Sex};
