//! Fixtures shared by the paper tests.

use crate::Record;

/// PTB-XL record 00009 (fold 10, 100 Hz, 10 s, twelve leads in mV).
pub fn ptbxl_00009() -> Record {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/ptbxl-fold10/00009_lr.hea"
    );
    let files =
        crate::formats::read_record_files(std::path::Path::new(path)).expect("fixture files");
    crate::read_records(&files)
        .into_iter()
        .next()
        .expect("one record")
        .result
        .expect("readable record")
}
