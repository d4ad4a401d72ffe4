//! GE MUSE XML: a `RestingECG` document as the MUSE system and GE carts export it.
//!
//! The rhythm strip is a `Waveform` whose `LeadData` elements each hold one lead as
//! base64 of little-endian 16-bit samples, with its own amplitude scale. GE stores the
//! eight independent leads (I, II, V1–V6); [`read_records`](super::read_records) derives
//! the other four.

use roxmltree::Node;

use super::xml::{self, Source, Timestamp, XmlReader, XmlWriter};
use super::{millivolt_channel, RecordParts};
use crate::{Channel, Lead, Metadata, Record, Sex};
use crate::{Error, Result};

pub const FORMAT: &str = "GE MUSE XML";

/// The leads a GE cart stores; the limb leads III, aVR, aVL, aVF follow from I and II.
const STORED_LEADS: [Lead; 8] = [
    Lead::I,
    Lead::II,
    Lead::V1,
    Lead::V2,
    Lead::V3,
    Lead::V4,
    Lead::V5,
    Lead::V6,
];

/// GE's amplitude resolution: 4.88 µV per bit.
const MICROVOLTS_PER_BIT: f64 = 4.88;

/// Reads documents whose root element is `RestingECG`.
pub const READER: XmlReader = XmlReader {
    format: FORMAT,
    root: "RestingECG",
    read,
};

fn read(src: &Source, root: Node) -> Result<RecordParts> {
    let mut warnings = Vec::new();

    // A Median waveform holds one averaged beat per lead (about a second), made by the
    // cart's analysis; the Rhythm waveform is the recording itself, which is what we compare.
    let waveform = xml::children(root, "Waveform")
        .find(|w| {
            xml::find_text(*w, &["WaveformType"]).is_some_and(|t| t.eq_ignore_ascii_case("Rhythm"))
        })
        .ok_or_else(|| match xml::children(root, "Waveform").next() {
            Some(_) => {
                src.invalid("it holds only median beats, no Waveform of WaveformType Rhythm")
            }
            None => src.invalid("it has no Waveform element, so no samples"),
        })?;
    let sampling_rate = sampling_rate(src, waveform)?;

    let mut channels = Vec::new();
    for lead_data in xml::children(waveform, "LeadData") {
        channels.push(read_lead(src, lead_data, &mut warnings)?);
    }

    Ok(RecordParts {
        sampling_rate,
        channels,
        metadata: metadata(root),
        warnings,
        ..RecordParts::default()
    })
}

/// `SampleBase` Hz times ten to the `SampleExponent`.
fn sampling_rate(src: &Source, waveform: Node) -> Result<f64> {
    let base = src.number(
        xml::find_text(waveform, &["SampleBase"]),
        "SampleBase (the sampling rate)",
    )?;
    let exponent = match xml::find_text(waveform, &["SampleExponent"]) {
        Some(text) => src.number(Some(text), "SampleExponent")?,
        None => 0.0,
    };
    if exponent.fract() != 0.0 || exponent.abs() > 6.0 {
        return Err(src.invalid(format!(
            "SampleExponent {exponent} is not a whole number from -6 to 6"
        )));
    }
    // Dividing rather than multiplying by a negative power keeps 2572 × 10^-1 exactly 257.2.
    let scale = 10f64.powi(exponent.abs() as i32);
    Ok(if exponent < 0.0 {
        base / scale
    } else {
        base * scale
    })
}

