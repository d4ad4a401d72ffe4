//! What the XML formats (GE MUSE, HL7 aECG, Philips SierraECG) share: recognising a
//! document from its root element without parsing it, decoding and parsing it safely,
//! finding elements by local name whatever their namespace, decoding sample data,
//! reading the patient details they all carry, and writing documents.

use std::borrow::Cow;

use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use roxmltree::{Document, Node, ParsingOptions};

use super::{check_samples, InputFile, ReadOptions, RecordParts, RecordReader};
use crate::{Error, Result};
use crate::{Record, Sex};

/// How much of a file is read to find its root element. Enough for a declaration, a
/// DOCTYPE and a licence comment; a document whose root starts later is not recognised.
const SNIFF_BYTES: usize = 16 * 1024;

/// Most `<` and `=` characters accepted in one document. Each becomes a node or an
/// attribute of some 50 bytes in the parsed tree, so a 256 MB file of `<a/>` would need
/// gigabytes; ECG documents hold a few thousand elements, their samples in a few texts.
const MAX_MARKUP: u64 = 1_000_000;

/// The standard base64 alphabet, lenient about padding and trailing bits, which some
/// exporters get wrong without damaging the samples.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// An XML format: recognised by its root element, read from the parsed document by
/// `read`, which returns the parts of the record (named here after the file).
pub struct XmlReader {
    pub format: &'static str,
    /// The root element's local name.
    pub root: &'static str,
    pub read: fn(&Source, Node) -> Result<RecordParts>,
}

impl RecordReader for XmlReader {
    fn name(&self) -> &'static str {
        self.format
    }

    fn detects(&self, file: &InputFile) -> bool {
        has_root(&file.bytes, self.root)
    }

    fn read(
        &self,
        primary: &InputFile,
        _files: &[InputFile],
        _options: &ReadOptions,
    ) -> Result<Record> {
        let src = Source::new(&primary.name, self.format);
        let text = src.text(&primary.bytes)?;
        let doc = src.parse(&text)?;
        let parts = (self.read)(&src, doc.root_element())?;
        RecordParts {
            name: primary.stem().to_string(),
            ..parts
        }
        .assemble(&primary.name, self.format)
    }
}

/// Whether `bytes` is an XML document whose root element has the local name `name`.
/// Only the start of the file is read, so that a large XML file of another kind is
/// passed over cheaply (and then reported as not an ECG, rather than as broken XML).
pub fn has_root(bytes: &[u8], name: &str) -> bool {
    let start = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let text = match start {
        [0xFF, 0xFE, rest @ ..] => utf16_lossy(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16_lossy(rest, u16::from_be_bytes),
        _ => String::from_utf8_lossy(start).into_owned(),
    };
    prolog(&text).is_some_and(|p| p.root == name)
}

fn utf16_lossy(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// What comes before the root element.
struct Prolog<'t> {
    /// The root element's name without its namespace prefix.
    root: &'t str,
    /// The DOCTYPE's internal subset (between `[` and `]`), where entities are declared.
    internal_subset: Option<&'t str>,
}

/// Skips the byte order mark, declaration, processing instructions, comments and DOCTYPE.
fn prolog(text: &str) -> Option<Prolog<'_>> {
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut internal_subset = None;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else if let Some(after) = rest.strip_prefix("<!DOCTYPE") {
            let (subset, after) = doctype(after)?;
            internal_subset = subset;
            rest = after;
        } else {
            let after = rest.strip_prefix('<')?;
            let end = after
                .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
                .unwrap_or(after.len());
            let name = &after[..end];
            let root = name.rsplit(':').next().unwrap_or(name);
            return (!root.is_empty()).then_some(Prolog {
                root,
                internal_subset,
            });
        }
    }
}

/// The rest of a DOCTYPE after `<!DOCTYPE`: its internal subset, if any, and what follows it.
fn doctype(text: &str) -> Option<(Option<&str>, &str)> {
    let mut quote = None;
    let mut subset_start = None;
    let mut subset = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if subset_start.is_none() => quote = Some(c),
            (None, '[') if subset_start.is_none() => subset_start = Some(i + 1),
            (None, ']') => subset = subset_start.map(|s| &text[s..i]),
            (None, '>') if subset_start.is_none() || subset.is_some() => {
                return Some((subset, &text[i + 1..]))
            }
            _ => {}
        }
    }
    None
}

