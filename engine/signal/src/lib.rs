//! From a [`Record`](ecgmatch_formats::Record) to what the towers see: signal preparation
//! (resampling, zero-phase filtering, R-peak detection, beats, scaling, measurements) and the
//! image encodings of each lead (GASF/GADF, MTF, RP as `pyts` defines them) in [`encode`].

pub mod encode;
mod error;

pub mod beats;
pub mod fill;
pub mod filter;
pub mod intervals;
pub mod measure;
pub mod prepare;
pub mod quality;
pub mod resample;
pub mod rpeaks;
pub mod scale;

pub use beats::{beat_window, central_beat, median_beat};
pub use fill::{fill_leads, fill_unseen};
pub use filter::{Butterworth, FilterKind};
pub use prepare::{prepare, PrepareConfig, PreparedLeads};
pub use resample::resample;
pub use rpeaks::{detect_r_peaks, record_peaks};
pub use scale::robust_scale;

pub use error::{Error, Result};
