//! Finding the cases that fit an ECG: the retrieval space (embedding, measurements, probe),
//! int8 and binary indexes, the case library bundle and its container, and [`search`], the
//! query path the page runs from a record to its nearest cases.

pub mod bundle;
mod error;
pub mod waveforms;

pub mod index;
pub mod joint;
pub mod measures;
pub mod metrics;
pub mod probe;
pub mod quantized;
pub mod report_library;
pub mod reports;
pub mod search;
mod section;
pub mod space;
pub mod whitening;

pub use error::{Error, Result};
pub use index::{keep_first, top_k, vote_weight, KnnRule, Neighbour};
pub use joint::JointView;
pub use measures::{MeasureScaling, MeasureWeights};
pub use probe::DiagnosticProbe;
pub use quantized::{BinaryIndex, CentredInt8, Int8Index};
pub use report_library::{ReportHit, ReportLibrary};
pub use reports::{distinct_reports, normalise_report, ReportGroup, ReportOrder};
pub use space::RetrievalSpace;
pub use whitening::Whitening;

/// Scales `v` to unit length (a zero vector stays zero): cases and queries are compared by
/// their dot product.
pub(crate) fn unit_length(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}