/// The file a reader works on, for its error messages.
#[derive(Debug, Clone, Copy)]
pub struct Source<'f> {
    pub file: &'f str,
    pub format: &'static str,
}

impl<'f> Source<'f> {
    pub fn new(file: &'f str, format: &'static str) -> Self {
        Self { file, format }
    }

    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::InvalidFile {
            file: self.file.to_string(),
            format: self.format,
            message: message.into(),
        }
    }

    pub fn not_supported(&self, message: impl Into<String>) -> Error {
        Error::NotSupported {
            file: self.file.to_string(),
            format: self.format,
            message: message.into(),
        }
    }

    /// The document's characters. UTF-8 and UTF-16 (with a byte order mark) are decoded as
    /// such; anything else that is not UTF-8 is read as ISO-8859-1, which GE MUSE declares,
    /// where every byte is a character, so accented names and statements read right.
    pub fn text<'b>(&self, bytes: &'b [u8]) -> Result<Cow<'b, str>> {
        let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| {
            let units = rest.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
            char::decode_utf16(units)
                .collect::<std::result::Result<String, _>>()
                .map(Cow::Owned)
                .map_err(|_| {
                    self.invalid("it starts with a UTF-16 byte order mark but is not valid UTF-16")
                })
        };
        match bytes {
            [0xEF, 0xBB, 0xBF, rest @ ..] => {
                std::str::from_utf8(rest).map(Cow::Borrowed).map_err(|e| {
                    self.invalid(format!(
                        "it starts with a UTF-8 byte order mark but byte {} is not UTF-8",
                        e.valid_up_to() + 3
                    ))
                })
            }
            [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
            [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
            _ => Ok(match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
            }),
        }
    }

    /// Parses the document. A DOCTYPE naming an external DTD (as every GE MUSE export
    /// does) is accepted and never fetched; an internal subset and entity declarations are
    /// refused, since no ECG format needs them and they are the way to make a small file
    /// expand without bound. Any internal subset, not only one whose text shows an entity:
    /// where the subset ends depends on comments and processing instructions inside it, which
    /// a scan cannot be trusted to see as the parser does.
    pub fn parse<'t>(&self, text: &'t str) -> Result<Document<'t>> {
        let prolog = prolog(text)
            .ok_or_else(|| self.invalid("no root element was found after the XML declaration"))?;
        if prolog.internal_subset.is_some() || text.contains("<!ENTITY") {
            return Err(self.invalid("its DOCTYPE has an internal subset or declares entities, which ECG files do not use; they are refused for safety (accepted: no DOCTYPE, or one naming an external DTD)"));
        }
        let markup = text.bytes().filter(|&b| b == b'<' || b == b'=').count() as u64;
        if markup > MAX_MARKUP {
            return Err(Error::TooLarge {
                file: self.file.to_string(),
                what: "the number of XML elements and attributes",
                actual: markup,
                limit: MAX_MARKUP,
            });
        }
        let options = ParsingOptions {
            allow_dtd: true,
            nodes_limit: 2 * MAX_MARKUP as u32 + 2,
            ..Default::default()
        };
        Document::parse_with_options(text, options).map_err(|e| {
            let hint = if matches!(
                e,
                roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode
            ) {
                " (the file is cut short)"
            } else {
                ""
            };
            self.invalid(format!("the XML is malformed: {e}{hint}"))
        })
    }

    /// The element at `path` below `parent`, or an error naming the path.
    pub fn element<'a, 'i>(
        &self,
        parent: Node<'a, 'i>,
        path: &[&'static str],
    ) -> Result<Node<'a, 'i>> {
        find(parent, path).ok_or_else(|| {
            self.invalid(format!(
                "it has no {} element in <{}>",
                path.join("/"),
                parent.tag_name().name()
            ))
        })
    }

    /// A finite number, or an error saying what is missing or wrong.
    pub fn number(&self, value: Option<&str>, what: &str) -> Result<f64> {
        let value = value.ok_or_else(|| self.invalid(format!("{what} is missing")))?;
        value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.invalid(format!("{what} '{}' is not a number", shown(value))))
    }

    /// Base64 of little-endian 16-bit samples, line breaks allowed, holding `channels`
    /// signals. The decoded size is checked against the sample limit before decoding.
    pub fn base64_i16(&self, text: &str, what: &str, channels: usize) -> Result<Vec<i16>> {
        let symbols = text.bytes().filter(|b| !b.is_ascii_whitespace()).count() as u64;
        check_samples(
            self.file,
            symbols.div_ceil(4) * 3 / 2 / channels.max(1) as u64,
        )?;
        let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let bytes = BASE64.decode(&compact).map_err(|e| {
            self.invalid(format!("{what}: the base64 sample data is damaged ({e})"))
        })?;
        if bytes.len() % 2 != 0 {
            return Err(self.invalid(format!(
                "{what}: {} bytes of sample data is not a whole number of 16-bit samples",
                bytes.len()
            )));
        }
        Ok(bytes
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect())
    }

    /// Whitespace-separated numbers holding `channels` signals, counted against the
    /// sample limit before any is stored.
    pub fn numbers(&self, text: &str, what: &str, channels: usize) -> Result<Vec<f64>> {
        check_samples(
            self.file,
            text.split_ascii_whitespace().count() as u64 / channels.max(1) as u64,
        )?;
        text.split_ascii_whitespace()
            .map(|token| {
                token
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        self.invalid(format!("{what}: '{}' is not a number", shown(token)))
                    })
            })
            .collect()
    }
}

