use super::*;
use crate::{read_records, Sex};

fn files(hea: &str, dats: &[(&str, Vec<u8>)]) -> Vec<InputFile> {
    let mut files = vec![InputFile::new("r.hea", hea.as_bytes().to_vec())];
    files.extend(
        dats.iter()
            .map(|(name, bytes)| InputFile::new(*name, bytes.clone())),
    );
    files
}

fn read_one(hea: &str, dats: &[(&str, Vec<u8>)]) -> Result<Record> {
    let files = files(hea, dats);
    WfdbReader.read(&files[0], &files, &Default::default())
}

fn le16(values: &[i16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn reads_a_two_signal_record() {
    let r = read_one(
        "r 2 500 3 10:00:00 01/02/2003\nr.dat 16 100/mV 16 0 0 60 0 II\nr.dat 16 2(10)/uV 16 0 0 6 0 V1\n# Age: 60\n# Sex: Female\n",
        &[("r.dat", le16(&[10, 12, 20, 2, 30, -8]))],
    )
    .unwrap();
    assert_eq!(r.name, "r");
    assert_eq!(r.sampling_rate, 500.0);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.channels[0].samples, vec![0.1, 0.2, 0.3]);
    assert_eq!(r.channels[0].lead, Some(Lead::II));
    // (12 - 10) / 2 µV = 1 µV = 0.001 mV.
    assert_eq!(r.channels[1].samples, vec![0.001, -0.004, -0.009]);
    assert_eq!(
        (r.channels[1].units.as_str(), r.channels[1].lead),
        ("mV", Some(Lead::V1))
    );
    assert_eq!(r.metadata.age, Some(60.0));
    assert_eq!(r.metadata.sex, Some(Sex::Female));
    assert_eq!(r.metadata.date.as_deref(), Some("10:00:00 01/02/2003"));
    assert_eq!(
        r.metadata.comments,
        vec!["Age: 60".to_string(), "Sex: Female".to_string()]
    );
}

#[test]
fn non_voltage_signals_keep_their_units_and_get_no_lead() {
    let r = read_one(
        "r 3 100 2\nr.dat 16 10/mmHg 16 0 0 0 0 II\nr.dat 16 1/V 16 0 0 0 0 I\nr.dat 16\n",
        &[("r.dat", le16(&[50, 2, 7, -50, -1, 0]))],
    )
    .unwrap();
    assert_eq!(
        (r.channels[0].units.as_str(), r.channels[0].lead),
        ("mmHg", None)
    );
    assert_eq!(r.channels[0].samples, vec![5.0, -5.0]);
    assert_eq!(r.channels[1].samples, vec![2000.0, -1000.0]);
    assert_eq!(r.channels[1].lead, Some(Lead::I));
    // Without a description the WFDB default name is used; without a gain, 200 per mV.
    assert_eq!(r.channels[2].name, "record r, signal 2");
    assert_eq!(r.channels[2].samples, vec![0.035, 0.0]);
}

#[test]
fn signals_spread_over_several_files_with_an_offset() {
    let mut b = vec![0xaa; 4];
    b.extend(le16(&[100, 200]));
    let r = read_one(
        "r 2 100 2\na.dat 80 1 8 0 0 0 0 x\nb.dat 16+4 1 16 0 0 300 0 y\n",
        &[("a.dat", vec![128 + 1, 128 - 1]), ("b.dat", b)],
    )
    .unwrap();
    assert_eq!(r.channels[0].samples, vec![1.0, -1.0]);
    assert_eq!(r.channels[1].samples, vec![100.0, 200.0]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn a_missing_signal_file_is_named() {
    let e = read_one("r 2 100 2\na.dat 16\nb.dat 16\n", &[("a.dat", vec![0; 4])]).unwrap_err();
    assert_eq!(
        e,
        Error::MissingFile {
            file: "r.hea".into(),
            missing: "b.dat".into()
        }
    );
    assert!(e.to_string().contains("'b.dat'"), "{e}");
}

#[test]
fn fewer_samples_than_the_header_says_is_truncation() {
    let e = read_one("r 1 100 3\nr.dat 16\n", &[("r.dat", le16(&[1, 2]))]).unwrap_err();
    assert_eq!(
        e,
        Error::Truncated {
            file: "r.dat".into(),
            expected: 6,
            found: 4
        }
    );
    // A byte offset past the end of the file.
    let e = read_one("r 1 100 1\nr.dat 16+10\n", &[("r.dat", le16(&[1, 2]))]).unwrap_err();
    assert_eq!(
        e,
        Error::Truncated {
            file: "r.dat".into(),
            expected: 2,
            found: 0
        }
    );
    // Format 212 needs two bytes for a lone last sample.
    let e = read_one("r 1 100 3\nr.dat 212\n", &[("r.dat", vec![0; 4])]).unwrap_err();
    assert_eq!(
        e,
        Error::Truncated {
            file: "r.dat".into(),
            expected: 5,
            found: 4
        }
    );
}

#[test]
fn a_checksum_mismatch_is_a_warning() {
    let r = read_one(
        "r 1 100 2\nr.dat 16 200 16 0 0 1234 0 I\n",
        &[("r.dat", le16(&[1, 2]))],
    )
    .unwrap();
    assert_eq!(r.channels[0].samples.len(), 2);
    assert_eq!(r.warnings.len(), 1);
    let w = &r.warnings[0];
    assert!(
        w.contains("checksum mismatch") && w.contains("1234") && w.contains("add up to 3"),
        "{w}"
    );
    // Checksums may be written as unsigned 16-bit numbers.
    let r = read_one(
        "r 1 100 2\nr.dat 16 200 16 0 0 65535 0 I\n",
        &[("r.dat", le16(&[1, -2]))],
    )
    .unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn the_number_of_samples_is_inferred_when_missing() {
    let r = read_one(
        "r 2 100\nr.dat 212 200 12 0 0 -1 0\nr.dat 212\n",
        &[("r.dat", vec![1, 0, 2, 3, 0, 4, 9])],
    )
    .unwrap();
    assert_eq!(r.channels[0].samples.len(), 2);
    // The header gives no number of samples, so its checksum cannot be checked.
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.channels[1].samples, vec![0.01, 0.02]);
    let e = read_one("r 1 100 0\nr.dat 16\n", &[("r.dat", vec![1])]).unwrap_err();
    assert!(matches!(e, Error::InvalidRecord { .. }), "{e}");
}

#[test]
fn too_many_samples_are_refused_before_reading() {
    let e = read_one("r 1 100 999999999999\nr.dat 16\n", &[("r.dat", vec![])]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                actual: 999999999999,
                ..
            }
        ),
        "{e}"
    );
    // Samples per frame count too.
    let e = read_one("r 1 100 1000\nr.dat 16x100000\n", &[("r.dat", vec![])]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                actual: 100000000,
                ..
            }
        ),
        "{e}"
    );
    let e = read_one(
        "r 1 100 1000\nr.dat 16x18446744073709551615\n",
        &[("r.dat", vec![])],
    )
    .unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
}

