//! Arbitrary bytes as a PDF: the picture finder must refuse or return a picture it can stand by
//! (decoded pixels of the size it says, never over the pixel limit), never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ecgmatch_engine_fuzz::pdf(data));
