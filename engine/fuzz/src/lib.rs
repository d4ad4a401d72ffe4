//! What every fuzz target checks: the readers never panic (libFuzzer catches that), and a
//! successful read keeps the promises the rest of the engine relies on.

use ecgmatch_formats::ReadOutcome;
use ecgmatch_formats::{read_records, InputFile};

/// Reads `data` as one dropped file called `name` and checks the outcome.
pub fn read_one(name: &str, data: &[u8]) {
    check(read_records(&[InputFile::new(name, data.to_vec())]));
}

pub fn check(outcomes: Vec<ReadOutcome>) {
    for outcome in outcomes {
        let Ok(record) = outcome.result else { continue };
        assert!(record.sampling_rate.is_finite() && record.sampling_rate > 0.0);
        assert!(!record.channels.is_empty());
        let n = record.num_samples();
        assert!(n > 0);
        for channel in &record.channels {
            assert_eq!(channel.samples.len(), n);
            assert!(!channel.units.is_empty());
            // NaN marks a missing sample (WFDB's invalid-sample value); infinities are bugs.
            assert!(channel.samples.iter().all(|s| !s.is_infinite()));
        }
    }
}