#[test]
fn unsupported_formats_are_named_even_without_their_files() {
    let e = read_one("r 2 100 10\nr.dat 16\nf.dat 516\n", &[]).unwrap_err();
    assert_eq!(
        e,
        Error::UnsupportedFormat {
            file: "r.hea".into(),
            format: "516 (FLAC-compressed)".into()
        }
    );
    assert!(e.to_string().contains("516"), "{e}");
    let e = read_one("r 1 100 10\nr.dat 17\n", &[]).unwrap_err();
    assert!(
        e.to_string().contains("storage format 17 is not supported"),
        "{e}"
    );
}

#[test]
fn one_file_one_format() {
    let e = read_one("r 2 100 1\nr.dat 16\nr.dat 212\n", &[("r.dat", vec![0; 8])]).unwrap_err();
    assert!(matches!(e, Error::InvalidHeader { line: 3, .. }), "{e}");
}

#[test]
fn companions_group_a_drop() {
    let hea = "r 3 100 1\nr.dat 16\nr.dat 16\nsub/r.xyz 16\n";
    let names = WfdbReader.companions(&InputFile::new("x/r.hea", hea.as_bytes().to_vec()));
    assert_eq!(names, vec!["r.dat".to_string(), "r.xyz".to_string()]);
    let drop = vec![
        InputFile::new("x/r.xyz", le16(&[3])),
        InputFile::new("x/r.hea", hea.as_bytes().to_vec()),
        InputFile::new("x/r.dat", le16(&[1, 2])),
    ];
    let out = read_records(&drop);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].files, vec!["x/r.hea", "x/r.dat", "x/r.xyz"]);
    assert_eq!(out[0].result.as_ref().unwrap().channels.len(), 3);
}

