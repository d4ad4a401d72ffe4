//! Encoding speed against pyts on real PTB-XL records, same inputs, same run.

use super::CliError;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ecgmatch::signal::encode::layout::{
    beat_tiles, stack_series, BeatTilesConfig, EncodedImage, Encoder, StackConfig,
};
use ecgmatch::signal::prepare;

use super::{inputs, npy};

#[derive(clap::Args)]
pub struct Args {
    /// PTB-XL in its PhysioNet layout (the folder holding records100/)
    #[arg(long)]
    ptbxl: PathBuf,
    /// How many records to encode
    #[arg(long, default_value_t = 200)]
    records: usize,
    /// Image side of the stack layout
    #[arg(long, default_value_t = 128)]
    size: usize,
    /// Python with pyts 0.14 and Pillow installed
    #[arg(long, default_value = "python3")]
    python: String,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let headers = first_headers(&args.ptbxl.join("records100"), args.records)?;
    let paper = BeatTilesConfig::default();
    let stack = StackConfig {
        image_size: args.size,
        ..StackConfig::default()
    };

    let mut beats_all = Vec::new();
    let mut series_all = Vec::new();
    let mut series_len = 0;
    for header in &headers {
        let files = inputs::collect(std::slice::from_ref(header))?;
        let record = ecgmatch::formats::read_records(&files)
            .remove(0)
            .result
            .map_err(|e| e.to_string())?;
        let leads = prepare(&record, &paper.prepare).map_err(|e| e.to_string())?;
        let beats = beat_tiles(&leads, &paper, &record.name).map_err(|e| e.to_string())?;
        let leads = prepare(&record, &stack.prepare).map_err(|e| e.to_string())?;
        let series = stack_series(&leads, &stack, &record.name).map_err(|e| e.to_string())?;
        if beats.iter().any(Option::is_none) || series.iter().any(Option::is_none) {
            return Err(format!("{}: not a 12-lead record", header.display()).into());
        }
        beats_all.push(beats.map(|b| b.map(<[f32]>::to_vec)));
        series_len = series[0].as_ref().map_or(0, Vec::len);
        series_all.push(series);
    }
    let n = beats_all.len();
    let dir = std::env::temp_dir().join(format!("ecgmatch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| e.to_string();
    let flat = |rows: &[[Option<Vec<f32>>; 12]]| {
        rows.iter()
            .flat_map(|r| r.iter().flatten().flatten().copied())
            .collect::<Vec<f32>>()
    };
    npy::write_f32(
        &dir.join("beats.npy"),
        &[n, 12, paper.samples_before_r + paper.samples_after_r],
        &flat(&beats_all),
    )
    .map_err(io)?;
    npy::write_f32(
        &dir.join("series.npy"),
        &[n, 12, series_len],
        &flat(&series_all),
    )
    .map_err(io)?;
    let params = serde_json::json!({
        "paper_size": paper.output_size, "mtf_bins_paper": paper.mtf_bins,
        "stack_size": stack.image_size, "mtf_bins_stack": stack.mtf_bins,
    });
    std::fs::write(dir.join("params.json"), params.to_string()).map_err(io)?;

    // Ours: the whole set, and its first half, to show the cost is linear in records.
    // Timed as a batch job runs: one encoder and one output reused record after record.
    // Each record's tensor is copied out after the clock stops, for the comparison with pyts.
    let beat_refs: Vec<[Option<&[f32]>; 12]> = beats_all
        .iter()
        .map(|b| std::array::from_fn(|i| b[i].as_deref()))
        .collect();
    let run_paper = |k: usize| {
        time_encoding(&beat_refs[..k], |encoder, beats, image| {
            encoder.beat_tiles_into(beats, &paper, image)
        })
    };
    let run_stack = |k: usize| {
        time_encoding(&series_all[..k], |encoder, series, image| {
            encoder.stack_series_into(series, &stack, image)
        })
    };
    let (paper_half, _) = run_paper(n / 2)?;
    let (paper_ours, paper_out) = run_paper(n)?;
    let (stack_half, _) = run_stack(n / 2)?;
    let (stack_ours, stack_out) = run_stack(n)?;

    eprintln!("running pyts on the same {n} records…");
    let output = Command::new(&args.python)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../signal/bench")
                .join("pyts_encode.py"),
        )
        .arg(&dir)
        .output()
        .map_err(|e| {
            format!(
                "could not run {}: {e}. Install pyts with `pip install pyts==0.14.0 pillow`",
                args.python
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "pyts run failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    let timings: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("pyts output: {e}"))?;
    let (_, pyts_paper) = npy::read_f32(&dir.join("pyts_paper.npy"))?;
    let (_, pyts_stack) = npy::read_f32(&dir.join("pyts_stack.npy"))?;
    let _ = std::fs::remove_dir_all(&dir);

    println!("Encoding {n} PTB-XL records (12 leads, 100 Hz), single thread, same inputs for both");
    println!(
        "{:<22} {:>12} {:>12} {:>9} {:>14} {:>22}",
        "layout", "ours rec/s", "pyts rec/s", "ratio", "max |diff|", "ours ms/rec (n/2 → n)"
    );
    for (name, ours, half, pyts, a, b) in [
        (
            "paper 3x224x224",
            paper_ours,
            paper_half,
            timings["paper_s"].as_f64().unwrap_or(f64::NAN),
            &paper_out,
            &pyts_paper,
        ),
        (
            &*format!("stack 48x{0}x{0}", stack.image_size),
            stack_ours,
            stack_half,
            timings["stack_s"].as_f64().unwrap_or(f64::NAN),
            &stack_out,
            &pyts_stack,
        ),
    ] {
        let a: Vec<f32> = a.concat();
        let diff = if a.len() == b.len() {
            a.iter()
                .zip(b.iter())
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max)
        } else {
            f32::NAN
        };
        println!(
            "{:<22} {:>12.0} {:>12.1} {:>8.1}x {:>14.2e} {:>10.3} → {:.3}",
            name,
            n as f64 / ours,
            n as f64 / pyts,
            pyts / ours,
            diff,
            half * 1000.0 / (n / 2) as f64,
            ours * 1000.0 / n as f64
        );
    }
    Ok(())
}

/// Encodes every input with one reused encoder and output; returns the encoding time
/// alone and a copy of each output.
fn time_encoding<T>(
    inputs: &[T],
    encode: impl Fn(&mut Encoder, &T, &mut EncodedImage) -> ecgmatch::signal::Result<()>,
) -> Result<(f64, Vec<Vec<f32>>), CliError> {
    let (mut encoder, mut image, mut kept, mut elapsed) =
        (Encoder::default(), EncodedImage::default(), Vec::new(), 0.0);
    for input in inputs {
        let t = Instant::now();
        encode(&mut encoder, input, &mut image).map_err(|e| e.to_string())?;
        elapsed += t.elapsed().as_secs_f64();
        kept.push(image.data.clone());
    }
    Ok((elapsed, kept))
}

/// The first `n` record headers under records100/, in ecg_id order.
fn first_headers(records: &Path, n: usize) -> Result<Vec<PathBuf>, CliError> {
    let hint = "pass the folder written by ptbxl-materialize or downloaded from PhysioNet (it holds records100/)";
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(records)
        .map_err(|e| format!("{}: {e}; {hint}", records.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for d in dirs {
        let mut hs: Vec<PathBuf> = std::fs::read_dir(&d)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "hea"))
            .collect();
        hs.sort();
        out.extend(hs.into_iter().take(n - out.len()));
        if out.len() >= n {
            break;
        }
    }
    if out.len() < 2 {
        return Err(format!(
            "found fewer than 2 records in {}; {hint}",
            records.display()
        )
        .into());
    }
    Ok(out)
}
