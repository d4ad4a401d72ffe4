//! `ecgmatch eval`: every method on fold 10 in one run.

use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;
use ecgmatch::retrieval::bundle::{Bundle, SearchMode};
use ecgmatch::retrieval::{KnnRule, MeasureWeights, RetrievalSpace};
use ecgmatch::signal::measure::MEASURE_COUNT;
use ecgmatch::train::eval::{format_table, rule, Evaluation, Method, Ranker, Split, ZeroShot};
use ecgmatch::train::TrainedModel;

use super::CliError;

use super::train::PreparedData;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: PreparedData,
    /// A trained model as NAME=FOLDER (the folder `ecgmatch train --out` wrote); repeat for several
    #[arg(long = "run", value_parser = parse_run)]
    runs: Vec<(String, PathBuf)>,
    /// A bundle (`ecgmatch bundle`) to score as shipped: its f16 model, int8 library, and
    /// binary codes with int8 re-ranking
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// Candidates the binary codes pass to int8 re-ranking
    #[arg(long, default_value_t = 1000)]
    rerank_pool: usize,
    /// Neighbours that vote in kNN classification. Without it, the rule (k and softmax
    /// temperature, and the whitening) is chosen on fold 9 against folds 1-8 with the bundle's model
    /// (else the first run), then used on fold 10
    #[arg(long)]
    knn_k: Option<usize>,
    /// Softmax temperature of the kNN vote (with --knn-k); without it, votes are weighted by similarity
    #[arg(long, requires = "knn_k")]
    knn_temperature: Option<f32>,
    /// Whitening power of the trained runs' embeddings (with --knn-k; without --knn-k it is chosen on fold 9)
    #[arg(long, requires = "knn_k")]
    whitening_power: Option<f64>,
    /// Weights of the rhythm and voltage measurements beside the trained runs' embeddings, as
    /// RHYTHM,VOLTAGE (with --knn-k; without --knn-k they are chosen on fold 9)
    #[arg(long, requires = "knn_k", value_parser = super::parse_measure_weights)]
    measure_weights: Option<MeasureWeights>,
    /// Weight of the diagnostic probe beside the measurements (with --measure-weights;
    /// without --knn-k it is chosen on fold 9)
    #[arg(long, requires = "measure_weights")]
    probe_weight: Option<f32>,
    /// Also write the bundle model's raw embedding of every cached record here
    /// (embeddings.npy, `records × dim`; retrieval.npy, the same in the bundle's retrieval
    /// space; measures.npy, their measurements; and ecg_ids.txt, one per line in the same
    /// order), for analysis outside
    #[arg(long, requires = "bundle")]
    embeddings_out: Option<PathBuf>,
    /// Also write the scores as JSON here
    #[arg(long)]
    json: Option<PathBuf>,
}

