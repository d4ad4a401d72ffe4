use proptest::prelude::*;

use super::*;
use crate::datetime::DateTime;
use crate::test_support::{
    assert_same_leads, committed_fixture, ptbxl_record, random_channels, read_one, standard_subset,
    survives_damage,
};

/// Hand-made files, for the encodings our writer does not produce.
mod build {
    pub fn tag(out: &mut Vec<u8>, group: u16, element: u16) {
        out.extend_from_slice(&group.to_le_bytes());
        out.extend_from_slice(&element.to_le_bytes());
    }

    pub fn explicit(out: &mut Vec<u8>, group: u16, element: u16, vr: &[u8; 2], value: &[u8]) {
        tag(out, group, element);
        out.extend_from_slice(vr);
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        out.extend_from_slice(value);
    }

    pub fn implicit(out: &mut Vec<u8>, group: u16, element: u16, value: &[u8]) {
        tag(out, group, element);
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
    }

    /// A sequence and its items, all of undefined length, in implicit VR.
    pub fn undefined_sequence(out: &mut Vec<u8>, group: u16, element: u16, items: &[Vec<u8>]) {
        tag(out, group, element);
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        for item in items {
            tag(out, 0xFFFE, 0xE000);
            out.extend_from_slice(&u32::MAX.to_le_bytes());
            out.extend_from_slice(item);
            tag(out, 0xFFFE, 0xE00D);
            out.extend_from_slice(&0u32.to_le_bytes());
        }
        tag(out, 0xFFFE, 0xE0DD);
        out.extend_from_slice(&0u32.to_le_bytes());
    }

    /// Preamble, `DICM` and a meta group naming `syntax`.
    pub fn file(syntax: &str, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        let mut uid = syntax.as_bytes().to_vec();
        if uid.len() % 2 == 1 {
            uid.push(0);
        }
        explicit(&mut out, 0x0002, 0x0010, b"UI", &uid);
        out.extend_from_slice(body);
        out
    }

    /// One channel definition in implicit VR: source code (and meaning), sensitivity in
    /// `units`, correction factor and baseline.
    pub fn channel(
        code: &str,
        meaning: Option<&str>,
        sensitivity: &str,
        units: &str,
        correction: &str,
        baseline: &str,
    ) -> Vec<u8> {
        let mut source = Vec::new();
        implicit(&mut source, 0x0008, 0x0100, &even(code));
        if let Some(meaning) = meaning {
            implicit(&mut source, 0x0008, 0x0104, &even(meaning));
        }
        let mut unit = Vec::new();
        implicit(&mut unit, 0x0008, 0x0100, &even(units));
        let mut item = Vec::new();
        undefined_sequence(&mut item, 0x003A, 0x0208, &[source]);
        implicit(&mut item, 0x003A, 0x0210, &even(sensitivity));
        undefined_sequence(&mut item, 0x003A, 0x0211, &[unit]);
        implicit(&mut item, 0x003A, 0x0212, &even(correction));
        implicit(&mut item, 0x003A, 0x0213, &even(baseline));
        item
    }

    /// A multiplex group in implicit VR with 16-bit signed samples, frame by frame.
    pub fn group(label: &str, rate: &str, channels: &[Vec<u8>], frames: &[&[i16]]) -> Vec<u8> {
        let mut item = Vec::new();
        implicit(
            &mut item,
            0x003A,
            0x0005,
            &(channels.len() as u16).to_le_bytes(),
        );
        implicit(
            &mut item,
            0x003A,
            0x0010,
            &(frames.len() as u32).to_le_bytes(),
        );
        implicit(&mut item, 0x003A, 0x001A, &even(rate));
        implicit(&mut item, 0x003A, 0x0020, &even(label));
        undefined_sequence(&mut item, 0x003A, 0x0200, channels);
        implicit(&mut item, 0x5400, 0x1004, &16u16.to_le_bytes());
        implicit(&mut item, 0x5400, 0x1006, b"SS");
        let data: Vec<u8> = frames
            .iter()
            .flat_map(|f| f.iter())
            .flat_map(|v| v.to_le_bytes())
            .collect();
        implicit(&mut item, 0x5400, 0x1010, &data);
        item
    }

