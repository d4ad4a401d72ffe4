//! A generic DICOM data set parser for the little-endian transfer syntaxes: every element
//! is kept as a slice of the file, sequences as nested data sets, so the waveform reader
//! can look elements up by tag without knowing the rest of the dictionary.

use crate::ByteReader;
use crate::{Error, Result};

/// `(group << 16) | element`.
pub type Tag = u32;

pub const fn tag(group: u16, element: u16) -> Tag {
    ((group as u32) << 16) | element as u32
}

const ITEM: Tag = tag(0xFFFE, 0xE000);
const ITEM_END: Tag = tag(0xFFFE, 0xE00D);
const SEQUENCE_END: Tag = tag(0xFFFE, 0xE0DD);
const UNDEFINED_LENGTH: u32 = 0xFFFF_FFFF;

/// Sequences nest a few levels in real files (waveform → channel → code); anything deeper
/// is a malformed or hostile file.
const MAX_DEPTH: usize = 16;
/// Elements and items in one file; each costs a few dozen bytes of memory, so this bounds
/// what a file made only of tiny elements can make us allocate.
const MAX_ELEMENTS: usize = 1_000_000;

/// VRs whose explicit encoding has two reserved bytes and a 4-byte length.
const LONG_VRS: [&[u8; 2]; 13] = [
    b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV", b"SV", b"UV",
];

/// Sequences the waveform reader looks into. In implicit VR a sequence of defined length
/// cannot be told from bytes without the dictionary, so these are parsed as sequences there.
const KNOWN_SEQUENCES: [Tag; 5] = [
    tag(0x5400, 0x0100), // Waveform Sequence
    tag(0x003A, 0x0200), // Channel Definition Sequence
    tag(0x003A, 0x0208), // Channel Source Sequence
    tag(0x003A, 0x0211), // Channel Sensitivity Units Sequence
    tag(0x0040, 0xB020), // Waveform Annotation Sequence
];

#[derive(Debug)]
pub enum Value<'a> {
    Bytes(&'a [u8]),
    Items(Vec<Dataset<'a>>),
}

#[derive(Debug)]
pub struct Element<'a> {
    pub tag: Tag,
    pub value: Value<'a>,
}

#[derive(Debug, Default)]
pub struct Dataset<'a> {
    pub elements: Vec<Element<'a>>,
}

impl<'a> Dataset<'a> {
    fn value(&self, tag: Tag) -> Option<&Value<'a>> {
        self.elements
            .iter()
            .find(|e| e.tag == tag)
            .map(|e| &e.value)
    }

    pub fn bytes(&self, tag: Tag) -> Option<&'a [u8]> {
        match self.value(tag)? {
            Value::Bytes(bytes) => Some(bytes),
            Value::Items(_) => None,
        }
    }

    pub fn items(&self, tag: Tag) -> &[Dataset<'a>] {
        match self.value(tag) {
            Some(Value::Items(items)) => items,
            _ => &[],
        }
    }

    /// A text value without its padding (trailing spaces and NULs), decoded leniently.
    pub fn text(&self, tag: Tag) -> Option<String> {
        let text = String::from_utf8_lossy(self.bytes(tag)?);
        let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        (!text.is_empty()).then(|| text.to_string())
    }

    /// The first value of a decimal string (DS) or integer string (IS).
    pub fn number(&self, tag: Tag) -> Option<f64> {
        self.text(tag)?
            .split('\\')
            .next()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    }

    /// An unsigned binary value (US or UL, told apart by length), or an IS where a file
    /// wrote the number as text.
    pub fn unsigned(&self, tag: Tag) -> Option<u32> {
        match self.bytes(tag)? {
            [a, b] => Some(u32::from(u16::from_le_bytes([*a, *b]))),
            [a, b, c, d] => Some(u32::from_le_bytes([*a, *b, *c, *d])),
            _ => self
                .number(tag)
                .filter(|v| *v >= 0.0 && *v <= f64::from(u32::MAX) && v.fract() == 0.0)
                .map(|v| v as u32),
        }
    }
}

/// Which encoding the data set uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Syntax {
    ImplicitLittle,
    ExplicitLittle,
}

