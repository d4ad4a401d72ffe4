//! SCP-ECG Huffman coding (section 2): tables of prefix codes, each either standing for a
//! value, introducing a raw value of a given width, or switching to another table.
//!
//! The file stores each code bit-reversed (its first transmitted bit is bit 0 of the base
//! code); codes are packed into bytes most significant bit first.

use std::collections::HashMap;

/// One code structure of a table.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Code {
    prefix_bits: u8,
    /// The prefix in transmission order, first bit most significant.
    prefix: u32,
    /// Bits of raw two's-complement value that follow the prefix (0: the value is `value`).
    raw_bits: u8,
    value: i16,
    /// Table mode switch 0: the code selects another table instead of standing for a value.
    switches: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    codes: Vec<Code>,
    /// Index into `codes` by (prefix length, prefix): decoding looks a code up after every
    /// bit, and a table may hold 65,535 codes.
    by_prefix: HashMap<(u8, u32), usize>,
    /// The longest prefix, past which no code can match.
    longest: u8,
}

/// The number section 2 gives instead of a table count when the default table is used.
pub const DEFAULT_TABLE_MARKER: u16 = 19999;

/// The default table (EN 1064 Annex), column by column as the standard lists it:
/// differences −8 … +8 in 1 to 10 bits (`0`, `100`, `101`, `1100`, `1101`, … `1111111101`),
/// then escapes for a raw 8-bit and a raw 16-bit value. Base codes are stored bit-reversed.
const DEFAULT_PREFIX_BITS: [u8; 19] = [1, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 10, 10];
const DEFAULT_TOTAL_BITS: [u8; 19] = [1, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 18, 26];
const DEFAULT_VALUES: [i16; 19] = [
    0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8, 0, 0,
];
const DEFAULT_BASE_CODES: [u32; 19] = [
    0, 1, 5, 3, 11, 7, 23, 15, 47, 31, 95, 63, 191, 127, 383, 255, 767, 511, 1023,
];

fn reverse(code: u32, bits: u8) -> u32 {
    (0..bits).fold(0, |out, i| (out << 1) | ((code >> i) & 1))
}

impl Table {
    pub fn default_table() -> Self {
        let columns = DEFAULT_PREFIX_BITS
            .iter()
            .zip(DEFAULT_TOTAL_BITS)
            .zip(DEFAULT_VALUES)
            .zip(DEFAULT_BASE_CODES);
        let codes = columns
            .map(|(((&prefix_bits, total_bits), value), stored)| Code {
                prefix_bits,
                prefix: reverse(stored, prefix_bits),
                raw_bits: total_bits - prefix_bits,
                value,
                switches: false,
            })
            .collect::<Vec<Code>>();
        let mut table = Self::default();
        codes.into_iter().for_each(|c| table.add(c));
        table
    }

    /// One code structure as section 2 stores it: prefix bits, total bits, table mode
    /// switch, base value, base code. The `Err` names what is wrong.
    fn push(&mut self, bytes: &[u8; 9]) -> Result<(), String> {
        let [prefix_bits, total_bits, mode, v0, v1, c0, c1, c2, c3] = *bytes;
        if !(1..=32).contains(&prefix_bits) {
            return Err(format!(
                "a code of {prefix_bits} bits (1 to 32 are possible)"
            ));
        }
        let switches = mode == 0;
        let raw_bits = if switches {
            0
        } else {
            total_bits.saturating_sub(prefix_bits)
        };
        if raw_bits > 16 || (!switches && total_bits < prefix_bits) {
            return Err(format!(
                "a code of {prefix_bits} bits followed by {total_bits} bits in all"
            ));
        }
        let stored = u32::from_le_bytes([c0, c1, c2, c3]);
        self.add(Code {
            prefix_bits,
            prefix: reverse(stored, prefix_bits),
            raw_bits,
            value: i16::from_le_bytes([v0, v1]),
            switches,
        });
        Ok(())
    }

