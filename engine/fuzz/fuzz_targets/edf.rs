//! Arbitrary bytes as one dropped `.edf` file: the readers must refuse or read it, never panic,
//! and a successful read keeps the record's promises.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ecgmatch_engine_fuzz::read_one("input.edf", data));
