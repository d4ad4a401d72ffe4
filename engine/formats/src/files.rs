//! Native only: a record's files from disk, as the readers want them (bytes, not paths).

use std::path::Path;

use super::{readers, InputFile, MAX_FILE_BYTES};
use crate::{Error, Result};

/// Reads one file, refusing an oversized one before reading it.
pub fn read_file(path: &Path) -> Result<InputFile> {
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            file: path.display().to_string(),
            what: "the file size in bytes",
            actual: size,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(InputFile::new(
        path.to_string_lossy(),
        std::fs::read(path).map_err(io)?,
    ))
}

/// The record whose primary file is `path` (e.g. a `.hea`), with the companions its
/// format names, taken from the same folder. Missing companions are left for the reader
/// to report, since it knows what it needed.
pub fn read_record_files(path: &Path) -> Result<Vec<InputFile>> {
    let primary = read_file(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let companions = readers()
        .iter()
        .find(|r| r.detects(&primary))
        .map(|r| r.companions(&primary))
        .unwrap_or_default();
    let mut files = vec![primary];
    for name in companions {
        let p = dir.join(&name);
        if p.is_file() && !files.iter().any(|f| f.base_name() == name) {
            files.push(read_file(&p)?);
        }
    }
    Ok(files)
}