    /// Adds a code; of two with the same prefix, the first listed is kept, as a linear search
    /// would find it.
    fn add(&mut self, code: Code) {
        self.by_prefix
            .entry((code.prefix_bits, code.prefix))
            .or_insert(self.codes.len());
        self.longest = self.longest.max(code.prefix_bits);
        self.codes.push(code);
    }

    fn find(&self, bits: u8, prefix: u32) -> Option<&Code> {
        self.by_prefix.get(&(bits, prefix)).map(|&k| &self.codes[k])
    }

    fn longest(&self) -> u8 {
        self.longest
    }
}

/// The tables of section 2, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tables {
    tables: Vec<Table>,
}

impl Tables {
    pub fn default_only() -> Self {
        Self {
            tables: vec![Table::default_table()],
        }
    }

    /// Section 2's body; an `Err` says what is wrong with it.
    pub fn read(body: &[u8]) -> Result<Self, String> {
        let count = u16_at(body, 0).ok_or("section 2 is empty")?;
        if count == DEFAULT_TABLE_MARKER {
            return Ok(Self::default_only());
        }
        if count == 0 {
            return Err("section 2 holds no Huffman table".into());
        }
        let mut tables = Vec::new();
        let mut at = 2usize;
        for number in 1..=count {
            let codes =
                u16_at(body, at).ok_or(format!("section 2 ends before Huffman table {number}"))?;
            at += 2;
            let mut table = Table::default();
            for _ in 0..codes {
                let bytes: &[u8; 9] = body
                    .get(at..at + 9)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(format!("section 2 ends inside Huffman table {number}"))?;
                table
                    .push(bytes)
                    .map_err(|what| format!("Huffman table {number} has {what}"))?;
                at += 9;
            }
            tables.push(table);
        }
        Ok(Self { tables })
    }

    /// The table a switch code names. Implementations disagree on whether tables count from
    /// 0 or 1; numbers 1..=count are taken as counting from 1, 0 as the first table.
    fn switch_target(&self, number: i16) -> Option<usize> {
        match usize::try_from(number).ok()? {
            0 => Some(0),
            n if n <= self.tables.len() => Some(n - 1),
            _ => None,
        }
    }

    /// Decodes `count` values from one lead's bytes, starting with the first table.
    pub fn decode(&self, bytes: &[u8], count: usize) -> Result<Vec<i16>, String> {
        let mut bits = BitReader { bytes, at: 0 };
        let mut table = self.tables.first().ok_or("no Huffman table")?;
        let mut values = Vec::with_capacity(count.min(bytes.len() * 8));
        while values.len() < count {
            let (mut length, mut prefix) = (0u8, 0u32);
            let code = loop {
                let bit = bits.next().ok_or_else(|| {
                    format!(
                        "the Huffman data ends after {} of {count} values",
                        values.len()
                    )
                })?;
                prefix = (prefix << 1) | bit;
                length += 1;
                if let Some(code) = table.find(length, prefix) {
                    break *code;
                }
                if length >= table.longest() {
                    return Err(format!(
                        "value {} starts with a bit pattern that is not in the Huffman table",
                        values.len() + 1
                    ));
                }
            };
            if code.switches {
                let target = self.switch_target(code.value).ok_or_else(|| {
                    format!(
                        "a code switches to Huffman table {}, which is not there",
                        code.value
                    )
                })?;
                table = &self.tables[target];
                continue;
            }
            let value = if code.raw_bits == 0 {
                code.value
            } else {
                let raw = bits.take(code.raw_bits).ok_or_else(|| {
                    format!(
                        "the Huffman data ends inside value {} of {count}",
                        values.len() + 1
                    )
                })?;
                // Sign-extend the raw two's-complement value; 16-bit values wrap like the samples.
                let shift = 32 - u32::from(code.raw_bits);
                (((raw << shift) as i32) >> shift) as i16
            };
            values.push(value);
        }
        Ok(values)
    }
}

