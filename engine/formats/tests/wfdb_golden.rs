//! Every WFDB fixture record read from bytes and compared with what wfdb-python's
//! `rdrecord` returns for it (tests/fixtures/wfdb/golden.json, made by make_golden.py).

use std::path::{Path, PathBuf};

use ecgmatch_formats::readers;
use ecgmatch_formats::{read_records, Error, InputFile, Lead, Record, Sex};
use serde_json::Value;

const TOLERANCE: f64 = 1e-4;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn golden() -> Value {
    let text = std::fs::read_to_string(fixtures().join("wfdb/golden.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn load(dir: &Path, name: &str) -> InputFile {
    InputFile::new(
        name,
        std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")),
    )
}

/// The header `key` ("wfdb/100") and the signal files it names that exist in its folder.
fn drop_for(key: &str) -> Vec<InputFile> {
    let path = fixtures().join(key);
    let dir = path.parent().unwrap();
    let header = load(
        dir,
        &format!("{}.hea", path.file_name().unwrap().to_str().unwrap()),
    );
    let mut files = vec![header.clone()];
    for companion in readers()
        .iter()
        .find(|r| r.name() == "WFDB")
        .expect("the WFDB reader")
        .companions(&header)
    {
        if dir.join(&companion).exists() {
            files.push(load(dir, &companion));
        }
    }
    files
}

fn read(files: &[InputFile]) -> Result<Record, Error> {
    let mut outcomes = read_records(files);
    let at = outcomes
        .iter()
        .position(|o| o.files[0] == files[0].name)
        .expect("an outcome for the header");
    outcomes.swap_remove(at).result
}

/// Millivolts per unit of the golden values.
fn millivolts_per(units: &str) -> Option<f64> {
    match units {
        "mV" => Some(1.0),
        "uV" => Some(0.001),
        "V" => Some(1000.0),
        _ => None,
    }
}

fn close(ours: f64, golden: f64) -> bool {
    (ours - golden).abs() <= TOLERANCE * golden.abs().max(1.0)
}

fn compare(key: &str, record: &Record, golden: &Value) {
    assert!(record.warnings.is_empty(), "{key}: {:?}", record.warnings);
    assert_eq!(
        record.sampling_rate,
        golden["fs"].as_f64().unwrap(),
        "{key}"
    );
    let comments: Vec<String> = golden["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(record.metadata.comments, comments, "{key}");

    let recorded: Vec<_> = record.channels.iter().filter(|c| !c.derived).collect();
    let channels = golden["channels"].as_array().unwrap();
    assert_eq!(recorded.len(), channels.len(), "{key}");
    for (ours, g) in recorded.iter().zip(channels) {
        let what = format!("{key} '{}'", ours.name);
        if let Some(name) = g["name"].as_str() {
            assert_eq!(ours.name, name, "{key}");
        }
        assert_eq!(record.sampling_rate, g["fs"].as_f64().unwrap(), "{what}");
        assert_eq!(
            ours.samples.len() as u64,
            g["n_samples"].as_u64().unwrap(),
            "{what}"
        );

        let golden_units = g["units"].as_str().unwrap();
        let ascii: String = ours.units.chars().filter(char::is_ascii).collect();
        let factor = if ascii != ours.units {
            // wfdb-python reads headers as ASCII and drops other bytes, so a Latin-1 unit such
            // as '°' reaches it as nothing, which it reads as the default, mV. Values are
            // left as they are on both sides.
            let expected = if ascii.is_empty() {
                "mV"
            } else {
                ascii.as_str()
            };
            assert_eq!(golden_units, expected, "{what}");
            1.0
        } else if let Some(factor) = millivolts_per(golden_units) {
            assert_eq!(ours.units, "mV", "{what}");
            factor
        } else {
            assert_eq!(ours.units, golden_units, "{what}");
            assert_eq!(ours.lead, None, "{what}");
            1.0
        };

        let n = ours.samples.len();
        let first = g["first"].as_array().unwrap();
        let last = g["last"].as_array().unwrap();
        let edges = first
            .iter()
            .zip(&ours.samples)
            .chain(last.iter().zip(&ours.samples[n - last.len()..]));
        for (i, (gv, &v)) in edges.enumerate() {
            match gv.as_f64() {
                None => assert!(v.is_nan(), "{what}: value {i} should be NaN, is {v}"),
                Some(gv) => assert!(
                    close(v as f64, gv * factor),
                    "{what}: value {i}: {v} vs {}",
                    gv * factor
                ),
            }
        }
        let valid: Vec<f64> = ours
            .samples
            .iter()
            .filter(|v| !v.is_nan())
            .map(|&v| v as f64)
            .collect();
        assert_eq!(valid.len() as u64, g["n_valid"].as_u64().unwrap(), "{what}");
        let sum: f64 = valid.iter().sum();
        let sum_sq: f64 = valid.iter().map(|v| v * v).sum();
        let golden_sum = g["sum"].as_f64().unwrap() * factor;
        let golden_sum_sq = g["sum_sq"].as_f64().unwrap() * factor * factor;
        assert!(close(sum, golden_sum), "{what}: sum {sum} vs {golden_sum}");
        assert!(
            close(sum_sq, golden_sum_sq),
            "{what}: sum of squares {sum_sq} vs {golden_sum_sq}"
        );
    }
}

/// s0010_re's header also names s0010_re.xyz (three Frank leads), which the fixtures lack.
fn without_frank_leads(files: &[InputFile]) -> Vec<InputFile> {
    let text = String::from_utf8(files[0].bytes.clone()).unwrap();
    let kept: Vec<String> = text
        .lines()
        .filter(|l| !l.contains("s0010_re.xyz"))
        .map(|l| {
            if l.starts_with("s0010_re 15 ") {
                l.replacen(" 15 ", " 12 ", 1)
            } else {
                l.to_string()
            }
        })
        .collect();
    let mut edited = files.to_vec();
    edited[0].bytes = kept.join("\n").into_bytes();
    edited
}

#[test]
fn records_match_wfdb_python() {
    let golden = golden();
    let records = golden["records"].as_object().unwrap();
    assert_eq!(records.len(), 16);
    for (key, g) in records {
        let mut files = drop_for(key);
        if key == "wfdb/s0010_re" {
            let e = read(&files).unwrap_err();
            assert_eq!(
                e,
                Error::MissingFile {
                    file: "s0010_re.hea".into(),
                    missing: "s0010_re.xyz".into()
                }
            );
            files = without_frank_leads(&files);
        }
        let record = read(&files).unwrap_or_else(|e| panic!("{key}: {e}"));
        compare(key, &record, g);
    }
}

#[test]
fn flac_records_are_refused_by_name() {
    let golden = golden();
    let flac = golden["unsupported"].as_object().unwrap();
    assert_eq!(flac.len(), 3);
    for (key, formats) in flac {
        let formats: Vec<&str> = formats
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let files = drop_for(key);
        assert!(files.len() > 1, "{key}: its signal files are fixtures too");
        match read(&files) {
            Err(Error::UnsupportedFormat { format, .. }) => {
                let code = format.split(' ').next().unwrap();
                assert!(
                    formats.contains(&code),
                    "{key}: {format} not in {formats:?}"
                );
                assert!(format.contains("FLAC"), "{key}: {format}");
            }
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[test]
fn patient_details_and_dates() {
    let r = read(&drop_for("wfdb/100")).unwrap();
    assert_eq!(
        (r.metadata.age, r.metadata.sex),
        (Some(69.0), Some(Sex::Male))
    );
    assert_eq!(r.lead(Lead::V5).map(|c| c.name.as_str()), Some("V5"));
    let r = read(&drop_for("wfdb/test01_00s")).unwrap();
    assert_eq!(
        (r.metadata.age, r.metadata.sex),
        (Some(25.0), Some(Sex::Male))
    );
    let r = read(&without_frank_leads(&drop_for("wfdb/s0010_re"))).unwrap();
    assert_eq!(
        (r.metadata.age, r.metadata.sex),
        (Some(81.0), Some(Sex::Female))
    );
    assert_eq!(r.standard_leads(), Lead::STANDARD.to_vec());
    let r = read(&drop_for("wfdb/test_generator_2_head")).unwrap();
    assert_eq!(r.metadata.date.as_deref(), Some("12:44:02 10/12/2009"));
}

/// Everything dropped at once: each header claims its own files, headers that share a
/// signal file still find it, and nothing is left over.
#[test]
fn the_whole_folder_in_one_drop() {
    let dir = fixtures().join("wfdb");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            !n.ends_with(".py")
                && !n.ends_with(".json")
                && !n.ends_with(".md")
                && !n.ends_with(".txt")
        })
        .collect();
    names.sort();
    let files: Vec<InputFile> = names.iter().map(|n| load(&dir, n)).collect();
    let outcomes = read_records(&files);
    let headers = names.iter().filter(|n| n.ends_with(".hea")).count();
    assert_eq!(
        outcomes.len(),
        headers,
        "{:?}",
        outcomes.iter().map(|o| &o.files).collect::<Vec<_>>()
    );
    let ok = outcomes.iter().filter(|o| o.result.is_ok()).count();
    // All but the three FLAC records and s0010_re, whose .xyz file is missing.
    assert_eq!(ok, headers - 4);
}
