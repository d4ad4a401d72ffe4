//! PTB-XL as PhysioNet distributes it: `ptbxl_database.csv`, `scp_statements.csv` and
//! `records100/…` (Wagner et al., Sci Data 2020; CC BY 4.0).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Error, Result};
use ecgmatch_formats::Sex;

/// Folds 1–8 train, 9 validates and 10 tests, as the dataset's authors recommend.
pub const TRAIN_FOLDS: std::ops::RangeInclusive<u8> = 1..=8;
pub const VALIDATION_FOLD: u8 = 9;
pub const TEST_FOLD: u8 = 10;

/// The diagnostic superclasses of the PTB-XL benchmark.
pub const SUPERCLASSES: [&str; 5] = ["NORM", "MI", "STTC", "CD", "HYP"];

/// One row of `scp_statements.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub code: String,
    pub description: String,
    pub diagnostic: bool,
    pub form: bool,
    pub rhythm: bool,
    /// NORM, MI, STTC, CD or HYP for diagnostic statements.
    pub superclass: Option<String>,
    /// One of the 23 diagnostic subclasses (IMI, LAFB/LPFB, …) for diagnostic statements.
    pub subclass: Option<String>,
}

/// One row of `ptbxl_database.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PtbXlEntry {
    pub ecg_id: u32,
    pub patient_id: Option<u32>,
    pub age: Option<f32>,
    pub sex: Option<Sex>,
    pub fold: u8,
    /// The report as written by the cardiologist (mostly German).
    pub report: String,
    /// SCP codes with their likelihood in percent (0 for rhythm and form statements).
    pub scp_codes: Vec<(String, f32)>,
    /// `records100/00000/00001_lr`, relative to the dataset folder, without extension.
    pub filename_lr: String,
    /// The cart that recorded it, as PTB-XL names it (`CS-12   E`, `AT-6 C 5.5`, …). Its
    /// software wrote the report's first draft, so it decides the report's wording and
    /// language; no ECG file carries it, so it is never a search input (see `eval`).
    pub device: String,
}

impl PtbXlEntry {
    /// The cart's model without its software version (`AT-6 C 5.5` → `AT-6`).
    pub fn device_model(&self) -> &str {
        self.device.split_whitespace().next().unwrap_or("")
    }
}

#[derive(Debug, Clone)]
pub struct PtbXl {
    pub root: PathBuf,
    pub entries: Vec<PtbXlEntry>,
    pub statements: BTreeMap<String, Statement>,
}

impl PtbXl {
    /// Reads the two tables from `root`, the folder PhysioNet's download unpacks to.
    pub fn open(root: &Path) -> Result<Self> {
        let read = |name: &str| {
            std::fs::read(root.join(name)).map_err(|e| {
                Error::Dataset(format!(
                    "{}: {e}. Pass the PTB-XL folder that holds ptbxl_database.csv, scp_statements.csv and records100/",
                    root.join(name).display()
                ))
            })
        };
        let statements = parse_statements(&read("scp_statements.csv")?)?;
        let entries = parse_database(&read("ptbxl_database.csv")?)?;
        Ok(Self {
            root: root.to_path_buf(),
            entries,
            statements,
        })
    }

    /// The 100 Hz record's header path.
    pub fn header_path(&self, entry: &PtbXlEntry) -> PathBuf {
        self.root.join(format!("{}.hea", entry.filename_lr))
    }

    /// The superclasses of an entry's diagnostic statements, in [`SUPERCLASSES`] order.
    pub fn superclasses(&self, entry: &PtbXlEntry) -> Vec<&'static str> {
        SUPERCLASSES
            .into_iter()
            .filter(|class| {
                entry.scp_codes.iter().any(|(code, _)| {
                    self.statements
                        .get(code)
                        .and_then(|s| s.superclass.as_deref())
                        == Some(*class)
                })
            })
            .collect()
    }
}

fn csv_error(table: &str, e: impl std::fmt::Display) -> Error {
    Error::Dataset(format!("{table}: {e}"))
}

fn parse_statements(bytes: &[u8]) -> Result<BTreeMap<String, Statement>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| csv_error("scp_statements.csv", e))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| csv_error("scp_statements.csv", format!("no column '{name}'")))
    };
    let (description, diagnostic, form, rhythm, class, subclass) = (
        column("description")?,
        column("diagnostic")?,
        column("form")?,
        column("rhythm")?,
        column("diagnostic_class")?,
        column("diagnostic_subclass")?,
    );
    let flag = |v: &str| v.trim().parse::<f32>().map(|f| f > 0.0).unwrap_or(false);
    let mut out = BTreeMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| csv_error("scp_statements.csv", e))?;
        let code = row.get(0).unwrap_or_default().trim().to_string();
        let field = |i: usize| row.get(i).unwrap_or_default();
        let named = |i: usize| Some(field(i).trim().to_string()).filter(|s| !s.is_empty());
        let superclass = named(class);
        out.insert(
            code.clone(),
            Statement {
                code,
                description: field(description).trim().to_string(),
                diagnostic: flag(field(diagnostic)),
                form: flag(field(form)),
                rhythm: flag(field(rhythm)),
                superclass,
                subclass: named(subclass),
            },
        );
    }
    Ok(out)
}

