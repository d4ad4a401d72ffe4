//! The waveform pack checked against PTB-XL: `ecgmatch case 9 --json` prints the tracings the
//! page's Compare draws for case 9, and they must be PTB-XL record 00009 prepared as every
//! library record is (lead II, 100 Hz, 0.5–40 Hz; its median beats, 0.5–15 Hz), within the pack's
//! amplitude step.

use std::path::Path;
use std::process::Command;

use ecgmatch::formats::{read_record_files, read_records, Lead};
use ecgmatch::signal::encode::layout::{Beat, BeatPeaks, BeatTilesConfig, StackConfig};
use ecgmatch::signal::prepare;

/// Half the pack's 10 µV step, plus the signal cache's own rounding to 1 µV.
const TOLERANCE_MV: f32 = 0.0056;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn worst(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn case_9_from_the_pack_is_ptbxl_record_00009_within_the_amplitude_step() {
    let output = Command::new(env!("CARGO_BIN_EXE_ecgmatch"))
        .args(["case", "9", "--json"])
        .current_dir(root())
        .output()
        .expect("the CLI runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let case: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(case["ecg_id"], 9);
    assert_eq!(case["report"], "sinusrhythmus normales ekg");
    let numbers = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    let tracings = &case["tracings"];
    assert_eq!(tracings["rhythm_strip"]["lead"], "II");
    let strip = numbers(&tracings["rhythm_strip"]["mv"]);

    let files =
        read_record_files(&root().join("tests/fixtures/ptbxl-fold10/00009_lr.hea")).unwrap();
    let record = read_records(&files).remove(0).result.unwrap();
    let stack = StackConfig::default();
    let leads = prepare(&record, &stack.prepare).unwrap();
    let lead_ii = &leads.get(Lead::II).unwrap()[..strip.len()];
    assert_eq!(strip.len(), 1000, "10 s at 100 Hz");
    let error = worst(&strip, lead_ii);
    assert!(
        error <= TOLERANCE_MV,
        "lead II strip off by {:.1} µV",
        error * 1000.0
    );

    let paper = BeatTilesConfig::default();
    let leads = prepare(&record, &paper.prepare).unwrap();
    let peaks = BeatPeaks::find(&leads, &paper, &record.name).unwrap();
    let beats = peaks.beats(&leads, &paper, Beat::Median);
    for (lead, beat) in Lead::STANDARD.iter().zip(&beats) {
        let packed = numbers(&tracings["median_beats"]["mv"][lead.label()]);
        let error = worst(&packed, beat.as_ref().unwrap());
        assert!(
            error <= TOLERANCE_MV,
            "{}: median beat off by {:.1} µV",
            lead.label(),
            error * 1000.0
        );
    }
}
