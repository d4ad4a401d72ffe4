//! `ecgmatch bundle`: the shipped case library from a training run.

use super::CliError;
use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;
use ecgmatch::retrieval::bundle::{Bundle, Container};
use ecgmatch::retrieval::KnnRule;
use ecgmatch::train::bundling::BundleSources;
use ecgmatch::train::TrainedModel;

use super::train::{load_text_encoder, PreparedData};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: PreparedData,
    /// The training folder (`ecgmatch train --out`); its best checkpoint is used
    #[arg(
        long,
        required_unless_present = "from_bundle",
        conflicts_with = "from_bundle"
    )]
    run: Option<PathBuf>,
    /// Rebuild from an existing bundle's model (its f16 weights, kept as they are), e.g. to
    /// store the library with another whitening or vote
    #[arg(long)]
    from_bundle: Option<PathBuf>,
    #[arg(long, default_value = super::SHIPPED_BUNDLE)]
    out: PathBuf,
    #[arg(long, default_value = "PTB-XL")]
    name: String,
    /// Neighbours that vote in the consensus (choose with `ecgmatch eval`, which picks it on fold 9)
    #[arg(long, default_value_t = 10)]
    knn_k: usize,
    /// Softmax temperature of the consensus vote; without it, votes are weighted by similarity
    #[arg(long)]
    knn_temperature: Option<f32>,
    /// Whitening of the library and queries, fitted on folds 1-8 (choose with `ecgmatch eval`);
    /// without it, raw embeddings are compared
    #[arg(long)]
    whitening_power: Option<f64>,
    /// Weights of each case's rhythm and voltage measurements beside its embedding, as
    /// RHYTHM,VOLTAGE (choose with `ecgmatch eval`); without it, embeddings alone are compared
    #[arg(long, value_parser = super::parse_measure_weights)]
    measure_weights: Option<ecgmatch::retrieval::MeasureWeights>,
    /// Weight of the diagnostic probe beside the embedding and the measurements, fitted on
    /// folds 1-8 (choose with `ecgmatch eval`); without it, no probe
    #[arg(long, requires = "measure_weights")]
    probe_weight: Option<f32>,
    /// Weight of the reports' frequency prior when the page ranks reports for an ECG (choose
    /// with `ecgmatch eval`, which picks it on fold 9)
    #[arg(long, default_value_t = 0.0)]
    report_prior: f32,
    /// Let a hybrid model read this beat instead of the one it was trained on (the library is
    /// embedded, and the page encodes queries, with it)
    #[arg(long)]
    beat: Option<ecgmatch::signal::encode::layout::Beat>,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let device = Device::flex();
    let (db, cache, texts) = args.data.open()?;
    let mut trained = match (&args.run, &args.from_bundle) {
        (Some(run), _) => TrainedModel::load(run, &device)?,
        (None, Some(path)) => {
            let bytes = std::fs::read(path).map_err(|err| format!("{}: {err}", path.display()))?;
            TrainedModel::from_bundle(&Bundle::from_bytes(&bytes)?, &device)?
        }
        (None, None) => return Err("give --run FOLDER or --from-bundle FILE".into()),
    };
    if let Some(beat) = args.beat {
        trained.config.layout = super::with_beat(trained.config.layout, beat)?;
    }
    let text_encoder = load_text_encoder(&args.data.weights, &device)?;
    eprintln!(
        "embedding {} cases with {}",
        cache.records.len(),
        trained.checkpoint.display()
    );
    let knn = KnnRule {
        k: args.knn_k,
        temperature: args.knn_temperature,
    };
    let bytes = BundleSources {
        name: args.name,
        db: &db,
        cache: &cache,
        texts: &texts,
        trained: &trained,
        text_encoder: &text_encoder,
        device: &device,
        knn,
        whitening_power: args.whitening_power,
        measure_weights: args.measure_weights,
        probe_weight: args.probe_weight,
        report_prior: args.report_prior,
    }
    .build()?;
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    }
    std::fs::write(&args.out, &bytes).map_err(|err| format!("{}: {err}", args.out.display()))?;
    println!(
        "{}: {} bytes, sha256 {}",
        args.out.display(),
        bytes.len(),
        Container::checksum_hex(&bytes).unwrap_or_default()
    );
    Ok(())
}