#[test]
fn the_file_in_the_headers_folder_wins() {
    let drop = vec![
        InputFile::new("a/r.hea", b"r 1 100 1\nr.dat 16 1\n".to_vec()),
        InputFile::new("b/r.dat", le16(&[7])),
        InputFile::new("a/r.dat", le16(&[5])),
    ];
    let r = WfdbReader
        .read(&drop[0], &drop, &Default::default())
        .unwrap();
    assert_eq!(r.channels[0].samples, vec![5.0]);
}

#[test]
fn ptbxl_record() {
    let hea = include_bytes!("../../../../tests/fixtures/ptbxl/00001_lr.hea");
    let dat = include_bytes!("../../../../tests/fixtures/ptbxl/00001_lr.dat");
    let drop = vec![
        InputFile::new("00001_lr.dat", dat.to_vec()),
        InputFile::new("00001_lr.hea", hea.to_vec()),
    ];
    let out = read_records(&drop);
    assert_eq!(out.len(), 1);
    let r = out[0].result.as_ref().unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.sampling_rate, 100.0);
    assert_eq!(r.channels.len(), 12);
    assert_eq!(r.standard_leads(), Lead::STANDARD.to_vec());
    for (c, lead) in r.channels.iter().zip(Lead::STANDARD) {
        assert_eq!(c.lead, Some(lead), "{}", c.name);
        assert_eq!(c.samples.len(), 1000);
        assert_eq!(c.units, "mV");
        assert!(!c.derived);
        assert!(c.samples.iter().all(|v| v.is_finite() && v.abs() < 10.0));
    }
    // The header's initial values are the first samples; gain 1000 per mV.
    assert_eq!(r.lead(Lead::I).unwrap().samples[0], -0.119);
    assert_eq!(r.lead(Lead::V6).unwrap().samples[0], -0.079);
}

#[test]
fn odd_inputs_are_errors_not_panics() {
    let long_skew = format!("r 1 100 2\nr.dat 16:{}\n", u64::MAX);
    let long_offset = format!("r 1 100 2\nr.dat 16+{}\n", u64::MAX);
    let texts = [
        "",
        "\n\n#only comments\n",
        "r 1\n",
        "r 99999999999999999999 100\n",
        "r 1 1e309\nr.dat 16\n",
        "r 1 100 2\nr.dat 8 200 8 0 2147483647\n",
        "r 1 100 2\nr.dat 212x0\n",
        long_skew.as_str(),
        long_offset.as_str(),
        "r 1 100 2\nr.dat 16 1e-320\n",
        "r 1 100 2\n/ 16\n",
        "r 1 100 2\nr.dat 16((1))\n",
    ];
    for text in texts {
        let _ = read_one(text, &[("r.dat", vec![0x80; 7])]);
        let _ = WfdbReader.companions(&InputFile::new("r.hea", text.as_bytes().to_vec()));
    }
    let r = read_one(long_skew.as_str(), &[("r.dat", vec![1; 4])]).unwrap();
    assert!(r.channels[0].samples.iter().all(|v| v.is_nan()));
    let binary: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
    let drop = vec![
        InputFile::new("r.hea", binary.clone()),
        InputFile::new("r.dat", binary),
    ];
    assert!(WfdbReader
        .read(&drop[0], &drop, &Default::default())
        .is_err());
}

