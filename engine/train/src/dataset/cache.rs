//! A compact, prepared copy of PTB-XL for training and evaluation: every record read,
//! resampled and filtered once, so that epochs only encode (which is cheap) and never
//! decode or filter again.
//!
//! Per record it keeps the eight independent leads (I, II, V1–V6) of the `stack`
//! preparation as 16-bit microvolts — the other four are exact linear combinations — and
//! the twelve leads' beats, both the central one (`paper`) and the median one. Layout: a
//! header, then fixed-size records.

use std::io::{Read, Write};
use std::path::Path;

use super::ptbxl::{PtbXl, PtbXlEntry};
use crate::{Error, Result};
use ecgmatch_formats::Lead;
use ecgmatch_retrieval::waveforms::CaseWaveforms;
use ecgmatch_signal::encode::layout::{Beat, BeatPeaks, BeatTilesConfig, StackConfig};
use ecgmatch_signal::measure::measure;
use ecgmatch_signal::{prepare, PreparedLeads};

const MAGIC: &[u8; 8] = b"ECGCACHE";
const VERSION: u32 = 2;
/// The beats kept per record, in this order.
const BEATS: [Beat; 2] = [Beat::Central, Beat::Median];
/// The leads stored; III, aVR, aVL and aVF are derived from I and II on reading.
pub const STORED_LEADS: [Lead; 8] = [
    Lead::I,
    Lead::II,
    Lead::V1,
    Lead::V2,
    Lead::V3,
    Lead::V4,
    Lead::V5,
    Lead::V6,
];
const MICROVOLTS: f32 = 1000.0;

#[derive(Debug, Clone, PartialEq)]
pub struct CachedRecord {
    pub ecg_id: u32,
    pub fold: u8,
    /// `STORED_LEADS` × samples, µV.
    stack: Vec<i16>,
    /// Per kind of [`BEATS`], 12 × beat length, µV; `None` where no complete beat was found.
    beats: [Option<Vec<i16>>; 2],
}

#[derive(Debug, Clone)]
pub struct SignalCache {
    pub samples: usize,
    pub beat_len: usize,
    pub records: Vec<CachedRecord>,
}

fn to_i16(x: f32) -> i16 {
    (x * MICROVOLTS)
        .round()
        .clamp(i16::MIN as f32, i16::MAX as f32) as i16
}

impl CachedRecord {
    /// The twelve prepared leads of the `stack` layout, in mV, in standard order.
    pub fn stack_leads(&self, samples: usize) -> [Vec<f32>; 12] {
        let stored = |i: usize| -> Vec<f32> {
            self.stack[i * samples..(i + 1) * samples]
                .iter()
                .map(|v| *v as f32 / MICROVOLTS)
                .collect()
        };
        let (i, ii) = (stored(0), stored(1));
        let combine = |f: fn(f32, f32) -> f32| {
            i.iter()
                .zip(&ii)
                .map(|(a, b)| f(*a, *b))
                .collect::<Vec<f32>>()
        };
        [
            i.clone(),
            ii.clone(),
            combine(|i, ii| ii - i),
            combine(|i, ii| -(i + ii) / 2.0),
            combine(|i, ii| i - ii / 2.0),
            combine(|i, ii| ii - i / 2.0),
            stored(2),
            stored(3),
            stored(4),
            stored(5),
            stored(6),
            stored(7),
        ]
    }

    /// What the waveform pack keeps of this record: its prepared lead II over the stored
    /// `samples` and its twelve median beats.
    pub fn waveforms(&self, samples: usize, beat_len: usize) -> CaseWaveforms {
        let lead_ii = STORED_LEADS
            .iter()
            .position(|l| *l == Lead::II)
            .unwrap_or(1);
        CaseWaveforms {
            ecg_id: self.ecg_id,
            sampling_rate: StackConfig::default().prepare.sampling_rate as f32,
            rhythm_strip: self.stack[lead_ii * samples..(lead_ii + 1) * samples]
                .iter()
                .map(|v| *v as f32 / MICROVOLTS)
                .collect(),
            median_beats: self.beats(beat_len, Beat::Median),
        }
    }

    /// The twelve leads' `beat` in mV, if the record has one.
    pub fn beats(&self, beat_len: usize, beat: Beat) -> Option<[Vec<f32>; 12]> {
        let kind = BEATS.iter().position(|b| *b == beat)?;
        let beats = self.beats[kind].as_ref()?;
        Some(std::array::from_fn(|l| {
            beats[l * beat_len..(l + 1) * beat_len]
                .iter()
                .map(|v| *v as f32 / MICROVOLTS)
                .collect()
        }))
    }
}

