//! HL7 aECG: the `AnnotatedECG` document of HL7 v3 (namespace `urn:hl7-org:v3`), the
//! format the FDA takes ECGs from clinical trials in.
//!
//! A `component/series` holds the rhythm waveforms (`derivation/derivedSeries` holds
//! median beats, which we leave). In its `sequenceSet`, one sequence gives the sampling
//! interval (`TIME_ABSOLUTE` or `TIME_RELATIVE`, a list with a head and an increment) and
//! each other sequence is a lead: a scaled list (`SLIST_PQ`) whose physical values are
//! origin + scale × digit.

use roxmltree::Node;

use super::xml::{self, Source, Timestamp, XmlReader, XmlWriter};
use super::{millivolt_channel, millivolts_per, RecordParts};
use crate::Result;
use crate::{Channel, Metadata, Record, Sex};

pub const FORMAT: &str = "HL7 aECG";

const ACT_CODE: &str = "2.16.840.1.113883.5.4";
const MDC: &str = "2.16.840.1.113883.6.24";

/// Reads documents whose root element is `AnnotatedECG`.
pub const READER: XmlReader = XmlReader {
    format: FORMAT,
    root: "AnnotatedECG",
    read,
};

/// A sequence's `code/@code`.
fn code<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    xml::find(node, &["code"]).and_then(|c| xml::attribute(c, "code"))
}

/// The `sequence` elements of a `sequenceSet`.
fn sequences<'a, 'i>(set: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    xml::children(set, "component").filter_map(|c| xml::find(c, &["sequence"]))
}

fn is_time(sequence: Node) -> bool {
    code(sequence).is_some_and(|c| c == "TIME_ABSOLUTE" || c == "TIME_RELATIVE")
}

fn read(src: &Source, root: Node) -> Result<RecordParts> {
    let series: Vec<Node> = xml::children(root, "component")
        .filter_map(|c| xml::find(c, &["series"]))
        .collect();
    if series.is_empty() {
        return Err(src.invalid("it has no component/series, so no rhythm waveforms"));
    }
    // Some carts write one set per segment of a long recording, or an empty set first:
    // the first set with leads is the rhythm strip.
    let (series, set) = series
        .iter()
        .flat_map(|s| {
            xml::children(*s, "component")
                .filter_map(|c| xml::find(c, &["sequenceSet"]))
                .map(|set| (*s, set))
        })
        .find(|(_, set)| sequences(*set).any(|q| !is_time(q)))
        .ok_or_else(|| {
            src.invalid("its series hold no lead sequences (sequenceSet/component/sequence)")
        })?;

    let time = sequences(set).find(|q| is_time(*q)).ok_or_else(|| {
        src.invalid("no TIME_ABSOLUTE or TIME_RELATIVE sequence gives the sampling interval")
    })?;
    let sampling_rate = sampling_rate(src, time)?;
    let mut channels = Vec::new();
    for sequence in sequences(set).filter(|q| !is_time(*q)) {
        channels.push(read_lead(src, sequence)?);
    }

    Ok(RecordParts {
        sampling_rate,
        channels,
        metadata: metadata(root, series),
        ..RecordParts::default()
    })
}

fn sampling_rate(src: &Source, time: Node) -> Result<f64> {
    let increment = src.element(time, &["value", "increment"])?;
    let value = src.number(xml::attribute(increment, "value"), "the time increment")?;
    let unit = xml::attribute(increment, "unit").unwrap_or("s");
    let seconds = match unit {
        "s" => value,
        "ms" => value * 1e-3,
        "us" | "\u{b5}s" => value * 1e-6,
        _ => {
            return Err(src.invalid(format!(
                "the time increment's unit '{unit}' is not s, ms or us"
            )))
        }
    };
    if seconds <= 0.0 {
        return Err(src.invalid(format!("the time increment {value} {unit} is not positive")));
    }
    // An increment is written in decimal (0.002 s), so its reciprocal misses a whole rate by a
    // rounding error; carts sample at whole rates.
    let rate = 1.0 / seconds;
    Ok(if (rate - rate.round()).abs() < 1e-6 * rate {
        rate.round()
    } else {
        rate
    })
}

