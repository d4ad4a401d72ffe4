//! Text side of the dual encoder: BERT's WordPiece tokenizer and, with the `model` feature,
//! the frozen all-MiniLM-L6-v2 sentence encoder.

#[cfg(feature = "model")]
mod encoder;
#[cfg(feature = "model")]
pub mod packed;
mod tables;
pub mod tokenizer;

#[cfg(feature = "model")]
pub use encoder::{TextEncoder, BATCH_SIZE, EMBEDDING_DIM, MAX_TOKENS};
pub use tokenizer::Tokenizer;