fn read_lead(src: &Source, lead_data: Node, warnings: &mut Vec<String>) -> Result<Channel> {
    let id = xml::find_text(lead_data, &["LeadID"])
        .ok_or_else(|| src.invalid("a LeadData element has no LeadID"))?;
    let what = format!("lead {id}");
    if let Some(size) = xml::find_text(lead_data, &["LeadSampleSize"]) {
        if src.number(Some(size), &format!("{what}: LeadSampleSize"))? != 2.0 {
            return Err(src.not_supported(format!(
                "{what}: samples of {size} bytes (LeadSampleSize; GE writes 2)"
            )));
        }
    }
    let per_bit = match xml::find_text(lead_data, &["LeadAmplitudeUnitsPerBit"]) {
        Some(text) => src.number(Some(text), &format!("{what}: LeadAmplitudeUnitsPerBit"))?,
        None => {
            warnings.push(format!(
                "{}: {what} does not give LeadAmplitudeUnitsPerBit; GE's 4.88 µV per bit is assumed",
                src.file
            ));
            MICROVOLTS_PER_BIT
        }
    };
    // The MUSE DTD's default unit is microvolts.
    let units = xml::find_text(lead_data, &["LeadAmplitudeUnits"]).unwrap_or("MICROVOLTS");
    let millivolts_per_unit = match units.to_ascii_uppercase().as_str() {
        "MICROVOLTS" | "MICROVOLT" | "UV" => 0.001,
        "MILLIVOLTS" | "MILLIVOLT" | "MV" => 1.0,
        "VOLTS" | "VOLT" | "V" => 1000.0,
        _ => {
            return Err(src.invalid(format!(
                "{what}: LeadAmplitudeUnits '{units}' is not MICROVOLTS, MILLIVOLTS or VOLTS"
            )))
        }
    };
    let data = xml::find_text(lead_data, &["WaveFormData"]).unwrap_or("");
    let digital = src.base64_i16(data, &what, 1)?;
    if let Some(declared) = xml::find_text(lead_data, &["LeadSampleCountTotal"]) {
        if declared.parse::<usize>().ok() != Some(digital.len()) {
            warnings.push(format!(
                "{}: {what}: LeadSampleCountTotal is {declared} but WaveFormData holds {} samples; the samples are read",
                src.file,
                digital.len()
            ));
        }
    }
    if let Some(declared) = xml::find_text(lead_data, &["LeadDataCRC32"]) {
        let actual = crc32(digital.iter().flat_map(|s| s.to_le_bytes()));
        if declared.parse::<u32>().ok() != Some(actual) {
            warnings.push(format!(
                "{}: {what}: LeadDataCRC32 is {declared} but the samples give {actual}; the data may be damaged",
                src.file
            ));
        }
    }
    let scale = per_bit * millivolts_per_unit;
    Ok(millivolt_channel(
        id,
        digital
            .iter()
            .map(|&d| (f64::from(d) * scale) as f32)
            .collect(),
    ))
}

/// CRC-32 (IEEE, as zlib computes it), which MUSE gives for each lead's bytes.
fn crc32(bytes: impl IntoIterator<Item = u8>) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn metadata(root: Node) -> Metadata {
    let patient = xml::find(root, &["PatientDemographics"]);
    let age = patient.and_then(|p| {
        let value = xml::find_text(p, &["PatientAge"])?.parse().ok()?;
        xml::age_in_years(value, xml::find_text(p, &["AgeUnits"]).unwrap_or("YEARS"))
    });
    let sex = patient
        .and_then(|p| xml::find_text(p, &["Gender"]))
        .and_then(xml::sex);
    let test = xml::find(root, &["TestDemographics"]);
    let when: Vec<&str> = ["AcquisitionDate", "AcquisitionTime"]
        .iter()
        .filter_map(|name| test.and_then(|t| xml::find_text(t, &[name])))
        .collect();
    // The confirmed (possibly edited) reading first; the cart's original when there is none.
    let statements = ["Diagnosis", "OriginalDiagnosis"]
        .iter()
        .map(|name| xml::find(root, &[name]).map(statements).unwrap_or_default())
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    Metadata {
        age,
        sex,
        date: (!when.is_empty()).then(|| when.join(" ")),
        statements,
        ..Metadata::default()
    }
}

/// A `Diagnosis`'s lines. Each `DiagnosisStatement` joins its `StmtText` pieces; where
/// statements are flagged `ENDSLINE`, a line runs on over statements up to that flag, as
/// GE prints them (“Sinus rhythm” + “with 1st degree AV block”).
fn statements(diagnosis: Node) -> Vec<String> {
    let pieces: Vec<(String, bool)> = xml::children(diagnosis, "DiagnosisStatement")
        .map(|statement| {
            let text: Vec<&str> = xml::children(statement, "StmtText")
                .filter_map(xml::text)
                .collect();
            let ends_line = xml::children(statement, "StmtFlag")
                .filter_map(xml::text)
                .any(|flag| flag.eq_ignore_ascii_case("ENDSLINE"));
            (text.join(" "), ends_line)
        })
        .collect();
    let flagged = pieces.iter().any(|(_, ends)| *ends);
    let mut lines = Vec::new();
    let mut line: Vec<String> = Vec::new();
    for (text, ends_line) in pieces {
        if !text.is_empty() {
            line.push(text);
        }
        if (ends_line || !flagged) && !line.is_empty() {
            lines.push(line.join(" "));
            line.clear();
        }
    }
    if !line.is_empty() {
        lines.push(line.join(" "));
    }
    lines
}

