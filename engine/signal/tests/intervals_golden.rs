//! `intervals` against NeuroKit2's delineation of 30 PTB-XL fold-10 records
//! (`tests/fixtures/intervals`, made by its `make_golden.py`): the median absolute difference per
//! interval is printed (`cargo test -p ecgmatch-signal --test intervals_golden -- --nocapture`)
//! and bounded, so that a broken delineator fails here.

use std::path::Path;

use ecgmatch_formats::{read_record_files, read_records};
use ecgmatch_signal::intervals::{of_record, Intervals};

/// Largest median absolute difference allowed per interval (ms; heart rate per min), set a
/// little above the first run's (0.0, 29.6, 30.0, 19.8): a 10 ms sample is our resolution, and
/// the two place boundaries by different rules (ours over all twelve leads, NeuroKit2 on lead
/// II alone, which misses the wide QRS of the bundle branch blocks 00172 and 00180).
const BOUNDS: [(&str, f64); 4] = [
    ("heart_rate_per_min", 2.0),
    ("pr_ms", 40.0),
    ("qrs_ms", 40.0),
    ("qt_ms", 30.0),
];

fn ours(i: &Intervals, key: &str) -> Option<f64> {
    match key {
        "heart_rate_per_min" => i.heart_rate_per_min,
        "pr_ms" => i.pr_ms.map(|m| m.value),
        "qrs_ms" => i.qrs_ms.map(|m| m.value),
        "qt_ms" => i.qt_ms.map(|m| m.value),
        _ => None,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn intervals_agree_with_neurokit2_on_thirty_ptbxl_records() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/intervals");
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("neurokit2.json")).unwrap()).unwrap();
    let records = golden["records"].as_object().unwrap();
    assert_eq!(records.len(), 30);
    let mut table = Vec::new();
    for (key, bound) in BOUNDS {
        let mut differences = Vec::new();
        let mut unsure = 0;
        let mut worst: Vec<(f64, String)> = Vec::new();
        for (stem, theirs) in records {
            let files = read_record_files(&folder.join(format!("{stem}.hea"))).unwrap();
            let record = read_records(&files).remove(0).result.unwrap();
            let intervals = of_record(&record).unwrap();
            let flagged = match key {
                "pr_ms" => intervals.pr_ms.is_none_or(|m| m.unsure),
                "qrs_ms" => intervals.qrs_ms.is_none_or(|m| m.unsure),
                "qt_ms" => intervals.qt_ms.is_none_or(|m| m.unsure),
                _ => false,
            };
            unsure += usize::from(flagged);
            if let (Some(a), Some(b)) = (ours(&intervals, key), theirs[key].as_f64()) {
                differences.push((a - b).abs());
                worst.push(((a - b).abs(), format!("{stem} {a:.0}/{b:.0}")));
            }
        }
        worst.sort_by(|a, b| b.0.total_cmp(&a.0));
        let m = median(differences.clone());
        table.push(format!(
            "{key:<20} n {:>2}  median |Δ| {m:>5.1}  unsure {unsure:>2}  largest: {}",
            differences.len(),
            worst
                .iter()
                .take(3)
                .map(|w| w.1.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        assert!(
            differences.len() >= 25,
            "{key}: only {} records measured by both",
            differences.len()
        );
        assert!(
            m <= bound,
            "{key}: median |Δ| {m:.1} over {bound}\n{}",
            table.join("\n")
        );
    }
    eprintln!(
        "ours / NeuroKit2 {} (lead II, prominence):\n{}",
        golden["neurokit2"],
        table.join("\n")
    );
}
