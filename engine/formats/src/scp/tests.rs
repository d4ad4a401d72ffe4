use proptest::prelude::*;

use super::*;
use crate::lead_codes::{lead_name, lead_number};
use crate::test_support::{
    assert_same_leads, committed_fixture, ptbxl_record, random_channels, read_one, standard_subset,
    survives_damage,
};
use crate::{Lead, Metadata, Sex};

fn huffman() -> WriteOptions {
    WriteOptions {
        huffman: true,
        reference_beat: None,
    }
}

fn uncompressed() -> WriteOptions {
    WriteOptions {
        huffman: false,
        reference_beat: None,
    }
}

/// R peaks for the subtraction test: the largest |lead II| within ±0.3 s, above half the
/// record's largest value.
fn r_peaks(record: &Record) -> Vec<usize> {
    let ii = &record.lead(Lead::II).unwrap().samples;
    let top = ii.iter().fold(0f32, |m, v| m.max(v.abs()));
    let half_window = (0.3 * record.sampling_rate) as usize;
    (0..ii.len())
        .filter(|&i| {
            let window = &ii[i.saturating_sub(half_window)..(i + half_window + 1).min(ii.len())];
            ii[i].abs() > top / 2.0 && window.iter().all(|v| v.abs() <= ii[i].abs())
        })
        .collect()
}

fn subtraction(record: &Record) -> WriteOptions {
    WriteOptions {
        huffman: true,
        reference_beat: Some(ReferenceBeatSubtraction {
            fiducials: r_peaks(record),
            before: 20,
            after: 40,
        }),
    }
}

#[test]
fn ptbxl_record_round_trips_compressed_and_not() {
    let original = ptbxl_record();
    let compressed = write(&original).unwrap();
    let plain = write_with(&original, &uncompressed()).unwrap();
    // At 100 Hz first differences are often beyond ±8 and take an escape code.
    assert!(
        compressed.len() < plain.len(),
        "{} vs {} bytes",
        compressed.len(),
        plain.len()
    );
    // No extension: the reader must recognise the file from its content.
    let a = read_one("exported_ecg", compressed).unwrap();
    let b = read_one("00009_lr.scp", plain).unwrap();
    for back in [&a, &b] {
        assert_eq!(back.sampling_rate, 100.0);
        assert_eq!(back.metadata.format.as_deref(), Some(FORMAT));
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_same_leads(&original, back);
    }
    assert_eq!(a.channels, b.channels, "both encodings read back the same");
}

#[test]
fn reference_beat_subtraction_round_trips() {
    let original = ptbxl_record();
    let options = subtraction(&original);
    let peaks = &options.reference_beat.as_ref().unwrap().fiducials;
    assert!((5..=20).contains(&peaks.len()), "{peaks:?}");
    let bytes = write_with(&original, &options).unwrap();
    let back = read_one("beats", bytes.clone()).unwrap();
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_same_leads(&original, &back);

    // With section 3's flag cleared the residual alone is read: it must differ, inside the
    // subtraction zones only, by the reference beat.
    let section3 = find_section(&bytes, 3);
    let mut residual_only = bytes.clone();
    residual_only[section3 + HEADER + 1] &= !1;
    let residual = read_one("residual", residual_only).unwrap();
    assert!(
        residual.warnings.iter().any(|w| w.contains("CRC")),
        "{:?}",
        residual.warnings
    );
    let (a, b) = (
        &back.lead(Lead::II).unwrap().samples,
        &residual.lead(Lead::II).unwrap().samples,
    );
    let changed: Vec<usize> = (0..a.len())
        .filter(|&i| (a[i] - b[i]).abs() > 1e-6)
        .collect();
    assert!(!changed.is_empty());
    assert!(
        changed
            .iter()
            .all(|&i| peaks.iter().any(|&p| i + 20 >= p && i <= p + 40)),
        "{changed:?}"
    );
}

/// Byte offset of a section, from section 0's pointer table.
fn find_section(bytes: &[u8], id: u16) -> usize {
    let entry = 6 + 16 + 10 * usize::from(id);
    assert_eq!(u16::from_le_bytes([bytes[entry], bytes[entry + 1]]), id);
    u32::from_le_bytes(bytes[entry + 6..entry + 10].try_into().unwrap()) as usize - 1
}

