//! From paths on the command line to the engine's in-memory files, one group per record.

use std::fs;
use std::path::{Path, PathBuf};

use ecgmatch_engine::formats::{readers, MAX_FILE_BYTES};
use ecgmatch_engine::InputFile;

/// Reads one file, refusing oversized ones before reading them.
pub fn read_file(path: &Path) -> Result<InputFile, String> {
    let size = fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("{}: too large ({size} bytes); the limit is {MAX_FILE_BYTES} bytes", path.display()));
    }
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(InputFile::new(path.to_string_lossy(), bytes))
}

/// Expands the user's arguments into the files of each record: a record's primary file
/// (e.g. a `.hea`) brings its companions from the same folder; a folder brings every file in it.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<InputFile>, String> {
    let mut files: Vec<InputFile> = Vec::new();
    let push = |f: InputFile, files: &mut Vec<InputFile>| {
        if !files.iter().any(|g| g.name == f.name) {
            files.push(f);
        }
    };
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            for entry in entries {
                push(read_file(&entry)?, &mut files);
            }
            continue;
        }
        if !path.exists() {
            return Err(format!("{}: no such file or folder", path.display()));
        }
        let primary = read_file(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let companions: Vec<String> =
            readers().iter().find(|r| r.detects(&primary)).map(|r| r.companions(&primary)).unwrap_or_default();
        push(primary, &mut files);
        for name in companions {
            let p = dir.join(&name);
            // A missing companion is reported by the reader, which knows what it needed.
            if p.is_file() {
                push(read_file(&p)?, &mut files);
            }
        }
    }
    Ok(files)
}