/// At most 24 characters of `text`, for an error message about a value that may be huge.
fn shown(text: &str) -> String {
    match text.char_indices().nth(24) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Whether `node` is an element with the local name `name`, whatever its namespace.
pub fn is(node: Node, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name
}

/// The child elements named `name`.
pub fn children<'a, 'i>(
    node: Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| is(*c, name))
}

/// The first element at `path` below `node`, taking the first match at each step.
pub fn find<'a, 'i>(node: Node<'a, 'i>, path: &[&'static str]) -> Option<Node<'a, 'i>> {
    path.iter()
        .try_fold(node, |parent, name| children(parent, name).next())
}

/// The element's text without surrounding whitespace, if it has any.
pub fn text<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    node.text().map(str::trim).filter(|t| !t.is_empty())
}

/// The text of the first element at `path` below `node`.
pub fn find_text<'a>(node: Node<'a, '_>, path: &[&'static str]) -> Option<&'a str> {
    find(node, path).and_then(text)
}

/// The attribute with the local name `name` (so `xsi:type` is `type`), trimmed, if not empty.
pub fn attribute<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name)
        .map(|a| a.value().trim())
        .filter(|v| !v.is_empty())
}

/// `M`, `MALE`, `F`, `FEMALE` in any case.
pub fn sex(code: &str) -> Option<Sex> {
    match code.trim().to_ascii_uppercase().as_str() {
        "M" | "MALE" => Some(Sex::Male),
        "F" | "FEMALE" => Some(Sex::Female),
        _ => None,
    }
}

/// An age in years from a value in the unit the file names: MUSE's `YEARS`, `MONTHS`…,
/// UCUM's `a`, `mo`, `wk`, `d`, `h` (HL7), or Philips' element names `years`, `months`….
pub fn age_in_years(value: f64, unit: &str) -> Option<f32> {
    let years_per_unit = match unit.trim().to_ascii_lowercase().as_str() {
        "years" | "year" | "a" | "yr" | "y" => 1.0,
        "months" | "month" | "mo" => 1.0 / 12.0,
        "weeks" | "week" | "wk" => 7.0 / 365.25,
        "days" | "day" | "d" => 1.0 / 365.25,
        "hours" | "hour" | "h" => 1.0 / 8766.0,
        _ => return None,
    };
    let years = value * years_per_unit;
    (years.is_finite() && (0.0..200.0).contains(&years)).then_some(years as f32)
}

/// A calendar date and perhaps a time of day, as the formats write them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timestamp {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub time: Option<(u32, u32, u32)>,
}