pub struct Parser<'a, 'r> {
    reader: &'r mut ByteReader<'a>,
    data: &'a [u8],
    syntax: Syntax,
    elements: usize,
}

struct Header {
    tag: Tag,
    vr: Option<[u8; 2]>,
    length: u32,
}

impl<'a, 'r> Parser<'a, 'r> {
    pub fn new(reader: &'r mut ByteReader<'a>, data: &'a [u8], syntax: Syntax) -> Self {
        Self {
            reader,
            data,
            syntax,
            elements: 0,
        }
    }

    /// Elements from the reader's position while `keep(tag)` holds (the file meta group)
    /// or to the end of the data.
    pub fn read_while(&mut self, keep: impl Fn(Tag) -> bool) -> Result<Dataset<'a>> {
        let mut set = Dataset::default();
        while self.reader.remaining() > 0 {
            let start = self.reader.position();
            let group = self.reader.u16()?;
            self.reader.seek(start)?;
            if !keep(u32::from(group) << 16) {
                break;
            }
            let header = self.header()?;
            if header.tag == ITEM_END || header.tag == SEQUENCE_END || header.tag == ITEM {
                return Err(self.stray_delimiter(header.tag));
            }
            let element = self.element(header, 0)?;
            set.elements.push(element);
        }
        Ok(set)
    }

    fn header(&mut self) -> Result<Header> {
        let group = self.reader.u16()?;
        let element = self.reader.u16()?;
        let tag = tag(group, element);
        if group == 0xFFFE || self.syntax == Syntax::ImplicitLittle {
            return Ok(Header {
                tag,
                vr: None,
                length: self.reader.u32()?,
            });
        }
        let vr: [u8; 2] = self.reader.take(2)?.try_into().unwrap_or([0, 0]);
        if !vr.iter().all(u8::is_ascii_uppercase) {
            return Err(self.reader.error(format!(
                "element {} at byte {} has no value representation (found bytes {:02X} {:02X}); the file may use \
                 implicit VR although its transfer syntax says explicit",
                describe(tag),
                self.reader.position() - 6,
                vr[0],
                vr[1]
            )));
        }
        let length = if LONG_VRS.contains(&&vr) {
            self.reader.skip(2)?;
            self.reader.u32()?
        } else {
            u32::from(self.reader.u16()?)
        };
        Ok(Header {
            tag,
            vr: Some(vr),
            length,
        })
    }

    fn element(&mut self, header: Header, depth: usize) -> Result<Element<'a>> {
        self.count()?;
        let Header { tag, vr, length } = header;
        let is_sequence = match vr {
            Some(vr) => &vr == b"SQ" || (&vr == b"UN" && length == UNDEFINED_LENGTH),
            None => length == UNDEFINED_LENGTH || KNOWN_SEQUENCES.contains(&tag),
        };
        if length == UNDEFINED_LENGTH {
            if matches!(vr, Some(v) if &v == b"OB" || &v == b"OW") {
                self.skip_fragments(tag)?;
                return Ok(Element {
                    tag,
                    value: Value::Bytes(&[]),
                });
            }
            if !is_sequence {
                return Err(self.reader.error(format!(
                    "element {} has an undefined length, which only sequences and encapsulated data may have",
                    describe(tag)
                )));
            }
        }
        if !is_sequence {
            let value = self.take(tag, length)?;
            return Ok(Element {
                tag,
                value: Value::Bytes(value),
            });
        }
        // DICOM encodes the content of a UN sequence of undefined length in implicit VR.
        let outer = self.syntax;
        if matches!(vr, Some(v) if &v == b"UN") {
            self.syntax = Syntax::ImplicitLittle;
        }
        let items = self.sequence(tag, length, depth + 1);
        self.syntax = outer;
        Ok(Element {
            tag,
            value: Value::Items(items?),
        })
    }

    fn sequence(&mut self, tag: Tag, length: u32, depth: usize) -> Result<Vec<Dataset<'a>>> {
        if depth > MAX_DEPTH {
            return Err(self
                .reader
                .error(format!("sequences are nested more than {MAX_DEPTH} deep")));
        }
        let mut items = Vec::new();
        self.each_header(tag, length, |parser, header| match header.tag {
            SEQUENCE_END => Ok(true),
            ITEM => {
                parser.count()?;
                items.push(parser.item(header.length, depth)?);
                Ok(false)
            }
            other => Err(parser.reader.error(format!(
                "the sequence {} holds element {} where an item was expected",
                describe(tag),
                describe(other)
            ))),
        })?;
        Ok(items)
    }

    fn item(&mut self, length: u32, depth: usize) -> Result<Dataset<'a>> {
        let undefined = length == UNDEFINED_LENGTH;
        let mut set = Dataset::default();
        self.each_header(ITEM, length, |parser, header| match header.tag {
            ITEM_END if undefined => Ok(true),
            ITEM_END | ITEM | SEQUENCE_END => Err(parser.stray_delimiter(header.tag)),
            _ => {
                set.elements.push(parser.element(header, depth)?);
                Ok(false)
            }
        })?;
        Ok(set)
    }

    /// Hands `each` the headers inside a value of `length` bytes (or, when the length is
    /// undefined, up to the delimiter after which `each` returns `true`), checking that the
    /// content ends where the length says.
    fn each_header(
        &mut self,
        tag: Tag,
        length: u32,
        mut each: impl FnMut(&mut Self, Header) -> Result<bool>,
    ) -> Result<()> {
        let end = self.end_of(tag, length)?;
        while end != Some(self.reader.position()) {
            let header = self.header()?;
            if each(self, header)? {
                break;
            }
            if end.is_some_and(|end| self.reader.position() > end) {
                return Err(self.overrun(tag));
            }
        }
        Ok(())
    }

    /// Encapsulated pixel data: fragments in items up to a sequence delimiter. Not needed
    /// for waveforms, only stepped over.
    fn skip_fragments(&mut self, tag: Tag) -> Result<()> {
        loop {
            let header = self.header()?;
            match header.tag {
                SEQUENCE_END => return Ok(()),
                ITEM if header.length != UNDEFINED_LENGTH => {
                    self.count()?;
                    self.take(tag, header.length)?;
                }
                _ => {
                    return Err(self.reader.error(format!(
                        "the encapsulated data of {} holds {} where a fragment was expected",
                        describe(tag),
                        describe(header.tag)
                    )))
                }
            }
        }
    }

    /// Where a value of defined `length` ends, checked against the file; `None` when undefined.
    fn end_of(&mut self, tag: Tag, length: u32) -> Result<Option<usize>> {
        if length == UNDEFINED_LENGTH {
            return Ok(None);
        }
        let start = self.reader.position();
        self.check_length(tag, length)?;
        Ok(Some(start + length as usize))
    }

    fn take(&mut self, tag: Tag, length: u32) -> Result<&'a [u8]> {
        self.check_length(tag, length)?;
        let start = self.reader.position();
        self.reader.skip(length as usize)?;
        Ok(&self.data[start..start + length as usize])
    }

    fn check_length(&self, tag: Tag, length: u32) -> Result<()> {
        let remaining = self.reader.remaining();
        if length as usize > remaining {
            return Err(self.reader.error(format!(
                "element {} at byte {} claims {length} bytes but the file has only {remaining} left; the file is \
                 truncated or damaged",
                describe(tag),
                self.reader.position()
            )));
        }
        Ok(())
    }

    fn count(&mut self) -> Result<()> {
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(self
                .reader
                .error(format!("it holds more than {MAX_ELEMENTS} elements")));
        }
        Ok(())
    }

    fn overrun(&self, tag: Tag) -> Error {
        self.reader.error(format!(
            "the content of {} runs past its stated length",
            describe(tag)
        ))
    }

    fn stray_delimiter(&self, tag: Tag) -> Error {
        self.reader.error(format!(
            "a delimiter {} stands outside the sequence it should end",
            describe(tag)
        ))
    }
}

/// `(GGGG,EEEE)`, as DICOM writes tags.
pub fn describe(tag: Tag) -> String {
    format!("({:04X},{:04X})", tag >> 16, tag & 0xFFFF)
}