/// A physical quantity `<name value=".." unit=".."/>` in millivolts.
fn quantity_mv(src: &Source, value: Node, name: &'static str, what: &str) -> Result<Option<f64>> {
    let Some(node) = xml::find(value, &[name]) else {
        return Ok(None);
    };
    let number = src.number(
        xml::attribute(node, "value"),
        &format!("{what}: the {name}"),
    )?;
    let unit = xml::attribute(node, "unit").unwrap_or("");
    let per = millivolts_per(unit).ok_or_else(|| {
        src.invalid(format!(
            "{what}: the {name}'s unit '{unit}' is not uV, mV or V"
        ))
    })?;
    Ok(Some(number * per))
}

fn read_lead(src: &Source, sequence: Node) -> Result<Channel> {
    let name = code(sequence).unwrap_or("unnamed sequence");
    let what = format!("sequence {name}");
    let value = src.element(sequence, &["value"])?;
    let origin = quantity_mv(src, value, "origin", &what)?.unwrap_or(0.0);
    let scale = quantity_mv(src, value, "scale", &what)?
        .ok_or_else(|| src.invalid(format!("{what} has no scale, so its units are unknown")))?;
    let digits = xml::find(value, &["digits"])
        .ok_or_else(|| src.invalid(format!("{what} has no digits (its samples)")))?;
    let samples = src.numbers(digits.text().unwrap_or(""), &what, 1)?;
    Ok(millivolt_channel(
        name,
        samples
            .iter()
            .map(|&d| (origin + scale * d) as f32)
            .collect(),
    ))
}

fn metadata(root: Node, series: Node) -> Metadata {
    let person = root
        .descendants()
        .find(|n| xml::is(*n, "subjectDemographicPerson"));
    let sex = person
        .and_then(|p| xml::find(p, &["administrativeGenderCode"]))
        .and_then(|g| xml::attribute(g, "code"))
        .and_then(xml::sex);
    let date = start_time(series).or_else(|| start_time(root));
    let birth = person
        .and_then(|p| xml::find(p, &["birthTime"]))
        .and_then(|b| xml::attribute(b, "value"))
        .and_then(Timestamp::parse);
    let age = match (birth, date.and_then(Timestamp::parse)) {
        (Some(birth), Some(at)) => birth.years_until(&at),
        _ => reported_age(root),
    };
    let mut statements: Vec<String> = Vec::new();
    // Seen statements in a set: a file repeating one statement many times stays linear.
    let mut seen = std::collections::HashSet::new();
    for annotation in root.descendants().filter(|n| xml::is(*n, "annotation")) {
        if !matches!(
            code(annotation),
            Some("MDC_ECG_INTERPRETATION_STATEMENT" | "MDC_ECG_INTERPRETATION_SUMMARY")
        ) {
            continue;
        }
        let text = xml::find_text(annotation, &["value"])
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
        if let Some(text) = text.filter(|t| seen.insert(t.clone())) {
            statements.push(text);
        }
    }
    Metadata {
        age,
        sex,
        date: date.map(str::to_string),
        statements,
        ..Metadata::default()
    }
}

/// `effectiveTime/low/@value`: when the recording (or the series) began.
fn start_time<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    xml::find(node, &["effectiveTime", "low"]).and_then(|low| xml::attribute(low, "value"))
}

/// LOINC 21612-7 "Reported Age", the way to give an age without a birth date.
fn reported_age(root: Node) -> Option<f32> {
    let observation = root
        .descendants()
        .filter(|n| xml::is(*n, "relatedObservation"))
        .find(|n| code(*n) == Some("21612-7"))?;
    let value = xml::find(observation, &["value"])?;
    let years = xml::attribute(value, "value")?.parse().ok()?;
    xml::age_in_years(years, xml::attribute(value, "unit").unwrap_or("a"))
}

