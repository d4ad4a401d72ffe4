//! Neural network modules (burn).

pub mod clip;
pub mod vit;
