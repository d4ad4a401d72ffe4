//! Random records written to header and signal-file bytes by a small writer kept here,
//! independent of the reader, then read back through `read_records`.

use ecgmatch_formats::{read_records, Error, InputFile, Lead, Record};
use proptest::prelude::*;

/// WFDB code and digital range of each format the reader supports.
const FORMATS: [(u16, i64, i64); 10] = [
    (8, -128, 127), // the range of a difference; the values themselves are unbounded
    (16, -32768, 32767),
    (24, -(1 << 23), (1 << 23) - 1),
    (32, i32::MIN as i64, i32::MAX as i64),
    (61, -32768, 32767),
    (80, -128, 127),
    (160, -32768, 32767),
    (212, -2048, 2047),
    (310, -512, 511),
    (311, -512, 511),
];

const UNITS: [&str; 5] = ["mV", "uV", "V", "mmHg", "NU"];
const NAMES: [&str; 6] = ["I", "II", "V1", "aVF", "ABP", "resp belt"];
const GAINS: [f64; 6] = [200.0, 1000.0, 32.7675, -50.0, 0.5, 1.0];

#[derive(Debug, Clone)]
struct Signal {
    spf: usize,
    skew: usize,
    gain: f64,
    baseline: i64,
    units: &'static str,
    name: &'static str,
    initial: i64,
}

#[derive(Debug, Clone)]
struct File {
    format: usize,
    offset: usize,
    signals: Vec<Signal>,
}

#[derive(Debug, Clone)]
struct Spec {
    frames: usize,
    files: Vec<File>,
    write_frames: bool,
    seed: u64,
}

