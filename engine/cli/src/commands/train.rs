//! `ecgmatch embed-texts` and `ecgmatch train`: the two steps after `ecgmatch cache`.

use super::CliError;
use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;
use ecgmatch::model::text::TextEncoder;
use ecgmatch::train::dataset::cache::SignalCache;
use ecgmatch::train::dataset::labels::LabelTable;
use ecgmatch::train::dataset::report::TextSource;
use ecgmatch::train::dataset::texts::TextTable;
use ecgmatch::train::dataset::PtbXl;
use ecgmatch::train::training::{TrainConfig, TrainRun};

#[derive(clap::Args)]
pub struct EmbedArgs {
    /// PTB-XL in its PhysioNet layout
    #[arg(long)]
    ptbxl: PathBuf,
    /// Folder with model.safetensors and vocab.txt (see `ecgmatch fetch-weights`)
    #[arg(long, default_value = ".cache/weights/all-MiniLM-L6-v2")]
    weights: PathBuf,
    #[arg(long, default_value = ".cache/text-embeddings.bin")]
    out: PathBuf,
    /// Which text of each report the text tower reads
    #[arg(long, value_enum, default_value_t = TextArg::Composed)]
    text: TextArg,
}

/// `--text`: the report text the text tower reads.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum TextArg {
    /// English reports as written, the others' SCP statements composed in English
    Composed,
    /// Every report in English, German and Swedish ones translated
    Translated,
    /// Every report as written, in its own language
    Original,
}

impl TextArg {
    fn source(self) -> TextSource {
        match self {
            TextArg::Composed => TextSource::Composed,
            TextArg::Translated => TextSource::Translated,
            TextArg::Original => TextSource::Original,
        }
    }
}

/// PTB-XL and what `ecgmatch cache` and `embed-texts` prepared from it.
#[derive(clap::Args)]
pub struct PreparedData {
    /// PTB-XL in its PhysioNet layout
    #[arg(long)]
    pub ptbxl: PathBuf,
    /// Signal cache from `ecgmatch cache`
    #[arg(long, default_value = ".cache/ptbxl-signals.bin")]
    pub cache: PathBuf,
    /// Text table from `ecgmatch embed-texts`
    #[arg(long, default_value = ".cache/text-embeddings.bin")]
    pub texts: PathBuf,
    /// Folder with model.safetensors and vocab.txt (the text tower, for prompts)
    #[arg(long, default_value = ".cache/weights/all-MiniLM-L6-v2")]
    pub weights: PathBuf,
}

impl PreparedData {
    /// The database, the signal cache and the text table.
    pub fn open(&self) -> Result<(PtbXl, SignalCache, TextTable), CliError> {
        Ok((
            PtbXl::open(&self.ptbxl)?,
            SignalCache::read(&self.cache)?,
            TextTable::read(&self.texts)?,
        ))
    }
}

/// The frozen text tower from a folder holding model.safetensors and vocab.txt.
pub fn load_text_encoder(
    weights: &std::path::Path,
    device: &Device,
) -> Result<TextEncoder, CliError> {
    let read = |name: &str| {
        std::fs::read(weights.join(name)).map_err(|e| {
            format!(
                "{}: {e}; run `ecgmatch fetch-weights` (or `make weights`) first",
                weights.join(name).display()
            )
        })
    };
    Ok(TextEncoder::from_bytes(
        &read("model.safetensors")?,
        &read("vocab.txt")?,
        device,
    )?)
}