#[test]
fn reads_a_challenge_record_with_its_matlab_matrix() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/cinc");
    let files = crate::read_record_files(&dir.join("E07500.hea")).unwrap();
    assert_eq!(
        files.len(),
        2,
        "the .mat is found as the header's signal file"
    );
    let r = read_records(&files).remove(0).result.unwrap();
    assert_eq!(
        (r.sampling_rate, r.num_samples(), r.standard_leads().len()),
        (500.0, 5000, 12)
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(
        r.metadata.statements,
        vec!["SNOMED CT 67741000119109", "SNOMED CT 426177001"]
    );
    assert_eq!(
        (r.metadata.age, r.metadata.sex),
        (Some(78.0), Some(Sex::Male))
    );
    assert!(r.metadata.format.as_deref().unwrap().contains("MATLAB v4"));
    // A header that claims another record length is caught by the .mat's own header.
    let mut wrong = files.clone();
    wrong[0].bytes = String::from_utf8(wrong[0].bytes.clone())
        .unwrap()
        .replacen("12 500 5000", "12 500 4000", 1)
        .into_bytes();
    let r = read_records(&wrong).remove(0).result.unwrap();
    assert!(
        r.warnings.iter().any(|w| w.contains("12×5000")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn rates_no_ecg_is_recorded_at_and_overflowing_gains_are_refused() {
    let dat = [("r.dat", le16(&[10, 12, 20]))];
    // Near zero (resampling would divide by zero or multiply the samples a millionfold), and
    // far beyond any device.
    for rate in ["0.0004", "0.001", "1e300"] {
        let message = read_one(
            &format!("r 1 {rate} 3\nr.dat 16 100/mV 16 0 0 0 0 II\n"),
            &dat,
        )
        .map(|_| ())
        .unwrap_err()
        .to_string();
        assert!(
            message.contains("accepted: 0.5 Hz to 100 kHz"),
            "{rate}: {message}"
        );
    }
    let message = read_one("r 1 500 3\nr.dat 16 1e-300/mV 16 0 0 0 0 II\n", &dat)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(message.contains("too large to represent"), "{message}");
}

#[test]
fn a_header_naming_many_files_is_answered_in_linear_time() {
    // 50,000 signals, each in its own file: grouping them compared every name with every
    // group's (1.25e9 comparisons) before the files were even looked for.
    let signals = 50_000;
    let mut hea = format!("r {signals} 500 10\n");
    for s in 0..signals {
        hea.push_str(&format!("f{s}.dat 16 200/mV 16 0 0 0 0 V1\n"));
    }
    let started = std::time::Instant::now();
    let e = read_one(&hea, &[("f0.dat", le16(&[0; 10]))])
        .map(|_| ())
        .unwrap_err();
    assert!(e.to_string().contains("f1.dat"), "{e}");
    let seconds = started.elapsed().as_secs_f64();
    assert!(seconds < 2.0, "{seconds:.1} s");
    // The same header as the CLI's first look at it, which names the files to fetch from its
    // folder: each name once, in linear time (6.5 s for `ecgmatch info` before, `make hostile`).
    let started = std::time::Instant::now();
    let names = header::signal_file_names(hea.as_bytes());
    assert_eq!(names.len(), signals);
    assert_eq!((names[0].as_str(), names[1].as_str()), ("f0.dat", "f1.dat"));
    let seconds = started.elapsed().as_secs_f64();
    assert!(seconds < 0.5, "{seconds:.2} s to list the files");
}
