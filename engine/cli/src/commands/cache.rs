use super::CliError;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use ecgmatch::signal::encode::layout::{BeatTilesConfig, StackConfig};
use ecgmatch::train::dataset::cache::SignalCache;
use ecgmatch::train::dataset::PtbXl;

#[derive(clap::Args)]
pub struct Args {
    /// PTB-XL in its PhysioNet layout (the folder holding ptbxl_database.csv and records100/)
    #[arg(long)]
    ptbxl: PathBuf,
    /// Where to write the cache
    #[arg(long, default_value = ".cache/ptbxl-signals.bin")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let db = PtbXl::open(&args.ptbxl).map_err(|e| e.to_string())?;
    let total = db.entries.len();
    let start = Instant::now();
    let progress = |done: usize| {
        if done.is_multiple_of(500) || done == total {
            let elapsed = start.elapsed().as_secs_f64();
            let eta = elapsed / done as f64 * (total - done) as f64;
            eprint!(
                "\rpreparing records: {done}/{total}, {elapsed:.0} s, about {eta:.0} s left   "
            );
            let _ = std::io::stderr().flush();
        }
    };
    let cache = SignalCache::build(
        &db,
        &StackConfig::default(),
        &BeatTilesConfig::default(),
        &progress,
    )
    .map_err(|e| e.to_string())?;
    eprintln!();
    cache.write(&args.out).map_err(|e| e.to_string())?;
    let without_beat = cache
        .records
        .iter()
        .filter(|r| {
            r.beats(
                cache.beat_len,
                ecgmatch::signal::encode::layout::Beat::Central,
            )
            .is_none()
        })
        .count();
    println!(
        "{}: {} records, {} samples per lead, {} without a complete beat for the paper layout, in {:.0} s",
        args.out.display(),
        cache.records.len(),
        cache.samples,
        without_beat,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
