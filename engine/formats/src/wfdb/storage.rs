//! Signal files: from the bytes of one `.dat` file to digital samples per signal.
//!
//! A signal file holds frames one after another; a frame holds, for each of the
//! file's signals in header order, that signal's samples per frame. All samples of
//! a file form one stream in one storage format, which for the packed formats
//! (212, 310, 311) means a sample can share bytes with the next signal's sample.

/// The storage formats this reader decodes, named by their WFDB codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// 8-bit first differences.
    Diff8,
    /// 16-bit two's complement, little-endian.
    Int16,
    /// 24-bit two's complement, little-endian.
    Int24,
    /// 32-bit two's complement, little-endian.
    Int32,
    /// 16-bit two's complement, big-endian.
    Int16Be,
    /// 8-bit offset binary.
    Offset8,
    /// 16-bit offset binary, little-endian.
    Offset16,
    /// Two 12-bit samples in three bytes.
    Packed212,
    /// Three 10-bit samples in two little-endian 16-bit words.
    Packed310,
    /// Three 10-bit samples in one little-endian 32-bit word.
    Packed311,
}

impl Format {
    #[cfg(test)]
    pub const ALL: [Format; 10] = [
        Format::Diff8,
        Format::Int16,
        Format::Int24,
        Format::Int32,
        Format::Int16Be,
        Format::Offset8,
        Format::Offset16,
        Format::Packed212,
        Format::Packed310,
        Format::Packed311,
    ];

    /// The format a header names with `code` (the digits before any `x`, `:` or `+`).
    pub fn from_code(code: &str) -> Option<Format> {
        Some(match code {
            "8" => Format::Diff8,
            "16" => Format::Int16,
            "24" => Format::Int24,
            "32" => Format::Int32,
            "61" => Format::Int16Be,
            "80" => Format::Offset8,
            "160" => Format::Offset16,
            "212" => Format::Packed212,
            "310" => Format::Packed310,
            "311" => Format::Packed311,
            _ => return None,
        })
    }