impl Timestamp {
    /// Reads the forms that records keep as written: HL7's `YYYYMMDD[HHMMSS[.fff]][±ZZZZ]`,
    /// ISO `YYYY-MM-DD[ HH:MM:SS]` (Philips), MUSE's `MM-DD-YYYY[ HH:MM:SS]` and WFDB's
    /// `[HH:MM:SS ]DD/MM/YYYY`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut date = None;
        let mut time = None;
        for part in text.split_whitespace() {
            if part.contains(':') {
                time = Some(clock(part)?);
            } else {
                date = Some(part);
            }
        }
        let date = date?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let (year, month, day) = match date.get(..8).filter(|head| digits(head)) {
            Some(_) => {
                // HL7: the time follows the date directly, then fractions and a time zone.
                let rest = date[8..].split(['.', '+', '-']).next().unwrap_or("");
                if rest.len() >= 4 && digits(rest) {
                    let seconds = rest.get(4..6).unwrap_or("00");
                    time = Some(clock(&format!("{}:{}:{seconds}", &rest[..2], &rest[2..4]))?);
                }
                (&date[..4], &date[4..6], &date[6..8])
            }
            None => match date.split(['-', '/']).collect::<Vec<_>>().as_slice() {
                [d, m, y] if date.contains('/') => (*y, *m, *d),
                [y, m, d] if y.len() == 4 => (*y, *m, *d),
                [m, d, y] => (*y, *m, *d),
                _ => return None,
            },
        };
        let stamp = Timestamp {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
            day: day.parse().ok()?,
            time,
        };
        ((1..=12).contains(&stamp.month) && (1..=31).contains(&stamp.day) && year.len() == 4)
            .then_some(stamp)
    }

    /// Days since 1970-01-01 (proleptic Gregorian calendar).
    fn days(&self) -> i64 {
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The age in years at `later` of someone born at `self`, if plausible.
    pub fn years_until(&self, later: &Timestamp) -> Option<f32> {
        age_in_years((later.days() - self.days()) as f64, "days")
    }

    /// Seconds since 1970-01-01 00:00:00.
    pub fn seconds(&self) -> i64 {
        let (h, m, s) = self.hms();
        self.days() * 86_400 + i64::from(h * 3600 + m * 60 + s)
    }

    /// The moment `seconds` after 1970-01-01 00:00:00.
    pub fn from_seconds(seconds: i64) -> Self {
        let (days, of_day) = (
            seconds.div_euclid(86_400),
            seconds.rem_euclid(86_400) as u32,
        );
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        } as u32;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Timestamp {
            year,
            month,
            day,
            time: Some((of_day / 3600, of_day / 60 % 60, of_day % 60)),
        }
    }

    fn hms(&self) -> (u32, u32, u32) {
        self.time.unwrap_or((0, 0, 0))
    }

    /// HL7 `YYYYMMDDHHMMSS`.
    pub fn hl7(&self) -> String {
        let (h, m, s) = self.hms();
        format!(
            "{:04}{:02}{:02}{h:02}{m:02}{s:02}",
            self.year, self.month, self.day
        )
    }

    /// ISO `YYYY-MM-DD`.
    pub fn iso_date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `HH:MM:SS`, if the time is known.
    pub fn clock(&self) -> Option<String> {
        self.time.map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}"))
    }
}

/// `HH:MM[:SS[.fff]]`.
fn clock(text: &str) -> Option<(u32, u32, u32)> {
    let mut fields = text.split(':');
    let hours: u32 = fields.next()?.parse().ok()?;
    let minutes: u32 = fields.next()?.parse().ok()?;
    let seconds: u32 = match fields.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    (fields.next().is_none() && hours < 24 && minutes < 60 && seconds <= 60)
        .then_some((hours, minutes, seconds))
}