/// The amplitude step the writer uses: 5 µV when every sample already lies on that grid
/// (as a 5 µV cart's do), else 1 µV, so that nothing is lost either way.
fn scale_microvolts(record: &Record) -> f64 {
    let on_grid = |v: &f32| (f64::from(*v) * 200.0 - (f64::from(*v) * 200.0).round()).abs() < 1e-3;
    if record.channels.iter().flat_map(|c| &c.samples).all(on_grid) {
        5.0
    } else {
        1.0
    }
}

/// An `AnnotatedECG` document with one rhythm series of the record's standard leads.
pub fn write(record: &Record) -> Result<Vec<u8>> {
    let leads = record.standard_channels()?;
    let id = xml::document_id(record);
    let meta = &record.metadata;
    let start = meta.date.as_deref().and_then(Timestamp::parse);
    let samples = record.num_samples();

    let mut w = XmlWriter::new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open(
        "AnnotatedECG",
        &[
            ("xmlns", "urn:hl7-org:v3"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("classCode", "OBS"),
            ("moodCode", "EVN"),
        ],
    );
    w.leaf("id", &[("root", &id)], "");
    w.leaf(
        "code",
        &[
            ("code", "93000"),
            ("codeSystem", "2.16.840.1.113883.6.12"),
            ("codeSystemName", "CPT-4"),
        ],
        "",
    );
    effective_time(&mut w, start, samples, record.sampling_rate);
    subject(&mut w, &id, meta);
    if let Some(age) = meta.age {
        w.open("controlVariable", &[("typeCode", "CTRLV")]).open(
            "relatedObservation",
            &[("classCode", "OBS"), ("moodCode", "EVN")],
        );
        w.leaf(
            "code",
            &[
                ("code", "21612-7"),
                ("codeSystem", "2.16.840.1.113883.6.1"),
                ("codeSystemName", "LOINC"),
                ("displayName", "Reported Age"),
            ],
            "",
        );
        w.leaf(
            "value",
            &[
                ("xsi:type", "PQ"),
                ("value", &age.to_string()),
                ("unit", "a"),
            ],
            "",
        );
        w.close().close();
    }

    w.open("component", &[("typeCode", "COMP")])
        .open("series", &[("classCode", "OBSSER"), ("moodCode", "EVN")]);
    w.leaf("id", &[("root", &id), ("extension", "rhythm")], "");
    w.leaf(
        "code",
        &[
            ("code", "RHYTHM"),
            ("codeSystem", ACT_CODE),
            ("codeSystemName", "ActCode"),
        ],
        "",
    );
    effective_time(&mut w, start, samples, record.sampling_rate);
    w.open("component", &[("typeCode", "COMP")]).open(
        "sequenceSet",
        &[("classCode", "OBSCOR"), ("moodCode", "EVN")],
    );
    let increment = (1.0 / record.sampling_rate).to_string();
    w.open("component", &[("typeCode", "COMP")])
        .open("sequence", &[("classCode", "OBS"), ("moodCode", "EVN")]);
    // Without a recording time, sample times can only be given from the start.
    match start {
        Some(start) => {
            w.leaf(
                "code",
                &[("code", "TIME_ABSOLUTE"), ("codeSystem", ACT_CODE)],
                "",
            );
            w.open("value", &[("xsi:type", "GLIST_TS")]).leaf(
                "head",
                &[("value", &start.hl7())],
                "",
            );
        }
        None => {
            w.leaf(
                "code",
                &[("code", "TIME_RELATIVE"), ("codeSystem", ACT_CODE)],
                "",
            );
            w.open("value", &[("xsi:type", "GLIST_PQ")]).leaf(
                "head",
                &[("value", "0"), ("unit", "s")],
                "",
            );
        }
    }
    w.leaf("increment", &[("value", &increment), ("unit", "s")], "");
    w.close().close().close();

    let scale = scale_microvolts(record);
    for channel in leads {
        let label = channel
            .lead
            .map(|l| l.label().to_ascii_uppercase())
            .unwrap_or_default();
        let digits: Vec<String> = channel
            .samples
            .iter()
            .map(|&v| (f64::from(v) * 1000.0 / scale).round().to_string())
            .collect();
        w.open("component", &[("typeCode", "COMP")])
            .open("sequence", &[("classCode", "OBS"), ("moodCode", "EVN")]);
        w.leaf(
            "code",
            &[
                ("code", &format!("MDC_ECG_LEAD_{label}")),
                ("codeSystem", MDC),
                ("codeSystemName", "MDC"),
            ],
            "",
        );
        w.open("value", &[("xsi:type", "SLIST_PQ")])
            .leaf("origin", &[("value", "0"), ("unit", "uV")], "")
            .leaf(
                "scale",
                &[("value", &scale.to_string()), ("unit", "uV")],
                "",
            )
            .leaf("digits", &[], &digits.join(" "));
        w.close().close().close();
    }
    w.close().close();

    if !meta.statements.is_empty() {
        w.open("subjectOf", &[("typeCode", "SUBJ")]).open(
            "annotationSet",
            &[("classCode", "CATEGORY"), ("moodCode", "EVN")],
        );
        w.open("component", &[("typeCode", "COMP")])
            .open("annotation", &[("classCode", "OBS"), ("moodCode", "EVN")]);
        w.leaf(
            "code",
            &[
                ("code", "MDC_ECG_INTERPRETATION"),
                ("codeSystem", MDC),
                ("codeSystemName", "MDC"),
            ],
            "",
        );
        for statement in &meta.statements {
            w.open("component", &[("typeCode", "COMP")])
                .open("annotation", &[("classCode", "OBS"), ("moodCode", "EVN")]);
            w.leaf(
                "code",
                &[
                    ("code", "MDC_ECG_INTERPRETATION_STATEMENT"),
                    ("codeSystem", MDC),
                    ("codeSystemName", "MDC"),
                ],
                "",
            );
            w.leaf("value", &[("xsi:type", "ST")], statement);
            w.close().close();
        }
    }
    Ok(w.finish())
}

/// `effectiveTime` from the start to the end of the recording, or unknown.
fn effective_time(w: &mut XmlWriter, start: Option<Timestamp>, samples: usize, rate: f64) {
    w.open("effectiveTime", &[]);
    match start {
        Some(start) => {
            let duration = (samples as f64 / rate).round() as i64;
            let end = Timestamp::from_seconds(start.seconds().saturating_add(duration));
            w.leaf("low", &[("value", &start.hl7()), ("inclusive", "true")], "");
            w.leaf("high", &[("value", &end.hl7()), ("inclusive", "false")], "");
        }
        None => {
            w.leaf("low", &[("nullFlavor", "UNK")], "");
        }
    }
    w.close();
}

/// The trial subject chain every aECG carries; for us a subject of unknown identity
/// with the sex the record gives.
fn subject(w: &mut XmlWriter, id: &str, meta: &Metadata) {
    w.open("componentOf", &[("typeCode", "COMP")]).open(
        "timepointEvent",
        &[("classCode", "CTTEVENT"), ("moodCode", "EVN")],
    );
    w.leaf("code", &[("nullFlavor", "UNK")], "");
    w.open("componentOf", &[("typeCode", "COMP")]).open(
        "subjectAssignment",
        &[("classCode", "CLNTRL"), ("moodCode", "EVN")],
    );
    w.open("subject", &[("typeCode", "SBJ")])
        .open("trialSubject", &[("classCode", "RESBJ")]);
    w.leaf("id", &[("root", id), ("extension", "subject")], "");
    w.open(
        "subjectDemographicPerson",
        &[("classCode", "PSN"), ("determinerCode", "INSTANCE")],
    );
    let gender = match meta.sex {
        Some(Sex::Male) => "M",
        Some(Sex::Female) => "F",
        None => "UN",
    };
    w.leaf(
        "administrativeGenderCode",
        &[("code", gender), ("codeSystem", "2.16.840.1.113883.5.1")],
        "",
    );
    w.close().close().close();
    w.open("componentOf", &[("typeCode", "COMP")]).open(
        "clinicalTrial",
        &[("classCode", "CLNTRL"), ("moodCode", "EVN")],
    );
    w.leaf("id", &[("root", id), ("extension", "trial")], "");
    w.close().close().close().close().close().close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::testing::*;
    use crate::Lead;
    use proptest::prelude::*;

    #[test]
    fn ptbxl_round_trip_through_detection() {
        // PTB-XL's 1 µV resolution is kept exactly.
        let (record, back) = ptbxl_round_trip(write, FORMAT);
        assert_leads_close(&record, &back, &Lead::STANDARD, 1e-6);
        assert!(back.channels.iter().all(|c| !c.derived));
    }

    #[test]
    fn the_fixture_is_what_the_writer_makes() {
        let back = fixture("00009_lr.aecg.xml", write);
        assert_eq!(back.metadata.date, None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn records_on_a_microvolt_grid_come_back_unchanged(
            record in records_on_grid(&Lead::STANDARD, &[100.0, 250.0, 500.0, 1000.0, 300.0], 0.001),
            five in any::<bool>(),
        ) {
            let mut record = record;
            if five {
                for sample in record.channels.iter_mut().flat_map(|c| c.samples.iter_mut()) {
                    *sample = (f64::from(*sample) * 5.0) as f32;
                }
            }
            let back = assert_round_trip(write, &record, 1e-5);
            prop_assert_eq!(recorded_leads(&back), recorded_leads(&record));
        }
    }

    #[test]
    fn metadata_and_absolute_time_come_back() {
        assert_eq!(
            metadata_round_trip(write).as_deref(),
            Some("20030201100000")
        );
        let text = String::from_utf8(write(&short_record()).unwrap()).unwrap();
        assert!(
            text.contains("TIME_ABSOLUTE") && text.contains("<high value=\"20030201100000\""),
            "{text}"
        );
        assert_eq!(scale_microvolts(&short_record()), 1.0);
    }

    #[test]
    fn damaged_files_give_errors_not_panics() {
        assert_damage_is_handled(write);
    }

    fn sequence(code: &str, value: &str) -> String {
        format!("<component><sequence><code code=\"{code}\"/>{value}</sequence></component>")
    }

    fn document(sets: &str) -> Vec<u8> {
        format!(
            "<AnnotatedECG xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
             <componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject>\
             <subjectDemographicPerson><administrativeGenderCode code=\"M\"/><birthTime value=\"19760101\"/></subjectDemographicPerson>\
             </trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>\
             <component><series><effectiveTime><low value=\"20081223194446.000\"/></effectiveTime>{sets}\
             <derivation><derivedSeries><component><sequenceSet>{}</sequenceSet></component></derivedSeries></derivation>\
             </series></component>\
             <component><annotationSet><component><annotation><code code=\"MDC_ECG_INTERPRETATION\"/>\
             <component><annotation><code code=\"MDC_ECG_INTERPRETATION_STATEMENT\"/><value xsi:type=\"ST\">Sinus\n rhythm</value></annotation></component>\
             </annotation></component></annotationSet></component></AnnotatedECG>",
            sequence("MDC_ECG_LEAD_I", "<value><scale value=\"1\" unit=\"V\"/><digits>9 9</digits></value>")
        )
        .into_bytes()
    }

    fn time(unit: &str, increment: &str) -> String {
        sequence(
            "TIME_RELATIVE",
            &format!("<value xsi:type=\"GLIST_PQ\"><head value=\"0\" unit=\"s\"/><increment value=\"{increment}\" unit=\"{unit}\"/></value>"),
        )
    }

    #[test]
    fn a_hand_written_aecg_without_namespace() {
        // An empty set first, then the rhythm set; a lead in mV with an origin; the derived
        // (median) series is not read.
        let leads = format!(
            "{}{}{}",
            time("ms", "4"),
            sequence("MDC_ECG_LEAD_II", "<value xsi:type=\"SLIST_PQ\"><origin value=\"100\" unit=\"uV\"/><scale value=\"0.5\" unit=\"mV\"/><digits>1 -2\n 3</digits></value>"),
            sequence("MDC_ECG_LEAD_V5", "<value xsi:type=\"SLIST_PQ\"><scale value=\"5\" unit=\"uV\"/><digits>200 0 -200</digits></value>"),
        );
        let r = read_back("a.xml", document(&format!("<component><sequenceSet/></component><component><sequenceSet>{leads}</sequenceSet></component>")))
            .unwrap();
        assert_eq!(r.sampling_rate, 250.0);
        assert_eq!(r.channels.len(), 2);
        assert_eq!(r.channels[0].lead, Some(Lead::II));
        assert_eq!(r.channels[0].samples, vec![0.6, -0.9, 1.6]);
        assert_eq!(r.channels[1].samples, vec![1.0, 0.0, -1.0]);
        assert_eq!(r.metadata.sex, Some(Sex::Male));
        assert!((r.metadata.age.unwrap() - 32.98).abs() < 0.01);
        assert_eq!(r.metadata.date.as_deref(), Some("20081223194446.000"));
        assert_eq!(r.metadata.statements, vec!["Sinus rhythm"]);
    }

    #[test]
    fn many_distinct_statements_are_kept_in_linear_time() {
        // 60,000 distinct interpretation statements: checking each against the list kept so far
        // was 1.8e9 comparisons.
        let statements: String = (0..60_000)
            .map(|i| format!("<component><annotation><code code=\"MDC_ECG_INTERPRETATION_STATEMENT\"/><value>statement {i}</value></annotation></component>"))
            .collect();
        let leads = format!(
            "{}{}",
            time("ms", "4"),
            sequence(
                "MDC_ECG_LEAD_II",
                "<value><scale value=\"1\" unit=\"uV\"/><digits>1 2 3</digits></value>"
            )
        );
        let xml = String::from_utf8(document(&format!(
            "<component><sequenceSet>{leads}</sequenceSet></component>"
        )))
        .unwrap()
        .replace(
            "</annotation></component></annotationSet>",
            &format!("{statements}</annotation></component></annotationSet>"),
        );
        let started = std::time::Instant::now();
        let r = read_back("a.xml", xml.into_bytes()).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(r.metadata.statements.len(), 60_001);
        assert!(seconds < 1.5, "{seconds:.2} s");
    }

    #[test]
    fn common_mistakes_are_named() {
        let read = |sets: &str| read_error(document(sets));
        let set =
            |inner: String| format!("<component><sequenceSet>{inner}</sequenceSet></component>");
        let with_time = |lead: &str| set(format!("{}{lead}", time("s", "0.002")));
        let lead = sequence(
            "MDC_ECG_LEAD_I",
            "<value><scale value=\"5\" unit=\"uV\"/><digits>1 2</digits></value>",
        );
        let e = read("");
        assert!(e.contains("no lead sequences"), "{e}");
        let e = read(&set(lead.clone()));
        assert!(e.contains("TIME_ABSOLUTE or TIME_RELATIVE"), "{e}");
        let e = read(&set(format!("{}{lead}", time("min", "1"))));
        assert!(e.contains("unit 'min'"), "{e}");
        let e = read(&set(format!("{}{lead}", time("s", "0"))));
        assert!(e.contains("not positive"), "{e}");
        let e = read(&with_time(&sequence(
            "MDC_ECG_LEAD_I",
            "<value><digits>1 2</digits></value>",
        )));
        assert!(e.contains("MDC_ECG_LEAD_I has no scale"), "{e}");
        let e = read(&with_time(&sequence(
            "MDC_ECG_LEAD_I",
            "<value><scale value=\"5\" unit=\"mmHg\"/><digits>1</digits></value>",
        )));
        assert!(e.contains("'mmHg' is not uV"), "{e}");
        let e = read(&with_time(&sequence(
            "MDC_ECG_LEAD_I",
            "<value><scale value=\"5\" unit=\"uV\"/><digits>1 x</digits></value>",
        )));
        assert!(e.contains("'x' is not a number"), "{e}");
        let e = read_error(b"<AnnotatedECG/>".to_vec());
        assert!(e.contains("no component/series"), "{e}");
    }
}
