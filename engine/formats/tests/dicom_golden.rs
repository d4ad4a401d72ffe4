//! The DICOM reader against pydicom 3.0.2 (tests/fixtures/dicom/make_golden.py): pydicom's own
//! test ECG, which no code of ours wrote, and our writer's PTB-XL fixture, read by both.
//! Every channel's samples in mV: the first 50, every 97th, their sum and sum of squares.

mod common;

fn close(ours: f64, theirs: f64, tolerance: f64, what: &str) {
    assert!(
        (ours - theirs).abs() <= tolerance,
        "{what}: ours {ours}, pydicom {theirs}"
    );
}

#[test]
fn rhythm_waveforms_read_as_pydicom_reads_them() {
    let (every, files) = common::golden("dicom");
    assert_eq!(files.len(), 2);
    for (name, expected) in &files {
        let record = common::read("dicom", name);
        assert_eq!(
            record.sampling_rate,
            expected["sampling_rate"].as_f64().unwrap(),
            "{name}"
        );
        assert_eq!(
            record.num_samples() as u64,
            expected["samples"].as_u64().unwrap(),
            "{name}"
        );
        let channels = expected["channels"].as_array().unwrap();
        let stored: Vec<_> = record.channels.iter().filter(|c| !c.derived).collect();
        assert_eq!(stored.len(), channels.len(), "{name}: channels");
        for (ours, theirs) in stored.iter().zip(channels) {
            let what = format!("{name} {}", theirs["source"].as_str().unwrap());
            let samples: Vec<f64> = ours.samples.iter().map(|&v| f64::from(v)).collect();
            for (k, v) in theirs["first"].as_array().unwrap().iter().enumerate() {
                close(
                    samples[k],
                    v.as_f64().unwrap(),
                    1e-5,
                    &format!("{what} sample {k}"),
                );
            }
            for (k, v) in theirs["every_97th"].as_array().unwrap().iter().enumerate() {
                let at = k * every;
                close(
                    samples[at],
                    v.as_f64().unwrap(),
                    1e-5,
                    &format!("{what} sample {at}"),
                );
            }
            let sum: f64 = samples.iter().sum();
            let squares: f64 = samples.iter().map(|v| v * v).sum();
            close(
                sum,
                theirs["sum"].as_f64().unwrap(),
                1e-3,
                &format!("{what} sum"),
            );
            let expected_squares = theirs["sum_of_squares"].as_f64().unwrap();
            close(
                squares,
                expected_squares,
                1e-6 * expected_squares.max(1.0),
                &format!("{what} sum of squares"),
            );
        }
    }
}