#[test]
fn fixtures_are_what_the_writer_makes_of_the_ptbxl_record() {
    let original = ptbxl_record();
    for (name, options) in fixtures(&original) {
        let fixture = committed_fixture(
            &format!("scp/{name}"),
            &write_with(&original, &options).unwrap(),
        );
        let back = read_one(name, fixture).unwrap();
        assert_same_leads(&original, &back);
    }
}

fn fixtures(record: &Record) -> [(&'static str, WriteOptions); 3] {
    [
        ("00009_lr.scp", huffman()),
        ("00009_lr_uncompressed.scp", uncompressed()),
        ("00009_lr_reference_beat.scp", subtraction(record)),
    ]
}

#[test]
fn layout_follows_the_standard() {
    let bytes = write(&ptbxl_record()).unwrap();
    assert_eq!(&bytes[16..22], b"SCPECG");
    assert_eq!(
        u32::from_le_bytes(bytes[2..6].try_into().unwrap()) as usize,
        bytes.len()
    );
    assert_eq!(u16::from_le_bytes([bytes[0], bytes[1]]), crc(&bytes[2..]));
    for id in [0u16, 1, 2, 3, 6] {
        let at = find_section(&bytes, id);
        let length = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        assert_eq!(length % 2, 0);
        let section = &bytes[at..at + length];
        assert_eq!(
            u16::from_le_bytes([section[0], section[1]]),
            crc(&section[2..]),
            "section {id}"
        );
        assert_eq!(u16::from_le_bytes([section[2], section[3]]), id);
    }
    // Absent sections have zero length and index.
    let entry = 6 + 16 + 10 * 4;
    assert_eq!(&bytes[entry + 2..entry + 10], &[0; 8]);
    // Section 2 says "default table", section 3 flags: simultaneous, 12 leads.
    let s2 = find_section(&bytes, 2);
    assert_eq!(u16::from_le_bytes([bytes[s2 + 16], bytes[s2 + 17]]), 19999);
    let s3 = find_section(&bytes, 3);
    assert_eq!(bytes[s3 + 16..s3 + 18], [12, 0b0110_0100]);
}

#[test]
fn crc_is_ccitt() {
    assert_eq!(crc(b"123456789"), 0x29B1);
    assert_eq!(crc(b""), 0xFFFF);
}

#[test]
fn a_bad_crc_is_a_warning() {
    let mut bytes = write(&ptbxl_record()).unwrap();
    // The model name in tag 14 of section 1.
    let s1 = find_section(&bytes, 1);
    assert_eq!(bytes[s1 + 39], b'E');
    bytes[s1 + 39] = b'X';
    let r = read_one("bad_crc", bytes).unwrap();
    assert_eq!(r.channels.len(), 12);
    let w = r.warnings.join("\n");
    assert!(
        w.contains("the record, section 1") && w.contains("read anyway"),
        "{w}"
    );
}

#[test]
fn metadata_round_trip() {
    let mut record = ptbxl_record();
    record.metadata = Metadata {
        age: Some(67.0),
        sex: Some(Sex::Male),
        date: Some("12:44:02 10/12/2009".into()),
        ..Metadata::default()
    };
    let back = read_one("m.scp", write(&record).unwrap()).unwrap();
    assert_eq!(back.metadata.age, Some(67.0));
    assert_eq!(back.metadata.sex, Some(Sex::Male));
    assert_eq!(back.metadata.date.as_deref(), Some("2009-12-10 12:44:02"));
    assert_eq!(back.name, "m");
    record.metadata.age = Some(0.5);
    let back = read_one("m.scp", write(&record).unwrap()).unwrap();
    assert_eq!(back.metadata.age, Some(0.5));
}

#[test]
fn other_leads_keep_their_number() {
    assert_eq!(lead_name(61), "III");
    assert_eq!(lead_name(3), "V1");
    assert_eq!(lead_name(9), "SCP lead 9");
    assert_eq!(Lead::from_name(&lead_name(9)), None);
    for lead in Lead::STANDARD {
        assert_eq!(lead_name(lead_number(lead)), lead.label());
    }
    let record = Record {
        name: "x".into(),
        sampling_rate: 500.0,
        channels: vec![crate::millivolt_channel("SCP lead 9", vec![0.1, 0.2])],
        metadata: Metadata::default(),
        warnings: vec![],
    };
    let back = read_one("x", write(&record).unwrap()).unwrap();
    assert_eq!(back.channels[0].name, "SCP lead 9");
    assert_eq!(back.channels[0].lead, None);
}

/// A record made of hand-written sections: the standard's Huffman example (second
/// differences) as lead I of section 6.
#[test]
fn second_differences_from_the_standards_example() {
    let example = [
        0xFF, 0x83, 0x7F, 0xE0, 0xE6, 0xF1, 0x53, 0x65, 0x59, 0xB6, 0x5B, 0x96, 0x4B, 0x96, 0x00,
    ];
    let mut section3 = vec![1, 0b1100];
    section3.extend_from_slice(&1u32.to_le_bytes());
    section3.extend_from_slice(&28u32.to_le_bytes());
    section3.push(1);
    let mut section6 = 5000u16.to_le_bytes().to_vec();
    section6.extend_from_slice(&2000u16.to_le_bytes());
    section6.extend_from_slice(&[2, 0]);
    section6.extend_from_slice(&(example.len() as u16).to_le_bytes());
    section6.extend_from_slice(&example);
    let bytes = writer::record_with(vec![
        (2, 19999u16.to_le_bytes().to_vec()),
        (3, section3),
        (6, section6),
    ]);
    let r = read_one("example", bytes).unwrap();
    assert_eq!(r.sampling_rate, 500.0);
    // 5 µV per unit.
    let expected = [
        13, 14, 15, 14, 16, 18, 19, 20, 22, 22, 23, 23, 23, 22, 22, 20, 17, 15, 12, 8, 6, 3, 1, 0,
        -2, -2, -3, -3,
    ];
    let expected: Vec<f32> = expected
        .iter()
        .map(|&v| (f64::from(v) * 5000.0 * 1e-6) as f32)
        .collect();
    assert_eq!(r.lead(Lead::I).unwrap().samples, expected);
}

#[test]
fn refusals_name_the_problem() {
    let record = ptbxl_record();
    let message = |bytes: Vec<u8>| read_one("f.scp", bytes).unwrap_err().to_string();
    let good = write(&record).unwrap();

    let mut bimodal = good.clone();
    let s6 = find_section(&bimodal, 6);
    bimodal[s6 + 16 + 5] = 1;
    let m = message(bimodal);
    assert!(m.contains("bimodal") && m.contains("not supported"), "{m}");

    // Section 6 gone from the table and from the record.
    let mut no_rhythm = good.clone();
    let entry = 6 + 16 + 60;
    no_rhythm[entry + 2..entry + 10].fill(0);
    no_rhythm.truncate(s6);
    let m = message(no_rhythm);
    assert!(m.contains("no section 6"), "{m}");

    let mut pointer_out = good.clone();
    pointer_out[entry + 6..entry + 10].copy_from_slice(&1_000_000u32.to_le_bytes());
    pointer_out.truncate(s6);
    let m = message(pointer_out);
    assert!(m.contains("section 6") && m.contains("outside"), "{m}");

    let m = message(good[..good.len() - 30].to_vec());
    assert!(m.contains("section 6") && m.contains("outside"), "{m}");

    let mut long_lead = good.clone();
    let lead12_length = s6 + 16 + 6 + 22;
    long_lead[lead12_length..lead12_length + 2].copy_from_slice(&60000u16.to_le_bytes());
    let m = message(long_lead);
    assert!(
        m.contains("lead 12 60000 bytes") && m.contains("past the section's end"),
        "{m}"
    );

    let mut short_huffman = good.clone();
    let lead1_length = s6 + 16 + 6;
    short_huffman[lead1_length] = 3;
    short_huffman[lead1_length + 1] = 0;
    let m = message(short_huffman);
    assert!(
        m.contains("section 6, lead 1")
            && (m.contains("ends") || m.contains("not in the Huffman table")),
        "{m}"
    );

    let mut differences = good.clone();
    differences[s6 + 16 + 4] = 7;
    let m = message(differences);
    assert!(m.contains("difference encoding 7"), "{m}");
}

#[test]
fn detection_is_by_content() {
    let bytes = write(&ptbxl_record()).unwrap();
    assert!(ScpReader.detects(&InputFile::new("no_extension", bytes.clone())));
    assert!(!ScpReader.detects(&InputFile::new("x.scp", bytes[..20].to_vec())));
    assert!(!ScpReader.detects(&InputFile::new("x.scp", b"00001_lr 12 100 1000\n".to_vec())));
    let dicom = crate::dicom::write(&ptbxl_record()).unwrap();
    assert!(!ScpReader.detects(&InputFile::new("x.scp", dicom)));
}

#[test]
fn every_prefix_and_random_damage_give_ok_or_err() {
    let mut record = ptbxl_record();
    for channel in &mut record.channels {
        channel.samples.truncate(300);
    }
    record.metadata.age = Some(30.0);
    let files = [
        write(&record).unwrap(),
        write_with(&record, &uncompressed()).unwrap(),
        write_with(&record, &subtraction(&record)).unwrap(),
    ];
    for bytes in &files {
        survives_damage(bytes, 2000);
    }
}

#[test]
fn writer_refusals() {
    let mut record = ptbxl_record();
    record.sampling_rate = 10.0;
    let e = write(&record).unwrap_err().to_string();
    assert!(e.contains("whole microseconds"), "{e}");
    record.sampling_rate = 100.0;
    record.channels.clear();
    assert!(write(&record).is_err());
    let long = Record {
        name: "long".into(),
        sampling_rate: 1000.0,
        channels: vec![crate::millivolt_channel(
            "I",
            (0..40_000).map(|i| (i % 7) as f32).collect(),
        )],
        metadata: Metadata::default(),
        warnings: vec![],
    };
    let e = write_with(&long, &uncompressed()).unwrap_err().to_string();
    assert!(e.contains("65535"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_records_round_trip(
        leads in standard_subset(),
        length in 1usize..400,
        interval in 100u16..=20000,
        seed in any::<u64>(),
        compressed in any::<bool>(),
        small in any::<bool>(),
    ) {
        // Mostly small steps, as ECGs have, or anything a 16-bit sample holds.
        let value = |n: u64| if small { (n % 200) as i16 - 100 } else { n as i16 };
        let channels = random_channels(&leads, length, seed, value, |v| (f64::from(v) * 1000.0 * 1e-6) as f32);
        let record = Record {
            name: "p".into(),
            sampling_rate: 1e6 / f64::from(interval),
            channels,
            metadata: Metadata::default(),
            warnings: vec![],
        };
        let options = WriteOptions { huffman: compressed, reference_beat: None };
        let back = ScpReader.read(&InputFile::new("p", write_with(&record, &options).unwrap()), &[], &ReadOptions::default()).unwrap();
        prop_assert_eq!(back.sampling_rate, record.sampling_rate);
        prop_assert_eq!(back.channels.len(), record.channels.len());
        for (a, b) in record.channels.iter().zip(&back.channels) {
            prop_assert_eq!(a.lead, b.lead);
            prop_assert_eq!(&a.samples, &b.samples);
        }
    }
}

#[test]
fn a_section_table_of_60000_entries_is_read_in_linear_time() {
    // Section 0 lists 60,000 sections, each 1 MB, all at the same place: looking each entry
    // up in the sections found so far and checking each one's CRC took entries × record size.
    let entries = 60_000usize;
    let body = 1_000_000usize;
    let table = HEADER + 10 * entries;
    let total = RECORD_HEADER + table + body;
    let mut data = vec![0u8; total];
    data[2..6].copy_from_slice(&(total as u32).to_le_bytes());
    let section0 = RECORD_HEADER;
    data[section0 + 4..section0 + 8].copy_from_slice(&(table as u32).to_le_bytes());
    // Section 0's reserved bytes carry the magic the reader detects the format by.
    data[section0 + 10..section0 + 10 + MAGIC.len()].copy_from_slice(MAGIC);
    for e in 0..entries {
        let at = section0 + HEADER + 10 * e;
        data[at..at + 2].copy_from_slice(&((e % 65_000) as u16 + 1).to_le_bytes());
        data[at + 2..at + 6].copy_from_slice(&(body as u32).to_le_bytes());
        data[at + 6..at + 10].copy_from_slice(&((section0 + table + 1) as u32).to_le_bytes());
    }
    let started = std::time::Instant::now();
    let outcome = read_one("table.scp", data);
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        matches!(&outcome, Err(e) if !matches!(e, Error::UnknownFormat { .. })),
        "read as SCP-ECG, and refused: no leads in it ({:?})",
        outcome.err()
    );
    assert!(seconds < 1.0, "{seconds:.2} s");
}
