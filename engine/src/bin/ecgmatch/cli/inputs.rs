//! From paths on the command line to the engine's in-memory files.

use std::fs;
use std::path::PathBuf;

use ecgmatch_engine::formats::{read_file, read_record_files};
use ecgmatch_engine::InputFile;

/// Expands the user's arguments into files: a record's primary file (e.g. a `.hea`)
/// brings its companions from the same folder; a folder brings every file in it.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<InputFile>, String> {
    let mut files: Vec<InputFile> = Vec::new();
    for path in paths {
        let found = if path.is_dir() {
            let mut entries: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            entries.iter().map(|p| read_file(p)).collect::<Result<Vec<_>, _>>()
        } else if path.exists() {
            read_record_files(path)
        } else {
            return Err(format!("{}: no such file or folder", path.display()));
        };
        for file in found.map_err(|e| e.to_string())? {
            if !files.iter().any(|g| g.name == file.name) {
                files.push(file);
            }
        }
    }
    Ok(files)
}