fn parse_database(bytes: &[u8]) -> Result<Vec<PtbXlEntry>> {
    let table = "ptbxl_database.csv";
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().map_err(|e| csv_error(table, e))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| csv_error(table, format!("no column '{name}'")))
    };
    let cols = [
        column("ecg_id")?,
        column("patient_id")?,
        column("age")?,
        column("sex")?,
        column("strat_fold")?,
        column("report")?,
        column("scp_codes")?,
        column("filename_lr")?,
        column("device")?,
    ];
    let mut out = Vec::new();
    for (line, row) in reader.records().enumerate() {
        let row = row.map_err(|e| csv_error(table, e))?;
        let f = |i: usize| row.get(cols[i]).unwrap_or_default().trim();
        let bad = |what: &str| csv_error(table, format!("row {}: bad {what}", line + 2));
        let number = |s: &str| s.parse::<f64>().ok();
        out.push(PtbXlEntry {
            ecg_id: number(f(0)).ok_or_else(|| bad("ecg_id"))? as u32,
            patient_id: number(f(1)).map(|v| v as u32),
            age: number(f(2)).map(|v| v as f32),
            // PTB-XL codes sex as 0 = male, 1 = female.
            sex: match f(3) {
                "0" | "0.0" => Some(Sex::Male),
                "1" | "1.0" => Some(Sex::Female),
                _ => None,
            },
            fold: number(f(4)).ok_or_else(|| bad("strat_fold"))? as u8,
            report: f(5).to_string(),
            scp_codes: parse_scp_codes(f(6)).ok_or_else(|| bad("scp_codes"))?,
            filename_lr: f(7).to_string(),
            device: f(8).to_string(),
        });
    }
    Ok(out)
}

/// Parses the Python dict literal PTB-XL stores, e.g. `{'NORM': 100.0, 'SR': 0.0}`.
pub fn parse_scp_codes(text: &str) -> Option<Vec<(String, f32)>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    if inner.trim().is_empty() {
        return Some(Vec::new());
    }
    inner
        .split(',')
        .map(|pair| {
            let (key, value) = pair.split_once(':')?;
            let key = key.trim().trim_matches(|c| c == '\'' || c == '"');
            Some((key.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// The committed PTB-XL excerpt in `tests/fixtures/ptbxl/`, for tests across the crate.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::PtbXl;
    use std::path::Path;

    /// The 48-row tables.
    pub fn database() -> PtbXl {
        PtbXl::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/ptbxl"))
            .unwrap()
    }

    /// Only record 1, the one whose signal files are committed. The fixture keeps them
    /// beside the tables rather than under records100/.
    pub fn database_with_record() -> PtbXl {
        let mut db = database();
        db.entries.retain(|e| e.ecg_id == 1);
        db.entries[0].filename_lr = "00001_lr".into();
        db
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::database as fixture;
    use super::*;

    #[test]
    fn scp_codes_parse() {
        assert_eq!(
            parse_scp_codes("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}").unwrap(),
            vec![
                ("NORM".into(), 100.0),
                ("LVOLT".into(), 0.0),
                ("SR".into(), 0.0)
            ]
        );
        assert_eq!(parse_scp_codes("{}").unwrap(), vec![]);
        assert!(parse_scp_codes("NORM").is_none());
    }

    #[test]
    fn reads_the_official_tables() {
        let db = fixture();
        assert_eq!(db.statements.len(), 71);
        let norm = &db.statements["NORM"];
        assert_eq!(norm.description, "normal ECG");
        assert!(norm.diagnostic && norm.superclass.as_deref() == Some("NORM"));
        assert!(db.statements["SR"].rhythm && db.statements["SR"].superclass.is_none());
        let first = &db.entries[0];
        assert_eq!(first.ecg_id, 1);
        assert_eq!(first.fold, 3);
        assert_eq!(first.sex, Some(Sex::Female));
        assert_eq!(first.report, "sinusrhythmus periphere niederspannung");
        assert_eq!(first.device, "CS-12   E");
        assert_eq!(first.device_model(), "CS-12");
        assert_eq!(db.superclasses(first), vec!["NORM"]);
        assert!(db
            .header_path(first)
            .ends_with("records100/00000/00001_lr.hea"));
    }

    #[test]
    fn a_missing_folder_says_what_to_pass() {
        let err = PtbXl::open(Path::new("/nonexistent"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("records100"), "{err}");
    }
}
