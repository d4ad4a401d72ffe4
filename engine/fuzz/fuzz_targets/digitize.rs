//! Arbitrary pictures for the digitizer: it must refuse or read twelve leads of finite samples,
//! never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ecgmatch_engine_fuzz::digitize(data));
