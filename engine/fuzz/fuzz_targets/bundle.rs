//! Arbitrary bytes as a case library: the loader must refuse them with a message or load a
//! library that keeps its promises, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ecgmatch_engine_fuzz::bundle(data));
