//! Test helpers shared by the formats' tests (DICOM, SCP-ECG, the XML formats): the real PTB-XL
//! record they are checked against, reading through [`read_records`] so that detection is
//! exercised, comparing leads, and damaging files.

use proptest::prelude::*;

use crate::millivolt_channel;
use crate::random::SplitMix;
use crate::read_record_files;
use crate::read_records;
use crate::Result;
use crate::{Channel, InputFile, Lead, Record};

const PTBXL_HEADER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/ptbxl-fold10/00009_lr.hea"
);

/// PTB-XL record 9 at 100 Hz: 12 leads, 1000 samples, 1 µV steps.
pub fn ptbxl_record() -> Record {
    let files = read_record_files(std::path::Path::new(PTBXL_HEADER)).unwrap();
    read_records(&files).remove(0).result.unwrap()
}

/// One dropped file, read as the page reads it.
pub fn read_one(name: &str, bytes: Vec<u8>) -> Result<Record> {
    let mut outcomes = read_records(&[InputFile::new(name, bytes)]);
    assert_eq!(outcomes.len(), 1);
    outcomes.remove(0).result
}

/// All twelve leads stored (not derived) and within half a 1 µV step of the original.
pub fn assert_same_leads(original: &Record, back: &Record) {
    for lead in Lead::STANDARD {
        let a = &original.lead(lead).unwrap().samples;
        let channel = back.lead(lead).unwrap();
        assert_eq!(a.len(), channel.samples.len(), "{lead:?}");
        assert!(!channel.derived, "{lead:?} was stored, not derived");
        let worst = a
            .iter()
            .zip(&channel.samples)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst <= 0.0005 + 1e-6, "{lead:?}: {worst} mV apart");
    }
}

/// Every prefix of `bytes`, and `rounds` copies with one to four random bytes changed, must
/// read as `Ok` or `Err`, never panic.
pub fn survives_damage(bytes: &[u8], rounds: usize) {
    for end in 0..bytes.len() {
        let _ = read_one("prefix", bytes[..end].to_vec());
    }
    let mut noise = SplitMix(0x2545_F491_4F6C_DD1D ^ bytes.len() as u64);
    for _ in 0..rounds {
        let mut damaged = bytes.to_vec();
        for _ in 0..1 + noise.below(4) {
            let at = noise.below(damaged.len());
            damaged[at] = noise.next_u64() as u8;
        }
        let _ = read_one("damaged", damaged);
    }
}

/// Some of the standard leads, in any order.
pub fn standard_subset() -> impl Strategy<Value = Vec<Lead>> {
    proptest::sample::subsequence(Lead::STANDARD.to_vec(), 1..=12).prop_shuffle()
}

/// One channel per lead with `length` stored values from `value`, in millivolts as `to_mv`
/// gives them (each format's reader scales in its own order of operations).
pub fn random_channels(
    leads: &[Lead],
    length: usize,
    seed: u64,
    value: impl Fn(u64) -> i16,
    to_mv: impl Fn(i16) -> f32,
) -> Vec<Channel> {
    let mut noise = SplitMix(seed);
    leads
        .iter()
        .map(|lead| {
            millivolt_channel(
                lead.label(),
                (0..length)
                    .map(|_| to_mv(value(noise.next_u64())))
                    .collect(),
            )
        })
        .collect()
}

/// Checks that the committed fixture `tests/fixtures/<relative>` is byte for byte what the
/// writer makes (`written`), or rewrites it first when `ECGMATCH_WRITE_FIXTURES` is set (`make
/// fixtures`): the one way every writer's fixtures are regenerated. Gives the stored bytes.
pub fn committed_fixture(relative: &str, written: &[u8]) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/{relative}",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("ECGMATCH_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, written).unwrap();
    }
    let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        stored == written,
        "tests/fixtures/{relative} differs from what the writer makes: if the change is meant, \
         run `make fixtures` and commit the result"
    );
    stored
}
