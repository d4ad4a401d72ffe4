//! The library's tracings (`static/waveforms/`): per case the 10-s lead II rhythm strip and the
//! twelve leads' median beats, as the signal cache prepares every record (100 Hz; the strip
//! 0.5–40 Hz, the beats 0.5–15 Hz).
//!
//! The case library carries reports, not waveforms; this pack is a separate file that the page
//! reads only for the cases it shows, so the first load does not grow. Each case is compressed on
//! its own: an index at the start says where each case's bytes lie, and a case is one byte range.
//!
//! Samples are kept in steps of [`STEP_UV`] µV (an error of at most half a step: 0.05 mm at the
//! printout's 10 mm/mV, under a trace's width), as second differences (the trace's curvature,
//! mostly a few steps), zigzag varints, then deflated.
//!
//! Layout (little-endian): `ECGWAVE1`, u32 cases, u32 strip length, u32 beat length, f32
//! sampling rate, f32 step in µV, then per case (u32 ecg_id, u32 offset, u32 length) sorted by
//! ecg_id, then the cases' bytes.

use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"ECGWAVE1";
/// Bytes before the index.
pub const HEADER_LEN: usize = 8 + 4 * 5;
/// Bytes per case in the index.
pub const INDEX_ENTRY_LEN: usize = 12;
/// Amplitude step kept, µV.
pub const STEP_UV: f32 = 10.0;

/// What the header says: how to read the index and the cases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PackShape {
    pub cases: usize,
    pub strip_len: usize,
    pub beat_len: usize,
    pub sampling_rate: f32,
    pub step_uv: f32,
}

impl PackShape {
    /// Bytes of the header and the index together: what the page fetches first.
    pub fn index_end(&self) -> usize {
        HEADER_LEN + self.cases * INDEX_ENTRY_LEN
    }
}

/// One case's tracings, in mV.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseWaveforms {
    pub ecg_id: u32,
    pub sampling_rate: f32,
    /// Lead II over 10 s.
    pub rhythm_strip: Vec<f32>,
    /// Per lead in standard order, `beat_len` samples around R (35 before, 65 after at 100 Hz);
    /// `None` where the record had no complete beat.
    pub median_beats: Option<[Vec<f32>; 12]>,
}

/// A query's tracings, made as the pack's were made from each library record: lead II prepared
/// for the `stack` layout (0.5–40 Hz) over its first 10 s, and the median beats of the `paper`
/// preparation (0.5–15 Hz).
pub fn of_record(record: &ecgmatch_formats::Record) -> Result<CaseWaveforms> {
    use ecgmatch_formats::Lead;
    use ecgmatch_signal::encode::layout::{median_beats, BeatTilesConfig, StackConfig};
    let stack = StackConfig::default();
    let leads = ecgmatch_signal::prepare(record, &stack.prepare)?;
    let samples = (stack.duration_s * stack.prepare.sampling_rate).round() as usize;
    let rhythm_strip = leads
        .get(Lead::II)
        .map(|x| x[..x.len().min(samples)].to_vec())
        .unwrap_or_default();
    Ok(CaseWaveforms {
        ecg_id: 0,
        sampling_rate: stack.prepare.sampling_rate as f32,
        rhythm_strip,
        median_beats: median_beats(record, &BeatTilesConfig::default())?.map(|m| m.beats),
    })
}

/// Where a case lies in the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseRange {
    pub ecg_id: u32,
    pub offset: usize,
    pub len: usize,
}

/// Reads the header and the index (`bytes` holds at least [`PackShape::index_end`] bytes).
pub fn read_index(bytes: &[u8]) -> Result<(PackShape, Vec<CaseRange>)> {
    let bad = |what: &str| Error::InvalidWaveforms(format!("damaged: {what}"));
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(bad("it does not begin with ECGWAVE1"));
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let shape = PackShape {
        cases: u32_at(8) as usize,
        strip_len: u32_at(12) as usize,
        beat_len: u32_at(16) as usize,
        sampling_rate: f32::from_bits(u32_at(20)),
        step_uv: f32::from_bits(u32_at(24)),
    };
    if shape.strip_len > 100_000 || shape.beat_len > 10_000 || shape.cases > 10_000_000 {
        return Err(bad("its header gives impossible sizes"));
    }
    if bytes.len() < shape.index_end() {
        return Err(bad("its index is cut short"));
    }
    let ranges = (0..shape.cases)
        .map(|i| {
            let at = HEADER_LEN + i * INDEX_ENTRY_LEN;
            CaseRange {
                ecg_id: u32_at(at),
                offset: u32_at(at + 4) as usize,
                len: u32_at(at + 8) as usize,
            }
        })
        .collect();
    Ok((shape, ranges))
}

/// The range of `ecg_id` in a sorted index.
pub fn find(index: &[CaseRange], ecg_id: u32) -> Option<CaseRange> {
    index
        .binary_search_by_key(&ecg_id, |r| r.ecg_id)
        .ok()
        .map(|i| index[i])
}

