//! Geometry of a printed ECG: where each lead's trace goes on a paper sheet, in millimetres.
//! The page draws it on a canvas; a future renderer draws the same sheet into an image.

pub mod sheet;

pub use sheet::{Sheet, SheetConfig, Trace};
