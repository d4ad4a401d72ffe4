//! Philips SierraECG XML: a `restingecgdata` document (namespace
//! `http://www3.medical.philips.com`) as PageWriter carts and TraceMaster export it.
//!
//! `waveforms/parsedwaveforms` holds every lead, one after the other, as base64 of
//! little-endian 16-bit samples (or as plain numbers); `dataacquisition/signalcharacteristics`
//! gives the rate and the amplitude step. Philips' own export compresses the samples with
//! XLI, which is not read here.

use roxmltree::Node;

use super::xml::{self, Source, Timestamp, XmlReader, XmlWriter};
use super::{millivolt_channel, RecordParts};
use crate::Result;
use crate::{Channel, Metadata, Record, Sex};

pub const FORMAT: &str = "Philips SierraECG XML";

/// Philips carts' amplitude step.
const MICROVOLTS_PER_LSB: f64 = 5.0;

/// The order of a 12-lead acquisition, for a file that does not list its leads.
const TWELVE_LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// Reads documents whose root element is `restingecgdata`.
pub const READER: XmlReader = XmlReader {
    format: FORMAT,
    root: "restingecgdata",
    read,
};

/// The compression a `parsedwaveforms` names: schema 1.04's `compression`, or 1.03's
/// `compressflag` with `compressmethod`.
fn compression<'a>(waveforms: Node<'a, '_>) -> Option<&'a str> {
    match xml::attribute(waveforms, "compression") {
        Some(method) => (!method.eq_ignore_ascii_case("none")).then_some(method),
        None => xml::attribute(waveforms, "compressflag")
            .filter(|flag| flag.eq_ignore_ascii_case("true"))
            .map(|_| xml::attribute(waveforms, "compressmethod").unwrap_or("an unnamed method")),
    }
}

fn read(src: &Source, root: Node) -> Result<RecordParts> {
    let mut warnings = Vec::new();

    let waveforms = src.element(root, &["waveforms", "parsedwaveforms"])?;
    match compression(waveforms) {
        Some(method) if method.eq_ignore_ascii_case("XLI") => {
            return Err(src.not_supported(
                "XLI-compressed waveforms (Philips' default export; re-export uncompressed, or as PDF or DICOM)",
            ))
        }
        Some(method) => return Err(src.not_supported(format!("waveforms compressed with {method}"))),
        None => {}
    }
    let signal = src.element(root, &["dataacquisition", "signalcharacteristics"])?;
    // The waveform element's own settings describe its samples when a later system has
    // resampled or rescaled them; otherwise the acquisition's do.
    let setting = |attribute: &str, elements: &[&'static str]| {
        xml::attribute(waveforms, attribute)
            .or_else(|| elements.iter().find_map(|e| xml::find_text(signal, &[e])))
    };
    let sampling_rate = src.number(
        setting("samplespersecond", &["samplingrate", "samplerate"]),
        "the sampling rate (samplingrate)",
    )?;
    let resolution = src.number(
        setting("resolution", &["resolution"]),
        "the resolution (µV per step)",
    )?;
    let offset = match setting("signaloffset", &["signaloffset"]) {
        Some(text) => src.number(Some(text), "signaloffset")?,
        None => 0.0,
    };
    if let Some(bits) = setting("bitspersample", &["bitspersample"]) {
        if bits != "16" {
            return Err(src.not_supported(format!("samples of {bits} bits (bitspersample)")));
        }
    }

    let labels: Vec<&str> = match xml::attribute(waveforms, "leadlabels") {
        Some(labels) => labels.split_whitespace().collect(),
        None => TWELVE_LEADS.to_vec(),
    };
    if let Some(declared) = xml::attribute(waveforms, "numberofleads") {
        if declared.parse::<usize>().ok() != Some(labels.len()) {
            return Err(src.invalid(format!(
                "numberofleads is {declared} but {} leads are listed ({})",
                labels.len(),
                labels.join(" ")
            )));
        }
    }

    let data = waveforms.text().unwrap_or("");
    let encoding = xml::attribute(waveforms, "dataencoding").unwrap_or("Base64");
    let digital: Vec<f64> = if encoding.eq_ignore_ascii_case("Base64") {
        src.base64_i16(data, "parsedwaveforms", labels.len())?
            .into_iter()
            .map(f64::from)
            .collect()
    } else if encoding.eq_ignore_ascii_case("Plain") {
        src.numbers(data, "parsedwaveforms", labels.len())?
    } else {
        return Err(src.not_supported(format!(
            "the data encoding '{encoding}' (Base64 and Plain are read)"
        )));
    };
    if !digital.len().is_multiple_of(labels.len()) {
        return Err(src.invalid(format!(
            "its {} samples do not divide evenly among the {} leads ({})",
            digital.len(),
            labels.len(),
            labels.join(" ")
        )));
    }
    let per_lead = digital.len() / labels.len();
    if let Some(duration) =
        xml::attribute(waveforms, "durationperchannel").and_then(|d| d.parse::<f64>().ok())
    {
        let declared = duration * sampling_rate / 1000.0;
        if (declared - per_lead as f64).abs() > 1.0 {
            warnings.push(format!(
                "{}: durationperchannel {duration} ms at {sampling_rate} Hz is {declared} samples a lead, but the data \
                 holds {per_lead}; the data is read",
                src.file
            ));
        }
    }
    let millivolts_per_step = resolution * 0.001;
    let channels: Vec<Channel> = labels
        .iter()
        .zip(digital.chunks(per_lead.max(1)))
        .map(|(label, lead)| {
            millivolt_channel(
                label,
                lead.iter()
                    .map(|&d| ((d - offset) * millivolts_per_step) as f32)
                    .collect(),
            )
        })
        .collect();

    Ok(RecordParts {
        sampling_rate,
        channels,
        metadata: metadata(root),
        warnings,
        ..RecordParts::default()
    })
}