    /// Smallest and largest digital value the format stores.
    pub fn range(self) -> (i64, i64) {
        let bits = match self {
            Format::Diff8 => return (i64::MIN, i64::MAX),
            Format::Offset8 => 8,
            Format::Packed310 | Format::Packed311 => 10,
            Format::Packed212 => 12,
            Format::Int16 | Format::Int16Be | Format::Offset16 => 16,
            Format::Int24 => 24,
            Format::Int32 => 32,
        };
        (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
    }

    /// The value WFDB writes for a missing sample: the most negative value the format
    /// can hold. Format 8 stores differences, so it has no such value.
    pub fn invalid_value(self) -> Option<i64> {
        match self {
            Format::Diff8 => None,
            other => Some(other.range().0),
        }
    }

    /// Bytes needed to hold the first `n` samples of a stream. A trailing partial group of a
    /// packed format needs only the bytes its samples touch, as the WFDB library writes it.
    pub fn bytes_for(self, n: u64) -> Option<u64> {
        let (group, group_bytes, partial): (u64, u64, &[u64]) = match self {
            Format::Diff8 | Format::Offset8 => (1, 1, &[]),
            Format::Int16 | Format::Int16Be | Format::Offset16 => (1, 2, &[]),
            Format::Int24 => (1, 3, &[]),
            Format::Int32 => (1, 4, &[]),
            Format::Packed212 => (2, 3, &[0, 2]),
            Format::Packed310 => (3, 4, &[0, 2, 4]),
            Format::Packed311 => (3, 4, &[0, 2, 3]),
        };
        let whole = (n / group).checked_mul(group_bytes)?;
        let rest = n % group;
        let tail = if rest == 0 { 0 } else { partial[rest as usize] };
        whole.checked_add(tail)
    }

    /// How many whole samples `bytes` bytes hold.
    pub fn samples_in(self, bytes: u64) -> u64 {
        let (group, group_bytes) = match self {
            Format::Diff8 | Format::Offset8 => (1, 1),
            Format::Int16 | Format::Int16Be | Format::Offset16 => (1, 2),
            Format::Int24 => (1, 3),
            Format::Int32 => (1, 4),
            Format::Packed212 => (2, 3),
            Format::Packed310 | Format::Packed311 => (3, 4),
        };
        let mut n = bytes / group_bytes * group;
        // At most group - 1 further samples fit in the leftover bytes of a partial group.
        while n % group != group - 1 && self.bytes_for(n + 1).is_some_and(|b| b <= bytes) {
            n += 1;
        }
        n
    }

    /// Sample `i` of the stream in `bytes`, or `None` when the bytes end before it.
    /// For format 8 this is the stored difference, not the sample value.
    pub fn sample(self, bytes: &[u8], i: usize) -> Option<i64> {
        let at = |start: usize, len: usize| bytes.get(start..start.checked_add(len)?);
        Some(match self {
            Format::Diff8 => i64::from(*bytes.get(i)? as i8),
            Format::Offset8 => i64::from(*bytes.get(i)?) - 128,
            Format::Int16 => {
                let b = at(i.checked_mul(2)?, 2)?;
                i64::from(i16::from_le_bytes([b[0], b[1]]))
            }
            Format::Int16Be => {
                let b = at(i.checked_mul(2)?, 2)?;
                i64::from(i16::from_be_bytes([b[0], b[1]]))
            }
            Format::Offset16 => {
                let b = at(i.checked_mul(2)?, 2)?;
                i64::from(u16::from_le_bytes([b[0], b[1]])) - 32768
            }
            Format::Int24 => {
                let b = at(i.checked_mul(3)?, 3)?;
                sign_extend(u32::from_le_bytes([b[0], b[1], b[2], 0]), 24)
            }
            Format::Int32 => {
                let b = at(i.checked_mul(4)?, 4)?;
                i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            Format::Packed212 => {
                let base = (i / 2).checked_mul(3)?;
                if i.is_multiple_of(2) {
                    let b = at(base, 2)?;
                    sign_extend(u32::from(b[0]) | (u32::from(b[1] & 0x0f) << 8), 12)
                } else {
                    let b = at(base, 3)?;
                    sign_extend(u32::from(b[2]) | (u32::from(b[1] & 0xf0) << 4), 12)
                }
            }
            Format::Packed310 => {
                let base = (i / 3).checked_mul(4)?;
                let word = |k: usize| {
                    at(base.checked_add(2 * k)?, 2)
                        .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
                };
                let v = match i % 3 {
                    0 => (word(0)? >> 1) & 0x3ff,
                    1 => (word(1)? >> 1) & 0x3ff,
                    _ => ((word(0)? >> 11) & 0x1f) | (((word(1)? >> 11) & 0x1f) << 5),
                };
                sign_extend(v, 10)
            }
            Format::Packed311 => {
                let base = (i / 3).checked_mul(4)?;
                let r = i % 3;
                // Each sample needs only the bytes its ten bits fall in.
                let b = at(base, [2, 3, 4][r])?;
                let mut word = [0u8; 4];
                word[..b.len()].copy_from_slice(b);
                sign_extend((u32::from_le_bytes(word) >> (10 * r)) & 0x3ff, 10)
            }
        })
    }
}

fn sign_extend(v: u32, bits: u32) -> i64 {
    let shift = 32 - bits;
    i64::from(((v << shift) as i32) >> shift)
}

/// How one signal sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageLayout {
    pub samples_per_frame: usize,
    /// Frames by which this signal's samples lag the frame they belong to.
    pub skew: u64,
    /// The value before the first sample; only format 8 needs it.
    pub initial_value: i64,
}

/// One signal of a file, one value per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The frames' values as the caller's conversion made them from each frame's mean digital
    /// value, `NaN` where the sample is invalid or missing. Converted while decoding, so that a
    /// record never exists in memory at a wider type than the one it is kept in.
    pub samples: Vec<f32>,
    /// Sum of every stored sample of the signal in the first `frames` frames, modulo 2^16,
    /// before the skew is applied: the WFDB checksum.
    pub checksum: u16,
}