/// The digital value nearest `millivolts` at `millivolts_per_unit`, clamped to 16 bits.
pub fn quantise(millivolts: f32, millivolts_per_unit: f64) -> i16 {
    (f64::from(millivolts) / millivolts_per_unit)
        .round()
        .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

/// Little-endian 16-bit samples in base64, broken into lines of `line_len` characters
/// when given (as GE carts write them).
pub fn encode_base64_i16(samples: &[i16], line_len: Option<usize>) -> String {
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let encoded = BASE64.encode(bytes);
    match line_len {
        Some(n) if n > 0 => {
            let lines: Vec<&str> = encoded
                .as_bytes()
                .chunks(n)
                .filter_map(|c| std::str::from_utf8(c).ok())
                .collect();
            lines.join("\n")
        }
        _ => encoded,
    }
}

/// A UUID-shaped identifier derived from the record, so that writing the same record twice
/// gives the same document (fixtures stay stable) and different records differ.
pub fn document_id(record: &Record) -> String {
    let digest = record.content_digest();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Writes an indented document. Everything outside ASCII is written as a character
/// reference, so the output is valid whatever encoding the declaration names.
pub struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    /// Starts a document with `prolog` (the declaration and perhaps a DOCTYPE), verbatim.
    pub fn new(prolog: &str) -> Self {
        Self {
            out: format!("{prolog}\n"),
            open: Vec::new(),
        }
    }

    fn start_tag(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.out.push_str(&"  ".repeat(self.open.len()));
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    pub fn open(&mut self, name: &'static str, attributes: &[(&str, &str)]) -> &mut Self {
        self.start_tag(name, attributes);
        self.out.push_str(">\n");
        self.open.push(name);
        self
    }

    pub fn close(&mut self) -> &mut Self {
        if let Some(name) = self.open.pop() {
            self.out.push_str(&"  ".repeat(self.open.len()));
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
        self
    }

    /// An element with `text` as its content, or an empty element when `text` is empty.
    pub fn leaf(
        &mut self,
        name: &'static str,
        attributes: &[(&str, &str)],
        text: &str,
    ) -> &mut Self {
        self.start_tag(name, attributes);
        if text.is_empty() {
            self.out.push_str("/>\n");
        } else {
            self.out.push('>');
            escape_into(&mut self.out, text, false);
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
        self
    }

    /// Closes what is still open and gives the document's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        while !self.open.is_empty() {
            self.close();
        }
        self.out.into_bytes()
    }
}

/// Escapes markup characters and writes non-ASCII as character references; control
/// characters XML cannot hold at all become spaces. Line breaks and tabs stay as they are
/// in text, but not in attributes, where a parser would turn them into spaces, nor a
/// carriage return, which a parser would turn into a line feed.
fn escape_into(out: &mut String, text: &str, in_attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\t' if !in_attribute => out.push(c),
            '\n' | '\r' | '\t' => out.push_str(&format!("&#{};", u32::from(c))),
            c if c.is_ascii_control() => out.push(' '),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("&#x{:X};", u32::from(c))),
        }
    }
}

#[cfg(test)]
pub mod testing {
    //! What the three XML formats' tests share: the real PTB-XL record, reading back
    //! through detection, comparing leads, and feeding damaged files.

    use proptest::prelude::*;

    use crate::Result;
    use crate::{read_records, InputFile};
    use crate::{Channel, Lead, Metadata, Record, Sex};

    pub use crate::test_support::ptbxl_record;

    /// The first `n` samples of every channel.
    pub fn shortened(record: &Record, n: usize) -> Record {
        let mut short = record.clone();
        for channel in &mut short.channels {
            channel.samples.truncate(n);
        }
        short
    }

    /// Reads `bytes` as a dropped file named `name`, through format detection.
    pub fn read_back(name: &str, bytes: Vec<u8>) -> Result<Record> {
        let mut outcomes = read_records(&[InputFile::new(name, bytes)]);
        assert_eq!(outcomes.len(), 1);
        outcomes.remove(0).result
    }

    /// [`read_back`] with the error as its message, for checking what it says.
    pub fn read_error(bytes: Vec<u8>) -> String {
        read_back("r.xml", bytes)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    }

    pub type Writer = fn(&Record) -> Result<Vec<u8>>;

    /// Writes the PTB-XL record, reads it back under a name without an extension (so the
    /// format is recognised from content) and checks the format and that nothing was
    /// amiss. Gives the original and the read record.
    pub fn ptbxl_round_trip(write: Writer, format: &str) -> (Record, Record) {
        let record = ptbxl_record();
        let back = read_back("exported_ecg", write(&record).unwrap()).unwrap();
        assert_eq!(back.metadata.format.as_deref(), Some(format));
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        (record, back)
    }

    /// Checks that `tests/fixtures/xml/<file>` is what `write` makes of the PTB-XL record (see
    /// `committed_fixture`); gives it read back.
    pub fn fixture(file: &str, write: Writer) -> Record {
        let stored = crate::test_support::committed_fixture(
            &format!("xml/{file}"),
            &write(&ptbxl_record()).unwrap(),
        );
        let back = read_back(file, stored).unwrap();
        assert_eq!(back.standard_leads(), Lead::STANDARD.to_vec());
        assert_eq!(back.num_samples(), 1000);
        back
    }

    /// 20 samples of the PTB-XL record, with an age, a sex, a date and two statements.
    pub fn short_record() -> Record {
        let mut record = shortened(&ptbxl_record(), 20);
        record.metadata = Metadata {
            age: Some(63.0),
            sex: Some(Sex::Female),
            date: Some("10:00:00 01/02/2003".into()),
            statements: vec!["Sinus rhythm".into(), "Normal ECG".into()],
            ..Metadata::default()
        };
        record
    }