impl SignalCache {
    /// Reads and prepares every record of `db`. `progress` is called with the count done.
    pub fn build(
        db: &PtbXl,
        stack: &StackConfig,
        paper: &BeatTilesConfig,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Self> {
        let samples = (stack.duration_s * stack.prepare.sampling_rate).round() as usize;
        let beat_len = paper.samples_before_r + paper.samples_after_r;
        let done = std::sync::atomic::AtomicUsize::new(0);
        let records = in_parallel(&db.entries, |entry| {
            let record = prepare_entry(db, entry, stack, paper, samples);
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            record
        })
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            samples,
            beat_len,
            records,
        })
    }

    /// Every record's measurements (`signal::measure`) from its stored leads,
    /// `records × MEASURE_COUNT` in cache order: what a query's record gives
    /// `signal::measure::record_measurements`.
    pub fn measurements(&self) -> Vec<f32> {
        let sampling_rate = StackConfig::default().prepare.sampling_rate;
        in_parallel(&self.records, |r| {
            measure(&PreparedLeads {
                sampling_rate,
                leads: r.stack_leads(self.samples).map(Some),
            })
        })
        .concat()
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let io = |e: std::io::Error| Error::Dataset(format!("{}: {e}", path.display()));
        let mut out =
            Vec::with_capacity(32 + self.records.len() * record_size(self.samples, self.beat_len));
        out.extend_from_slice(MAGIC);
        for v in [
            VERSION,
            self.records.len() as u32,
            self.samples as u32,
            self.beat_len as u32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for r in &self.records {
            out.extend_from_slice(&r.ecg_id.to_le_bytes());
            let present = r
                .beats
                .iter()
                .enumerate()
                .map(|(k, b)| u8::from(b.is_some()) << k)
                .sum();
            out.extend_from_slice(&[r.fold, present, 0, 0]);
            for v in &r.stack {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for beats in &r.beats {
                match beats {
                    Some(b) => b
                        .iter()
                        .for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
                    None => out.resize(out.len() + 2 * 12 * self.beat_len, 0),
                }
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::File::create(path)
            .and_then(|mut f| f.write_all(&out))
            .map_err(io)
    }

    pub fn read(path: &Path) -> Result<Self> {
        let bad = |why: &str| {
            Error::Dataset(format!(
                "{}: {why}; rebuild it with `ecgmatch cache`",
                path.display()
            ))
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| bad(&e.to_string()))?;
        if bytes.len() < 24 || &bytes[..8] != MAGIC {
            return Err(bad("not a signal cache"));
        }
        let word = |i: usize| {
            u32::from_le_bytes(bytes[8 + 4 * i..12 + 4 * i].try_into().unwrap()) as usize
        };
        if word(0) != VERSION as usize {
            return Err(bad("made by another version"));
        }
        let (n, samples, beat_len) = (word(1), word(2), word(3));
        let stride = record_size(samples, beat_len);
        if bytes.len() != 24 + n * stride {
            return Err(bad("truncated"));
        }
        let records = bytes[24..]
            .chunks_exact(stride)
            .map(|r| {
                let values: Vec<i16> = r[8..]
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                let (stack, beats) = values.split_at(8 * samples);
                let mut kinds = beats.chunks_exact(12 * beat_len);
                CachedRecord {
                    ecg_id: u32::from_le_bytes(r[..4].try_into().unwrap()),
                    fold: r[4],
                    stack: stack.to_vec(),
                    beats: std::array::from_fn(|k| {
                        let b = kinds.next().expect("the stride holds every kind");
                        (r[5] >> k & 1 == 1).then(|| b.to_vec())
                    }),
                }
            })
            .collect();
        Ok(Self {
            samples,
            beat_len,
            records,
        })
    }
}

/// Bytes per cached record: id, fold and flags, the stored leads, then each kind of beat.
fn record_size(samples: usize, beat_len: usize) -> usize {
    8 + 2 * (8 * samples + BEATS.len() * 12 * beat_len)
}

/// `f` of every item, in order, over as many threads as the machine has.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(workers).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("cache worker panicked"))
            .collect()
    })
}

