//! Arbitrary vocabularies and texts for the text tower's tokenizer: it must refuse the
//! vocabulary or give in-range ids framed by [CLS] and [SEP], never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ecgmatch_engine_fuzz::tokenize(data));
