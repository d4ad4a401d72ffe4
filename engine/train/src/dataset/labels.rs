//! Each record's SCP statements as a multi-hot row over every statement PTB-XL defines,
//! for the tower's auxiliary classification loss and the label-aware soft targets.

use std::collections::HashMap;

use super::ptbxl::{PtbXl, PtbXlEntry, SUPERCLASSES};
use ecgmatch_retrieval::metrics::jaccard;

#[derive(Debug, Clone)]
pub struct LabelTable {
    /// Statement codes, sorted (the columns).
    pub codes: Vec<String>,
    /// ecg_id → the record's columns, ascending.
    by_record: HashMap<u32, Vec<u16>>,
}

impl LabelTable {
    pub fn build(db: &PtbXl) -> Self {
        let codes: Vec<String> = db.statements.keys().cloned().collect();
        let column: HashMap<&str, u16> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i as u16))
            .collect();
        let by_record = db
            .entries
            .iter()
            .map(|e| {
                let mut cols: Vec<u16> = e
                    .scp_codes
                    .iter()
                    .filter_map(|(c, _)| column.get(c.as_str()).copied())
                    .collect();
                cols.sort_unstable();
                cols.dedup();
                (e.ecg_id, cols)
            })
            .collect();
        Self { codes, by_record }
    }

    pub fn columns(&self, ecg_id: u32) -> &[u16] {
        self.by_record.get(&ecg_id).map_or(&[], Vec::as_slice)
    }

    /// The record's row: 1 for each of its statements.
    pub fn multi_hot(&self, ecg_id: u32) -> Vec<f32> {
        let mut row = vec![0.0; self.codes.len()];
        for c in self.columns(ecg_id) {
            row[*c as usize] = 1.0;
        }
        row
    }

    /// Jaccard overlap of two records' statement sets.
    pub fn overlap(&self, a: u32, b: u32) -> f64 {
        jaccard(self.columns(a), self.columns(b))
    }
}

/// What the diagnostic probe (`retrieval::probe`) learns to predict, a row per entry: its
/// statements over every statement PTB-XL defines (as [`LabelTable::multi_hot`]), then its
/// superclasses in [`SUPERCLASSES`] order.
pub fn probe_targets<'e>(
    db: &PtbXl,
    entries: impl IntoIterator<Item = &'e PtbXlEntry>,
) -> Vec<f32> {
    let labels = LabelTable::build(db);
    entries
        .into_iter()
        .flat_map(|e| {
            let mut row = labels.multi_hot(e.ecg_id);
            let classes = db.superclasses(e);
            row.extend(SUPERCLASSES.map(|c| classes.contains(&c) as u8 as f32));
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_mark_each_records_statements() {
        let db = crate::dataset::ptbxl::fixtures::database();
        let labels = LabelTable::build(&db);
        assert_eq!(labels.codes.len(), db.statements.len());
        let first = &db.entries[0];
        let row = labels.multi_hot(first.ecg_id);
        assert_eq!(
            row.iter().filter(|v| **v == 1.0).count(),
            first.scp_codes.len()
        );
        for (code, _) in &first.scp_codes {
            let col = labels.codes.iter().position(|c| c == code).unwrap();
            assert_eq!(row[col], 1.0);
        }
        assert_eq!(labels.overlap(first.ecg_id, first.ecg_id), 1.0);
        let targets = probe_targets(&db, [first]);
        assert_eq!(targets.len(), labels.codes.len() + SUPERCLASSES.len());
        assert_eq!(&targets[..row.len()], &row[..]);
        let classes = db.superclasses(first);
        assert!(
            !classes.is_empty(),
            "the fixture's first record has a diagnostic statement"
        );
        for (i, class) in SUPERCLASSES.iter().enumerate() {
            assert_eq!(targets[row.len() + i] == 1.0, classes.contains(class));
        }
        assert!(labels.multi_hot(u32::MAX).iter().all(|v| *v == 0.0));
    }
}
