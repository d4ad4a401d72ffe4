//! ECGMatch's native side (never in the page): the PTB-XL and CinC datasets and their caches
//! ([`dataset`]), contrastive training of the dual encoder ([`training`]), fitting the
//! retrieval space ([`fitting`]), evaluation ([`eval`]) and writing the case library
//! ([`bundling`]).

pub mod bundling;
pub mod dataset;
mod error;
pub mod eval;
pub mod fitting;
pub mod prompts;
mod trained;
pub mod training;

pub use error::{Error, Result};
pub use trained::TrainedModel;
