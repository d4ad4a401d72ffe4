//! `ecgmatch pack-waveforms`: the library's tracings as the page fetches them case by case
//! (`static/waveforms/`), from the signal cache, with the precision kept measured.

use super::CliError;
use std::path::PathBuf;

use ecgmatch::retrieval::waveforms::{decode_case, read_index, write_pack};
use ecgmatch::train::dataset::cache::SignalCache;

#[derive(clap::Args)]
pub struct Args {
    /// Signal cache from `ecgmatch cache`
    #[arg(long, default_value = ".cache/ptbxl-signals.bin")]
    cache: PathBuf,
    #[arg(long, default_value = "static/waveforms/ptbxl-v1.ecgw")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let cache = SignalCache::read(&args.cache).map_err(|e| e.to_string())?;
    let cases: Vec<_> = cache
        .records
        .iter()
        .map(|r| r.waveforms(cache.samples, cache.beat_len))
        .collect();
    let pack = write_pack(cases.clone(), cache.samples, cache.beat_len);
    // Every case read back and compared with what the cache holds: the error the pack adds.
    let (shape, index) = read_index(&pack).map_err(|e| e.to_string())?;
    let (mut worst_uv, mut largest, mut without_beats) = (0f32, 0usize, 0usize);
    for (original, at) in cases.iter().zip(&index) {
        let back = decode_case(at.ecg_id, &shape, &pack[at.offset..at.offset + at.len])
            .map_err(|e| e.to_string())?;
        let pairs = original.rhythm_strip.iter().zip(&back.rhythm_strip).chain(
            original
                .median_beats
                .iter()
                .flatten()
                .zip(back.median_beats.iter().flatten())
                .flat_map(|(a, b)| a.iter().zip(b)),
        );
        worst_uv = pairs.fold(worst_uv, |w, (a, b)| w.max((a - b).abs() * 1000.0));
        largest = largest.max(at.len);
        without_beats += usize::from(original.median_beats.is_none());
    }
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(&args.out, &pack).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!(
        "{}: {} cases ({} without a median beat), {} bytes ({:.1} MB); index {} bytes; per case {:.0} bytes on average, {largest} at most; {} Hz, {} µV steps, largest error {worst_uv:.1} µV",
        args.out.display(),
        shape.cases,
        without_beats,
        pack.len(),
        pack.len() as f64 / 1e6,
        shape.index_end(),
        (pack.len() - shape.index_end()) as f64 / shape.cases.max(1) as f64,
        shape.sampling_rate,
        shape.step_uv
    );
    Ok(())
}
