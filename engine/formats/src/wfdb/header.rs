//! The `.hea` header: a record line, one line per signal, and `#` comment lines.
//!
//! Field syntax and defaults follow the WFDB header(5) specification. Numbers are
//! only parsed and range-checked here; nothing is allocated from them.

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub record_name: String,
    /// Frames per second.
    pub frequency: f64,
    pub counter_frequency: Option<f64>,
    pub base_counter: Option<f64>,
    /// Frames per signal; `None` where the header leaves it out or gives 0, which WFDB
    /// reads as "unspecified".
    pub num_frames: Option<u64>,
    pub base_time: Option<String>,
    pub base_date: Option<String>,
    pub signals: Vec<SignalSpec>,
    /// Comment lines without their `#`.
    pub comments: Vec<String>,
    /// Oddities that do not stop the read.
    pub warnings: Vec<String>,
}

impl Header {
    /// A header with the WFDB defaults and nothing read yet.
    pub fn new(record_name: &str) -> Self {
        Self {
            record_name: record_name.to_string(),
            frequency: DEFAULT_FREQUENCY,
            counter_frequency: None,
            base_counter: None,
            num_frames: None,
            base_time: None,
            base_date: None,
            signals: vec![],
            comments: vec![],
            warnings: vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpec {
    /// 1-based line of the header this signal was read from.
    pub line: usize,
    pub file_name: String,
    /// The format code as written (digits only).
    pub format: String,
    pub samples_per_frame: u64,
    pub skew: u64,
    pub byte_offset: u64,
    /// Digital units per physical unit; 200 where the header gives none or 0.
    pub gain: f64,
    pub baseline: i64,
    pub units: String,
    pub adc_resolution: Option<u32>,
    pub adc_zero: i64,
    pub initial_value: i64,
    pub checksum: Option<i64>,
    pub block_size: u64,
    pub description: Option<String>,
}

const DEFAULT_FREQUENCY: f64 = 250.0;
const DEFAULT_GAIN: f64 = 200.0;
const DEFAULT_UNITS: &str = "mV";

/// Header bytes as text. Headers are ASCII by the specification, but some writers put
/// Latin-1 bytes in unit fields (`µV`); those are kept rather than refused.
pub fn text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The lines that carry fields, with their 1-based line numbers.
fn field_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Names of the signal files a header refers to, each once, without any directory part.
/// Lenient, because it only groups dropped files: `parse` reports what is wrong.
pub fn signal_file_names(bytes: &[u8]) -> Vec<String> {
    let text = text(bytes);
    let mut lines = field_lines(&text);
    match lines.next() {
        Some((_, record)) if !record.split_whitespace().next().unwrap_or("").contains('/') => {}
        _ => return vec![],
    }
    let mut names: Vec<String> = Vec::new();
    // A set, not a scan of the names so far: a header may list 50,000 files.
    let mut seen = std::collections::HashSet::new();
    for (_, line) in lines {
        let Some(name) = line.split_whitespace().next().map(base_name) else {
            continue;
        };
        if is_real_file(name) && seen.insert(name) {
            names.push(name.to_string());
        }
    }
    names
}

pub fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// `~` marks a signal with no file, `-` standard input; neither can be dropped.
fn is_real_file(name: &str) -> bool {
    !name.is_empty() && name != "~" && name != "-"
}

pub fn parse(file: &str, bytes: &[u8]) -> Result<Header> {
    let text = text(bytes);
    let err = |line: usize, message: String| Error::InvalidHeader {
        file: file.to_string(),
        line,
        message,
    };

    let comments = text
        .split('\n')
        .map(str::trim)
        .filter_map(|l| l.strip_prefix('#'))
        .map(|c| {
            c.trim_matches(|ch: char| ch == '#' || ch.is_whitespace())
                .to_string()
        })
        .filter(|c| !c.is_empty())
        .collect();

    let mut lines = field_lines(&text);
    let Some((record_line_no, record_line)) = lines.next() else {
        return Err(err(
            1,
            "the header is empty: expected a record line such as '100 2 360 650000'".into(),
        ));
    };
    let (mut header, declared) = parse_record_line(file, record_line_no, record_line)?;
    header.comments = comments;

    // `declared` comes from the file: it bounds the loop, never an allocation.
    for (line_no, line) in lines {
        if header.signals.len() == declared {
            header.warnings.push(format!(
                "{file}: line {line_no}: ignored: the record line announces {declared} signals, and all of them are already listed"
            ));
            break;
        }
        header
            .signals
            .push(parse_signal_line(line_no, line).map_err(|m| err(line_no, m))?);
    }
    if header.signals.len() < declared {
        return Err(err(
            record_line_no,
            format!(
                "the record line announces {declared} signals but only {} signal lines follow",
                header.signals.len()
            ),
        ));
    }
    Ok(header)
}

/// The header without its signals, and the number of signals the line announces.
fn parse_record_line(file: &str, line_no: usize, line: &str) -> Result<(Header, usize)> {
    let err = |message: String| Error::InvalidHeader {
        file: file.to_string(),
        line: line_no,
        message,
    };
    let mut fields = line.split_whitespace();
    let name_field = fields.next().unwrap_or("");
    let (record_name, segments) = match name_field.split_once('/') {
        Some((name, segments)) => (name, Some(segments)),
        None => (name_field, None),
    };
    if let Some(segments) = segments {
        return Err(Error::InvalidRecord {
            record: record_name.to_string(),
            message: format!(
                "multi-segment WFDB records are not supported (the record line gives '{segments}' segments). \
                 Accepted: single-segment records; drop the header of each segment with its .dat files instead"
            ),
        });
    }
    let Some(count) = fields.next() else {
        return Err(err(format!(
            "the record line '{line}' gives no number of signals: expected 'name signals [frequency [samples]]'"
        )));
    };
    let signals: usize = count.parse().map_err(|_| {
        err(format!(
            "the number of signals '{count}' is not a whole number"
        ))
    })?;
    if signals == 0 {
        return Err(Error::InvalidRecord {
            record: record_name.to_string(),
            message: "the header lists no signals, so there is nothing to read".into(),
        });
    }

    let mut header = Header::new(record_name);

    if let Some(freq) = fields.next() {
        let (freq, counter) = match freq.split_once('/') {
            Some((f, c)) => (f, Some(c)),
            None => (freq, None),
        };
        let (freq, base_in_freq) = split_parenthesised(freq).map_err(&err)?;
        header.frequency = positive(freq).ok_or_else(|| {
            err(format!(
                "the sampling frequency '{freq}' is not a positive number of samples per second"
            ))
        })?;
        let mut base = base_in_freq;
        if let Some(counter) = counter {
            let (counter, base_in_counter) = split_parenthesised(counter).map_err(&err)?;
            header.counter_frequency = Some(positive(counter).ok_or_else(|| {
                err(format!(
                    "the counter frequency '{counter}' is not a positive number"
                ))
            })?);
            base = base.or(base_in_counter);
        }
        if let Some(base) = base {
            header.base_counter = Some(
                base.parse::<f64>()
                    .ok()
                    .filter(|b| b.is_finite())
                    .ok_or_else(|| {
                        err(format!("the base counter value '{base}' is not a number"))
                    })?,
            );
        }
    }
    if let Some(samples) = fields.next() {
        let n: u64 = samples.parse().map_err(|_| {
            err(format!(
                "the number of samples '{samples}' is not a whole number"
            ))
        })?;
        header.num_frames = (n > 0).then_some(n);
    }
    for field in fields.by_ref().take(2) {
        // A date has slashes; the time, which comes first, has none.
        if field.contains('/') {
            if looks_like(field, '/') {
                header.base_date = Some(field.to_string());
            } else {
                header.warnings.push(format!(
                    "{file}: the base date '{field}' is not DD/MM/YYYY; ignored"
                ));
            }
        } else if header.base_date.is_none() && looks_like(field, ':') {
            header.base_time = Some(field.to_string());
        } else {
            header.warnings.push(format!(
                "{file}: the base time '{field}' is not HH:MM:SS; ignored"
            ));
        }
    }
    Ok((header, signals))
}

/// Digits and `sep` only, up to three parts (`HH:MM:SS.sss`, `DD/MM/YYYY`).
fn looks_like(field: &str, sep: char) -> bool {
    let parts: Vec<&str> = field.split(sep).collect();
    parts.len() <= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_digit() || (sep == ':' && c == '.'))
        })
}

