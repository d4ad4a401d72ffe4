//! Tables of samples as text (CSV, TSV, the TXT exports of carts and spreadsheets): one
//! column per signal, an optional header row (and units row), an optional time column.
//! The separator (comma, semicolon, tab or runs of spaces) and a decimal comma are sniffed
//! from the first lines. Tables seldom state their units or rate: units are read from the
//! header where it gives them and guessed from the amplitudes where not; the rate comes from
//! a time column or from the user.

use std::borrow::Cow;

use super::millivolts_per;
use super::{check_samples, InputFile, ReadOptions, RecordParts, RecordReader};
use crate::{AmplitudeUnits, Channel, Lead, Record};
use crate::{Error, Result};

pub struct CsvReader;

const CSV: &str = "CSV";
/// Lines looked at to sniff the separator and the decimal mark.
const SNIFF_LINES: usize = 20;
/// Bytes looked at to recognise a table without its extension.
const SNIFF_BYTES: usize = 4096;
const MAX_COLUMNS: usize = 256;
/// ECG amplitudes in millivolts stay well under 20; in microvolts they pass it.
const MICROVOLT_THRESHOLD: f64 = 20.0;

impl RecordReader for CsvReader {
    fn name(&self) -> &'static str {
        CSV
    }

    fn detects(&self, file: &InputFile) -> bool {
        match file.extension().as_str() {
            "csv" | "tsv" | "txt" => true,
            // A WFDB record's files belong to WFDB whatever they hold.
            "hea" | "dat" => false,
            _ => looks_like_a_table(&file.bytes),
        }
    }

    fn read(
        &self,
        primary: &InputFile,
        _files: &[InputFile],
        options: &ReadOptions,
    ) -> Result<Record> {
        read(primary, options)
    }
}

/// Text whose first lines, after a possible header, are mostly numbers and separators.
fn looks_like_a_table(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // Cut inside a character at the end of the sniffed bytes: the rest is fine.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return false;
    }
    let mut lines: Vec<&str> = content_lines(text)
        .into_iter()
        .map(|(_, line)| line)
        .collect();
    if bytes.len() > head.len() {
        // The last line may be cut short.
        lines.pop();
    }
    let numeric = |line: &&&str| {
        line.chars().any(|c| c.is_ascii_digit())
            && line
                .chars()
                .all(|c| c.is_ascii_digit() || " \t.,;+-eE\"".contains(c))
    };
    let data = lines.get(1..).unwrap_or_default();
    let numbers = data.iter().filter(numeric).count();
    numbers >= 2 && numbers * 5 >= data.len() * 4
}

