//! From paths on the command line to the engine's in-memory files.

use super::CliError;
use std::fs;
use std::path::PathBuf;

use ecgmatch::formats::drop_budget::DropBudget;
use ecgmatch::formats::{read_file, read_record_files};
use ecgmatch::formats::{AmplitudeUnits, InputFile, ReadOptions, MAX_DROP_BYTES};

/// Expands the user's arguments into files: a record's primary file (e.g. a `.hea`)
/// brings its companions from the same folder; a folder brings every file in it. Inputs that
/// hold more than one drop's limit in all are refused, as the page refuses such a drop.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<InputFile>, CliError> {
    let mut files: Vec<InputFile> = Vec::new();
    let mut budget = DropBudget::default();
    for path in paths {
        let found = if path.is_dir() {
            files_in(path)?
                .iter()
                .map(|p| read_file(p))
                .collect::<Result<Vec<_>, _>>()
        } else if path.exists() {
            read_record_files(path)
        } else {
            return Err(format!("{}: no such file or folder", path.display()).into());
        };
        for file in found.map_err(|e| e.to_string())? {
            if !files.iter().any(|g| g.name == file.name) {
                // Each file was read at most to its own limit; the drop's limit is the page's.
                if budget.admit(file.bytes.len() as u64).is_err() {
                    return Err(format!(
                        "the inputs hold more than {} MB in all, at {}; give fewer files at once",
                        MAX_DROP_BYTES / 1_000_000,
                        file.name
                    )
                    .into());
                }
                files.push(file);
            }
        }
    }
    Ok(files)
}

/// The files in `dir` (not its sub-folders), sorted by name.
pub fn files_in(dir: &std::path::Path) -> Result<Vec<PathBuf>, CliError> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    Ok(entries)
}

/// What to assume for files that do not say: a table without a time column or units.
#[derive(clap::Args, Clone, Default)]
pub struct ReadArgs {
    /// Sampling rate in Hz of tables (CSV/TXT) without a time column
    #[arg(long)]
    sampling_rate: Option<f64>,
    /// Amplitude unit of tables that do not state it, instead of guessing from the values: uv or mv
    #[arg(long, value_parser = parse_units)]
    units: Option<AmplitudeUnits>,
}

impl ReadArgs {
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            sampling_rate: self.sampling_rate,
            units: self.units,
        }
    }
}

fn parse_units(text: &str) -> Result<AmplitudeUnits, CliError> {
    match text.to_ascii_lowercase().as_str() {
        "uv" | "µv" | "microvolts" => Ok(AmplitudeUnits::Microvolts),
        "mv" | "millivolts" => Ok(AmplitudeUnits::Millivolts),
        _ => Err(format!("'{text}' is not a unit: choose uv or mv").into()),
    }
}
