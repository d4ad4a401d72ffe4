//! The text of a clinical report: the boilerplate the cart software appends removed
//! ([`clean_report`]), the form that decides when two reports are the same
//! ([`normalise_report`]), the language it is written in ([`Language`]), and a faithful
//! English translation of PTB-XL's German and Swedish reports ([`translate()`]), and a case's
//! SCP statements as one English line ([`compose_statements`]).
//!
//! The translator is deterministic and offline: a reviewed phrase table (`translate/*.txt`)
//! and the small grammar the carts' reports use. No report leaves the device to be
//! translated.

mod clean;
mod statements;
pub mod translate;

pub use clean::{clean_report, display_report, normalise_report};
pub use statements::{compose_statements, StatementKind, StatementLine};
pub use translate::{translate, Coverage, Language, Translation};
