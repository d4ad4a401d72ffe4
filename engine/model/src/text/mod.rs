//! Text side of the dual encoder: BERT's WordPiece tokenizer and the frozen all-MiniLM-L6-v2
//! sentence encoder.

mod encoder;
mod tables;
pub mod tokenizer;

pub use encoder::{TextEncoder, BATCH_SIZE, EMBEDDING_DIM, MAX_TOKENS};
pub use tokenizer::Tokenizer;
