//! `ecgmatch find-text`: cases ranked by how close their ECG lies to a typed description in
//! the dual encoder's joint space (text → ECG), as the page's text search does.

use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;
use ecgmatch::retrieval::search::describe;

use super::search::open_searcher;
use super::CliError;

#[derive(clap::Args)]
pub struct Args {
    /// What to look for, in English ("atrial fibrillation with left bundle branch block")
    text: String,
    /// The case library (v6 or later: earlier ones cannot rank their ECGs by text)
    #[arg(long, default_value = super::SHIPPED_BUNDLE)]
    bundle: PathBuf,
    /// The text tower's weights (see `ecgmatch fetch-weights`)
    #[arg(long, default_value = ".cache/weights/all-MiniLM-L6-v2")]
    weights: PathBuf,
    /// Cases to list
    #[arg(short, long, default_value_t = 10)]
    k: usize,
    /// Leave out the cases of this PTB-XL fold (`strat_fold`)
    #[arg(long)]
    exclude_fold: Option<u8>,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct Found {
    rank: usize,
    ecg_id: u32,
    similarity: f32,
    scp_codes: Vec<String>,
    report: String,
    english: String,
}

pub fn run(args: Args) -> Result<(), CliError> {
    if args.text.trim().is_empty() {
        return Err("give a description to look for, such as \"left bundle branch block\"".into());
    }
    let searcher = open_searcher(&args.bundle)?;
    let encoder = super::train::load_text_encoder(&args.weights, &Device::flex())?;
    let sentence = encoder.embed(&[args.text.as_str()])?;
    let embedding = searcher
        .embed_sentence(&sentence[0])
        .map_err(|e| e.to_string())?;
    let hits = searcher
        .bundle
        .search_ecgs_by_text(&embedding, args.k, args.exclude_fold)
        .ok_or_else(|| {
            format!(
                "{} was built before v6 and cannot rank its ECGs by text; use {}",
                args.bundle.display(),
                super::SHIPPED_BUNDLE
            )
        })?;
    let found: Vec<Found> = describe(&searcher.bundle, &hits)
        .into_iter()
        .map(|m| Found {
            rank: m.rank,
            ecg_id: m.ecg_id,
            similarity: m.similarity,
            scp_codes: m.scp_codes.into_iter().map(|c| c.code).collect(),
            report: m.report,
            english: m.english,
        })
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&found).map_err(|e| e.to_string())?
        );
    } else {
        println!("cases whose ECG fits \"{}\" (text → ECG)", args.text);
        for f in &found {
            println!(
                "  {:>2}. {:.3}  ecg_id {:<6} [{}]  {}",
                f.rank,
                f.similarity,
                f.ecg_id,
                f.scp_codes.join(", "),
                f.english
            );
        }
    }
    Ok(())
}