    /// Writes [`short_record`], reads it back and checks the age, sex and statements;
    /// gives the date as the format writes it.
    pub fn metadata_round_trip(write: Writer) -> Option<String> {
        let back = read_back("r.xml", write(&short_record()).unwrap()).unwrap();
        assert_eq!(back.metadata.age, Some(63.0));
        assert_eq!(back.metadata.sex, Some(Sex::Female));
        assert_eq!(back.metadata.statements, vec!["Sinus rhythm", "Normal ECG"]);
        back.metadata.date
    }

    /// Writes `record`, reads it back through detection and checks every lead it holds
    /// within `tolerance` mV; gives the record read.
    pub fn assert_round_trip(write: Writer, record: &Record, tolerance: f32) -> Record {
        let back = read_back("r.xml", write(record).unwrap()).unwrap();
        let leads: Vec<Lead> = record.channels.iter().filter_map(|c| c.lead).collect();
        assert_leads_close(record, &back, &leads, tolerance);
        back
    }

    /// Asserts that `actual` holds each of `leads` of `expected` within `tolerance` mV,
    /// at the same sampling rate.
    pub fn assert_leads_close(expected: &Record, actual: &Record, leads: &[Lead], tolerance: f32) {
        assert_eq!(actual.sampling_rate, expected.sampling_rate);
        for &lead in leads {
            let want = &expected
                .lead(lead)
                .unwrap_or_else(|| panic!("expected record lacks {lead:?}"))
                .samples;
            let got = &actual
                .lead(lead)
                .unwrap_or_else(|| panic!("{lead:?} was not read back"))
                .samples;
            assert_eq!(got.len(), want.len(), "{lead:?}");
            for (i, (a, b)) in got.iter().zip(want).enumerate() {
                assert!(
                    (a - b).abs() <= tolerance,
                    "{lead:?} sample {i}: read {a}, expected {b}"
                );
            }
        }
    }

    /// Every prefix and a set of single-byte changes of `write`'s [`short_record`] give
    /// `Ok` or `Err`, never a panic.
    pub fn assert_damage_is_handled(write: Writer) {
        let bytes = write(&short_record()).unwrap();
        let name = "r.xml";
        for end in 0..bytes.len() {
            let _ = read_records(&[InputFile::new(name, bytes[..end].to_vec())]);
        }
        let replacements = [0x00, b'<', b'>', b'&', b'"', b'9', b'-', b'=', 0xFF];
        for (i, replacement) in (0..bytes.len()).zip(replacements.iter().cycle()) {
            let mut damaged = bytes.to_vec();
            damaged[i] = *replacement;
            let _ = read_records(&[InputFile::new(name, damaged)]);
        }
    }

    /// Records on a grid of `step_mv` millivolts: a random subset of `pool` in random order,
    /// 1 to 400 samples, a rate from `rates`.
    pub fn records_on_grid(
        pool: &'static [Lead],
        rates: &'static [f64],
        step_mv: f64,
    ) -> impl Strategy<Value = Record> {
        (
            proptest::sample::subsequence(pool, 1..=pool.len()).prop_shuffle(),
            proptest::sample::select(rates),
            1usize..400,
        )
            .prop_flat_map(move |(leads, rate, len)| {
                let values = proptest::collection::vec(-3000i32..3000, leads.len() * len);
                (Just(leads), Just(rate), Just(len), values)
            })
            .prop_map(move |(leads, rate, len, values)| Record {
                name: "random".into(),
                sampling_rate: rate,
                channels: leads
                    .iter()
                    .zip(values.chunks(len))
                    .map(|(lead, digits)| Channel {
                        name: lead.label().into(),
                        lead: Some(*lead),
                        units: "mV".into(),
                        samples: digits
                            .iter()
                            .map(|&d| (f64::from(d) * step_mv) as f32)
                            .collect(),
                        derived: false,
                    })
                    .collect(),
                metadata: Metadata::default(),
                warnings: vec![],
            })
    }