fn prepare_entry(
    db: &PtbXl,
    entry: &PtbXlEntry,
    stack: &StackConfig,
    paper: &BeatTilesConfig,
    samples: usize,
) -> Result<CachedRecord> {
    let header = db.header_path(entry);
    let files = ecgmatch_formats::read_record_files(&header)?;
    let record = ecgmatch_formats::read_records(&files)
        .into_iter()
        .next()
        .map(|o| o.result.map_err(Error::from))
        .unwrap_or_else(|| Err(Error::Dataset(format!("{}: no record", header.display()))))?;
    let leads = prepare(&record, &stack.prepare)?;
    let mut stored = Vec::with_capacity(8 * samples);
    for lead in STORED_LEADS {
        let x = leads.get(lead).unwrap_or(&[]);
        stored.extend((0..samples).map(|i| x.get(i).copied().map_or(0, to_i16)));
    }
    let leads = prepare(&record, &paper.prepare)?;
    let peaks = BeatPeaks::find(&leads, paper, &record.name).ok();
    let beats = BEATS.map(|kind| {
        peaks
            .as_ref()
            .map(|p| p.beats(&leads, paper, kind))
            .filter(|b| b.iter().all(Option::is_some))
            .map(|b| {
                b.iter()
                    .flatten()
                    .flat_map(|beat| beat.iter().map(|v| to_i16(*v)))
                    .collect()
            })
    });
    Ok(CachedRecord {
        ecg_id: entry.ecg_id,
        fold: entry.fold,
        stack: stored,
        beats,
    })
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// The one-record fixture database and its signal cache.
    pub fn cache_with_record() -> (PtbXl, SignalCache) {
        let db = crate::dataset::ptbxl::fixtures::database_with_record();
        let cache = SignalCache::build(
            &db,
            &StackConfig::default(),
            &BeatTilesConfig::default(),
            &|_| {},
        )
        .unwrap();
        (db, cache)
    }

    pub fn first_record(db: &PtbXl) -> ecgmatch_formats::Record {
        ecgmatch_formats::read_records(
            &ecgmatch_formats::read_record_files(&db.header_path(&db.entries[0])).unwrap(),
        )
        .remove(0)
        .result
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_derives_the_limb_leads() {
        let (db, cache) = fixtures::cache_with_record();
        let stack = StackConfig::default();
        assert_eq!(
            (cache.records.len(), cache.samples, cache.beat_len),
            (1, 1000, 100)
        );
        let path =
            std::env::temp_dir().join(format!("ecgmatch-cache-test-{}.bin", std::process::id()));
        cache.write(&path).unwrap();
        let back = SignalCache::read(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(back.records, cache.records);
        let r = &back.records[0];
        assert_eq!((r.ecg_id, r.fold), (1, 3));
        let leads = r.stack_leads(back.samples);
        // Stored at 1 µV, so the prepared lead II comes back within half a microvolt.
        let record = fixtures::first_record(&db);
        let prepared = prepare(&record, &stack.prepare).unwrap();
        for (a, b) in leads[1].iter().zip(prepared.get(Lead::II).unwrap()) {
            assert!((a - b).abs() <= 0.0005 + 1e-6);
        }
        for ((iii, ii), i) in leads[2].iter().zip(&leads[1]).zip(&leads[0]) {
            assert!((iii - (ii - i)).abs() < 1e-6);
        }
        let central = r.beats(back.beat_len, Beat::Central).unwrap();
        let median = r.beats(back.beat_len, Beat::Median).unwrap();
        assert_eq!(central[1].len(), back.beat_len);
        assert_ne!(central, median);
    }

    #[test]
    fn a_cached_record_is_measured_as_the_same_record_queried() {
        let (db, cache) = fixtures::cache_with_record();
        let record = fixtures::first_record(&db);
        let queried = ecgmatch_signal::measure::record_measurements(&record).unwrap();
        let cached = cache.measurements();
        assert_eq!(cached.len(), queried.len());
        assert!(queried.iter().all(|v| v.is_finite()), "{queried:?}");
        // The cache keeps microvolts, and derives the limb leads from I and II.
        for (i, (a, b)) in cached.iter().zip(&queried).enumerate() {
            assert!(
                (a - b).abs() < 0.005,
                "measurement {i}: cached {a}, queried {b}"
            );
        }
    }

    #[test]
    fn damaged_caches_are_refused() {
        let path =
            std::env::temp_dir().join(format!("ecgmatch-cache-bad-{}.bin", std::process::id()));
        std::fs::write(&path, b"ECGCACHE\x01\x00\x00\x00\x05\x00\x00\x00").unwrap();
        let err = SignalCache::read(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).ok();
        assert!(err.contains("ecgmatch cache"), "{err}");
    }
}