    pub fn even(text: &str) -> Vec<u8> {
        let mut bytes = text.as_bytes().to_vec();
        if bytes.len() % 2 == 1 {
            bytes.push(b' ');
        }
        bytes
    }
}

fn implicit_file(groups: &[Vec<u8>], extra: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(extra);
    build::undefined_sequence(&mut body, 0x5400, 0x0100, groups);
    build::file(IMPLICIT_LITTLE, &body)
}

#[test]
fn ptbxl_record_round_trip() {
    let original = ptbxl_record();
    assert_eq!(original.channels.len(), 12);
    let bytes = write(&original).unwrap();
    // No extension: the reader must recognise the file from its content.
    let back = read_one("exported_ecg", bytes.clone()).unwrap();
    assert_eq!(back.sampling_rate, original.sampling_rate);
    assert_eq!(back.metadata.format.as_deref(), Some(FORMAT));
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_same_leads(&original, &back);
    assert_eq!(back.lead(Lead::I).unwrap().name, "Lead I");
    // PTB-XL's low-rate records are below the 12-lead IOD's 200 Hz minimum: Ambulatory ECG.
    assert!(bytes
        .windows(AMBULATORY.len())
        .any(|w| w == AMBULATORY.as_bytes()));
    assert_eq!(
        write(&original).unwrap(),
        bytes,
        "the writer is deterministic"
    );
}

const AMBULATORY: &str = "1.2.840.10008.5.1.4.1.1.9.1.3";

#[test]
fn the_fixture_is_what_the_writer_makes_of_the_ptbxl_record() {
    let fixture = committed_fixture("dicom/00009_lr.dcm", &write(&ptbxl_record()).unwrap());
    let record = read_one("00009_lr.dcm", fixture).unwrap();
    assert_eq!(record.standard_leads().len(), 12);
}

#[test]
fn metadata_round_trip() {
    let mut record = ptbxl_record();
    record.metadata.age = Some(45.0);
    record.metadata.sex = Some(Sex::Female);
    record.metadata.date = Some("12:44:02 10/12/2009".into());
    record.metadata.statements = vec!["Sinus rhythm".into(), "Normal ECG".into()];
    let back = read_one("x.dcm", write(&record).unwrap()).unwrap();
    assert_eq!(back.metadata.age, Some(45.0));
    assert_eq!(back.metadata.sex, Some(Sex::Female));
    assert_eq!(back.metadata.date.as_deref(), Some("2009-12-10 12:44:02"));
    assert_eq!(back.metadata.statements, record.metadata.statements);
    assert_eq!(back.name, "x");
}

#[test]
fn sop_class_follows_the_iod_constraints() {
    use writer_constraints::*;
    assert_eq!(class(12, 5000, 500.0), TWELVE);
    assert_eq!(class(12, 20000, 500.0), GENERAL);
    assert_eq!(class(15, 5000, 500.0), GENERAL);
    assert_eq!(class(12, 1000, 100.0), AMBULATORY);
    assert_eq!(class(30, 1000, 20.0), GENERAL);
}

mod writer_constraints {
    pub const TWELVE: &str = "1.2.840.10008.5.1.4.1.1.9.1.1";
    pub const GENERAL: &str = "1.2.840.10008.5.1.4.1.1.9.1.2";
    pub const AMBULATORY: &str = super::AMBULATORY;

