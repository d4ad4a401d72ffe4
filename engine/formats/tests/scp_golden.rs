//! The SCP-ECG reader and writer against BioSig's save2gdf 3.0.1 (tests/fixtures/scp/
//! make_golden.py), an independent reader: our fixtures, written by our writer from PTB-XL
//! 00009, read by both to the same integer microvolts (the first 50 samples of every lead,
//! every 97th, their sum and sum of squares).

mod common;

use serde_json::Value;

fn integers(values: &Value) -> Vec<i64> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

#[test]
fn scp_files_read_as_biosig_reads_them() {
    let (every, files) = common::golden("scp");
    assert_eq!(files.len(), 2);
    for (name, expected) in &files {
        let record = common::read("scp", name);
        assert_eq!(
            record.sampling_rate,
            expected["sampling_rate"].as_f64().unwrap()
        );
        for theirs in expected["channels"].as_array().unwrap() {
            let label = theirs["label"].as_str().unwrap();
            let ours = record
                .channels
                .iter()
                .find(|c| c.lead.is_some_and(|l| l.label() == label) && !c.derived)
                .unwrap_or_else(|| panic!("{name}: no stored lead {label}"));
            let uv: Vec<i64> = ours
                .samples
                .iter()
                .map(|&v| (f64::from(v) * 1000.0).round() as i64)
                .collect();
            assert_eq!(
                uv.len() as u64,
                theirs["samples"].as_u64().unwrap(),
                "{name} {label}"
            );
            assert_eq!(
                uv[..50],
                integers(&theirs["first_uv"])[..],
                "{name} {label}"
            );
            let sampled: Vec<i64> = uv.iter().step_by(every).copied().collect();
            assert_eq!(
                sampled,
                integers(&theirs["every_97th_uv"]),
                "{name} {label}"
            );
            assert_eq!(
                uv.iter().sum::<i64>(),
                theirs["sum_uv"].as_i64().unwrap(),
                "{name} {label}"
            );
            let squares: i64 = uv.iter().map(|v| v * v).sum();
            assert_eq!(
                squares,
                theirs["sum_of_squares_uv"].as_i64().unwrap(),
                "{name} {label}"
            );
        }
    }
}