/// `"360(0)"` into `("360", Some("0"))`.
fn split_parenthesised(field: &str) -> std::result::Result<(&str, Option<&str>), String> {
    match field.split_once('(') {
        None => Ok((field, None)),
        Some((value, rest)) => match rest.strip_suffix(')') {
            Some(inner) if !inner.contains(['(', ')']) => Ok((value, Some(inner))),
            _ => Err(format!(
                "'{field}' has an unclosed or misplaced parenthesis"
            )),
        },
    }
}

fn positive(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
}

/// Whitespace-separated fields: the first `n`, and the rest of the line after them.
fn split_fields(line: &str, n: usize) -> (Vec<&str>, &str) {
    let mut fields = Vec::with_capacity(n);
    let mut rest = line.trim_start();
    while fields.len() < n && !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        fields.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    (fields, rest.trim_end())
}

fn parse_signal_line(line_no: usize, line: &str) -> std::result::Result<SignalSpec, String> {
    let (fields, description) = split_fields(line, 8);
    let file_name = fields[0].to_string();
    if !is_real_file(base_name(&file_name)) {
        return Err(format!(
            "the signal file name '{file_name}' does not name a file; accepted: a .dat file dropped with the header"
        ));
    }
    let Some(&format_field) = fields.get(1) else {
        return Err(format!(
            "the signal line for '{file_name}' gives no storage format"
        ));
    };
    let (format, samples_per_frame, skew, byte_offset) = parse_format_field(format_field)?;

    let mut spec = SignalSpec {
        line: line_no,
        file_name,
        format,
        samples_per_frame,
        skew,
        byte_offset,
        gain: DEFAULT_GAIN,
        baseline: 0,
        units: DEFAULT_UNITS.to_string(),
        adc_resolution: None,
        adc_zero: 0,
        initial_value: 0,
        checksum: None,
        block_size: 0,
        description: (!description.is_empty()).then(|| description.to_string()),
    };

    let mut baseline = None;
    if let Some(&gain_field) = fields.get(2) {
        let (gain_and_baseline, units) = match gain_field.split_once('/') {
            Some((g, u)) => (g, Some(u)),
            None => (gain_field, None),
        };
        let (gain, base) = split_parenthesised(gain_and_baseline)?;
        let gain: f64 = gain
            .parse()
            .ok()
            .filter(|g: &f64| g.is_finite())
            .ok_or_else(|| format!("the ADC gain '{gain}' is not a number"))?;
        // WFDB writes 0 for an uncalibrated signal and reads it as the default gain.
        spec.gain = if gain == 0.0 { DEFAULT_GAIN } else { gain };
        if let Some(base) = base {
            baseline = Some(integer(base, "baseline")?);
        }
        if let Some(units) = units.filter(|u| !u.is_empty()) {
            spec.units = units.to_string();
        }
    }
    if let Some(&res) = fields.get(3) {
        let res: u32 = res
            .parse()
            .map_err(|_| format!("the ADC resolution '{res}' is not a whole number of bits"))?;
        spec.adc_resolution = (res > 0).then_some(res);
    }
    if let Some(&zero) = fields.get(4) {
        spec.adc_zero = integer(zero, "ADC zero")?;
    }
    spec.baseline = baseline.unwrap_or(spec.adc_zero);
    spec.initial_value = match fields.get(5) {
        Some(init) => integer(init, "initial value")?,
        None => spec.adc_zero,
    };
    if let Some(&sum) = fields.get(6) {
        spec.checksum = Some(integer(sum, "checksum")?);
    }
    if let Some(&block) = fields.get(7) {
        spec.block_size = block
            .parse()
            .map_err(|_| format!("the block size '{block}' is not a whole number of bytes"))?;
    }
    Ok(spec)
}