/// Encodes values with the default table: each with its own code where it has one, else
/// after the shortest escape whose raw width holds it.
pub fn encode_default(values: &[i16]) -> Vec<u8> {
    let table = Table::default_table();
    let mut out = BitWriter::default();
    for &value in values {
        let exact = table
            .codes
            .iter()
            .find(|c| c.raw_bits == 0 && c.value == value);
        let code = exact.or_else(|| {
            table
                .codes
                .iter()
                .filter(|c| c.raw_bits > 0 && fits(value, c.raw_bits))
                .min_by_key(|c| c.raw_bits)
        });
        // The 16-bit escape holds every value, so a code is always found.
        if let Some(code) = code {
            out.put(code.prefix, code.prefix_bits);
            if code.raw_bits > 0 {
                out.put(u32::from(value as u16), code.raw_bits);
            }
        }
    }
    out.finish()
}

fn fits(value: i16, bits: u8) -> bool {
    let half = 1i32 << (bits - 1);
    (-half..half).contains(&i32::from(value))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

struct BitReader<'a> {
    bytes: &'a [u8],
    /// In bits.
    at: usize,
}

impl BitReader<'_> {
    fn next(&mut self) -> Option<u32> {
        let byte = self.bytes.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(u32::from(bit))
    }

    fn take(&mut self, bits: u8) -> Option<u32> {
        (0..bits).try_fold(0u32, |acc, _| Some((acc << 1) | self.next()?))
    }
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    /// The low `count` bits of `value`, most significant first.
    fn put(&mut self, value: u32, count: u8) {
        for i in (0..count).rev() {
            if self.bits.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if (value >> i) & 1 == 1 {
                if let Some(last) = self.bytes.last_mut() {
                    *last |= 0x80 >> (self.bits % 8);
                }
            }
            self.bits += 1;
        }
    }

    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the standard (as reproduced in PixelMed's SCP-ECG decoder, which
    /// notes that the printed byte `F5` must read `F1`, and adds the final `00` the example
    /// needs): second differences, default table.
    #[test]
    fn the_standards_example_decodes() {
        let bytes = [
            0xFF, 0x83, 0x7F, 0xE0, 0xE6, 0xF1, 0x53, 0x65, 0x59, 0xB6, 0x5B, 0x96, 0x4B, 0x96,
            0x00,
        ];
        let differences = Tables::default_only().decode(&bytes, 28).unwrap();
        let mut samples: Vec<i16> = Vec::new();
        for (i, d) in differences.iter().enumerate() {
            let value = if i < 2 {
                *d
            } else {
                d + 2 * samples[i - 1] - samples[i - 2]
            };
            samples.push(value);
        }
        let expected = [
            13, 14, 15, 14, 16, 18, 19, 20, 22, 22, 23, 23, 23, 22, 22, 20, 17, 15, 12, 8, 6, 3, 1,
            0, -2, -2, -3, -3,
        ];
        assert_eq!(samples, expected);
    }

    #[test]
    fn default_codes_are_the_standards() {
        let table = Table::default_table();
        let bits = |value: i16| {
            let c = table
                .codes
                .iter()
                .find(|c| c.raw_bits == 0 && c.value == value)
                .unwrap();
            format!("{:0width$b}", c.prefix, width = usize::from(c.prefix_bits))
        };
        assert_eq!(bits(0), "0");
        assert_eq!(bits(1), "100");
        assert_eq!(bits(-1), "101");
        assert_eq!(bits(2), "1100");
        assert_eq!(bits(-8), "1111111101");
        assert_eq!(encode_default(&[0, 1, -1]), vec![0b0100_1010]);
        // 200 needs the 16-bit escape (it does not fit 8 signed bits).
        assert_eq!(encode_default(&[200]), vec![0xFF, 0xC0, 0x32, 0x00]);
    }

    #[test]
    fn every_value_round_trips() {
        let values: Vec<i16> = (i16::MIN..=i16::MAX)
            .step_by(7)
            .chain(-300..300)
            .chain([i16::MIN, i16::MAX])
            .collect();
        let encoded = encode_default(&values);
        assert_eq!(
            Tables::default_only()
                .decode(&encoded, values.len())
                .unwrap(),
            values
        );
    }

    #[test]
    fn custom_tables_and_switches() {
        // Table 1: "0" = 5, "10" = switch to table 2, "11" + 4 raw bits. Table 2: "1" = -3, "0" = switch to table 1.
        let code = |prefix_bits: u8, total: u8, mode: u8, value: i16, stored: u32| {
            let mut b = vec![prefix_bits, total, mode];
            b.extend_from_slice(&value.to_le_bytes());
            b.extend_from_slice(&stored.to_le_bytes());
            b
        };
        let mut body = 2u16.to_le_bytes().to_vec();
        body.extend_from_slice(&3u16.to_le_bytes());
        body.extend(code(1, 1, 1, 5, 0b0));
        body.extend(code(2, 2, 0, 2, 0b01));
        body.extend(code(2, 6, 1, 0, 0b11));
        body.extend_from_slice(&2u16.to_le_bytes());
        body.extend(code(1, 1, 1, -3, 0b1));
        body.extend(code(1, 1, 0, 1, 0b0));
        let tables = Tables::read(&body).unwrap();
        // 0 | 11 1110 | 10 | 1 | 1 | 0 | 0  →  5, -2, (switch), -3, -3, (switch), 5
        let bits = "0111110101100";
        let mut bytes = vec![0u8; 2];
        for (i, b) in bits.bytes().enumerate() {
            if b == b'1' {
                bytes[i / 8] |= 0x80 >> (i % 8);
            }
        }
        assert_eq!(tables.decode(&bytes, 5).unwrap(), vec![5, -2, -3, -3, 5]);
        assert!(tables.decode(&bytes, 9).unwrap_err().contains("ends after"));
        assert!(Tables::read(&body[..20])
            .unwrap_err()
            .contains("ends inside Huffman table 1"));
        assert_eq!(
            Tables::read(&DEFAULT_TABLE_MARKER.to_le_bytes()).unwrap(),
            Tables::default_only()
        );
    }

    #[test]
    fn a_table_of_many_long_codes_decodes_in_linear_time() {
        // 65,535 codes of 32 bits; the all-zero one stands for 0. Every bit of every value
        // once searched all codes, twice: 4e10 steps for these 10,000 values.
        let codes = u16::MAX;
        let mut body = 1u16.to_le_bytes().to_vec();
        body.extend_from_slice(&codes.to_le_bytes());
        for k in 0..u32::from(codes) {
            // Stored bit-reversed; code k + 1 for the dummies, 0 for the value 0 (listed last).
            let stored = if k + 1 == u32::from(codes) { 0 } else { k + 1 };
            body.extend_from_slice(&[32, 32, 1, 0, 0]);
            body.extend_from_slice(&stored.to_le_bytes());
        }
        let tables = Tables::read(&body).unwrap();
        let started = std::time::Instant::now();
        let values = tables.decode(&vec![0u8; 40_000], 10_000).unwrap();
        assert_eq!(values, vec![0; 10_000]);
        let seconds = started.elapsed().as_secs_f64();
        assert!(seconds < 2.0, "{seconds:.1} s");
    }

    #[test]
    fn bad_tables_and_patterns_are_errors() {
        // A table with only "0" cannot decode a 1 bit.
        let mut body = 1u16.to_le_bytes().to_vec();
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&[1, 1, 1, 0, 0, 0, 0, 0, 0]);
        let tables = Tables::read(&body).unwrap();
        assert!(tables
            .decode(&[0x80], 1)
            .unwrap_err()
            .contains("not in the Huffman table"));
        body[4] = 0;
        assert!(Tables::read(&body).unwrap_err().contains("0 bits"));
        assert!(Tables::read(&[]).is_err());
    }
}