/// Decodes `frames` frames from `data` (the file after its byte offset).
///
/// Frames with several samples of a signal become their mean, truncated towards zero, which is
/// what wfdb-python's `rdrecord` returns by default. A frame with any invalid sample is invalid
/// as a whole, where wfdb-python would average the invalid marker into the value.
/// `convert(signal, digital)` gives the value kept for a valid frame of the `signal`-th layout.
/// Returns `None` if `data` ends before the last frame or the frame size overflows.
pub fn decode(
    format: Format,
    data: &[u8],
    layouts: &[StorageLayout],
    frames: usize,
    convert: impl Fn(usize, i64) -> f32,
) -> Option<Vec<Decoded>> {
    let invalid = format.invalid_value();
    let mut out: Vec<Decoded> = layouts
        .iter()
        .map(|_| Decoded {
            samples: vec![f32::NAN; frames],
            checksum: 0,
        })
        .collect();
    let mut running: Vec<i64> = layouts.iter().map(|l| l.initial_value).collect();
    let mut next = 0usize;
    for frame in 0..frames {
        for (s, layout) in layouts.iter().enumerate() {
            let spf = layout.samples_per_frame.max(1);
            let mut sum = 0i64;
            let mut any_invalid = false;
            for _ in 0..spf {
                let stored = format.sample(data, next)?;
                next = next.checked_add(1)?;
                let value = if format == Format::Diff8 {
                    running[s] = running[s].checked_add(stored)?;
                    running[s]
                } else {
                    stored
                };
                any_invalid |= Some(value) == invalid;
                out[s].checksum = out[s].checksum.wrapping_add(value as u16);
                sum = sum.checked_add(value)?;
            }
            let mean = sum / spf as i64;
            let Some(at) = (frame as u64).checked_sub(layout.skew) else {
                continue;
            };
            out[s].samples[at as usize] = if any_invalid || Some(mean) == invalid {
                f32::NAN
            } else {
                convert(s, mean)
            };
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digital value itself (exact in an `f32` for the small values used here).
    fn digital(_signal: usize, value: i64) -> f32 {
        value as f32
    }

    fn all(format: Format, bytes: &[u8]) -> Vec<i64> {
        let n = format.samples_in(bytes.len() as u64) as usize;
        (0..n).map(|i| format.sample(bytes, i).unwrap()).collect()
    }

    #[test]
    fn byte_aligned_formats() {
        assert_eq!(
            all(Format::Diff8, &[0x05, 0xff, 0x80, 0x7f]),
            vec![5, -1, -128, 127]
        );
        assert_eq!(
            all(Format::Offset8, &[0x00, 0x80, 0xff]),
            vec![-128, 0, 127]
        );
        assert_eq!(
            all(Format::Int16, &[0x34, 0x12, 0xff, 0xff, 0x00, 0x80]),
            vec![0x1234, -1, -32768]
        );
        assert_eq!(
            all(Format::Int16Be, &[0x12, 0x34, 0xff, 0xfe, 0x80, 0x00]),
            vec![0x1234, -2, -32768]
        );
        assert_eq!(
            all(Format::Offset16, &[0x00, 0x00, 0x00, 0x80, 0xff, 0xff]),
            vec![-32768, 0, 32767]
        );
        assert_eq!(
            all(
                Format::Int24,
                &[0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0x00, 0x00, 0x80]
            ),
            vec![0x123456, -1, -8388608]
        );
        assert_eq!(
            all(
                Format::Int32,
                &[0x78, 0x56, 0x34, 0x12, 0xfe, 0xff, 0xff, 0xff]
            ),
            vec![0x12345678, -2]
        );
        // A trailing partial sample is not a sample.
        assert_eq!(all(Format::Int16, &[1, 0, 7]), vec![1]);
        assert_eq!(Format::Int16.sample(&[1, 0, 7], 1), None);
    }

    #[test]
    fn format_212_packs_two_samples_in_three_bytes() {
        // 0x123 and -2 (0xffe): byte 0 = low 8 bits of the first, byte 1 = high nibble of the
        // second (0xf) then high nibble of the first (0x1), byte 2 = low 8 bits of the second.
        let bytes = [0x23, 0xf1, 0xfe, 0x00, 0x08];
        assert_eq!(all(Format::Packed212, &bytes), vec![0x123, -2, -2048]);
        assert_eq!(Format::Packed212.bytes_for(3), Some(5));
        assert_eq!(Format::Packed212.samples_in(4), 2);
    }

    #[test]
    fn format_310_packs_three_samples_in_two_words() {
        // Samples 5, -3 and 0x155 (= 341): word 0 = (5 << 1) | (low 5 bits of 341 << 11),
        // word 1 = (-3 & 0x3ff) << 1 | (high 5 bits of 341 << 11).
        let s2 = 0x155u16;
        let w0 = (5u16 << 1) | ((s2 & 0x1f) << 11);
        let w1 = ((0x3fdu16) << 1) | ((s2 >> 5) << 11);
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&w0.to_le_bytes());
        bytes.extend_from_slice(&w1.to_le_bytes());
        bytes.extend_from_slice(&(0x200u16 << 1).to_le_bytes()); // a fourth sample, -512, alone
        assert_eq!(all(Format::Packed310, &bytes), vec![5, -3, 341, -512]);
        assert_eq!(Format::Packed310.bytes_for(4), Some(6));
        assert_eq!(Format::Packed310.bytes_for(5), Some(8));
        assert_eq!(Format::Packed310.samples_in(7), 4);
    }

    #[test]
    fn format_311_packs_three_samples_in_one_word() {
        let word: u32 = 5 | (0x3fd << 10) | (0x155 << 20);
        let mut bytes = word.to_le_bytes().to_vec();
        // Two more samples, 1 and -1, in the three bytes they touch.
        let tail: u32 = 1 | (0x3ff << 10);
        bytes.extend_from_slice(&tail.to_le_bytes()[..3]);
        assert_eq!(all(Format::Packed311, &bytes), vec![5, -3, 341, 1, -1]);
        assert_eq!(Format::Packed311.bytes_for(5), Some(7));
        assert_eq!(Format::Packed311.samples_in(6), 4);
    }

    #[test]
    fn bytes_for_and_samples_in_agree() {
        for format in Format::ALL {
            for n in 0..40u64 {
                let bytes = format.bytes_for(n).unwrap();
                // Format 310 needs all four bytes of a group for two samples, which then hold three.
                assert!(format.samples_in(bytes) >= n, "{format:?} {n}");
                if n > 0 {
                    assert!(format.samples_in(bytes - 1) < n, "{format:?} {n}");
                }
            }
        }
        assert_eq!(Format::Int32.bytes_for(u64::MAX), None);
    }

    #[test]
    fn invalid_values_are_the_most_negative() {
        assert_eq!(Format::Packed212.invalid_value(), Some(-2048));
        assert_eq!(Format::Int16.invalid_value(), Some(-32768));
        assert_eq!(Format::Offset8.invalid_value(), Some(-128));
        assert_eq!(Format::Packed311.invalid_value(), Some(-512));
        assert_eq!(Format::Int32.invalid_value(), Some(i64::from(i32::MIN)));
        assert_eq!(Format::Diff8.invalid_value(), None);
    }

    #[test]
    fn frames_are_split_averaged_and_skewed() {
        // Two signals in format 16: the first with two samples per frame, the second skewed by one.
        let stream: [i16; 9] = [10, 13, 100, -4, -5, 200, 7, 8, 300];
        let bytes: Vec<u8> = stream.iter().flat_map(|v| v.to_le_bytes()).collect();
        let layouts = [
            StorageLayout {
                samples_per_frame: 2,
                skew: 0,
                initial_value: 0,
            },
            StorageLayout {
                samples_per_frame: 1,
                skew: 1,
                initial_value: 0,
            },
        ];
        let out = decode(Format::Int16, &bytes, &layouts, 3, digital).unwrap();
        // Means truncate towards zero: 23 / 2 = 11, -9 / 2 = -4.
        assert_eq!(out[0].samples, vec![11.0, -4.0, 7.0]);
        assert_eq!(out[1].samples[..2], [200.0, 300.0]);
        assert!(out[1].samples[2].is_nan());
        assert_eq!(out[0].checksum, (10 + 13 - 4 - 5 + 7 + 8) as u16);
        assert_eq!(out[1].checksum, 600);
        assert_eq!(
            decode(Format::Int16, &bytes[..17], &layouts, 3, digital),
            None
        );
    }

    #[test]
    fn first_differences_accumulate_per_signal() {
        let layouts = [
            StorageLayout {
                samples_per_frame: 1,
                skew: 0,
                initial_value: 100,
            },
            StorageLayout {
                samples_per_frame: 1,
                skew: 0,
                initial_value: -5,
            },
        ];
        let out = decode(
            Format::Diff8,
            &[1, 0xff, 2, 0xfe, 0x80, 0],
            &layouts,
            3,
            digital,
        )
        .unwrap();
        assert_eq!(out[0].samples, vec![101.0, 103.0, -25.0]);
        assert_eq!(out[1].samples, vec![-6.0, -8.0, -8.0]);
        assert_eq!(out[0].checksum, (101i64 + 103 - 25) as u16);
    }

    #[test]
    fn invalid_samples_become_nan() {
        let bytes: Vec<u8> = [5i16, i16::MIN, 1, i16::MIN, i16::MIN]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let one = [StorageLayout {
            samples_per_frame: 1,
            skew: 0,
            initial_value: 0,
        }];
        let out = decode(Format::Int16, &bytes, &one, 5, digital).unwrap();
        assert_eq!(out[0].samples[0], 5.0);
        assert!(out[0].samples[1].is_nan());
        // A frame with any invalid sample is invalid.
        let mut bytes6 = bytes.clone();
        bytes6.extend_from_slice(&[0, 0]);
        let two = [StorageLayout {
            samples_per_frame: 2,
            skew: 0,
            initial_value: 0,
        }];
        let out = decode(Format::Int16, &bytes6, &two, 3, digital).unwrap();
        assert!(out[0].samples.iter().all(|v| v.is_nan()));
    }
}