fn metadata(root: Node) -> Metadata {
    let patient = xml::find(root, &["patient", "generalpatientdata"]);
    let acquisition = xml::find(root, &["dataacquisition"]);
    let when: Vec<&str> = ["date", "time"]
        .iter()
        .filter_map(|name| acquisition.and_then(|a| xml::attribute(a, name)))
        .collect();
    let date = (!when.is_empty()).then(|| when.join(" "));
    // The schema allows one form of age: a date of birth, or a count in one unit.
    let age = patient
        .and_then(|p| xml::find(p, &["age"]))
        .and_then(|age| {
            let birth = xml::find_text(age, &["dateofbirth"]).and_then(Timestamp::parse);
            let at = date.as_deref().and_then(Timestamp::parse);
            if let (Some(birth), Some(at)) = (birth, at) {
                return birth.years_until(&at);
            }
            age.children()
                .filter(|c| c.is_element())
                .find_map(|c| xml::age_in_years(xml::text(c)?.parse().ok()?, c.tag_name().name()))
        });
    let sex = patient
        .and_then(|p| xml::find_text(p, &["sex"]))
        .and_then(xml::sex);
    // The first interpretation is the latest: an overread comes before the cart's own.
    let statements = xml::find(root, &["interpretations", "interpretation"])
        .map(|interpretation| {
            xml::children(interpretation, "statement")
                .filter_map(|statement| {
                    let parts: Vec<&str> = ["leftstatement", "rightstatement"]
                        .iter()
                        .filter_map(|side| xml::find_text(statement, &[side]))
                        .collect();
                    (!parts.is_empty()).then(|| parts.join("; "))
                })
                .collect()
        })
        .unwrap_or_default();
    Metadata {
        age,
        sex,
        date,
        statements,
        ..Metadata::default()
    }
}

