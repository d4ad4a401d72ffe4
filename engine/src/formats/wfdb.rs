//! WFDB records: a `.hea` header and one or more signal files. (Being written.)
use super::{InputFile, RecordReader};
use crate::{Error, Record, Result};

pub struct WfdbReader;

impl RecordReader for WfdbReader {
    fn name(&self) -> &'static str {
        "WFDB"
    }
    fn detects(&self, file: &InputFile) -> bool {
        file.extension() == "hea"
    }
    fn read(&self, primary: &InputFile, _files: &[InputFile]) -> Result<Record> {
        Err(Error::UnknownFormat { file: primary.name.clone() })
    }
    fn companions(&self, _primary: &InputFile) -> Vec<String> {
        vec![]
    }
}