    pub fn class(channels: usize, samples: usize, rate: f64) -> &'static str {
        let record = crate::Record {
            name: "c".into(),
            sampling_rate: rate,
            channels: (0..channels)
                .map(|i| crate::millivolt_channel(&format!("c{i}"), vec![0.0; samples]))
                .collect(),
            metadata: Default::default(),
            warnings: vec![],
        };
        let bytes = super::write(&record).unwrap();
        [TWELVE, GENERAL, AMBULATORY]
            .into_iter()
            .find(|uid| bytes.windows(uid.len()).any(|w| w == uid.as_bytes()))
            .unwrap()
    }
}

#[test]
fn tags_ascend_in_every_data_set() {
    let mut record = ptbxl_record();
    record.metadata.statements = vec!["x".into()];
    record.metadata.age = Some(3.0);
    let bytes = write(&record).unwrap();
    let mut reader = ByteReader::new(&bytes, "f", FORMAT);
    reader.seek(132).unwrap();
    let meta = Parser::new(&mut reader, &bytes, Syntax::ExplicitLittle)
        .read_while(|t| t >> 16 == 2)
        .unwrap();
    let body = Parser::new(&mut reader, &bytes, Syntax::ExplicitLittle)
        .read_while(|_| true)
        .unwrap();
    fn check(set: &Dataset) {
        assert!(
            set.elements.windows(2).all(|w| w[0].tag < w[1].tag),
            "{:?}",
            set.elements.iter().map(|e| e.tag).collect::<Vec<_>>()
        );
        for element in &set.elements {
            if let dataset::Value::Items(items) = &element.value {
                items.iter().for_each(check);
            }
        }
    }
    check(&meta);
    check(&body);
    // The group length counts the meta elements that follow it.
    let length = meta.unsigned(tag(0x0002, 0x0000)).unwrap() as usize;
    assert_eq!(132 + 12 + length, reader_position_after_meta(&bytes));
}

fn reader_position_after_meta(bytes: &[u8]) -> usize {
    let mut reader = ByteReader::new(bytes, "f", FORMAT);
    reader.seek(132).unwrap();
    Parser::new(&mut reader, bytes, Syntax::ExplicitLittle)
        .read_while(|t| t >> 16 == 2)
        .unwrap();
    reader.position()
}

#[test]
fn implicit_vr_with_undefined_lengths() {
    let channels = [
        build::channel("2:1", Some("Lead I (Einthoven)"), "2.5", "uV", "1", "0"),
        build::channel("5.6.3-9-62", None, "0.01", "mV", "2", "0.5"),
    ];
    let frames: [&[i16]; 3] = [&[100, 1], &[-40, -2], &[0, 0]];
    let mut extra = Vec::new();
    build::implicit(&mut extra, 0x0010, 0x0040, b"M ");
    build::implicit(&mut extra, 0x0010, 0x1010, b"006M");
    build::implicit(&mut extra, 0x0008, 0x0020, b"20240131");
    let bytes = implicit_file(&[build::group("RHYTHM", "500", &channels, &frames)], &extra);
    let r = read_one("implicit", bytes).unwrap();
    assert_eq!(r.sampling_rate, 500.0);
    assert_eq!(r.channels[0].name, "Lead I (Einthoven)");
    assert_eq!(r.channels[0].lead, Some(Lead::I));
    assert_eq!(r.channels[0].samples, vec![0.25, -0.1, 0.0]);
    // No meaning: the SCP-ECG code names lead 62, aVR. Physical = raw·sensitivity·correction + baseline.
    assert_eq!(r.channels[1].name, "aVR");
    assert_eq!(r.channels[1].lead, Some(Lead::AVR));
    assert_eq!(r.channels[1].samples, vec![0.52, 0.46, 0.5]);
    assert_eq!(r.metadata.sex, Some(Sex::Male));
    assert_eq!(r.metadata.age, Some(0.5));
    assert_eq!(r.metadata.date.as_deref(), Some("2024-01-31"));
}