/// An uncompressed `restingecgdata` document (schema 1.04.01) of the record's standard
/// leads in its order, at Philips' 5 µV step.
pub fn write(record: &Record) -> Result<Vec<u8>> {
    let leads = record.standard_channels()?;
    let samples = record.num_samples();
    let labels: Vec<&str> = leads
        .iter()
        .filter_map(|c| c.lead.map(|l| l.label()))
        .collect();
    let digital: Vec<i16> = leads
        .iter()
        .flat_map(|c| {
            c.samples
                .iter()
                .map(|&v| xml::quantise(v, MICROVOLTS_PER_LSB * 0.001))
        })
        .collect();
    let rate = record.sampling_rate.to_string();
    let resolution = MICROVOLTS_PER_LSB.to_string();
    let count = leads.len().to_string();
    let meta = &record.metadata;

    let mut w = XmlWriter::new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open(
        "restingecgdata",
        &[
            ("xmlns", "http://www3.medical.philips.com"),
            ("status", "Unconfirmed"),
            ("lang", "en"),
        ],
    );
    w.open("documentinfo", &[])
        .leaf(
            "documentname",
            &[],
            &format!("{}.xml", xml::document_id(record)),
        )
        .leaf("documenttype", &[], "PhilipsECG")
        .leaf("documentversion", &[], "1.04.01")
        .close();
    let when = meta.date.as_deref().and_then(Timestamp::parse);
    let date = when.map(|t| t.iso_date());
    let clock = when.and_then(|t| t.clock());
    let mut stamp: Vec<(&str, &str)> = Vec::new();
    if let Some(date) = &date {
        stamp.push(("date", date));
    }
    if let Some(clock) = &clock {
        stamp.push(("time", clock));
    }
    w.open("dataacquisition", &stamp)
        .open("signalcharacteristics", &[]);
    w.leaf("samplingrate", &[], &rate)
        .leaf("resolution", &[], &resolution)
        .leaf("acquisitiontype", &[], "STD-12")
        .leaf("bitspersample", &[], "16")
        .leaf("signaloffset", &[], "0")
        .leaf("signalsigned", &[], "True")
        .leaf("numberchannelsvalid", &[], &count)
        .leaf("numberchannelsallocated", &[], &count);
    w.close().close();
    w.open("patient", &[]).open("generalpatientdata", &[]);
    if let Some(age) = meta.age {
        w.open("age", &[])
            .leaf("years", &[], &age.to_string())
            .close();
    }
    let sex = match meta.sex {
        Some(Sex::Male) => "Male",
        Some(Sex::Female) => "Female",
        None => "Unspecified",
    };
    w.leaf("sex", &[], sex).close().close();
    if !meta.statements.is_empty() {
        w.open("interpretations", &[]).open("interpretation", &[]);
        for statement in &meta.statements {
            w.open("statement", &[])
                .leaf("leftstatement", &[], statement)
                .leaf("rightstatement", &[], "")
                .close();
        }
        w.close().close();
    }
    let duration = (samples as f64 * 1000.0 / record.sampling_rate)
        .round()
        .to_string();
    w.open("waveforms", &[]).leaf(
        "parsedwaveforms",
        &[
            ("dataencoding", "Base64"),
            ("compression", "None"),
            ("durationperchannel", &duration),
            ("numberofleads", &count),
            ("leadlabels", &labels.join(" ")),
            ("samplespersecond", &rate),
            ("resolution", &resolution),
            ("signaloffset", "0"),
            ("bitspersample", "16"),
        ],
        &xml::encode_base64_i16(&digital, None),
    );
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::testing::*;
    use crate::Error;
    use crate::Lead;
    use proptest::prelude::*;

    #[test]
    fn ptbxl_round_trip_through_detection() {
        let (record, back) = ptbxl_round_trip(write, FORMAT);
        let half_step = (MICROVOLTS_PER_LSB * 0.001 / 2.0) as f32 + 1e-6;
        assert_leads_close(&record, &back, &Lead::STANDARD, half_step);
        assert!(back.channels.iter().all(|c| !c.derived));
    }

    #[test]
    fn the_fixture_is_what_the_writer_makes() {
        fixture("00009_lr.philips.xml", write);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn records_on_the_philips_grid_come_back_unchanged(
            record in records_on_grid(&Lead::STANDARD, &[250.0, 500.0, 1000.0, 300.0], MICROVOLTS_PER_LSB * 0.001)
        ) {
            let back = assert_round_trip(write, &record, 1e-6);
            prop_assert_eq!(recorded_leads(&back), recorded_leads(&record));
        }
    }

    #[test]
    fn metadata_comes_back() {
        assert_eq!(
            metadata_round_trip(write).as_deref(),
            Some("2003-02-01 10:00:00")
        );
    }

    #[test]
    fn damaged_files_give_errors_not_panics() {
        assert_damage_is_handled(write);
    }

    /// The short record's document with its first `from` replaced by `to`.
    fn edited(from: &str, to: &str) -> Vec<u8> {
        let text = String::from_utf8(write(&short_record()).unwrap()).unwrap();
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1).into_bytes()
    }

    #[test]
    fn xli_compression_is_named_as_not_supported() {
        let e = read_back(
            "philips.xml",
            edited("compression=\"None\"", "compression=\"XLI\""),
        )
        .unwrap_err();
        assert!(matches!(e, Error::NotSupported { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("XLI-compressed waveforms (Philips' default export"),
            "{e}"
        );
        // Schema 1.03 says it with a flag and a method.
        let e = read_error(edited(
            "compression=\"None\"",
            "compressflag=\"True\" compressmethod=\"XLI\"",
        ));
        assert!(e.contains("XLI-compressed"), "{e}");
        let e = read_error(edited("compression=\"None\"", "compression=\"LZW\""));
        assert!(e.contains("compressed with LZW"), "{e}");
    }

    #[test]
    fn a_hand_written_export_with_plain_numbers_and_an_offset() {
        let doc = "<restingecgdata><dataacquisition date=\"2003-02-01\"><signalcharacteristics><samplingrate>500</samplingrate>\
            <resolution>2</resolution><signaloffset>10</signaloffset></signalcharacteristics></dataacquisition>\
            <patient><generalpatientdata><age><dateofbirth>1940-02-01</dateofbirth></age><sex>Male</sex></generalpatientdata></patient>\
            <interpretations><interpretation><statement><leftstatement>Left axis deviation</leftstatement>\
            <rightstatement>QRS axis &lt; -30</rightstatement></statement></interpretation>\
            <interpretation><statement><leftstatement>older</leftstatement></statement></interpretation></interpretations>\
            <waveforms><parsedwaveforms dataencoding=\"Plain\" leadlabels=\"II V2\" durationperchannel=\"10\">\
            10 510\n-490 10 20 30</parsedwaveforms></waveforms></restingecgdata>";
        let r = read_back("p.xml", doc.as_bytes().to_vec()).unwrap();
        assert_eq!(r.sampling_rate, 500.0);
        assert_eq!(r.channels.len(), 2);
        assert_eq!(r.channels[0].lead, Some(Lead::II));
        assert_eq!(r.channels[0].samples, vec![0.0, 1.0, -1.0]);
        assert_eq!(r.channels[1].samples, vec![0.0, 0.02, 0.04]);
        assert!(
            (r.metadata.age.unwrap() - 63.0).abs() < 0.01,
            "{:?}",
            r.metadata.age
        );
        assert_eq!(r.metadata.sex, Some(Sex::Male));
        assert_eq!(
            r.metadata.statements,
            vec!["Left axis deviation; QRS axis < -30"]
        );
        // 10 ms at 500 Hz is 5 samples, the data holds 3.
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(
            r.warnings[0].contains("durationperchannel"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn common_mistakes_are_named() {
        let e = read_error(edited("numberofleads=\"12\"", "numberofleads=\"8\""));
        assert!(e.contains("numberofleads is 8 but 12 leads"), "{e}");
        let e = read_error(edited("dataencoding=\"Base64\"", "dataencoding=\"Hex\""));
        assert!(e.contains("'Hex'"), "{e}");
        let e = read_error(edited("bitspersample=\"16\"", "bitspersample=\"12\""));
        assert!(e.contains("12 bits"), "{e}");
        let e = read_error(edited(" V6\"", "\""));
        assert!(e.contains("numberofleads is 12 but 11"), "{e}");
        let e = read_error(edited(
            "numberofleads=\"12\" leadlabels=\"I II III aVR aVL aVF V1 V2 V3 V4 V5 V6\"",
            "leadlabels=\"I II III aVR aVL aVF V1 V2 V3 V4 V5\"",
        ));
        assert!(e.contains("do not divide evenly among the 11 leads"), "{e}");
        let e = read_error(b"<restingecgdata><waveforms/></restingecgdata>".to_vec());
        assert!(e.contains("no waveforms/parsedwaveforms element"), "{e}");
        let e = read_error(
            b"<restingecgdata><waveforms><parsedwaveforms/></waveforms></restingecgdata>".to_vec(),
        );
        assert!(
            e.contains("no dataacquisition/signalcharacteristics"),
            "{e}"
        );
    }
}