fn write_embeddings(
    dir: &std::path::Path,
    cache: &ecgmatch::train::dataset::cache::SignalCache,
    vectors: &[f32],
    measures: &[f32],
    space: &RetrievalSpace,
    dim: usize,
) -> Result<(), CliError> {
    let fail = |err: std::io::Error| format!("{}: {err}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let records = vectors.len() / dim;
    super::npy::write_f32(&dir.join("embeddings.npy"), &[records, dim], vectors).map_err(fail)?;
    super::npy::write_f32(
        &dir.join("retrieval.npy"),
        &[records, space.dim(dim)],
        &space.vectors(vectors, dim, measures),
    )
    .map_err(fail)?;
    super::npy::write_f32(
        &dir.join("measures.npy"),
        &[records, MEASURE_COUNT],
        measures,
    )
    .map_err(fail)?;
    let ids: Vec<String> = cache.records.iter().map(|r| r.ecg_id.to_string()).collect();
    std::fs::write(dir.join("ecg_ids.txt"), ids.join("\n")).map_err(fail)?;
    Ok(())
}

fn parse_run(s: &str) -> Result<(String, PathBuf), CliError> {
    let (name, dir) = s
        .split_once('=')
        .ok_or("expected NAME=FOLDER, e.g. ours=.cache/runs/stack")?;
    Ok((name.to_string(), PathBuf::from(dir)))
}

pub fn run(args: Args) -> Result<(), CliError> {
    let device = Device::flex();
    let (db, cache, texts) = args.data.open()?;
    let fixed = args.knn_k.map(|k| KnnRule {
        k,
        temperature: args.knn_temperature,
    });
    let mut evaluation =
        Evaluation::new(&db, &cache, fixed.unwrap_or(KnnRule::new(10)), Split::Test)?;
    let started = std::time::Instant::now();
    let measures = cache.measurements();
    eprintln!(
        "measured {} records in {:.1} s",
        cache.records.len(),
        started.elapsed().as_secs_f64()
    );
    evaluation.measures = measures.clone();
    let mut methods = vec![
        Method {
            name: "random retrieval".into(),
            list: None,
            ranker: Ranker::Random,
        },
        Method {
            name: "most-frequent report".into(),
            list: None,
            ranker: Ranker::MostFrequentReport,
        },
    ];
    let (superclass_prompts, rhythm) = evaluation.prompts();
    let bundle = match &args.bundle {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|err| format!("{}: {err}", path.display()))?;
            Some(Bundle::from_bytes(&bytes)?)
        }
        None => None,
    };
    let text_encoder = if args.runs.is_empty() {
        None
    } else {
        Some(super::train::load_text_encoder(
            &args.data.weights,
            &device,
        )?)
    };
    // Each run adds one method, here.
    let runs = methods.len()..methods.len() + args.runs.len();
    for (name, dir) in &args.runs {
        let started = std::time::Instant::now();
        let trained = TrainedModel::load(dir, &device)?;
        let vectors = trained.embed_records(&cache, &texts, &device)?;
        let encoder = text_encoder.as_ref().expect("loaded when there are runs");
        let embed = |prompts: &[String]| -> Result<Vec<f32>, CliError> {
            let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
            let sentences: Vec<Vec<f32>> = encoder
                .embed(&refs)?
                .into_iter()
                .map(|v| v.to_vec())
                .collect();
            Ok(trained.embed_texts(&sentences, &device)?)
        };
        let rhythm_descriptions: Vec<String> = rhythm.iter().map(|(_, d)| d.clone()).collect();
        let zero_shot = ZeroShot {
            superclass_prompts: embed(&superclass_prompts)?,
            rhythm_codes: rhythm.iter().map(|(c, _)| c.clone()).collect(),
            rhythm_prompts: embed(&rhythm_descriptions)?,
        };
        eprintln!(
            "{name}: embedded {} records in {:.0} s",
            cache.records.len(),
            started.elapsed().as_secs_f64()
        );
        let dim = trained.config.model.image.embed_dim;
        methods.push(Method {
            name: name.clone(),
            list: None,
            ranker: Ranker::Embeddings {
                vectors,
                dim,
                zero_shot: Some(zero_shot),
                space: RetrievalSpace::default(),
            },
        });
    }
    let mut bundle_int8 = None;
    if let Some(bundle) = &bundle {
        let started = std::time::Instant::now();
        let trained = TrainedModel::from_bundle(bundle, &device)?;
        let vectors = trained.embed_records(&cache, &texts, &device)?;
        eprintln!(
            "bundle: embedded {} records in {:.0} s",
            cache.records.len(),
            started.elapsed().as_secs_f64()
        );
        if let Some(dir) = &args.embeddings_out {
            write_embeddings(
                dir,
                &cache,
                &vectors,
                &measures,
                &bundle.space,
                bundle.embed_dim(),
            )?;
        }
        let zero_shot = || evaluation.bundle_prompts(bundle);
        methods.push(Method {
            name: "bundle model, f32 library".into(),
            list: None,
            ranker: Ranker::Embeddings {
                vectors: vectors.clone(),
                dim: bundle.embed_dim(),
                zero_shot: Some(zero_shot()?),
                space: bundle.space.clone(),
            },
        });
        bundle_int8 = Some(methods.len());
        methods.push(Method {
            name: "bundle int8".into(),
            list: None,
            ranker: Ranker::Bundle {
                bundle,
                mode: SearchMode::Int8,
                vectors: vectors.clone(),
                zero_shot: Some(zero_shot()?),
            },
        });
        methods.push(Method {
            name: format!("bundle binary→int8 ({} candidates)", args.rerank_pool),
            list: None,
            ranker: Ranker::Bundle {
                bundle,
                mode: SearchMode::BinaryRerank {
                    pool: args.rerank_pool,
                },
                vectors,
                zero_shot: Some(zero_shot()?),
            },
        });
    }
    let rule = match fixed {
        Some(knn) => rule::RetrievalRule {
            whitening_power: args.whitening_power,
            knn,
            measure_weights: args.measure_weights,
            probe_weight: args.probe_weight,
        },
        None => rule::choose(&db, &cache, &methods, &measures, &mut std::io::stdout())?,
    };
    evaluation.knn = rule.knn;
    let variants = rule::variants(&evaluation, &mut methods[runs.clone()], rule, &measures)?;
    methods.extend(variants);
    let listed = rule::as_listed(&methods, bundle_int8, runs.start);
    methods.extend(listed);
    println!(
        "PTB-XL fold 10 ({} queries) against folds 1-9 ({} cases); kNN {}\n",
        evaluation.query_count(),
        evaluation.library_size(),
        evaluation.knn
    );
    let mut all = serde_json::Map::new();
    for method in &methods {
        let scores = evaluation.score(method);
        println!("{}", format_table(&method.name, &scores, evaluation.knn));
        all.insert(method.name.clone(), serde_json::to_value(&scores).unwrap());
    }
    if let Some(path) = args.json {
        std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap())
            .map_err(|err| format!("{}: {err}", path.display()))?;
    }
    Ok(())
}
