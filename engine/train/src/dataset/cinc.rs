//! Records from other hospitals (PhysioNet/CinC Challenge 2021 layout): their SNOMED CT
//! diagnoses, read from the header's `# Dx:` line, as PTB-XL SCP statements.

use std::collections::HashMap;

/// SNOMED CT code → SCP statement (see `engine/data/README.md`).
const TABLE: &str = include_str!("../../data/snomed_to_scp.csv");

pub struct SnomedToScp(HashMap<&'static str, &'static str>);

impl Default for SnomedToScp {
    fn default() -> Self {
        let map = TABLE
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                Some((*cells.first()?, *cells.get(3)?))
            })
            .collect();
        Self(map)
    }
}

impl SnomedToScp {
    /// The SCP statements of a set of SNOMED codes, without repeats; codes with no
    /// counterpart are dropped.
    pub fn map(&self, snomed: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for code in snomed {
            if let Some(scp) = self.0.get(code.as_str()) {
                if !out.iter().any(|c| c == scp) {
                    out.push(scp.to_string());
                }
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The SNOMED codes on a WFDB header's `# Dx: a,b,c` comment line.
pub fn diagnoses(header: &str) -> Vec<String> {
    let lines: Vec<&str> = header.lines().filter(|l| l.starts_with('#')).collect();
    ecgmatch_formats::wfdb::challenge_diagnoses(&lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_challenge_diagnoses_to_scp_statements() {
        let header = "E07500 12 500 5000\n# Age: 78\n# Dx: 67741000119109,426177001,999\n";
        let dx = diagnoses(header);
        assert_eq!(dx, vec!["67741000119109", "426177001", "999"]);
        let map = SnomedToScp::default();
        assert!(map.len() > 40);
        assert_eq!(map.map(&dx), vec!["LAO/LAE", "SBRAD"]);
        assert_eq!(
            map.map(&["164909002".into(), "733534002".into()]),
            vec!["CLBBB"],
            "two codes, one statement"
        );
    }

    #[test]
    fn every_mapped_statement_exists_in_ptbxl() {
        let statements = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/ptbxl/scp_statements.csv"
        ))
        .unwrap();
        let codes: Vec<&str> = statements
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        for line in TABLE.lines().skip(1) {
            let scp = line.split(',').nth(3).unwrap();
            assert!(codes.contains(&scp), "{scp} is not a PTB-XL statement");
        }
    }
}
