//! The tokenizer against HuggingFace `tokenizers` itself: tests/fixtures/text/make_golden.py
//! encodes PTB-XL statements and reports and hand-written edge cases with all-MiniLM-L6-v2's
//! packaged tokenizer.json; every id must be the same.

use std::path::PathBuf;

use ecgmatch_model::text::tokenizer::{words, Tokenizer};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/text")
}

fn load() -> (Tokenizer, Value) {
    let dir = fixture_dir();
    let vocab = std::fs::read(dir.join("vocab.txt")).expect("tests/fixtures/text/vocab.txt");
    let golden: Value =
        serde_json::from_slice(&std::fs::read(dir.join("token_ids.json")).expect("token_ids.json"))
            .unwrap();
    assert_eq!(
        hex(&Sha256::digest(&vocab)),
        golden["vocab_sha256"].as_str().unwrap(),
        "vocab.txt is not the one the fixture was made with"
    );
    (Tokenizer::from_vocab(&vocab).unwrap(), golden)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn ids(value: &Value) -> Vec<u32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn reference_sentence() {
    let (tokenizer, _) = load();
    assert_eq!(tokenizer.vocab_size(), 30522);
    assert_eq!(
        tokenizer.encode("sinus rhythm, normal ecg", 256),
        [101, 8254, 2271, 6348, 1010, 3671, 14925, 2290, 102]
    );
}

#[test]
fn every_sentence_has_the_ids_of_tokenizers() {
    let (tokenizer, golden) = load();
    let cases = golden["cases"].as_array().unwrap();
    assert!(
        cases.len() >= 200,
        "only {} sentences in the fixture",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let want = ids(&case["ids"]);
        let got = tokenizer.encode(text, usize::MAX);
        if got != want {
            failures.push(format!(
                "{text:?}\n  ours:       {got:?}\n  tokenizers: {want:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} sentences differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn truncation_matches_tokenizers() {
    let (tokenizer, golden) = load();
    let mut failures = Vec::new();
    for case in golden["truncated"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let max_len = case["max_len"].as_u64().unwrap() as usize;
        let want = ids(&case["ids"]);
        let got = tokenizer.encode(text, max_len);
        if got != want {
            failures.push(format!(
                "{text:?} to {max_len}\n  ours:       {got:?}\n  tokenizers: {want:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every code point through the normaliser and pre-tokenizer, compared by hash per 4096.
#[test]
fn every_code_point_is_normalised_and_split_as_tokenizers_does() {
    let (_, golden) = load();
    let mut failures = Vec::new();
    for row in golden["code_point_sweep"].as_array().unwrap() {
        let (first, last) = (
            row[0].as_u64().unwrap() as u32,
            row[1].as_u64().unwrap() as u32,
        );
        let text: String = (first..=last)
            .filter_map(char::from_u32)
            .flat_map(|c| ['a', c])
            .collect();
        let digest = hex(&Sha256::digest(words(&text).join("\n").as_bytes()));
        if digest != row[2].as_str().unwrap() {
            failures.push(format!("U+{first:04X}..U+{last:04X}"));
        }
    }
    assert!(
        failures.is_empty(),
        "code points normalised or split differently: {}",
        failures.join(", ")
    );
}