    /// The recorded (not derived) leads of a record, in its order.
    pub fn recorded_leads(record: &Record) -> Vec<Lead> {
        record
            .channels
            .iter()
            .filter(|c| !c.derived)
            .filter_map(|c| c.lead)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_past_declaration_comments_and_doctype() {
        let doc = "\u{feff}<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!-- a > b -->\n\
                   <!DOCTYPE RestingECG SYSTEM \"restecg.dtd\">\r\n<RestingECG>";
        assert!(has_root(doc.as_bytes(), "RestingECG"));
        assert!(!has_root(doc.as_bytes(), "AnnotatedECG"));
        assert!(has_root(
            b"<hl7:AnnotatedECG xmlns:hl7=\"urn:hl7-org:v3\"/>",
            "AnnotatedECG"
        ));
        assert!(has_root(b"<!DOCTYPE r [ <!ELEMENT r ANY> ]><r>", "r"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<r/>".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert!(has_root(&utf16, "r"));
        for not_xml in [
            &b""[..],
            b"<",
            b"<!-- never closed",
            b"ECG,I,II",
            b"\x00\x01<r>",
        ] {
            assert!(!has_root(not_xml, "r"), "{not_xml:?}");
        }
        // A root past the sniffed start is not looked for.
        let late = format!("<!--{}--><r/>", " ".repeat(SNIFF_BYTES));
        assert!(!has_root(late.as_bytes(), "r"));
    }

    #[test]
    fn entity_declarations_are_refused_and_external_dtds_ignored() {
        let src = Source::new("f.xml", "Test");
        let laughs = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><r>&b;</r>";
        let e = src.parse(laughs).unwrap_err().to_string();
        assert!(e.contains("declares entities"), "{e}");
        // A `]` inside a comment once ended the scanned subset early, hiding the entities.
        let hidden = "<!DOCTYPE r [<!-- ] --><!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><r>&b;</r>";
        let e = src.parse(hidden).unwrap_err().to_string();
        assert!(e.contains("internal subset"), "{e}");
        let e = src
            .parse("<!DOCTYPE r [ <!ELEMENT r ANY> ]><r>x</r>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("internal subset"), "{e}");
        let external = "<!DOCTYPE r SYSTEM \"http://example.invalid/r.dtd\"><r>x</r>";
        assert_eq!(text(src.parse(external).unwrap().root_element()), Some("x"));
        let e = src.parse("<r><a></r>").unwrap_err().to_string();
        assert!(e.contains("malformed"), "{e}");
        let e = src.parse("<r><a>").unwrap_err().to_string();
        assert!(e.contains("cut short"), "{e}");
        let many = format!("<r>{}</r>", "<a/>".repeat(MAX_MARKUP as usize));
        assert!(matches!(src.parse(&many), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn latin1_utf16_and_utf8_are_decoded() {
        let src = Source::new("f.xml", "Test");
        assert_eq!(src.text(b"<r>caf\xe9</r>").unwrap(), "<r>café</r>");
        assert_eq!(src.text("<r>café</r>".as_bytes()).unwrap(), "<r>café</r>");
        assert_eq!(src.text(b"\xef\xbb\xbf<r/>").unwrap(), "<r/>");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("<r>é</r>".encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        assert_eq!(src.text(&be).unwrap(), "<r>é</r>");
        assert!(src.text(&[0xFF, 0xFE, 0x00, 0xD8]).is_err());
        assert!(src.text(b"\xef\xbb\xbf\xff").is_err());
    }

    #[test]
    fn base64_samples_decode_with_line_breaks_and_refuse_damage() {
        let src = Source::new("f.xml", "Test");
        let samples = [0i16, 1, -1, i16::MAX, i16::MIN, 1234];
        let encoded = encode_base64_i16(&samples, Some(4));
        assert!(encoded.contains('\n'));
        assert_eq!(
            src.base64_i16(&format!(" {encoded}\r\n"), "lead", 1)
                .unwrap(),
            samples
        );
        assert!(src
            .base64_i16("AAAB", "lead", 1)
            .unwrap_err()
            .to_string()
            .contains("whole number"));
        let e = src.base64_i16("AA*A", "lead I", 1).unwrap_err().to_string();
        assert!(e.contains("lead I") && e.contains("damaged"), "{e}");
        // 8 MB of samples in one lead is over the limit, found before decoding.
        let huge = "A".repeat(10_000_000);
        assert!(matches!(
            src.base64_i16(&huge, "lead", 1),
            Err(Error::TooLarge { .. })
        ));
        assert_eq!(src.base64_i16(&huge, "leads", 12).unwrap().len(), 3_750_000);
    }

    #[test]
    fn numbers_and_lookups() {
        let src = Source::new("f.xml", "Test");
        assert_eq!(
            src.numbers(" 1 -2\n3.5 ", "digits", 1).unwrap(),
            vec![1.0, -2.0, 3.5]
        );
        let e = src.numbers("1 x2", "digits", 1).unwrap_err().to_string();
        assert!(e.contains("'x2' is not a number"), "{e}");
        assert!(src.number(Some("NaN"), "rate").is_err());
        assert!(src
            .number(None, "SampleBase")
            .unwrap_err()
            .to_string()
            .contains("SampleBase is missing"));
        let long = "9".repeat(1000) + "x";
        assert!(src.number(Some(&long), "v").unwrap_err().to_string().len() < 200);

        let doc = Document::parse(
            "<r xmlns='urn:x' xmlns:xsi='urn:xsi'><a><b xsi:type='T'> t </b></a><a/></r>",
        )
        .unwrap();
        let root = doc.root_element();
        assert_eq!(children(root, "a").count(), 2);
        let b = find(root, &["a", "b"]).unwrap();
        assert_eq!((text(b), attribute(b, "type")), (Some("t"), Some("T")));
        assert_eq!(find_text(root, &["a", "b"]), Some("t"));
        let e = src.element(root, &["a", "c"]).unwrap_err().to_string();
        assert!(e.contains("no a/c element in <r>"), "{e}");
    }

    #[test]
    fn timestamps_in_each_format() {
        let t = |y, mo, d, time| Timestamp {
            year: y,
            month: mo,
            day: d,
            time,
        };
        assert_eq!(
            Timestamp::parse("20081223194446.000+0100"),
            Some(t(2008, 12, 23, Some((19, 44, 46))))
        );
        assert_eq!(Timestamp::parse("19760101"), Some(t(1976, 1, 1, None)));
        assert_eq!(
            Timestamp::parse("200812231944-0500"),
            Some(t(2008, 12, 23, Some((19, 44, 0))))
        );
        assert_eq!(
            Timestamp::parse("2003-02-01 10:00:00"),
            Some(t(2003, 2, 1, Some((10, 0, 0))))
        );
        assert_eq!(
            Timestamp::parse("02-01-2003 10:00"),
            Some(t(2003, 2, 1, Some((10, 0, 0))))
        );
        assert_eq!(
            Timestamp::parse("10:00:00 01/02/2003"),
            Some(t(2003, 2, 1, Some((10, 0, 0))))
        );
        for bad in [
            "",
            "10:00:00",
            "2003-13-01",
            "1/2/3",
            "20081323",
            "25:00 2003-01-01",
            "yesterday",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
        let birth = t(1976, 1, 1, None);
        let age = birth.years_until(&t(2008, 12, 23, None)).unwrap();
        assert!((age - 32.98).abs() < 0.01, "{age}");
        assert_eq!(t(2008, 12, 23, Some((9, 4, 5))).hl7(), "20081223090405");
        for stamp in [
            t(2008, 12, 31, Some((23, 59, 59))),
            t(2000, 2, 29, Some((0, 0, 0))),
            t(1969, 3, 1, Some((1, 2, 3))),
        ] {
            assert_eq!(Timestamp::from_seconds(stamp.seconds()), stamp);
        }
        assert_eq!(
            Timestamp::from_seconds(t(2008, 12, 31, Some((23, 59, 59))).seconds() + 1),
            t(2009, 1, 1, Some((0, 0, 0)))
        );
        assert_eq!(t(2008, 2, 3, None).iso_date(), "2008-02-03");
        assert_eq!(age_in_years(6.0, "MONTHS"), Some(0.5));
        assert_eq!(age_in_years(40.0, "furlongs"), None);
        assert_eq!(sex("female"), Some(Sex::Female));
        assert_eq!(sex("Unspecified"), None);
    }

    #[test]
    fn the_writer_escapes_and_nests() {
        let mut w = XmlWriter::new("<?xml version=\"1.0\"?>");
        w.open("r", &[("a", "x\"<é\n")])
            .leaf("s", &[], "a & b\u{1}ü")
            .leaf("e", &[("k", "v")], "")
            .leaf("l", &[], "1\n2\r");
        let out = String::from_utf8(w.finish()).unwrap();
        assert!(out.is_ascii());
        let doc = Document::parse(&out).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("a"), Some("x\"<é\n"));
        assert_eq!(find(root, &["l"]).and_then(|l| l.text()), Some("1\n2\r"));
        assert_eq!(find_text(root, &["s"]), Some("a & b ü"));
        assert!(find(root, &["e"]).is_some());
        assert_eq!(quantise(1.0, 0.00488), 205);
        assert_eq!(quantise(1e9, 0.001), i16::MAX);
        assert_eq!(quantise(f32::NAN, 0.001), 0);
    }
}
