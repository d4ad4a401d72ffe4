//! Neural network modules (burn).

pub mod clip;
pub mod minilm;
pub mod vit;

pub use minilm::{MiniLm, MiniLmConfig};
