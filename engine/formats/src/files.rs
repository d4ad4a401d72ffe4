//! Native only: a record's files from disk, as the readers want them (bytes, not paths).

use std::io::Read;
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
    // The size in the metadata is only a promise: `/dev/zero`, a FIFO or a growing file say
    // 0 and never end. Read at most one byte past the limit, whatever it said.
    let mut bytes = Vec::with_capacity(size as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            file: path.display().to_string(),
            what: "the file size in bytes",
            actual: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(InputFile::new(path.to_string_lossy(), bytes))
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_never_ends_is_refused_at_the_limit() {
        // Its metadata says 0 bytes; reading it whole would exhaust memory.
        let e = read_file(Path::new("/dev/zero")).map(|_| ()).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    }
}
