//! `ecgmatch eval`: every method on fold 10 in one run.

use std::path::PathBuf;

use burn::prelude::*;
use ecgmatch_engine::bundle::{Bundle, SearchMode};
use ecgmatch_engine::eval::{format_table, Evaluation, Method, Ranker, TrainedModel, ZeroShot};

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
    /// Neighbours that vote in kNN classification
    #[arg(long, default_value_t = 10)]
    knn_k: usize,
    /// Also write the scores as JSON here
    #[arg(long)]
    json: Option<PathBuf>,
}

fn parse_run(s: &str) -> Result<(String, PathBuf), String> {
    let (name, dir) = s.split_once('=').ok_or("expected NAME=FOLDER, e.g. ours=.cache/runs/stack")?;
    Ok((name.to_string(), PathBuf::from(dir)))
}

pub fn run(args: Args) -> Result<(), String> {
    let e = |e: ecgmatch_engine::Error| e.to_string();
    let device = Device::flex();
    let (db, cache, texts) = args.data.open()?;
    let evaluation = Evaluation::new(&db, &cache, args.knn_k).map_err(e)?;
    let mut methods = vec![
        Method { name: "random retrieval".into(), ranker: Ranker::Random },
        Method { name: "most-frequent report".into(), ranker: Ranker::MostFrequentReport },
    ];
    let (superclass_prompts, rhythm) = evaluation.prompts();
    let bundle = match &args.bundle {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|err| format!("{}: {err}", path.display()))?;
            Some(Bundle::from_bytes(&bytes).map_err(e)?)
        }
        None => None,
    };
    let text_encoder = if args.runs.is_empty() {
        None
    } else {
        Some(super::train::load_text_encoder(&args.data.weights, &device)?)
    };
    for (name, dir) in &args.runs {
        let started = std::time::Instant::now();
        let trained = TrainedModel::load(dir, &device).map_err(e)?;
        let vectors = trained.embed_records(&cache, &texts, &device).map_err(e)?;
        let encoder = text_encoder.as_ref().expect("loaded when there are runs");
        let embed = |prompts: &[String]| -> Result<Vec<f32>, String> {
            let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
            let sentences: Vec<Vec<f32>> = encoder.embed(&refs).map_err(e)?.into_iter().map(|v| v.to_vec()).collect();
            trained.embed_texts(&sentences, &device).map_err(e)
        };
        let rhythm_descriptions: Vec<String> = rhythm.iter().map(|(_, d)| d.clone()).collect();
        let zero_shot = ZeroShot {
            superclass_prompts: embed(&superclass_prompts)?,
            rhythm_codes: rhythm.iter().map(|(c, _)| c.clone()).collect(),
            rhythm_prompts: embed(&rhythm_descriptions)?,
        };
        eprintln!("{name}: embedded {} records in {:.0} s", cache.records.len(), started.elapsed().as_secs_f64());
        let dim = trained.config.model.image.embed_dim;
        methods.push(Method { name: name.clone(), ranker: Ranker::Embeddings { vectors, dim, zero_shot: Some(zero_shot) } });
    }
    if let Some(bundle) = &bundle {
        let started = std::time::Instant::now();
        let trained = TrainedModel::from_bundle(bundle, &device).map_err(e)?;
        let vectors = trained.embed_records(&cache, &texts, &device).map_err(e)?;
        eprintln!("bundle: embedded {} records in {:.0} s", cache.records.len(), started.elapsed().as_secs_f64());
        let zero_shot = || evaluation.bundle_prompts(bundle).map_err(e);
        methods.push(Method {
            name: "bundle int8".into(),
            ranker: Ranker::Bundle { bundle, mode: SearchMode::Int8, vectors: vectors.clone(), zero_shot: Some(zero_shot()?) },
        });
        methods.push(Method {
            name: format!("bundle binary→int8 ({} candidates)", args.rerank_pool),
            ranker: Ranker::Bundle { bundle, mode: SearchMode::BinaryRerank { pool: args.rerank_pool }, vectors, zero_shot: Some(zero_shot()?) },
        });
    }
    println!(
        "PTB-XL fold 10 ({} queries) against folds 1-9 ({} cases); kNN k = {}\n",
        evaluation.query_count(),
        evaluation.library_size(),
        args.knn_k
    );
    let mut all = serde_json::Map::new();
    for method in &methods {
        let scores = evaluation.score(method);
        println!("{}", format_table(&method.name, &scores, args.knn_k));
        all.insert(method.name.clone(), serde_json::to_value(&scores).unwrap());
    }
    if let Some(path) = args.json {
        std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap()).map_err(|err| format!("{}: {err}", path.display()))?;
    }
    Ok(())
}
