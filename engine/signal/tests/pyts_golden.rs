//! The encoders against pyts 0.14 itself: tests/fixtures/pyts/make_golden.py runs
//! pyts on fixed inputs and stores inputs and outputs; every value must agree within 1e-5.

use std::path::PathBuf;

use ecgmatch_signal::encode::{bins, gaf, mtf, paa, rp};
use serde_json::Value;

const TOLERANCE: f32 = 1e-5;

struct Golden {
    index: Value,
    data: Vec<f32>,
}

impl Golden {
    fn load() -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/pyts");
        let index: Value =
            serde_json::from_slice(&std::fs::read(dir.join("golden.json")).expect("golden.json"))
                .unwrap();
        let bytes = std::fs::read(dir.join("golden.bin")).expect("golden.bin");
        let data = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Self { index, data }
    }

    fn slice(&self, reference: &Value) -> &[f32] {
        let offset = reference[0].as_u64().unwrap() as usize;
        let len = reference[1].as_u64().unwrap() as usize;
        &self.data[offset..offset + len]
    }

    fn cases(&self, kind: &str) -> Vec<&Value> {
        let cases: Vec<&Value> = self.index["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == kind)
            .collect();
        assert!(!cases.is_empty(), "no {kind} cases in the fixture");
        cases
    }

    fn input(&self, case: &Value) -> &[f32] {
        self.slice(&self.index["inputs"][case["input"].as_str().unwrap()])
    }

    fn output(&self, case: &Value, name: &str) -> &[f32] {
        self.slice(&case["outputs"][name])
    }
}

/// Compares and describes the worst mismatch, if any.
fn compare(label: String, got: &[f32], want: &[f32], failures: &mut Vec<String>) {
    if got.len() != want.len() {
        failures.push(format!(
            "{label}: {} values, pyts has {}",
            got.len(),
            want.len()
        ));
        return;
    }
    let worst = got
        .iter()
        .zip(want)
        .enumerate()
        .map(|(i, (g, w))| (i, (g - w).abs(), *g, *w))
        .fold((0, 0.0f32, 0.0, 0.0), |a, b| {
            if b.1 > a.1 || b.1.is_nan() {
                b
            } else {
                a
            }
        });
    let off = |g: f32, w: f32| (g - w).abs().is_nan() || (g - w).abs() > TOLERANCE;
    if off(worst.2, worst.3) {
        let count = got.iter().zip(want).filter(|(g, w)| off(**g, **w)).count();
        failures.push(format!(
            "{label}: {count} values differ, worst at {}: {} vs pyts {}",
            worst.0, worst.2, worst.3
        ));
    }
}

fn finish(kind: &str, checked: usize, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} of {checked} {kind} cases differ from pyts:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn usize_of(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

fn strategy(v: &Value) -> bins::Strategy {
    match v.as_str().unwrap() {
        "quantile" => bins::Strategy::Quantile,
        "uniform" => bins::Strategy::Uniform,
        "normal" => bins::Strategy::Normal,
        other => panic!("unknown strategy {other}"),
    }
}

#[test]
fn paa_matches_pyts() {
    let golden = Golden::load();
    let cases = golden.cases("paa");
    let mut failures = Vec::new();
    for case in &cases {
        let p = &case["params"];
        let config = paa::Config {
            window_size: p.get("window_size").map(usize_of),
            output_size: p.get("output_size").map(usize_of),
            overlapping: p["overlapping"].as_bool().unwrap(),
        };
        let x = golden.input(case);
        let mut out = vec![f32::NAN; paa::output_len(x.len(), &config).unwrap()];
        paa::paa(x, &config, &mut out).unwrap();
        compare(
            format!("{} {p}", case["input"]),
            &out,
            golden.output(case, "out"),
            &mut failures,
        );
    }
    finish("PAA", cases.len(), failures);
}

#[test]
fn discretizer_matches_pyts() {
    let golden = Golden::load();
    let cases = golden.cases("bins");
    let mut failures = Vec::new();
    for case in &cases {
        let p = &case["params"];
        let config = bins::Config {
            n_bins: usize_of(&p["n_bins"]),
            strategy: strategy(&p["strategy"]),
        };
        let x = golden.input(case);
        let mut out = vec![0u32; x.len()];
        bins::discretize(x, &config, &mut out).unwrap();
        let out: Vec<f32> = out.iter().map(|&b| b as f32).collect();
        compare(
            format!("{} {p}", case["input"]),
            &out,
            golden.output(case, "out"),
            &mut failures,
        );
    }
    finish("discretizer", cases.len(), failures);
}

#[test]
fn norm_ppf_matches_scipy() {
    let golden = Golden::load();
    let pairs = golden.index["ppf"].as_array().unwrap();
    for pair in pairs {
        let (p, want) = (pair[0].as_f64().unwrap(), pair[1].as_f64().unwrap());
        let got = bins::norm_ppf(p);
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "ppf({p}) = {got}, scipy {want}"
        );
    }
}