pub fn embed_texts(args: EmbedArgs) -> Result<(), CliError> {
    let db = PtbXl::open(&args.ptbxl).map_err(|e| e.to_string())?;
    let encoder = load_text_encoder(&args.weights, &Device::flex())?;
    let started = std::time::Instant::now();
    let mut done = 0usize;
    let mut embed = |texts: &[&str]| {
        let out = encoder
            .embed(texts)
            .map(|v| v.into_iter().map(|e| e.to_vec()).collect())
            .map_err(ecgmatch::train::Error::from);
        done += texts.len();
        eprint!(
            "\rembedding distinct report texts: {done} ({:.0} s)   ",
            started.elapsed().as_secs_f64()
        );
        out
    };
    let table =
        TextTable::build(&db, args.text.source(), 384, &mut embed).map_err(|e| e.to_string())?;
    eprintln!();
    table.write(&args.out).map_err(|e| e.to_string())?;
    println!(
        "{}: {} records, {} distinct texts",
        args.out.display(),
        table.by_record.len(),
        table.texts.len()
    );
    Ok(())
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Model {
    /// Ours: whole-record stack layout
    Stack,
    /// The seed paper's pipeline, as the baseline
    Paper,
    /// Ours with beat morphology: beat GASF/GADF/MTF and record RP per lead
    Hybrid,
}

#[derive(clap::Args)]
pub struct TrainArgs {
    /// PTB-XL in its PhysioNet layout, for the records' SCP statements
    #[arg(long)]
    ptbxl: PathBuf,
    /// Train on the reports alone: no statement-aware targets and no auxiliary classifier
    #[arg(long)]
    no_labels: bool,
    /// Weight of the statement classifier's loss against the contrastive loss
    #[arg(long)]
    label_weight: Option<f64>,
    /// Signal cache from `ecgmatch cache`
    #[arg(long, default_value = ".cache/ptbxl-signals.bin")]
    cache: PathBuf,
    /// Text table from `ecgmatch embed-texts`
    #[arg(long, default_value = ".cache/text-embeddings.bin")]
    texts: PathBuf,
    #[arg(long, value_enum, default_value = "stack")]
    model: Model,
    /// The beat the hybrid model trains on [default: central]
    #[arg(long)]
    beat: Option<ecgmatch::signal::encode::layout::Beat>,
    /// Folder for checkpoints, config and log
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Continue from the last checkpoint in --out
    #[arg(long)]
    resume: bool,
    /// `cpu`, or `wgpu` (Vulkan/Metal GPU) in a binary built with `--features webgpu`
    #[arg(long, default_value = "cpu")]
    device: String,
}

pub fn train(args: TrainArgs) -> Result<(), CliError> {
    let mut config = match args.model {
        Model::Stack => TrainConfig::stack_default(),
        Model::Paper => TrainConfig::paper_default(),
        Model::Hybrid => TrainConfig::hybrid_default(),
    };
    if let Some(beat) = args.beat {
        config.layout = super::with_beat(config.layout, beat)?;
    }
    if let Some(e) = args.epochs {
        config.epochs = e;
    }
    if let Some(b) = args.batch_size {
        config.batch_size = b;
    }
    if let Some(s) = args.seed {
        config.seed = s;
    }
    let device = match args.device.as_str() {
        "cpu" => Device::flex().autodiff(),
        #[cfg(feature = "webgpu")]
        "wgpu" => Device::wgpu_options()
            .init()
            .map_err(|e| format!("no usable GPU through wgpu: {e:?}"))?
            .autodiff(),
        other => {
            let built = if cfg!(feature = "webgpu") {
                "cpu, wgpu"
            } else {
                "cpu (rebuild with --features webgpu for wgpu)"
            };
            return Err(format!("unknown device '{other}'; this build trains on: {built}").into());
        }
    };
    let cache = SignalCache::read(&args.cache).map_err(|e| e.to_string())?;
    let texts = TextTable::read(&args.texts).map_err(|e| e.to_string())?;
    let labels = (!args.no_labels)
        .then(|| PtbXl::open(&args.ptbxl).map(|db| LabelTable::build(&db)))
        .transpose()
        .map_err(|e| e.to_string())?;
    config.model.label_count = labels.as_ref().map_or(0, |l| l.codes.len());
    if let Some(w) = args.label_weight {
        config.model.label_weight = w;
    }
    eprintln!(
        "training {:?} on {} records, image tower {} parameters",
        args.model,
        cache
            .records
            .iter()
            .filter(|r| (1..=8).contains(&r.fold))
            .count(),
        config.model.image.num_params()
    );
    TrainRun {
        config,
        cache: &cache,
        texts: &texts,
        labels: labels.as_ref(),
        out: args.out,
        resume: args.resume,
        device,
    }
    .run()
    .map_err(|e| e.to_string())?;
    Ok(())
}
