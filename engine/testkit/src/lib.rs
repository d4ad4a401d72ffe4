//! What the engine's tests share: where the fixtures are, and the real PTB-XL records among
//! them, read through the same readers as a user's drop. (The formats crate's own tests keep
//! their helpers inside it, since a dev-dependency on this crate would give them a second
//! copy of `Record`.)

use std::path::{Path, PathBuf};

use ecgmatch_formats::{read_record_files, read_records, Record};

/// The repository's `tests/fixtures` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A file or folder under `tests/fixtures`.
pub fn fixture(relative: &str) -> PathBuf {
    fixtures().join(relative)
}

/// A PTB-XL fold-10 record kept as a fixture, by file stem (`00009_lr`): 100 Hz, 10 s,
/// twelve leads in mV.
pub fn ptbxl(name: &str) -> Record {
    let header = fixture(&format!("ptbxl-fold10/{name}.hea"));
    let files = read_record_files(&header).unwrap_or_else(|e| panic!("{}: {e}", header.display()));
    let mut outcomes = read_records(&files);
    assert_eq!(outcomes.len(), 1, "{name}: one record");
    outcomes
        .remove(0)
        .result
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// PTB-XL record 00009, the record most tests are checked against.
pub fn ptbxl_00009() -> Record {
    ptbxl("00009_lr")
}

/// A fuzz target's seed `engine/fuzz/seeds/<target>/<name>`, written from `made` first when
/// `ECGMATCH_WRITE_FIXTURES` is set (`make fixtures`); gives the committed bytes, for the
/// caller to check that they still reach what the target fuzzes.
pub fn fuzz_seed(target: &str, name: &str, made: &[u8]) -> Vec<u8> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fuzz/seeds/{target}"));
    let path = folder.join(name);
    if std::env::var_os("ECGMATCH_WRITE_FIXTURES").is_some() {
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(&path, made).unwrap();
    }
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `make fixtures` to write it", path.display()))
}

/// A PNG's signature and header chunk declaring `width` × `height`, and no pixels: what a
/// picture bomb looks like to a reader of headers.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&width.to_be_bytes());
    png.extend_from_slice(&height.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    png
}

/// The start of a baseline JPEG whose frame header (SOF0) declares `width` × `height`,
/// followed by `rest`: enough for a header reader, nothing a decoder could show.
pub fn jpeg_header(width: u16, height: u16, rest: &[u8]) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8];
    jpeg.extend_from_slice(&height.to_be_bytes());
    jpeg.extend_from_slice(&width.to_be_bytes());
    jpeg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    jpeg.extend_from_slice(rest);
    jpeg
}
