//! `ecgmatch pack-text`: the text tower as the page downloads it (int8 matrices), checked
//! against the f32 original on sentences before it is written.

use super::CliError;
use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;
use ecgmatch::model::text::TextEncoder;
use ecgmatch::retrieval::bundle::text_tower::{pack, unpack};

#[derive(clap::Args)]
pub struct Args {
    /// Folder with model.safetensors and vocab.txt (see `ecgmatch fetch-weights`)
    #[arg(long, default_value = ".cache/weights/all-MiniLM-L6-v2")]
    weights: PathBuf,
    #[arg(long, default_value = "static/bundle/text-tower-v1.ecgb")]
    out: PathBuf,
}

/// Report-like sentences, English and German, for the fidelity check.
const SENTENCES: [&str; 8] = [
    "sinus rhythm, normal ecg",
    "atrial fibrillation with rapid ventricular response",
    "old inferior infarct",
    "left ventricular hypertrophy with strain",
    "complete right bundle branch block",
    "sinusrhythmus linkstyp unspezifisches abnormales t",
    "ST depression in V4-V6, consider ischaemia",
    "first degree AV block",
];

pub fn run(args: Args) -> Result<(), CliError> {
    let read = |name: &str| {
        std::fs::read(args.weights.join(name)).map_err(|e| {
            format!(
                "{}: {e}; run `make weights` first",
                args.weights.join(name).display()
            )
        })
    };
    let (model, vocab) = (read("model.safetensors")?, read("vocab.txt")?);
    let packed = pack(&model, &vocab, "sentence-transformers/all-MiniLM-L6-v2")
        .map_err(|e| e.to_string())?;
    let (unpacked, vocab_back) = unpack(&packed).map_err(|e| e.to_string())?;
    let device = Device::flex();
    let original = TextEncoder::from_bytes(&model, &vocab, &device).map_err(|e| e.to_string())?;
    let compact =
        TextEncoder::from_bytes(&unpacked, &vocab_back, &device).map_err(|e| e.to_string())?;
    let (a, b) = (
        original.embed(&SENTENCES).map_err(|e| e.to_string())?,
        compact.embed(&SENTENCES).map_err(|e| e.to_string())?,
    );
    let cosines: Vec<f32> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum())
        .collect();
    let worst = cosines.iter().copied().fold(1.0f32, f32::min);
    println!(
        "int8 vs f32 sentence embeddings: cosine min {worst:.5}, mean {:.5} over {} sentences",
        cosines.iter().sum::<f32>() / cosines.len() as f32,
        cosines.len()
    );
    if worst < 0.99 {
        return Err(format!("the packed text tower drifts too far from the original (cosine {worst:.4} < 0.99); not written").into());
    }
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&args.out, &packed).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!(
        "{}: {} bytes (f32 original {} bytes)",
        args.out.display(),
        packed.len(),
        model.len()
    );
    Ok(())
}