/// Writes a pack of `cases` (any order; sorted by ecg_id here).
pub fn write_pack(mut cases: Vec<CaseWaveforms>, strip_len: usize, beat_len: usize) -> Vec<u8> {
    cases.sort_by_key(|c| c.ecg_id);
    let sampling_rate = cases.first().map_or(100.0, |c| c.sampling_rate);
    let payloads: Vec<Vec<u8>> = cases.iter().map(encode_case).collect();
    let mut out = MAGIC.to_vec();
    for v in [cases.len() as u32, strip_len as u32, beat_len as u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&sampling_rate.to_bits().to_le_bytes());
    out.extend_from_slice(&STEP_UV.to_bits().to_le_bytes());
    let mut offset = HEADER_LEN + cases.len() * INDEX_ENTRY_LEN;
    for (case, payload) in cases.iter().zip(&payloads) {
        for v in [case.ecg_id, offset as u32, payload.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        offset += payload.len();
    }
    for payload in payloads {
        out.extend_from_slice(&payload);
    }
    out
}

/// One case's bytes: a flag for the beats, then the strip's and the beats' second differences.
fn encode_case(case: &CaseWaveforms) -> Vec<u8> {
    let mut varints = vec![u8::from(case.median_beats.is_some())];
    push_series(&mut varints, &case.rhythm_strip);
    for beat in case.median_beats.iter().flatten() {
        push_series(&mut varints, beat);
    }
    miniz_oxide::deflate::compress_to_vec(&varints, 10)
}

/// Decodes one case's bytes (as [`find`] located them).
pub fn decode_case(ecg_id: u32, shape: &PackShape, bytes: &[u8]) -> Result<CaseWaveforms> {
    let bad = || Error::InvalidWaveforms(format!("the tracings of case {ecg_id} are damaged"));
    // The largest case the shape allows, so that damaged bytes cannot inflate without end.
    let limit = 1 + (shape.strip_len + 12 * shape.beat_len) * 5;
    let varints =
        miniz_oxide::inflate::decompress_to_vec_with_limit(bytes, limit).map_err(|_| bad())?;
    let mut reader = Varints {
        bytes: &varints,
        at: 1,
    };
    let step_mv = shape.step_uv / 1000.0;
    let rhythm_strip = reader.series(shape.strip_len, step_mv).ok_or_else(bad)?;
    let median_beats = match varints.first() {
        Some(1) => {
            let mut beats: [Vec<f32>; 12] = Default::default();
            for beat in &mut beats {
                *beat = reader.series(shape.beat_len, step_mv).ok_or_else(bad)?;
            }
            Some(beats)
        }
        Some(0) => None,
        _ => return Err(bad()),
    };
    Ok(CaseWaveforms {
        ecg_id,
        sampling_rate: shape.sampling_rate,
        rhythm_strip,
        median_beats,
    })
}

/// Appends `x` (mV) in steps of [`STEP_UV`], as zigzag varints of its second differences.
fn push_series(out: &mut Vec<u8>, x: &[f32]) {
    let mut previous = (0i64, 0i64);
    for (i, v) in x.iter().enumerate() {
        let q = (v * 1000.0 / STEP_UV).round() as i64;
        let predicted = match i {
            0 => 0,
            1 => previous.1,
            _ => 2 * previous.1 - previous.0,
        };
        let residual = q - predicted;
        let mut zigzag = ((residual << 1) ^ (residual >> 63)) as u64;
        loop {
            let byte = (zigzag & 0x7f) as u8;
            zigzag >>= 7;
            if zigzag == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        previous = (previous.1, q);
    }
}

struct Varints<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Varints<'_> {
    fn next(&mut self) -> Option<i64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        None
    }

    /// `len` samples in mV, undoing [`push_series`].
    fn series(&mut self, len: usize, step_mv: f32) -> Option<Vec<f32>> {
        let mut previous = (0i64, 0i64);
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            let predicted = match i {
                0 => 0,
                1 => previous.1,
                _ => previous.1.checked_mul(2)?.checked_sub(previous.0)?,
            };
            let q = predicted.checked_add(self.next()?)?;
            out.push(q as f32 * step_mv);
            previous = (previous.1, q);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(ecg_id: u32, beats: bool) -> CaseWaveforms {
        let strip: Vec<f32> = (0..1000)
            .map(|i| (i as f32 * 0.07).sin() * 1.3 + if i % 83 == 0 { 2.0 } else { 0.0 })
            .collect();
        CaseWaveforms {
            ecg_id,
            sampling_rate: 100.0,
            rhythm_strip: strip,
            median_beats: beats.then(|| {
                std::array::from_fn(|l| (0..100).map(|i| ((i + l) as f32 * 0.2).cos()).collect())
            }),
        }
    }

    #[test]
    fn cases_come_back_within_half_a_step_and_are_found_by_id() {
        let cases = vec![case(17, true), case(3, false), case(9, true)];
        let pack = write_pack(cases.clone(), 1000, 100);
        let (shape, index) = read_index(&pack).unwrap();
        assert_eq!(shape.cases, 3);
        assert_eq!(
            index.iter().map(|r| r.ecg_id).collect::<Vec<_>>(),
            [3, 9, 17]
        );
        for original in &cases {
            let at = find(&index, original.ecg_id).unwrap();
            let back =
                decode_case(at.ecg_id, &shape, &pack[at.offset..at.offset + at.len]).unwrap();
            let worst = |a: &[f32], b: &[f32]| {
                a.iter()
                    .zip(b)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f32::max)
            };
            assert!(worst(&original.rhythm_strip, &back.rhythm_strip) <= 0.0051);
            assert_eq!(original.median_beats.is_some(), back.median_beats.is_some());
            for (a, b) in original
                .median_beats
                .iter()
                .flatten()
                .zip(back.median_beats.iter().flatten())
            {
                assert!(worst(a, b) <= 0.0051);
            }
        }
        assert_eq!(find(&index, 4), None);
    }

    #[test]
    fn damaged_bytes_are_refused_not_trusted() {
        let pack = write_pack(vec![case(1, true)], 1000, 100);
        let (shape, index) = read_index(&pack).unwrap();
        let at = index[0];
        let mut bytes = pack[at.offset..at.offset + at.len].to_vec();
        bytes.truncate(bytes.len() / 2);
        assert!(decode_case(1, &shape, &bytes).is_err());
        assert!(read_index(&pack[..HEADER_LEN + 5]).is_err());
        assert!(read_index(b"not a pack at all, no").is_err());
    }
}