#[test]
fn the_rhythm_group_is_chosen_over_the_median_beat() {
    let channel = || build::channel("2:2", Some("Lead II"), "1", "uV", "1", "0");
    let long: Vec<[i16; 1]> = (0..50).map(|i| [i]).collect();
    let long_frames: Vec<&[i16]> = long.iter().map(|f| &f[..]).collect();
    let short: [&[i16]; 4] = [&[7], &[7], &[7], &[7]];
    let median = build::group("MEDIAN", "500", &[channel()], &long_frames);
    let rhythm = build::group("RHYTHM", "500", &[channel()], &short);
    let r = read_one("a", implicit_file(&[median.clone(), rhythm], &[])).unwrap();
    assert_eq!(
        r.channels[0].samples.len(),
        4,
        "the group labelled RHYTHM wins"
    );
    // Without labels the group with the most samples wins.
    let unlabelled = build::group("", "500", &[channel()], &short);
    let r = read_one(
        "b",
        implicit_file(
            &[
                unlabelled,
                build::group("", "500", &[channel()], &long_frames),
            ],
            &[],
        ),
    )
    .unwrap();
    assert_eq!(r.channels[0].samples.len(), 50);
}

#[test]
fn missing_sensitivity_is_read_as_microvolts_and_flagged() {
    let mut item = Vec::new();
    let mut source = Vec::new();
    build::implicit(&mut source, 0x0008, 0x0104, b"Lead V1 ");
    build::undefined_sequence(&mut item, 0x003A, 0x0208, &[source]);
    let bytes = implicit_file(
        &[build::group("RHYTHM", "250", &[item], &[&[1000], &[-500]])],
        &[],
    );
    let r = read_one("u", bytes).unwrap();
    assert_eq!(r.channels[0].samples, vec![1.0, -0.5]);
    assert_eq!(r.channels[0].lead, Some(Lead::V1));
    assert_eq!(r.metadata.guessed_units, Some(AmplitudeUnits::Microvolts));
    assert!(
        r.warnings.iter().any(|w| w.contains("no sensitivity")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_file_without_preamble_is_recognised() {
    let bytes = write(&ptbxl_record()).unwrap();
    let r = read_one("bare", bytes[128..].to_vec().split_off(4)).unwrap();
    assert_eq!(r.channels.len(), 12);
}

#[test]
fn refusals_name_the_problem() {
    let message = |bytes: Vec<u8>| read_one("f.dcm", bytes).unwrap_err().to_string();
    let big = build::file("1.2.840.10008.1.2.2", &[]);
    let m = message(big);
    assert!(
        m.contains("big-endian") && m.contains("not supported"),
        "{m}"
    );
    let m = message(build::file("1.2.840.10008.1.2.1.99", &[]));
    assert!(m.contains("deflate"), "{m}");
    let m = message(build::file("1.2.840.10008.1.2.4.50", &[]));
    assert!(
        m.contains("1.2.840.10008.1.2.4.50") && m.contains("explicit VR"),
        "{m}"
    );
    let mut image = Vec::new();
    build::explicit(&mut image, 0x0008, 0x0060, b"CS", b"CT");
    let m = message(build::file(EXPLICIT_LITTLE, &image));
    assert!(m.contains("Waveform Sequence") && m.contains("CT"), "{m}");
    let bytes = write(&ptbxl_record()).unwrap();
    let m = message(bytes[..bytes.len() - 100].to_vec());
    assert!(m.contains("claims") && m.contains("truncated"), "{m}");
    let mut few = Vec::new();
    build::implicit(&mut few, 0x0010, 0x0040, b"F ");
    let channel = build::channel("2:1", None, "1", "uV", "1", "0");
    let mut group = build::group("RHYTHM", "500", &[channel], &[&[1], &[2]]);
    // Claim 3 samples where the data holds 2.
    let at = group
        .windows(4)
        .position(|w| w == [0x3A, 0x00, 0x10, 0x00])
        .unwrap()
        + 8;
    group[at] = 3;
    let m = message(implicit_file(&[group], &few));
    assert!(m.contains("need 6"), "{m}");
}

#[test]
fn detection_is_by_content() {
    let bytes = write(&ptbxl_record()).unwrap();
    assert!(DicomReader.detects(&InputFile::new("no_extension", bytes)));
    assert!(!DicomReader.detects(&InputFile::new("x.dcm", b"00001_lr 12 100 1000\n".to_vec())));
    assert!(!DicomReader.detects(&InputFile::new("x.dcm", vec![0; 200])));
}

#[test]
fn every_prefix_and_random_damage_give_ok_or_err() {
    let mut record = ptbxl_record();
    for channel in &mut record.channels {
        channel.samples.truncate(20);
    }
    record.metadata.statements = vec!["Sinus rhythm".into()];
    survives_damage(&write(&record).unwrap(), 3000);
}

#[test]
fn deep_nesting_and_element_floods_are_refused() {
    let mut nested = Vec::new();
    for _ in 0..40 {
        let mut outer = Vec::new();
        build::undefined_sequence(&mut outer, 0x5400, 0x0100, &[nested]);
        nested = outer;
    }
    let m = read_one("n", build::file(IMPLICIT_LITTLE, &nested))
        .unwrap_err()
        .to_string();
    assert!(m.contains("nested"), "{m}");
}

#[test]
fn ages_and_dates() {
    assert_eq!(parse_age("045Y"), Some(45.0));
    assert_eq!(parse_age("006M"), Some(0.5));
    assert_eq!(parse_age("014D").map(|a| (a * 365.25).round()), Some(14.0));
    assert_eq!(parse_age("Y"), None);
    // A last character that is not ASCII (a damaged or hostile file) is no unit, not a panic.
    assert_eq!(parse_age("045é"), None);
    assert_eq!(parse_age("é"), None);
    assert_eq!(parse_age(""), None);
    assert_eq!(
        DateTime::parse_dicom("20091210124402.000")
            .unwrap()
            .to_string(),
        "2009-12-10 12:44:02"
    );
    assert_eq!(
        DateTime::parse("2009-12-10").unwrap().to_string(),
        "2009-12-10"
    );
    assert_eq!(
        DateTime::parse("10/12/2009 7:05").unwrap().to_string(),
        "2009-12-10 07:05:00"
    );
    assert_eq!(DateTime::parse("2009-13-10"), None);
    assert_eq!(DateTime::parse("12:00:00"), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_records_round_trip(
        leads in standard_subset(),
        length in 1usize..400,
        rate in prop::sample::select(vec![50.0, 100.0, 128.0, 250.0, 257.5, 360.0, 500.0, 1000.0, 2000.0]),
        seed in any::<u64>(),
        age in prop::option::of(1u8..110),
        male in any::<Option<bool>>(),
    ) {
        let channels = random_channels(&leads, length, seed, |n| n as i16, |v| (f64::from(v) * 0.001) as f32);
        let record = Record {
            name: "p".into(),
            sampling_rate: rate,
            channels,
            metadata: Metadata {
                age: age.map(f32::from),
                sex: male.map(|m| if m { Sex::Male } else { Sex::Female }),
                ..Metadata::default()
            },
            warnings: vec![],
        };
        let back = DicomReader.read(&InputFile::new("p", write(&record).unwrap()), &[], &ReadOptions::default()).unwrap();
        prop_assert_eq!(back.sampling_rate, rate);
        prop_assert_eq!(back.channels.len(), record.channels.len());
        for (a, b) in record.channels.iter().zip(&back.channels) {
            prop_assert_eq!(a.lead, b.lead);
            prop_assert_eq!(&a.samples, &b.samples);
        }
        prop_assert_eq!(back.metadata.age, record.metadata.age);
        prop_assert_eq!(back.metadata.sex, record.metadata.sex);
    }
}