/// A `RestingECG` document of the record's stored leads (I, II, V1–V6, in the record's
/// order) at GE's 4.88 µV per bit, with the patient's age and sex, the acquisition date
/// and the record's statements as the diagnosis.
pub fn write(record: &Record) -> Result<Vec<u8>> {
    let leads: Vec<&Channel> = record
        .channels
        .iter()
        .filter(|c| c.lead.is_some_and(|l| STORED_LEADS.contains(&l)))
        .collect();
    if leads.is_empty() {
        return Err(Error::NothingToWrite {
            record: record.name.clone(),
            message: "GE MUSE XML stores leads I, II and V1–V6, and the record has none of them"
                .into(),
        });
    }
    let mut w = XmlWriter::new(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE RestingECG SYSTEM \"restecg.dtd\">",
    );
    w.open("RestingECG", &[]);
    let meta = &record.metadata;
    if meta.age.is_some() || meta.sex.is_some() {
        w.open("PatientDemographics", &[]);
        if let Some(age) = meta.age {
            w.leaf("PatientAge", &[], &age.to_string())
                .leaf("AgeUnits", &[], "YEARS");
        }
        if let Some(sex) = meta.sex {
            w.leaf(
                "Gender",
                &[],
                if sex == Sex::Male { "MALE" } else { "FEMALE" },
            );
        }
        w.close();
    }
    if let Some(when) = meta.date.as_deref().and_then(Timestamp::parse) {
        w.open("TestDemographics", &[]);
        w.leaf(
            "AcquisitionDate",
            &[],
            &format!("{:02}-{:02}-{:04}", when.month, when.day, when.year),
        );
        if let Some(clock) = when.clock() {
            w.leaf("AcquisitionTime", &[], &clock);
        }
        w.close();
    }
    if !meta.statements.is_empty() {
        w.open("Diagnosis", &[]).leaf("Modality", &[], "RESTING");
        for statement in &meta.statements {
            w.open("DiagnosisStatement", &[])
                .leaf("StmtFlag", &[], "ENDSLINE")
                .leaf("StmtText", &[], statement)
                .close();
        }
        w.close();
    }
    let (base, exponent) = sample_base(record.sampling_rate);
    let samples = record.num_samples();
    w.open("Waveform", &[])
        .leaf("WaveformType", &[], "Rhythm")
        .leaf("WaveformStartTime", &[], "0")
        .leaf("NumberofLeads", &[], &leads.len().to_string())
        .leaf("SampleType", &[], "CONTINUOUS_SAMPLES")
        .leaf("SampleBase", &[], &base)
        .leaf("SampleExponent", &[], &exponent.to_string());
    for channel in leads {
        let digital: Vec<i16> = channel
            .samples
            .iter()
            .map(|&v| xml::quantise(v, MICROVOLTS_PER_BIT * 0.001))
            .collect();
        let crc = crc32(digital.iter().flat_map(|s| s.to_le_bytes()));
        let label = channel
            .lead
            .map_or(channel.name.as_str(), |lead| lead.label());
        w.open("LeadData", &[])
            .leaf("LeadByteCountTotal", &[], &(2 * samples).to_string())
            .leaf("LeadTimeOffset", &[], "0")
            .leaf("LeadSampleCountTotal", &[], &samples.to_string())
            .leaf(
                "LeadAmplitudeUnitsPerBit",
                &[],
                &MICROVOLTS_PER_BIT.to_string(),
            )
            .leaf("LeadAmplitudeUnits", &[], "MICROVOLTS")
            .leaf("LeadHighLimit", &[], &i16::MAX.to_string())
            .leaf("LeadLowLimit", &[], &i16::MIN.to_string())
            .leaf("LeadID", &[], label)
            .leaf("LeadOffsetFirstSample", &[], "0")
            .leaf("FirstSampleBaseline", &[], "0")
            .leaf("LeadSampleSize", &[], "2")
            .leaf("LeadOff", &[], "FALSE")
            .leaf("BaselineSway", &[], "FALSE")
            .leaf("LeadDataCRC32", &[], &crc.to_string())
            .leaf(
                "WaveFormData",
                &[],
                &xml::encode_base64_i16(&digital, Some(76)),
            )
            .close();
    }
    Ok(w.finish())
}

