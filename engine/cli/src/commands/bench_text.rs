//! `ecgmatch bench-text`: the text tower's speed on typical report sentences (those of 20–40
//! tokens in the tokenizer's golden fixture), on the CPU.

use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;

use super::CliError;

#[derive(clap::Args)]
pub struct Args {
    /// Folder with model.safetensors and vocab.txt (see `ecgmatch fetch-weights`)
    #[arg(long, default_value = ".cache/weights/all-MiniLM-L6-v2")]
    weights: PathBuf,
    /// The tokenizer's golden cases, whose texts are embedded
    #[arg(long, default_value = "tests/fixtures/text/token_ids.json")]
    texts: PathBuf,
    /// Sentences embedded in the timed run
    #[arg(long, default_value_t = 512)]
    n: usize,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let bytes = std::fs::read(&args.texts).map_err(|e| format!("{}: {e}", args.texts.display()))?;
    let golden: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", args.texts.display()))?;
    let typical: Vec<&str> = golden["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["ids"]
                .as_array()
                .is_some_and(|ids| (20..=40).contains(&ids.len()))
        })
        .filter_map(|c| c["text"].as_str())
        .collect();
    if typical.is_empty() {
        return Err(format!("{}: no case of 20-40 tokens", args.texts.display()).into());
    }
    let texts: Vec<&str> = typical.iter().cycle().take(args.n).copied().collect();
    let encoder = super::train::load_text_encoder(&args.weights, &Device::flex())?;
    encoder.embed(&texts[..texts.len().min(64)])?;
    let start = std::time::Instant::now();
    encoder.embed(&texts)?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} texts ({} distinct, 20-40 tokens) in {seconds:.2} s: {:.0} sentences/s",
        texts.len(),
        typical.len(),
        texts.len() as f64 / seconds
    );
    Ok(())
}