/// The text, from UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark
/// (spreadsheets' "Unicode text"), or else Latin-1.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let utf16 = |big_endian: bool, body: &[u8]| -> String {
        let units = body.chunks_exact(2).map(|b| {
            if big_endian {
                u16::from_be_bytes([b[0], b[1]])
            } else {
                u16::from_le_bytes([b[0], b[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    if let Some(body) = bytes.strip_prefix(b"\xff\xfe") {
        return Cow::Owned(utf16(false, body));
    }
    if let Some(body) = bytes.strip_prefix(b"\xfe\xff") {
        return Cow::Owned(utf16(true, body));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Non-blank lines with their 1-based numbers, without comment lines (`#` and no
/// separator: `# sampling rate 500 Hz`, but not a header such as `#,I,II`).
fn content_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Box<dyn Iterator<Item = &str>> = if text.contains('\n') {
        Box::new(text.split('\n'))
    } else {
        Box::new(text.split('\r'))
    };
    lines
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| {
            let line = line.trim();
            !line.is_empty() && (!line.starts_with('#') || line.contains([',', ';', '\t']))
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Separator {
    Char(char),
    Whitespace,
}

impl Separator {
    fn allows_decimal_comma(self) -> bool {
        self != Separator::Char(',')
    }

    fn describe(self) -> &'static str {
        match self {
            Separator::Char(',') => "commas",
            Separator::Char(';') => "semicolons",
            Separator::Char('\t') => "tabs",
            _ => "spaces",
        }
    }
}

/// The cells of one line, unquoted and trimmed. A quoted cell may hold the separator, and
/// `""` inside quotes stands for one quote. At most `MAX_COLUMNS + 1` cells: a line of a
/// million cells is refused for its width all the same, without first holding them all.
fn split(line: &str, separator: Separator) -> Vec<Cow<'_, str>> {
    let blank: &[char] = if separator == Separator::Char('\t') {
        &[' ']
    } else {
        &[' ', '\t']
    };
    let mut cells = Vec::new();
    let mut rest = if separator == Separator::Whitespace {
        line.trim()
    } else {
        line
    };
    loop {
        let field = rest.trim_start_matches(blank);
        let (cell, after) = match field.strip_prefix('"') {
            Some(quoted) => {
                let (text, after) = unquote(quoted);
                // Anything between the closing quote and the separator stays with the cell.
                let end = find_separator(after, separator).unwrap_or(after.len());
                let tail = after[..end].trim();
                (
                    if tail.is_empty() {
                        text
                    } else {
                        Cow::Owned(format!("{text}{tail}"))
                    },
                    &after[end..],
                )
            }
            None => {
                let end = find_separator(field, separator).unwrap_or(field.len());
                (Cow::Borrowed(field[..end].trim()), &field[end..])
            }
        };
        cells.push(cell);
        let mut chars = after.chars();
        if chars.next().is_none() || cells.len() > MAX_COLUMNS {
            return cells;
        }
        rest = chars.as_str();
        if separator == Separator::Whitespace {
            rest = rest.trim_start();
        }
    }
}

fn find_separator(text: &str, separator: Separator) -> Option<usize> {
    match separator {
        Separator::Char(c) => text.find(c),
        Separator::Whitespace => text.find([' ', '\t']),
    }
}

/// A quoted cell's text (after its opening quote) and what follows its closing quote.
fn unquote(quoted: &str) -> (Cow<'_, str>, &str) {
    let mut text = String::new();
    let mut rest = quoted;
    loop {
        match rest.find('"') {
            None => return (Cow::Owned(text + rest), ""),
            Some(at) => {
                text.push_str(&rest[..at]);
                let after = &rest[at + 1..];
                match after.strip_prefix('"') {
                    Some(more) => {
                        text.push('"');
                        rest = more;
                    }
                    None => return (Cow::Owned(text), after),
                }
            }
        }
    }
}

fn number(cell: &str, decimal_comma: bool) -> Option<f64> {
    if decimal_comma && cell.contains(',') {
        cell.replacen(',', ".", 1).parse().ok()
    } else {
        cell.parse().ok()
    }
}

/// Digits after the decimal mark, which bound how precisely a time column was written.
fn decimals(cell: &str) -> usize {
    let mantissa = cell.split(['e', 'E']).next().unwrap_or(cell);
    mantissa
        .split_once(['.', ','])
        .map_or(0, |(_, fraction)| fraction.len())
}

/// The separator that splits the first lines into the same number (two or more) of cells,
/// most of them numbers; runs of spaces where none does.
fn sniff_separator(sample: &[&str]) -> Separator {
    let data = if sample.len() > 1 {
        &sample[1..]
    } else {
        sample
    };
    for c in ['\t', ';', ','] {
        let separator = Separator::Char(c);
        let rows: Vec<Vec<Cow<str>>> = data.iter().map(|line| split(line, separator)).collect();
        let Some(width) = most_common(rows.iter().map(Vec::len)) else {
            continue;
        };
        let same_width = rows.iter().filter(|r| r.len() == width).count();
        let numeric = rows
            .iter()
            .filter(|r| {
                r.iter().all(|cell| {
                    cell.is_empty() || number(cell, separator.allows_decimal_comma()).is_some()
                })
            })
            .count();
        if width >= 2 && same_width * 2 >= rows.len() && numeric * 2 >= rows.len() {
            return separator;
        }
    }
    Separator::Whitespace
}

fn most_common(values: impl Iterator<Item = usize>) -> Option<usize> {
    let values: Vec<usize> = values.collect();
    values
        .iter()
        .copied()
        .max_by_key(|v| (values.iter().filter(|w| *w == v).count(), *v))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeUnit {
    Seconds,
    Milliseconds,
}

impl TimeUnit {
    fn parse(unit: &str) -> Option<TimeUnit> {
        match unit.to_lowercase().as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => Some(TimeUnit::Seconds),
            "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => {
                Some(TimeUnit::Milliseconds)
            }
            _ => None,
        }
    }

    fn seconds(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1.0,
            TimeUnit::Milliseconds => 0.001,
        }
    }
}

/// Units other than volts and seconds that a header may put in brackets: `Resp (mmHg)`.
const OTHER_UNITS: [&str; 10] = [
    "mmhg", "%", "bpm", "degc", "\u{b0}c", "ohm", "\u{3a9}", "a.u.", "l/min", "cmh2o",
];

fn is_unit(text: &str) -> bool {
    millivolts_per(text).is_some()
        || TimeUnit::parse(text).is_some()
        || OTHER_UNITS.contains(&text.trim().to_lowercase().as_str())
}

/// A header cell split into its name and its unit: `I (mV)`, `I [mV]`, `V1_uV`, `time_s`,
/// `Resp (mmHg)`. Brackets that hold no unit stay in the name: `V1 (chest)`.
fn name_and_unit(cell: &str) -> (String, Option<String>) {
    let cell = cell.trim();
    for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
        let bracketed = cell
            .strip_suffix(close)
            .and_then(|inside| inside.rsplit_once(open));
        if let Some((name, unit)) =
            bracketed.filter(|(name, unit)| !name.trim().is_empty() && is_unit(unit))
        {
            return (name.trim().to_string(), Some(unit.trim().to_string()));
        }
    }
    if let Some((name, unit)) = cell.rsplit_once(['_', ' ']) {
        if !name.trim().is_empty()
            && (millivolts_per(unit).is_some() || TimeUnit::parse(unit).is_some())
        {
            return (name.trim().to_string(), Some(unit.to_string()));
        }
    }
    (cell.to_string(), None)
}

fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// What a header names a column as, before looking at its values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Named {
    Time(Option<TimeUnit>),
    Index,
    Other,
}

fn named(name: &str, unit: Option<&str>) -> Named {
    let words = words(name);
    let first = words.first().map(String::as_str).unwrap_or("");
    let time_words = [
        "time",
        "timestamp",
        "t",
        "sec",
        "secs",
        "seconds",
        "s",
        "ms",
        "msec",
        "zeit",
        "tiempo",
        "temps",
    ];
    if time_words.contains(&first) || words.iter().any(|w| w == "time") {
        let unit = unit
            .and_then(TimeUnit::parse)
            .or_else(|| words.iter().find_map(|w| TimeUnit::parse(w)));
        return Named::Time(unit);
    }
    if name.trim() == "#" || ["sample", "samples", "index", "idx", "n", "no", "nr"].contains(&first)
    {
        return Named::Index;
    }
    Named::Other
}

/// A column's values, and how precisely they were written.
struct Column {
    values: Vec<f64>,
    decimals: usize,
}

/// Units a column states for itself (in its header cell or a units row).
#[derive(Debug, Clone, PartialEq)]
enum Stated {
    Millivolts(f64),
    Other(String),
    Nothing,
}

fn stated(unit: Option<&str>) -> Stated {
    match unit.map(str::trim).filter(|u| !u.is_empty()) {
        None => Stated::Nothing,
        Some(unit) => {
            millivolts_per(unit).map_or_else(|| Stated::Other(unit.to_string()), Stated::Millivolts)
        }
    }
}

struct Table {
    names: Option<Vec<String>>,
    units: Vec<Option<String>>,
    columns: Vec<Column>,
}

fn read(input: &InputFile, options: &ReadOptions) -> Result<Record> {
    let file = input.name.as_str();
    let text = decode(&input.bytes);
    let mut warnings = Vec::new();
    let table = parse_table(file, &text, &mut warnings)?;
    let invalid = |message: String| Error::InvalidFile {
        file: file.to_string(),
        format: CSV,
        message,
    };

    let Table {
        names,
        units,
        mut columns,
    } = table;
    let column_name = |c: usize| {
        names
            .as_ref()
            .and_then(|n| n.get(c))
            .cloned()
            .unwrap_or_default()
    };
    let roles: Vec<Named> = (0..columns.len())
        .map(|c| match &names {
            // An unnamed first column is a spreadsheet's or pandas' row numbers.
            Some(_) if c == 0 && column_name(c).is_empty() => Named::Index,
            Some(_) => named(&column_name(c), units.get(c).and_then(Option::as_deref)),
            None => Named::Other,
        })
        .collect();

    let mut time = roles.iter().position(|r| matches!(r, Named::Time(_)));
    let mut time_unit = time.and_then(|c| match roles.get(c) {
        Some(Named::Time(unit)) => *unit,
        _ => None,
    });
    let mut dropped: Vec<usize> = (0..columns.len())
        .filter(|&c| roles[c] == Named::Index)
        .collect();
    // A first column that the header does not name as a lead and that rises evenly is time,
    // or, counting 1, 2, 3 with the rate given, numbers the samples.
    let first_is_unnamed = names.is_none()
        || (roles.first() == Some(&Named::Other) && Lead::from_name(&column_name(0)).is_none());
    if time.is_none() && first_is_unnamed && columns.len() > 1 {
        if let Some(step) = columns.first().and_then(even_step) {
            let counting = step == 1.0 && columns[0].values.iter().all(|v| v.fract() == 0.0);
            if counting && options.sampling_rate.is_some() {
                dropped.push(0);
            } else {
                time = Some(0);
                if counting {
                    time_unit = Some(TimeUnit::Milliseconds);
                    warnings.push(format!(
                        "{file}: the first column counts 1, 2, 3, ... and is read as time in milliseconds (1000 Hz). \
                         If it numbers the samples instead, give the sampling rate"
                    ));
                }
            }
        }
    }

    let sampling_rate = match time.and_then(|c| columns.get(c)) {
        Some(column) => match time_rate(column, time_unit) {
            Some((rate, uneven)) => {
                if uneven {
                    warnings.push(format!(
                        "{file}: the time column (column {}) is not evenly spaced; its average step gives {rate} Hz",
                        time.unwrap_or(0) + 1
                    ));
                }
                if let Some(given) = options
                    .sampling_rate
                    .filter(|given| (given - rate).abs() > 0.005 * rate)
                {
                    warnings.push(format!(
                        "{file}: the time column gives {rate} Hz; the sampling rate given ({given} Hz) is not used"
                    ));
                }
                Some(rate)
            }
            None => options.sampling_rate,
        },
        None => options.sampling_rate,
    };

    let signal_columns: Vec<usize> = (0..columns.len())
        .filter(|&c| Some(c) != time && !dropped.contains(&c))
        .collect();
    if signal_columns.is_empty() {
        return Err(invalid(
            "it holds no signal columns, only time or sample numbers".into(),
        ));
    }
    let Some(sampling_rate) = sampling_rate else {
        return Err(Error::NeedsSamplingRate {
            file: file.to_string(),
        });
    };

    let stated_units: Vec<Stated> = signal_columns
        .iter()
        .map(|&c| stated(units.get(c).and_then(Option::as_deref)))
        .collect();
    let unstated: Vec<usize> = signal_columns
        .iter()
        .zip(&stated_units)
        .filter(|(_, s)| **s == Stated::Nothing)
        .map(|(&c, _)| c)
        .collect();
    let mut guessed_units = None;
    let file_units = if unstated.is_empty() {
        if let Some(given) = options.units {
            warnings.push(format!(
                "{file}: the file states its units, so the units given ({}) are not used",
                given.label()
            ));
        }
        AmplitudeUnits::Millivolts
    } else if let Some(given) = options.units {
        given
    } else {
        let largest = unstated
            .iter()
            .flat_map(|&c| columns[c].values.iter())
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let (guess, why) = if largest > MICROVOLT_THRESHOLD {
            (
                AmplitudeUnits::Microvolts,
                format!("over {MICROVOLT_THRESHOLD} are taken to be microvolts"),
            )
        } else {
            (
                AmplitudeUnits::Millivolts,
                format!("up to {MICROVOLT_THRESHOLD} are taken to be millivolts"),
            )
        };
        warnings.push(format!(
            "{file}: the file does not state amplitude units; its values (largest {largest}) were read as {}, since \
             ECG values {why}",
            guess.label()
        ));
        guessed_units = Some(guess);
        guess
    };

    let default_names = default_names(signal_columns.len());
    let mut channels = Vec::with_capacity(signal_columns.len());
    for ((k, &c), stated) in signal_columns.iter().enumerate().zip(stated_units) {
        let name = match &names {
            Some(_) => column_name(c),
            None => default_names.get(k).cloned().unwrap_or_default(),
        };
        let (scale, units) = match stated {
            Stated::Millivolts(scale) => (scale, None),
            Stated::Other(units) => (1.0, Some(units)),
            Stated::Nothing => (millivolts_per_unit(file_units), None),
        };
        let values = std::mem::take(&mut columns[c].values);
        channels.push(Channel {
            lead: if units.is_none() {
                Lead::from_name(&name)
            } else {
                None
            },
            units: units.unwrap_or_else(|| "mV".to_string()),
            samples: values.into_iter().map(|v| (v * scale) as f32).collect(),
            derived: false,
            name,
        });
    }

    let mut parts = RecordParts {
        name: input.stem().to_string(),
        sampling_rate,
        channels,
        warnings,
        ..Default::default()
    };
    parts.metadata.guessed_units = guessed_units;
    parts.assemble(file, CSV)
}

/// In f64: the f32 of [`AmplitudeUnits::millivolts_per_unit`] is not exactly 0.001.
fn millivolts_per_unit(units: AmplitudeUnits) -> f64 {
    match units {
        AmplitudeUnits::Microvolts => 0.001,
        AmplitudeUnits::Millivolts => 1.0,
    }
}

/// Names for a table without a header: the usual lead orders for 12 and 8 columns.
fn default_names(count: usize) -> Vec<String> {
    let leads: Vec<Lead> = match count {
        12 => Lead::STANDARD.to_vec(),
        8 => [Lead::I, Lead::II]
            .into_iter()
            .chain(Lead::STANDARD[6..].iter().copied())
            .collect(),
        _ => return (1..=count).map(|k| format!("channel {k}")).collect(),
    };
    leads.into_iter().map(|l| l.label().to_string()).collect()
}

/// The step of a column that rises by the same amount each row, allowing for the rounding
/// of how it was written.
fn even_step(column: &Column) -> Option<f64> {
    let (step, uneven) = steps(column)?;
    (!uneven).then_some(step)
}

/// The average step of a rising column, and whether some steps stray from it.
fn steps(column: &Column) -> Option<(f64, bool)> {
    let values = &column.values;
    let (first, last) = (*values.first()?, *values.last()?);
    let step = (last - first) / (values.len().saturating_sub(1)) as f64;
    if !(step.is_finite() && step > 0.0) {
        return None;
    }
    let resolution = 10f64.powi(-(column.decimals.min(15) as i32));
    let tolerance = 0.01 * step + resolution;
    let uneven = values
        .windows(2)
        .any(|w| ((w[1] - w[0]) - step).abs() > tolerance);
    Some((step, uneven))
}

/// The sampling rate a time column gives and whether it is uneven. The rate is the
/// roundest number that the column's written precision allows (500 rather than 499.9999).
fn time_rate(column: &Column, unit: Option<TimeUnit>) -> Option<(f64, bool)> {
    let (step, uneven) = steps(column)?;
    // Unstated, a step of half a unit or more is milliseconds (a rate of 2 kHz or less).
    let unit = unit.unwrap_or(if step >= 0.5 {
        TimeUnit::Milliseconds
    } else {
        TimeUnit::Seconds
    });
    let span = (column.values.len() - 1) as f64 * step * unit.seconds();
    let rate = 1.0 / (step * unit.seconds());
    let resolution = 10f64.powi(-(column.decimals.min(15) as i32)) * unit.seconds();
    let tolerance = rate * resolution / span;
    let round = (0..=6)
        .map(|d| {
            let scale = 10f64.powi(d);
            (rate * scale).round() / scale
        })
        .find(|r| (r - rate).abs() <= tolerance)
        .unwrap_or(rate);
    Some((round, uneven))
}

/// Splits the text into header, units row and numeric columns.
fn parse_table(file: &str, text: &str, warnings: &mut Vec<String>) -> Result<Table> {
    let invalid = |message: String| Error::InvalidFile {
        file: file.to_string(),
        format: CSV,
        message,
    };
    let lines = content_lines(text);
    let sample: Vec<&str> = lines
        .iter()
        .take(SNIFF_LINES)
        .map(|(_, line)| *line)
        .collect();
    if sample.is_empty() {
        return Err(invalid("it is empty".into()));
    }
    let separator = sniff_separator(&sample);
    let decimal_comma = separator.allows_decimal_comma()
        && sample
            .iter()
            .flat_map(|line| split(line, separator))
            .any(|cell| cell.contains(',') && number(&cell, true).is_some());
    let is_number = |cell: &str| number(cell, decimal_comma).is_some();

    let mut rows = lines
        .iter()
        .map(|(n, line)| (*n, split(line, separator)))
        .peekable();
    let mut names = None;
    let mut units: Vec<Option<String>> = Vec::new();
    if let Some((_, first)) = rows.peek() {
        if first
            .iter()
            .any(|cell| !cell.is_empty() && !is_number(cell))
        {
            let (header_names, header_units): (Vec<String>, Vec<Option<String>>) =
                first.iter().map(|cell| name_and_unit(cell)).unzip();
            names = Some(header_names);
            units = header_units;
            rows.next();
        }
    }
    if names.is_some() {
        if let Some((_, second)) = rows.peek() {
            let is_unit = |cell: &str| is_unit(cell.trim_matches(['(', ')', '[', ']']));
            if second
                .iter()
                .all(|cell| cell.is_empty() || !is_number(cell))
                && second.iter().any(|cell| is_unit(cell))
            {
                for (c, cell) in second.iter().enumerate() {
                    let unit = cell.trim_matches(['(', ')', '[', ']']).trim();
                    if !unit.is_empty() {
                        units.resize(units.len().max(c + 1), None);
                        units[c] = Some(unit.to_string());
                    }
                }
                rows.next();
            }
        }
    }

    // Every line but a header of names and one of units is a row: too many are refused before
    // any is split into cells.
    check_samples(file, lines.len().saturating_sub(2) as u64)?;
    let header_width = names
        .as_ref()
        .map(|n: &Vec<String>| trimmed_width(n.iter().map(String::as_str)));
    let rows: Vec<(usize, Vec<Cow<str>>)> = rows.collect();
    let width = match header_width {
        Some(width) => width,
        None => rows.first().map_or(0, |(_, cells)| {
            trimmed_width(cells.iter().map(|c| c.as_ref()))
        }),
    };
    if width == 0 {
        return Err(invalid(
            "it has a header but no column names and no numbers".into(),
        ));
    }
    if width > MAX_COLUMNS {
        return Err(invalid(format!(
            "it has more than {MAX_COLUMNS} columns; at most {MAX_COLUMNS} are read"
        )));
    }
    if rows.is_empty() {
        return Err(invalid("it has a header but no rows of numbers".into()));
    }
    check_samples(file, rows.len() as u64)?;

    let names = names.map(|mut n| {
        n.resize(width, String::new());
        n
    });
    units.resize(width, None);
    let column_label = |c: usize| match names
        .as_ref()
        .and_then(|n| n.get(c))
        .filter(|n| !n.is_empty())
    {
        Some(name) => format!("column {} ('{name}')", c + 1),
        None => format!("column {}", c + 1),
    };
    let mut columns: Vec<Column> = (0..width)
        .map(|_| Column {
            values: Vec::with_capacity(rows.len()),
            decimals: 0,
        })
        .collect();
    let last = rows.len() - 1;
    for (r, (line, cells)) in rows.iter().enumerate() {
        let filled = trimmed_width(cells.iter().map(|c| c.as_ref()));
        if filled != width {
            if r == last && r > 0 && filled < width {
                warnings.push(format!(
                    "{file}: the last line ({line}) holds {filled} of the {width} values; it is left out. The file \
                     may have been cut short"
                ));
                break;
            }
            let held = if filled > MAX_COLUMNS {
                format!("more than {MAX_COLUMNS}")
            } else {
                filled.to_string()
            };
            return Err(invalid(format!(
                "line {line} holds {held} values, but the table has {width} columns (separated by {})",
                separator.describe()
            )));
        }
        for (c, (cell, column)) in cells.iter().zip(&mut columns).enumerate() {
            let value = number(cell, decimal_comma).ok_or_else(|| {
                invalid(if cell.is_empty() {
                    format!("line {line}, {}: the cell is empty", column_label(c))
                } else {
                    format!("line {line}, {}: '{cell}' is not a number", column_label(c))
                })
            })?;
            column.values.push(value);
            column.decimals = column.decimals.max(decimals(cell));
        }
    }
    Ok(Table {
        names,
        units,
        columns,
    })
}

/// Cells up to the last non-empty one: separators at the end of a line add no column.
fn trimmed_width<'a>(cells: impl DoubleEndedIterator<Item = &'a str> + ExactSizeIterator) -> usize {
    let total = cells.len();
    total - cells.rev().take_while(|c| c.is_empty()).count()
}

/// Writes `record` comma separated with a header `time_s,I,II,...`: time in seconds, leads
/// in millivolts with 4 decimals (0.1 µV). The header states no units, as asked of this
/// format, so reading it back guesses millivolts from the values (right below 20 mV).
pub fn write(record: &Record) -> Vec<u8> {
    let mut out = String::from("time_s");
    for channel in &record.channels {
        out.push(',');
        let name = channel
            .lead
            .map_or(channel.name.as_str(), |lead| lead.label());
        if name.contains([',', '"', '\n', '\r']) || name != name.trim() {
            out.push_str(&format!("\"{}\"", name.replace('"', "\"\"")));
        } else {
            out.push_str(name);
        }
    }
    out.push('\n');
    // Microseconds where they hold every time exactly (500 Hz, 62.5 Hz); nanoseconds otherwise,
    // so that a short record still gives its rate back (360 Hz, not 359.99).
    let microseconds = 1e6 / record.sampling_rate;
    let decimals = if microseconds.fract() == 0.0 { 6 } else { 9 };
    for i in 0..record.num_samples() {
        out.push_str(&format!("{:.decimals$}", i as f64 / record.sampling_rate));
        for channel in &record.channels {
            let value = channel.samples.get(i).copied().unwrap_or(0.0);
            out.push_str(&format!(",{:.4}", f64::from(value)));
        }
        out.push('\n');
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edf::tests::ptbxl;
    use crate::read_records_with;
    use proptest::prelude::*;

    fn read_with(name: &str, text: impl AsRef<[u8]>, options: &ReadOptions) -> Result<Record> {
        let mut out = read_records_with(&[InputFile::new(name, text.as_ref().to_vec())], options);
        assert_eq!(out.len(), 1);
        out.remove(0).result
    }

    fn read_text(text: &str) -> Result<Record> {
        read_with("t.csv", text, &ReadOptions::default())
    }

    fn at_rate(rate: f64) -> ReadOptions {
        ReadOptions {
            sampling_rate: Some(rate),
            units: None,
        }
    }

    fn samples(record: &Record) -> Vec<Vec<f32>> {
        record
            .channels
            .iter()
            .filter(|c| !c.derived)
            .map(|c| c.samples.clone())
            .collect()
    }

    fn names(record: &Record) -> Vec<&str> {
        record
            .channels
            .iter()
            .filter(|c| !c.derived)
            .map(|c| c.name.as_str())
            .collect()
    }

    fn assert_close(a: &[f32], b: &[f32], tolerance: f32) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tolerance, "{x} vs {y}");
        }
    }

    /// PTB-XL in µV with a decimal comma, separated by semicolons, without a time column:
    /// what a European spreadsheet exports.
    fn semicolon_microvolts(record: &Record, header: bool) -> String {
        let mut out = String::new();
        if header {
            let names: Vec<&str> = record.channels.iter().map(|c| c.name.as_str()).collect();
            out.push_str(&names.join(";"));
            out.push('\n');
        }
        for i in 0..record.num_samples() {
            let row: Vec<String> = record
                .channels
                .iter()
                .map(|c| format!("{:.1}", f64::from(c.samples[i]) * 1000.0).replace('.', ","))
                .collect();
            out.push_str(&row.join(";"));
            out.push_str("\r\n");
        }
        out
    }

    #[test]
    fn ptbxl_round_trip_through_detection() {
        let original = ptbxl();
        let text = write(&original);
        assert!(text.starts_with(b"time_s,I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6\n0.000000,"));
        // No extension: the reader is found from the content.
        let back = read_with("00009_lr", &text, &ReadOptions::default()).unwrap();
        assert_eq!(back.metadata.format.as_deref(), Some("CSV"));
        assert_eq!(back.sampling_rate, original.sampling_rate);
        assert_eq!(back.standard_leads(), Lead::STANDARD.to_vec());
        assert_eq!(
            back.metadata.guessed_units,
            Some(AmplitudeUnits::Millivolts)
        );
        assert_eq!(back.warnings.len(), 1, "{:?}", back.warnings);
        assert!(
            back.warnings[0].contains("read as mV"),
            "{}",
            back.warnings[0]
        );
        for lead in Lead::STANDARD {
            assert!(!back.lead(lead).unwrap().derived);
            assert_close(
                &original.lead(lead).unwrap().samples,
                &back.lead(lead).unwrap().samples,
                0.00005 + 1e-6,
            );
        }
    }

    #[test]
    fn semicolons_decimal_commas_and_microvolts_without_a_time_column() {
        let original = ptbxl();
        for header in [true, false] {
            let text = semicolon_microvolts(&original, header);
            let name = if header { "ptbxl_uv.txt" } else { "ptbxl_uv" };
            let e = read_with(name, &text, &ReadOptions::default()).unwrap_err();
            assert_eq!(e, Error::NeedsSamplingRate { file: name.into() });
            let r = read_with(name, &text, &at_rate(100.0)).unwrap();
            assert_eq!(r.sampling_rate, 100.0);
            assert_eq!(r.metadata.guessed_units, Some(AmplitudeUnits::Microvolts));
            assert!(
                r.warnings.iter().any(|w| w.contains("read as \u{b5}V")),
                "{:?}",
                r.warnings
            );
            assert_eq!(r.standard_leads(), Lead::STANDARD.to_vec());
            for lead in Lead::STANDARD {
                assert!(!r.lead(lead).unwrap().derived);
                assert_close(
                    &original.lead(lead).unwrap().samples,
                    &r.lead(lead).unwrap().samples,
                    0.00005 + 1e-6,
                );
            }
            // The user's units replace the guess.
            let options = ReadOptions {
                sampling_rate: Some(100.0),
                units: Some(AmplitudeUnits::Millivolts),
            };
            let r = read_with(name, &text, &options).unwrap();
            assert_eq!(r.metadata.guessed_units, None);
            assert!(r.warnings.is_empty(), "{:?}", r.warnings);
            let i = original.lead(Lead::I).unwrap().samples[0];
            assert!((r.lead(Lead::I).unwrap().samples[0] - i * 1000.0).abs() < 0.06);
        }
    }

    #[test]
    fn a_line_of_a_million_cells_is_not_held_whole() {
        let line = "0,".repeat(1_000_000);
        assert_eq!(split(&line, Separator::Char(',')).len(), MAX_COLUMNS + 1);
    }

    #[test]
    fn cells_split_on_the_sniffed_separator() {
        let cells = |line, separator| {
            split(line, separator)
                .into_iter()
                .map(Cow::into_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cells(" 1, \"a,b\" ,\"say \"\"hi\"\"\",", Separator::Char(',')),
            ["1", "a,b", "say \"hi\"", ""]
        );
        assert_eq!(
            cells("  0.1   -2\t3 ", Separator::Whitespace),
            ["0.1", "-2", "3"]
        );
        assert_eq!(
            cells("\"Lead I\" \"Lead II\"", Separator::Whitespace),
            ["Lead I", "Lead II"]
        );
        assert_eq!(cells("a\t\tb", Separator::Char('\t')), ["a", "", "b"]);
        assert_eq!(cells("\"open", Separator::Char(',')), ["open"]);
        let sniff = |text: &str| sniff_separator(&text.lines().collect::<Vec<_>>());
        assert_eq!(sniff("I,II\n1.5,2\n3,4"), Separator::Char(','));
        assert_eq!(sniff("I;II\nmV;mV\n1,5;2\n3;4"), Separator::Char(';'));
        assert_eq!(sniff("I\tII\n1,5\t2"), Separator::Char('\t'));
        assert_eq!(sniff("I II\n1,5 2,0\n3,1 4,2"), Separator::Whitespace);
        assert_eq!(sniff("1\n2\n3"), Separator::Whitespace);
    }

    #[test]
    fn separators_decimal_marks_and_encodings() {
        let expected = vec![vec![0.5, 2.0], vec![-1.0, 0.25]];
        for text in [
            "I,II\n0.5,-1\n2,0.25\n",
            "I;II\n0,5;-1\n2;0,25\n",
            "I\tII\n0,5\t-1\n2\t0.25\n",
            "  I    II\n 0.5   -1\n 2     0.25\n",
            "\u{feff}\"I\",\"II\"\r\n\"0.5\",\"-1\"\r\n\"2\",\"0.25\"\r\n",
            "I;II;\n0,5;-1;\n2;0,25;\n",
            "# exported by a cart\nI,II\n0.5,-1\n\n2,0.25\n",
        ] {
            let r = read_with("t.csv", text, &at_rate(250.0))
                .unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(samples(&r), expected, "{text:?}");
            assert_eq!(names(&r), ["I", "II"], "{text:?}");
        }
        // UTF-16 with a byte-order mark, as spreadsheets save "Unicode text".
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(
                "I\tII\r\n0,5\t-1\r\n2\t0,25\r\n"
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes()),
            )
            .collect();
        let r = read_with("t.txt", utf16, &at_rate(250.0)).unwrap();
        assert_eq!(samples(&r), expected);
        // Latin-1 µ in a header.
        let r = read_with(
            "t.csv",
            b"I (\xb5V),II (\xb5V)\n500,-1000\n".as_slice(),
            &at_rate(250.0),
        )
        .unwrap();
        assert_eq!(samples(&r), vec![vec![0.5], vec![-1.0]]);
        assert_eq!(r.metadata.guessed_units, None);
    }

    #[test]
    fn a_time_column_gives_the_rate() {
        let rate = |text: &str| read_text(text).map(|r| r.sampling_rate);
        assert_eq!(rate("Time (ms),I\n0,1\n2,1\n4,1\n").unwrap(), 500.0);
        assert_eq!(rate("t,I\n10.000,1\n10.004,1\n10.008,1\n").unwrap(), 250.0);
        assert_eq!(rate("time_s;I\n0;1\n0,002;1\n0,004;1\n").unwrap(), 500.0);
        assert_eq!(rate("Timestamp,I\n0,1\n4,1\n8,1\n").unwrap(), 250.0);
        // 360 Hz written to the millisecond: the steps are 2 or 3 ms.
        let rows: String = (0..361)
            .map(|i| format!("{:.3},0.1\n", i as f64 / 360.0))
            .collect();
        assert_eq!(rate(&format!("sec,I\n{rows}")).unwrap(), 360.0);
        // Without a header, a first column that rises evenly is time.
        let r = read_text("0.000,1,2\n0.002,1,2\n0.004,1,2\n").unwrap();
        assert_eq!((r.sampling_rate, r.channels.len()), (500.0, 2));
        assert_eq!(names(&r), ["channel 1", "channel 2"]);
        // Counting 1, 2, 3 is read as milliseconds, with a warning, unless a rate is given.
        let counting = "1,5,6\n2,5,6\n3,5,6\n";
        let r = read_text(counting).unwrap();
        assert_eq!(r.sampling_rate, 1000.0);
        assert!(
            r.warnings.iter().any(|w| w.contains("counts 1, 2, 3")),
            "{:?}",
            r.warnings
        );
        let r = read_with("t.csv", counting, &at_rate(250.0)).unwrap();
        assert_eq!((r.sampling_rate, r.channels.len()), (250.0, 2));
        // Sample numbers are no time.
        for text in [
            "sample,I,II\n0,1,2\n1,1,2\n",
            ",I,II\n0,1,2\n1,1,2\n",
            "#,I,II\n0,1,2\n1,1,2\n",
        ] {
            assert_eq!(
                read_text(text).unwrap_err(),
                Error::NeedsSamplingRate {
                    file: "t.csv".into()
                },
                "{text}"
            );
            let r = read_with("t.csv", text, &at_rate(100.0)).unwrap();
            assert_eq!(names(&r), ["I", "II"], "{text}");
        }
        // An uneven time column, and a rate given that disagrees with the time column.
        let r = read_with("t.csv", "time,I\n0,1\n0.002,1\n0.010,1\n", &at_rate(100.0)).unwrap();
        assert_eq!(r.sampling_rate, 200.0);
        assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
        assert!(
            r.warnings[0].contains("not evenly spaced"),
            "{:?}",
            r.warnings
        );
        assert!(
            r.warnings[1].contains("given (100 Hz) is not used"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn units_from_the_header_or_a_units_row() {
        let r = read_with(
            "t.csv",
            "I (mV),V1_uV,Resp [mmHg],aVR [V]\n1,-2,3,0.001\n",
            &at_rate(100.0),
        )
        .unwrap();
        assert_eq!(
            samples(&r),
            vec![vec![1.0], vec![-0.002], vec![3.0], vec![1.0]]
        );
        assert_eq!(names(&r), ["I", "V1", "Resp", "aVR"]);
        let units: Vec<&str> = r.channels.iter().map(|c| c.units.as_str()).collect();
        assert_eq!(units, ["mV", "mV", "mmHg", "mV"]);
        assert_eq!(r.channels[2].lead, None);
        assert_eq!(r.metadata.guessed_units, None);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);

        let r = read_text("time;I;II\ns;uV;uV\n0;100;200\n0,01;300;400\n").unwrap();
        assert_eq!(r.sampling_rate, 100.0);
        assert_eq!(samples(&r), vec![vec![0.1, 0.3], vec![0.2, 0.4]]);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        // The file's own units win over the user's, with a warning.
        let options = ReadOptions {
            sampling_rate: None,
            units: Some(AmplitudeUnits::Millivolts),
        };
        let r = read_with(
            "t.csv",
            "time;I;II\ns;uV;uV\n0;100;200\n0,01;300;400\n",
            &options,
        )
        .unwrap();
        assert_eq!(samples(&r), vec![vec![0.1, 0.3], vec![0.2, 0.4]]);
        assert!(
            r.warnings[0].contains("units given (mV) are not used"),
            "{:?}",
            r.warnings
        );
        // Brackets that hold no unit belong to the name.
        let r = read_with("t.csv", "V1 (chest),II\n0.5,1\n", &at_rate(100.0)).unwrap();
        assert_eq!(names(&r), ["V1 (chest)", "II"]);
    }

    #[test]
    fn lead_names_without_a_header() {
        let row = |n: usize| {
            (0..n)
                .map(|k| format!("0.{k}"))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        };
        let r = read_with("t", row(8).repeat(3), &at_rate(500.0)).unwrap();
        assert_eq!(names(&r), ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"]);
        // read_records derives the other limb leads.
        assert_eq!(r.standard_leads(), Lead::STANDARD.to_vec());
        let r = read_with("t", row(12).repeat(3), &at_rate(500.0)).unwrap();
        assert_eq!(
            r.channels.iter().map(|c| c.lead).collect::<Vec<_>>(),
            Lead::STANDARD.map(Some).to_vec()
        );
        let r = read_with("t", row(3).repeat(3), &at_rate(500.0)).unwrap();
        assert_eq!(names(&r), ["channel 1", "channel 2", "channel 3"]);
        assert_eq!(r.standard_leads(), vec![]);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let message = |text: &str| {
            read_with("t.csv", text, &at_rate(100.0))
                .unwrap_err()
                .to_string()
        };
        let m = message("I,II\n1,2\n\n3,x\n");
        assert!(
            m.contains("line 4, column 2 ('II'): 'x' is not a number"),
            "{m}"
        );
        let m = message("I,II\n1,2\n3,,\n4,5\n");
        assert!(
            m.contains("line 3 holds 1 values, but the table has 2 columns (separated by commas)"),
            "{m}"
        );
        let m = message("1;2;5\n3;;4\n");
        assert!(m.contains("line 2, column 2: the cell is empty"), "{m}");
        let m = message("1,2\n3,4,5\n");
        assert!(m.contains("line 2 holds 3 values"), "{m}");
        assert!(message("").contains("it is empty"));
        assert!(message("I,II\n").contains("no rows of numbers"));
        let wide = (0..300)
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            message(&wide).contains("more than 256 columns; at most 256"),
            "{}",
            message(&wide)
        );
        // A last line cut short is left out.
        let r = read_with("t.csv", "I,II\n1,2\n3,4\n5", &at_rate(100.0)).unwrap();
        assert_eq!(samples(&r), vec![vec![1.0, 3.0], vec![2.0, 4.0]]);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("last line (4) holds 1 of the 2 values")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn detection_needs_a_table() {
        let detects =
            |name: &str, bytes: &[u8]| CsvReader.detects(&InputFile::new(name, bytes.to_vec()));
        assert!(detects("x.CSV", b"anything"));
        assert!(detects("x.tsv", b""));
        assert!(detects("export", b"I,II\n0.1,0.2\n0.3,0.4\n0.5,0.6\n"));
        assert!(detects("export", b"0,1;0,2\n0,3;0,4\n0,5;0,6\n"));
        assert!(!detects("export", b"I,II\n0.1,0.2\n"));
        assert!(!detects(
            "x.xml",
            b"<?xml version=\"1.0\"?>\n<restingecgdata>\n1 2 3\n4 5 6\n</restingecgdata>\n"
        ));
        let hea = std::fs::read(format!(
            "{}/../../tests/fixtures/ptbxl/00001_lr.hea",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(!detects("00001_lr", &hea));
        assert!(!detects("r.dat", b"1 2\n3 4\n5 6\n"));
        let binary: Vec<u8> = (0..=255u8).cycle().take(600).collect();
        assert!(!detects("blob", &binary));
        let edf = crate::edf::write(&ptbxl()).unwrap();
        assert!(!detects("r", &edf));
        // A long file is judged on its first lines, even if cut inside a character.
        let mut long = "I,II\n".to_string() + &"0.25,-0.5\n".repeat(600);
        long.push('\u{b5}');
        assert!(detects("long", long.as_bytes()));
        let cut = long.replace("0.25,-0.5\n", "0.2\u{b5}");
        assert!(!detects("cut", cut.as_bytes()));
    }

    #[test]
    fn every_prefix_reads_or_fails_cleanly() {
        let text = "time_s,I,II\n0.000,0.1,-0.2\n0.004,0.15,\"-0.25\"\n0.008,0.2,-0.3\n";
        for len in 0..=text.len() {
            let _ = read_with("t.csv", &text.as_bytes()[..len], &ReadOptions::default());
            let _ = read_with("t.csv", &text.as_bytes()[..len], &at_rate(100.0));
        }
        assert!(read_text(text).is_ok());
    }

    /// Values on the writer's grid (0.1 µV), as the decimal text they are written as denotes them.
    fn grid_record() -> impl Strategy<Value = Record> {
        let leads = proptest::sample::subsequence(Lead::STANDARD.to_vec(), 1..=12).prop_shuffle();
        let rate = prop_oneof![
            (1u32..=2000).prop_map(f64::from),
            Just(62.5),
            Just(360.0),
            Just(0.5)
        ];
        (leads, rate, 2usize..200)
            .prop_flat_map(|(leads, rate, length)| {
                let channel = proptest::collection::vec(-199_999i32..=199_999, length);
                (
                    Just(leads.clone()),
                    Just(rate),
                    proptest::collection::vec(channel, leads.len()),
                )
            })
            .prop_map(|(leads, rate, channels)| {
                let channels = leads
                    .iter()
                    .zip(channels)
                    .map(|(lead, steps)| {
                        let samples = steps
                            .iter()
                            .map(|&k| {
                                format!("{:.4}", f64::from(k) / 1e4).parse::<f64>().unwrap() as f32
                            })
                            .collect();
                        crate::millivolt_channel(lead.label(), samples)
                    })
                    .collect();
                Record {
                    name: "grid".into(),
                    sampling_rate: rate,
                    channels,
                    metadata: Default::default(),
                    warnings: vec![],
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn records_on_the_grid_round_trip(record in grid_record()) {
            let back = read_with("grid.csv", write(&record), &ReadOptions::default()).unwrap();
            prop_assert_eq!(back.sampling_rate, record.sampling_rate);
            let recorded: Vec<&Channel> = back.channels.iter().filter(|c| !c.derived).collect();
            prop_assert_eq!(recorded.len(), record.channels.len());
            for (a, b) in record.channels.iter().zip(recorded) {
                prop_assert_eq!(a.lead, b.lead);
                prop_assert_eq!(&a.samples, &b.samples);
            }
        }

        #[test]
        fn byte_flips_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            let mut bytes = b"time (ms);I;II\n;mV;uV\n0;0,1;-200\n2;\"0,15\";-250\n4;0,2;-300\n".to_vec();
            let len = bytes.len();
            for (at, value) in flips {
                bytes[at % len] = value;
            }
            let _ = read_with("t.csv", &bytes, &ReadOptions::default());
            let _ = CsvReader.detects(&InputFile::new("t", bytes));
        }
    }
}