/// The rate as a whole `SampleBase` and a power of ten, e.g. 257.2 Hz as 2572 × 10^-1.
fn sample_base(rate: f64) -> (String, i32) {
    (0..=6)
        .map(|k| (rate * 10f64.powi(k), -k))
        .find(|(scaled, _)| (scaled - scaled.round()).abs() < 1e-6)
        .map_or((rate.to_string(), 0), |(scaled, exponent)| {
            (format!("{}", scaled.round()), exponent)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::testing::*;
    use crate::{read_records, InputFile};
    use proptest::prelude::*;

    /// Half of GE's amplitude step: what rounding to it may change.
    const HALF_STEP_MV: f32 = (MICROVOLTS_PER_BIT * 0.001 / 2.0) as f32 + 1e-6;

    #[test]
    fn ptbxl_round_trip_through_detection() {
        let (record, back) = ptbxl_round_trip(write, FORMAT);
        assert_leads_close(&record, &back, &STORED_LEADS, HALF_STEP_MV);
        // The limb leads are derived from the stored I and II, so they carry both errors.
        let mut stored = record.clone();
        stored
            .channels
            .retain(|c| c.lead.is_some_and(|l| STORED_LEADS.contains(&l)));
        stored.derive_missing_limb_leads();
        assert_leads_close(
            &stored,
            &back,
            &[Lead::III, Lead::AVR, Lead::AVL, Lead::AVF],
            2.0 * HALF_STEP_MV,
        );
        assert!(back.lead(Lead::III).unwrap().derived);
    }

    #[test]
    fn the_fixture_is_what_the_writer_makes() {
        fixture("00009_lr.muse.xml", write);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn records_on_ges_grid_come_back_unchanged(
            record in records_on_grid(&STORED_LEADS, &[100.0, 250.0, 500.0, 1000.0, 257.2], MICROVOLTS_PER_BIT * 0.001)
        ) {
            assert_round_trip(write, &record, 1e-6);
        }
    }

    #[test]
    fn metadata_comes_back() {
        assert_eq!(
            metadata_round_trip(write).as_deref(),
            Some("02-01-2003 10:00:00")
        );
    }

    #[test]
    fn damaged_files_give_errors_not_panics() {
        assert_damage_is_handled(write);
    }

    fn document(diagnosis: &str, waveforms: &str) -> Vec<u8> {
        format!(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE RestingECG SYSTEM \"restecg.dtd\">\n<RestingECG>\
             <PatientDemographics><PatientAge>6</PatientAge><AgeUnits>MONTHS</AgeUnits><Gender>MALE</Gender></PatientDemographics>\
             {diagnosis}{waveforms}</RestingECG>"
        )
        .into_bytes()
    }

    fn lead(id: &str, extra: &str, data: &str) -> String {
        format!(
            "<LeadData><LeadID>{id}</LeadID>{extra}<WaveFormData>{data}</WaveFormData></LeadData>"
        )
    }

    fn rhythm(extra: &str, leads: &str) -> String {
        format!("<Waveform><WaveformType>Rhythm</WaveformType>{extra}{leads}</Waveform>")
    }

    #[test]
    fn a_hand_written_ge_export() {
        // Two waveforms, median first; statements that run on until ENDSLINE; a Latin-1 é;
        // millivolt units; a CRC that does not match.
        let median = format!("<Waveform><WaveformType>Median</WaveformType><SampleBase>500</SampleBase>{}</Waveform>", lead("I", "", "AQA="));
        let data = xml::encode_base64_i16(&[100, -200], Some(3));
        let leads = format!(
            "{}{}",
            lead("I", "<LeadAmplitudeUnitsPerBit>0.01</LeadAmplitudeUnitsPerBit><LeadAmplitudeUnits>MILLIVOLTS</LeadAmplitudeUnits>", &data),
            lead("V1", "<LeadAmplitudeUnitsPerBit>5</LeadAmplitudeUnitsPerBit><LeadDataCRC32>1</LeadDataCRC32>", &data),
        );
        let diagnosis = "<Diagnosis><DiagnosisStatement><StmtText>Sinus rhythm</StmtText></DiagnosisStatement>\
            <DiagnosisStatement><StmtFlag>ENDSLINE</StmtFlag><StmtText>with 1st degree</StmtText><StmtText>AV block</StmtText></DiagnosisStatement>\
            <DiagnosisStatement><StmtFlag>ENDSLINE</StmtFlag><StmtText>Abnormal ECG \u{e9}</StmtText></DiagnosisStatement></Diagnosis>\
            <OriginalDiagnosis><DiagnosisStatement><StmtText>ignored</StmtText></DiagnosisStatement></OriginalDiagnosis>";
        let rhythm = rhythm(
            "<SampleBase>25</SampleBase><SampleExponent>1</SampleExponent>",
            &leads,
        );
        let mut bytes = document(diagnosis, &format!("{median}{rhythm}"));
        // As ISO-8859-1: é is the single byte 0xE9.
        let at = bytes
            .windows(2)
            .position(|w| w == "\u{e9}".as_bytes())
            .unwrap();
        bytes.splice(at..at + 2, [0xE9]);
        // Only I of the limb leads, so nothing is derived.
        let r = read_back("ge.xml", bytes).unwrap();
        assert_eq!(r.sampling_rate, 250.0);
        assert_eq!(r.channels.len(), 2);
        assert_eq!(r.channels[0].samples, vec![1.0, -2.0]);
        assert_eq!(r.channels[1].samples, vec![0.5, -1.0]);
        assert_eq!(r.channels[1].lead, Some(Lead::V1));
        assert_eq!(r.metadata.sex, Some(Sex::Male));
        assert_eq!(r.metadata.age, Some(0.5));
        assert_eq!(
            r.metadata.statements,
            vec![
                "Sinus rhythm with 1st degree AV block",
                "Abnormal ECG \u{e9}"
            ]
        );
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("LeadDataCRC32"), "{:?}", r.warnings);
    }

    #[test]
    fn common_mistakes_are_named() {
        let median =
            "<Waveform><WaveformType>Median</WaveformType><SampleBase>500</SampleBase></Waveform>";
        let e = read_error(document("", median));
        assert!(e.contains("only median beats"), "{e}");
        let e = read_error(document("", ""));
        assert!(e.contains("no Waveform"), "{e}");
        let e = read_error(document("", &rhythm("", &lead("I", "", "AQA="))));
        assert!(
            e.contains("SampleBase (the sampling rate) is missing"),
            "{e}"
        );
        let at_500 = |leads: &str| document("", &rhythm("<SampleBase>500</SampleBase>", leads));
        let e = read_error(at_500(&lead("I", "", "AQ*=")));
        assert!(e.contains("lead I") && e.contains("base64"), "{e}");
        let e = read_error(at_500(&lead(
            "I",
            "<LeadAmplitudeUnits>FURLONGS</LeadAmplitudeUnits>",
            "AQA=",
        )));
        assert!(e.contains("'FURLONGS' is not MICROVOLTS"), "{e}");
        let e = read_error(at_500(&lead(
            "I",
            "<LeadSampleSize>4</LeadSampleSize>",
            "AQAAAA==",
        )));
        assert!(
            e.contains("samples of 4 bytes (LeadSampleSize; GE writes 2) is not supported"),
            "{e}"
        );
        let e = read_error(at_500(""));
        assert!(e.contains("no signal samples"), "{e}");
        let r = read_back(
            "m.xml",
            at_500(&lead(
                "I",
                "<LeadSampleCountTotal>5</LeadSampleCountTotal>",
                "AQA=",
            )),
        )
        .unwrap();
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("LeadSampleCountTotal is 5")),
            "{:?}",
            r.warnings
        );
        assert!(
            r.warnings.iter().any(|w| w.contains("4.88")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn other_xml_is_not_an_ecg() {
        let big = format!(
            "<?xml version=\"1.0\"?><catalogue>{}</catalogue>",
            "<book/>".repeat(100_000)
        );
        let out = read_records(&[InputFile::new("books.xml", big.into_bytes())]);
        assert!(matches!(out[0].result, Err(Error::UnknownFormat { .. })));
    }

    #[test]
    fn the_writer_needs_a_stored_lead() {
        let mut record = shortened(&ptbxl_record(), 5);
        record.channels.retain(|c| c.lead == Some(Lead::AVR));
        assert!(write(&record)
            .unwrap_err()
            .to_string()
            .contains("I, II and V1"));
        assert_eq!(sample_base(500.0), ("500".to_string(), 0));
        assert_eq!(sample_base(257.2), ("2572".to_string(), -1));
    }

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(*b"123456789"), 0xCBF4_3926);
    }
}