#[test]
fn gaf_matches_pyts() {
    let golden = Golden::load();
    let cases = golden.cases("gaf");
    let mut failures = Vec::new();
    for case in &cases {
        let p = &case["params"];
        let sample_range = p["sample_range"]
            .as_array()
            .map(|r| (r[0].as_f64().unwrap(), r[1].as_f64().unwrap()));
        let config = gaf::Config {
            image_size: Some(usize_of(&p["image_size"])),
            sample_range,
            method: gaf::Method::Summation,
            overlapping: p["overlapping"].as_bool().unwrap(),
        };
        let x = golden.input(case);
        let size = gaf::image_size(x.len(), &config).unwrap();
        let (mut s, mut d) = (vec![f32::NAN; size * size], vec![f32::NAN; size * size]);
        gaf::gasf_gadf(x, &config, &mut s, &mut d).unwrap();
        let label = format!("{} {p}", case["input"]);
        compare(
            format!("GASF {label}"),
            &s,
            golden.output(case, "gasf"),
            &mut failures,
        );
        compare(
            format!("GADF {label}"),
            &d,
            golden.output(case, "gadf"),
            &mut failures,
        );
        // The single-field entry points give the same images.
        let mut single = vec![f32::NAN; size * size];
        gaf::gaf(x, &config, &mut single).unwrap();
        compare(format!("GASF alone {label}"), &single, &s, &mut failures);
        gaf::gaf(
            x,
            &gaf::Config {
                method: gaf::Method::Difference,
                ..config
            },
            &mut single,
        )
        .unwrap();
        compare(format!("GADF alone {label}"), &single, &d, &mut failures);
    }
    finish("GAF", cases.len(), failures);
}

#[test]
fn mtf_matches_pyts() {
    let golden = Golden::load();
    let cases = golden.cases("mtf");
    let mut failures = Vec::new();
    for case in &cases {
        let p = &case["params"];
        let config = mtf::Config {
            image_size: Some(usize_of(&p["image_size"])),
            n_bins: usize_of(&p["n_bins"]),
            strategy: strategy(&p["strategy"]),
            overlapping: p["overlapping"].as_bool().unwrap(),
        };
        let x = golden.input(case);
        let size = mtf::image_size(x.len(), &config).unwrap();
        let mut out = vec![f32::NAN; size * size];
        mtf::mtf(x, &config, &mut out).unwrap();
        compare(
            format!("{} {p}", case["input"]),
            &out,
            golden.output(case, "out"),
            &mut failures,
        );
    }
    finish("MTF", cases.len(), failures);
}

#[test]
fn rp_matches_pyts() {
    let golden = Golden::load();
    let cases = golden.cases("rp");
    let mut failures = Vec::new();
    for case in &cases {
        let p = &case["params"];
        let percentage = p["percentage"].as_f64().unwrap();
        let threshold = match &p["threshold"] {
            Value::Null => rp::Threshold::None,
            Value::String(s) if s == "point" => rp::Threshold::Point(percentage),
            Value::String(s) if s == "distance" => rp::Threshold::Distance(percentage),
            v => rp::Threshold::Value(v.as_f64().unwrap()),
        };
        let config = rp::Config {
            dimension: usize_of(&p["dimension"]),
            time_delay: usize_of(&p["time_delay"]),
            threshold,
        };
        let x = golden.input(case);
        let size = rp::image_size(x.len(), &config).unwrap();
        let mut out = vec![f32::NAN; size * size];
        rp::rp(x, &config, &mut out).unwrap();
        compare(
            format!("{} {p}", case["input"]),
            &out,
            golden.output(case, "out"),
            &mut failures,
        );
    }
    finish("RP", cases.len(), failures);
}