/// WFDB stores these as C `int`s; anything wider is not a WFDB header.
fn integer(s: &str, what: &str) -> std::result::Result<i64, String> {
    s.parse::<i32>().map(i64::from).map_err(|_| {
        format!(
            "the {what} '{s}' is not a whole number between {} and {}",
            i32::MIN,
            i32::MAX
        )
    })
}

/// `212x4:2+512` into the format code, samples per frame, skew and byte offset.
fn parse_format_field(field: &str) -> std::result::Result<(String, u64, u64, u64), String> {
    let digits = field
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(field.len());
    let format = &field[..digits];
    if format.is_empty() {
        return Err(format!(
            "the storage format '{field}' does not start with a format number"
        ));
    }
    let mut rest = &field[digits..];
    let (mut spf, mut skew, mut offset) = (None, None, None);
    while let Some(marker) = rest.chars().next() {
        rest = &rest[marker.len_utf8()..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(end);
        let slot = match marker {
            'x' => &mut spf,
            ':' => &mut skew,
            '+' => &mut offset,
            _ => {
                return Err(format!(
                    "the storage format '{field}' has an unexpected '{marker}'"
                ))
            }
        };
        if slot.is_some() || number.is_empty() {
            return Err(format!(
                "the storage format '{field}' is not 'format[xframes][:skew][+offset]'"
            ));
        }
        *slot = Some(
            number
                .parse::<u64>()
                .map_err(|_| format!("the number in '{field}' is too large"))?,
        );
        rest = after;
    }
    // WFDB reads 0 samples per frame as 1.
    Ok((
        format.to_string(),
        spf.unwrap_or(1).max(1),
        skew.unwrap_or(0),
        offset.unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> SignalSpec {
        parse_signal_line(2, line).unwrap()
    }

    #[test]
    fn record_line_fields() {
        let h = parse(
            "t.hea",
            b"test 1 62.4725/999.56(12) 14400 12:44:02 10/12/2009\nt.dat 16\n",
        )
        .unwrap();
        assert_eq!(h.record_name, "test");
        assert_eq!(h.frequency, 62.4725);
        assert_eq!(h.counter_frequency, Some(999.56));
        assert_eq!(h.base_counter, Some(12.0));
        assert_eq!(h.num_frames, Some(14400));
        assert_eq!(h.base_time.as_deref(), Some("12:44:02"));
        assert_eq!(h.base_date.as_deref(), Some("10/12/2009"));

        let h = parse("t.hea", b"t 1\nt.dat 16\n").unwrap();
        assert_eq!((h.frequency, h.num_frames), (250.0, None));
        let h = parse("t.hea", b"t 1 500 0\nt.dat 16\n").unwrap();
        assert_eq!(h.num_frames, None);
    }

    #[test]
    fn signal_line_fields_and_defaults() {
        let s = one("a.dat 212x4:3+512 16(800)/mmHg 12 2048 -5 49347 0 ABP left arm");
        assert_eq!(
            (
                s.format.as_str(),
                s.samples_per_frame,
                s.skew,
                s.byte_offset
            ),
            ("212", 4, 3, 512)
        );
        assert_eq!((s.gain, s.baseline, s.units.as_str()), (16.0, 800, "mmHg"));
        assert_eq!(
            (s.adc_resolution, s.adc_zero, s.initial_value),
            (Some(12), 2048, -5)
        );
        assert_eq!((s.checksum, s.block_size), (Some(49347), 0));
        assert_eq!(s.description.as_deref(), Some("ABP left arm"));

        // Missing fields take the WFDB defaults: gain 200, baseline = ADC zero, units mV,
        // initial value = ADC zero.
        let s = one("a.dat 16");
        assert_eq!(
            (s.gain, s.baseline, s.units.as_str(), s.initial_value),
            (200.0, 0, "mV", 0)
        );
        let s = one("a.dat 16 0 12 1024");
        assert_eq!(
            (s.gain, s.baseline, s.initial_value, s.checksum),
            (200.0, 1024, 1024, None)
        );
        let s = one("a.dat 16 32.7675/uV");
        assert_eq!((s.gain, s.units.as_str()), (32.7675, "uV"));
        let s = one("a.dat 16 1e3(-2)");
        assert_eq!((s.gain, s.baseline, s.units.as_str()), (1000.0, -2, "mV"));
    }

    #[test]
    fn bad_fields_are_reported_with_their_line() {
        for (text, needle) in [
            ("t 1\nt.dat x16\n", "format number"),
            ("t 1\nt.dat 16y2\n", "unexpected 'y'"),
            ("t 1\nt.dat 16x\n", "xframes"),
            ("t 1\nt.dat 16 abc\n", "ADC gain"),
            ("t 1\nt.dat 16 200(1\n", "parenthesis"),
            ("t 1\nt.dat 16 200 12 99999999999\n", "ADC zero"),
            ("t 1\nt.dat 16 inf\n", "ADC gain"),
            ("t 1\n~ 16\n", "does not name a file"),
            ("t 1\nt.dat\n", "no storage format"),
        ] {
            let e = parse("t.hea", text.as_bytes()).unwrap_err();
            let Error::InvalidHeader { line, message, .. } = &e else {
                panic!("{e:?}")
            };
            assert_eq!(*line, 2, "{text}");
            assert!(message.contains(needle), "{text}: {message}");
        }
        for (text, needle) in [
            ("", "empty"),
            ("t\n", "no number of signals"),
            ("t x\n", "number of signals"),
            ("t 1 0\nt.dat 16\n", "sampling frequency"),
            ("t 1 nan\nt.dat 16\n", "sampling frequency"),
            ("t 2 360\nt.dat 16\n", "announces 2 signals"),
            ("t 1 360 -5\nt.dat 16\n", "number of samples"),
        ] {
            let e = parse("t.hea", text.as_bytes()).unwrap_err();
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn multi_segment_and_empty_records_are_refused() {
        let e = parse("m.hea", b"multi/3 2 360 1000\nseg1 500\nseg2 500\n").unwrap_err();
        assert!(e.to_string().contains("multi-segment"), "{e}");
        let e = parse("z.hea", b"z 0 360\n").unwrap_err();
        assert!(e.to_string().contains("no signals"), "{e}");
    }

    #[test]
    fn comments_blank_lines_and_crlf() {
        let h = parse(
            "t.hea",
            b"# first\r\nt 2 360 10\r\n\r\nt.dat 16 200 16 0 0 0 0 I\r\n   \r\nt.dat 16\r\n#   <age>: 25  \r\n#\r\n",
        )
        .unwrap();
        assert_eq!(h.signals.len(), 2);
        assert_eq!(h.signals[0].description.as_deref(), Some("I"));
        assert_eq!(h.signals[1].line, 6);
        assert_eq!(
            h.comments,
            vec!["first".to_string(), "<age>: 25".to_string()]
        );
    }

    #[test]
    fn extra_lines_and_odd_times_are_warnings() {
        let h = parse("t.hea", b"t 1 360 10 noon\nt.dat 16\nu.dat 16\n").unwrap();
        assert_eq!(h.signals.len(), 1);
        assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
        assert_eq!(h.base_time, None);
    }

    #[test]
    fn latin1_units_survive() {
        let h = parse("t.hea", b"t 1 360 10\nt.dat 16 32.7/\xb5V 15 0 0 0 0 x\n").unwrap();
        assert_eq!(h.signals[0].units, "\u{b5}V");
    }

    #[test]
    fn file_names_for_grouping() {
        let names = signal_file_names(b"# c\nr 3 360\nr.dat 212\nr.dat 212\nsub/r.xyz 16\n");
        assert_eq!(names, vec!["r.dat".to_string(), "r.xyz".to_string()]);
        assert!(signal_file_names(b"m/2 1 360\ns1 10\n").is_empty());
        assert!(signal_file_names(b"").is_empty());
    }
}
