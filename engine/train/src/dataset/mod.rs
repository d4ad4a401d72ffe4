//! Training and evaluation data: PTB-XL in its PhysioNet layout, and report texts.

pub mod cache;
pub mod cinc;
pub mod labels;
pub mod ptbxl;
pub mod report;
pub mod texts;

pub use ptbxl::{PtbXl, PtbXlEntry, Statement};
