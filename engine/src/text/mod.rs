//! Text side of the dual encoder: BERT's WordPiece tokenizer and, with the `model` feature,
//! the frozen all-MiniLM-L6-v2 sentence encoder.

mod tables;
pub mod tokenizer;

pub use tokenizer::Tokenizer;
