//! Filtering and resampling against SciPy (tests/fixtures/signal/make_golden.py).

use ecgmatch_signal::resample::resample_poly;
use ecgmatch_signal::{Butterworth, FilterKind};
use serde_json::Value;

fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/signal/golden.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden file")).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn assert_close(ours: &[f32], theirs: &[f64], tol: f64, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: length");
    let scale = theirs.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (*a as f64 - b).abs() <= tol * scale,
            "{what}: sample {i}: ours {a}, scipy {b}"
        );
    }
}

#[test]
fn butterworth_filtfilt_matches_scipy_sosfiltfilt() {
    let g = golden();
    for case in g["filtfilt"].as_array().unwrap() {
        let kind = match case["kind"].as_str().unwrap() {
            "lowpass" => FilterKind::LowPass,
            _ => FilterKind::HighPass,
        };
        let order = case["order"].as_u64().unwrap() as usize;
        let filter = Butterworth::design(
            kind,
            order,
            case["cutoff"].as_f64().unwrap(),
            case["fs"].as_f64().unwrap(),
        )
        .unwrap();
        let x: Vec<f32> = floats(&case["x"]).iter().map(|v| *v as f32).collect();
        assert_close(
            &filter.filtfilt(&x),
            &floats(&case["y"]),
            1e-5,
            &format!("{kind:?} order {order}"),
        );
    }
}

#[test]
fn resample_matches_scipy_resample_poly() {
    let g = golden();
    for case in g["resample"].as_array().unwrap() {
        let (up, down) = (
            case["up"].as_u64().unwrap() as usize,
            case["down"].as_u64().unwrap() as usize,
        );
        let x: Vec<f32> = floats(&case["x"]).iter().map(|v| *v as f32).collect();
        assert_close(
            &resample_poly(&x, up, down),
            &floats(&case["y"]),
            1e-5,
            &format!("{up}/{down}"),
        );
    }
}