fn signal() -> impl Strategy<Value = Signal> {
    (
        1..=3usize,
        0..=3usize,
        prop::sample::select(GAINS.to_vec()),
        -100i64..=100,
        prop::sample::select(UNITS.to_vec()),
        prop::sample::select(NAMES.to_vec()),
        -1000i64..=1000,
    )
        .prop_map(|(spf, skew, gain, baseline, units, name, initial)| Signal {
            spf,
            skew,
            gain,
            baseline,
            units,
            name,
            initial,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    let file = (
        0..FORMATS.len(),
        0..=8usize,
        prop::collection::vec(signal(), 1..=3),
    )
        .prop_map(|(format, offset, signals)| File {
            format,
            offset,
            signals,
        });
    (
        1..=120usize,
        prop::collection::vec(file, 1..=3),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(frames, files, write_frames, seed)| Spec {
            frames,
            files,
            write_frames,
            seed,
        })
}

/// splitmix64: values for the samples, so that shrinking works on the record's shape.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Mostly uniform, with the ends of the range (the invalid marker among them) often.
    fn in_range(&mut self, lo: i64, hi: i64) -> i64 {
        match self.next() % 16 {
            0 => lo,
            1 => hi,
            _ => lo + (self.next() % ((hi - lo + 1) as u64)) as i64,
        }
    }
}

/// The stored stream of one file: samples (differences for format 8) in frame order.
fn encode(code: u16, stream: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    match code {
        8 | 80 => out.extend(stream.iter().map(|&v| {
            if code == 8 {
                v as i8 as u8
            } else {
                (v + 128) as u8
            }
        })),
        16 => out.extend(stream.iter().flat_map(|&v| (v as i16).to_le_bytes())),
        61 => out.extend(stream.iter().flat_map(|&v| (v as i16).to_be_bytes())),
        160 => out.extend(
            stream
                .iter()
                .flat_map(|&v| ((v + 32768) as u16).to_le_bytes()),
        ),
        24 => out.extend(
            stream
                .iter()
                .flat_map(|&v| (v as i32).to_le_bytes()[..3].to_vec()),
        ),
        32 => out.extend(stream.iter().flat_map(|&v| (v as i32).to_le_bytes())),
        212 => {
            for pair in stream.chunks(2) {
                let a = pair[0] as u32 & 0xfff;
                let b = pair.get(1).map_or(0, |&v| v as u32 & 0xfff);
                out.push(a as u8);
                out.push(((a >> 8) | ((b >> 8) << 4)) as u8);
                if pair.len() == 2 {
                    out.push(b as u8);
                }
            }
        }
        310 => {
            for group in stream.chunks(3) {
                let s = |k: usize| group.get(k).map_or(0, |&v| v as u32 & 0x3ff);
                let w0 = (s(0) << 1) | ((s(2) & 0x1f) << 11);
                let w1 = (s(1) << 1) | ((s(2) >> 5) << 11);
                out.extend((w0 as u16).to_le_bytes());
                if group.len() > 1 {
                    out.extend((w1 as u16).to_le_bytes());
                }
            }
        }
        311 => {
            for group in stream.chunks(3) {
                let s = |k: usize| group.get(k).map_or(0, |&v| v as u32 & 0x3ff);
                let word = s(0) | (s(1) << 10) | (s(2) << 20);
                out.extend(&word.to_le_bytes()[..[2, 3, 4][group.len() - 1]]);
            }
        }
        _ => unreachable!(),
    }
    out
}

/// Header and signal files for `spec`, and the samples each signal holds, in header order.
fn write(spec: &Spec) -> (Vec<InputFile>, Vec<Vec<i64>>) {
    let mut rng = Rng(spec.seed);
    let nsig: usize = spec.files.iter().map(|f| f.signals.len()).sum();
    let frames = if spec.write_frames {
        format!(" {}", spec.frames)
    } else {
        String::new()
    };
    let mut header = format!("rt {nsig} 250{frames}\n");
    let mut files = Vec::new();
    let mut values = Vec::new();
    for (k, file) in spec.files.iter().enumerate() {
        let (code, lo, hi) = FORMATS[file.format];
        let mut per_signal: Vec<Vec<i64>> = file.signals.iter().map(|_| Vec::new()).collect();
        let mut running: Vec<i64> = file.signals.iter().map(|s| s.initial).collect();
        let mut stream = Vec::new();
        for _ in 0..spec.frames {
            for (s, signal) in file.signals.iter().enumerate() {
                for _ in 0..signal.spf {
                    let stored = rng.in_range(lo, hi);
                    stream.push(stored);
                    let value = if code == 8 {
                        running[s] += stored;
                        running[s]
                    } else {
                        stored
                    };
                    per_signal[s].push(value);
                }
            }
        }
        let name = format!("rt_{k}.dat");
        let mut bytes = vec![0xa5; file.offset];
        bytes.extend(encode(code, &stream));
        files.push(InputFile::new(name.clone(), bytes));
        for (signal, samples) in file.signals.iter().zip(&per_signal) {
            let mut layout = code.to_string();
            if signal.spf > 1 {
                layout += &format!("x{}", signal.spf);
            }
            if signal.skew > 0 {
                layout += &format!(":{}", signal.skew);
            }
            if file.offset > 0 {
                layout += &format!("+{}", file.offset);
            }
            let checksum = samples
                .iter()
                .fold(0u16, |acc, &v| acc.wrapping_add(v as u16));
            header += &format!(
                "{name} {layout} {}({})/{} 16 0 {} {checksum} 0 {}\n",
                signal.gain, signal.baseline, signal.units, signal.initial, signal.name
            );
        }
        values.extend(per_signal);
    }
    files.insert(0, InputFile::new("rt.hea", header.into_bytes()));
    (files, values)
}

/// What the reader should return for one signal: one value per frame, the frame's mean
/// truncated towards zero, NaN for frames with an invalid sample, shifted by the skew.
fn expected(spec: &Spec, file: &File, signal: &Signal, samples: &[i64]) -> Vec<f32> {
    let (code, lo, _) = FORMATS[file.format];
    let invalid = (code != 8).then_some(lo);
    let to_mv = match signal.units {
        "mV" => Some(1.0),
        "uV" => Some(0.001),
        "V" => Some(1000.0),
        _ => None,
    };
    (0..spec.frames)
        .map(|n| {
            let frame = n + signal.skew;
            if frame >= spec.frames {
                return f32::NAN;
            }
            let chunk = &samples[frame * signal.spf..(frame + 1) * signal.spf];
            let mean = chunk.iter().sum::<i64>() / signal.spf as i64;
            if chunk.iter().any(|&v| Some(v) == invalid) || Some(mean) == invalid {
                return f32::NAN;
            }
            ((mean as f64 - signal.baseline as f64) / signal.gain * to_mv.unwrap_or(1.0)) as f32
        })
        .collect()
}

fn read(files: &[InputFile]) -> Result<Record, Error> {
    let mut outcomes = read_records(files);
    assert_eq!(
        outcomes.len(),
        1,
        "{:?}",
        outcomes.iter().map(|o| &o.files).collect::<Vec<_>>()
    );
    outcomes.remove(0).result
}

/// Without the number of frames the reader counts whole frames in the file; in format 310
/// the bytes of two samples also hold a third, so some lengths cannot be told apart.
fn frames_recoverable(spec: &Spec) -> bool {
    spec.files.iter().all(|f| {
        let spf: usize = f.signals.iter().map(|s| s.spf).sum();
        let frame_bytes_ambiguous = FORMATS[f.format].0 == 310 && (spec.frames * spf) % 3 == 2;
        let one_more_frame_fits = FORMATS[f.format].0 == 310 && spf == 1;
        !(frame_bytes_ambiguous && one_more_frame_fits)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn written_records_read_back_exactly(spec in spec()) {
        prop_assume!(spec.write_frames || frames_recoverable(&spec));
        let (files, values) = write(&spec);
        let record = read(&files).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&files[0].bytes)));
        prop_assert!(record.warnings.is_empty(), "{:?}", record.warnings);
        prop_assert_eq!(record.sampling_rate, 250.0);
        let channels: Vec<_> = record.channels.iter().filter(|c| !c.derived).collect();
        let signals: Vec<(&File, &Signal)> =
            spec.files.iter().flat_map(|f| f.signals.iter().map(move |s| (f, s))).collect();
        prop_assert_eq!(channels.len(), signals.len());
        for ((channel, (file, signal)), samples) in channels.iter().zip(&signals).zip(&values) {
            let want = expected(&spec, file, signal, samples);
            prop_assert_eq!(channel.samples.len(), want.len());
            for (i, (got, want)) in channel.samples.iter().zip(&want).enumerate() {
                prop_assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{} sample {}: {} != {}", signal.name, i, got, want
                );
            }
            let voltage = matches!(signal.units, "mV" | "uV" | "V");
            prop_assert_eq!(&channel.units, if voltage { "mV" } else { signal.units });
            prop_assert_eq!(channel.lead, if voltage { Lead::from_name(signal.name) } else { None });
            prop_assert_eq!(&channel.name, signal.name);
        }
    }

    #[test]
    fn damage_is_reported(spec in spec(), cut in 1..4usize) {
        let mut spec = spec;
        spec.write_frames = true;
        let (mut files, _) = write(&spec);

        // A wrong checksum is a warning naming the signal.
        let mut damaged = files.clone();
        let text = String::from_utf8(damaged[0].bytes.clone()).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut fields: Vec<String> = lines[1].split(' ').map(str::to_string).collect();
        fields[6] = (fields[6].parse::<u32>().unwrap() + 1).to_string();
        lines[1] = fields.join(" ");
        damaged[0].bytes = (lines.join("\n") + "\n").into_bytes();
        let record = read(&damaged).unwrap();
        prop_assert_eq!(record.warnings.len(), 1);
        prop_assert!(record.warnings[0].contains("checksum mismatch"), "{}", record.warnings[0]);

        // A signal file cut short is an error naming it.
        let last = files.len() - 1;
        let len = files[last].bytes.len();
        files[last].bytes.truncate(len.saturating_sub(cut));
        let name = files[last].name.clone();
        match read(&files) {
            Err(Error::Truncated { file, .. }) => prop_assert_eq!(file, name),
            other => prop_assert!(false, "{:?}", other.map(|r| r.channels.len())),
        }
    }
}
