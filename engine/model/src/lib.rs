//! The dual encoder's networks (burn): the image tower, a ViT over the encoding images
//! ([`vit`], [`clip`]), and the text tower, all-MiniLM-L6-v2 with its WordPiece tokenizer
//! ([`minilm`], [`text`]).

pub mod clip;
mod error;
pub mod minilm;
pub mod text;
pub mod vit;

/// The tensor library the towers run on, for callers that pick a device.
pub use burn;
pub use error::{Error, Result};
pub use minilm::{MiniLm, MiniLmConfig};
