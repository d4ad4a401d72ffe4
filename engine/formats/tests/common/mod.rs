//! What the golden tests against other readers share: a fixture folder's files read as a drop,
//! and its `golden.json` (written by that folder's make_golden.py).

use std::path::{Path, PathBuf};

use ecgmatch_formats::{read_records, InputFile, Record};
use serde_json::Value;

/// `tests/fixtures/<folder>`.
pub fn fixtures(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(folder)
}

/// The one record in `tests/fixtures/<folder>/<name>`, read from its bytes.
pub fn read(folder: &str, name: &str) -> Record {
    let bytes = std::fs::read(fixtures(folder).join(name)).unwrap();
    let mut outcomes = read_records(&[InputFile::new(name, bytes)]);
    assert_eq!(outcomes.len(), 1);
    outcomes.remove(0).result.unwrap()
}

/// The other reader's values: `every` (the stride of the sampled values) and, per file name,
/// what it read.
pub fn golden(folder: &str) -> (usize, serde_json::Map<String, Value>) {
    let golden: Value =
        serde_json::from_slice(&std::fs::read(fixtures(folder).join("golden.json")).unwrap())
            .unwrap();
    let every = golden["every"].as_u64().unwrap() as usize;
    (every, golden["files"].as_object().unwrap().clone())
}
