//! `ecgmatch eval`: every method on fold 10 in one run.

use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;
use ecgmatch::retrieval::bundle::{Bundle, SearchMode};
use ecgmatch::retrieval::{KnnRule, MeasureWeights, RetrievalSpace};
use ecgmatch::signal::measure::MEASURE_COUNT;
use ecgmatch::train::dataset::texts::TextTable;
use ecgmatch::train::eval::merl::MERL_REPORTED;
use ecgmatch::train::eval::report_retrieval::{
    format_report_table, ReportRanker, ReportScores, ReportSide,
};
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
    /// The text table (`ecgmatch embed-texts --out`) a run was trained with, as NAME=FILE,
    /// where it is not --texts (a run's report side is its own texts)
    #[arg(long = "texts-of", value_parser = parse_run)]
    texts_of: Vec<(String, PathBuf)>,
    /// Also score the hybrid tower with random weights (untrained) through the same pipeline,
    /// which shows what training adds
    #[arg(long)]
    untrained: bool,
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

/// A dual encoder as ECG → report and zero-shot score it: its name, its image embedding of
/// every cached record, its report side, and its prompts for the MERL label sets.
type DualEncoderRow = (String, Vec<f32>, ReportSide, Vec<Vec<f32>>);

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
    let text_encoder = Some(super::train::load_text_encoder(
        &args.data.weights,
        &device,
    )?);
    let merl_sets = evaluation.merl_label_sets();
    // Each run adds one method, here.
    let runs = methods.len()..methods.len() + args.runs.len();
    // The dual encoder's two sides, for ECG → report: (name, image embeddings, report side,
    // the MERL label sets' prompts in its joint space).
    let mut report_methods: Vec<DualEncoderRow> = Vec::new();
    let encoder_for_prompts = text_encoder.as_ref().expect("loaded above");
    let merl_prompts = |trained: &TrainedModel| -> Result<Vec<Vec<f32>>, CliError> {
        merl_sets
            .iter()
            .map(|set| {
                let texts: Vec<&str> = set.labels.iter().map(|(_, t)| t.as_str()).collect();
                let sentences: Vec<Vec<f32>> = encoder_for_prompts
                    .embed(&texts)?
                    .into_iter()
                    .map(|v| v.to_vec())
                    .collect();
                Ok(trained.embed_texts(&sentences, &device)?)
            })
            .collect()
    };
    for (name, dir) in &args.runs {
        let started = std::time::Instant::now();
        let trained = TrainedModel::load(dir, &device)?;
        let own_texts = match args.texts_of.iter().find(|(n, _)| n == name) {
            Some((_, path)) => Some(TextTable::read(path).map_err(|e| e.to_string())?),
            None => None,
        };
        let run_texts = own_texts.as_ref().unwrap_or(&texts);
        let vectors = trained.embed_records(&cache, run_texts, &device)?;
        report_methods.push((
            name.clone(),
            vectors.clone(),
            report_side(&trained, run_texts, &cache, &device)?,
            merl_prompts(&trained)?,
        ));
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
    if args.untrained {
        let trained = TrainedModel::untrained(
            ecgmatch::train::training::TrainConfig::hybrid_default(),
            &device,
        );
        let vectors = trained.embed_records(&cache, &texts, &device)?;
        report_methods.push((
            "untrained hybrid tower (random weights)".into(),
            vectors,
            report_side(&trained, &texts, &cache, &device)?,
            merl_prompts(&trained)?,
        ));
    }
    let mut bundle_int8 = None;
    if let Some(bundle) = &bundle {
        let started = std::time::Instant::now();
        let trained = TrainedModel::from_bundle(bundle, &device)?;
        let vectors = trained.embed_records(&cache, &texts, &device)?;
        let prompts = merl_prompts(&trained)?;
        report_methods.push((
            "bundle model, f32 report texts".into(),
            vectors.clone(),
            report_side(&trained, &texts, &cache, &device)?,
            prompts.clone(),
        ));
        report_methods.push((
            "bundle int8 report texts".into(),
            vectors.clone(),
            bundle_report_side(bundle, &cache)?,
            prompts,
        ));

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
    // The seed paper's retrieval: the dual encoder ranks the library's distinct reports, with
    // the weight of a frequency prior chosen per method on fold 9.
    let mut report_scores = serde_json::Map::new();
    let mut validation = Evaluation::new(&db, &cache, evaluation.knn, Split::Validation)?;
    validation.measures = measures.clone();
    let priors: Vec<f32> = report_methods
        .iter()
        .map(|(name, images, side, _)| {
            let (prior, telling) = validation.choose_report_prior(images, side);
            println!(
                "{name}: report prior {prior} chosen on fold 9 (a telling statement in the top 5: {telling:.4})"
            );
            prior
        })
        .collect();
    println!();
    for (split, split_evaluation) in [(Split::Validation, &validation), (Split::Test, &evaluation)]
    {
        let label = match split {
            Split::Validation => "fold 9 against folds 1-8 (where choices are made)",
            Split::Test => "fold 10 against folds 1-9",
        };
        println!("ECG → report with the dual encoder alone, {label}\n");
        let mut scored: Vec<(String, ReportScores)> = vec![(
            "random".into(),
            split_evaluation.score_reports(&ReportRanker::Random),
        )];
        for ((name, images, side, _), prior) in report_methods.iter().zip(&priors) {
            for (label, prior) in [("no prior", 0.0), ("prior", *prior)] {
                if label == "prior" && prior == 0.0 {
                    continue;
                }
                scored.push((
                    format!("{name}, {label} {prior}"),
                    split_evaluation.score_reports(&ReportRanker::DualEncoder {
                        images,
                        side,
                        prior,
                    }),
                ));
            }
        }
        for (name, scores) in scored {
            println!("{}", format_report_table(&name, &scores));
            report_scores.insert(
                format!("{name} ({split:?})"),
                serde_json::to_value(&scores).unwrap(),
            );
        }
    }
    all.insert(
        "ECG → report".into(),
        serde_json::Value::Object(report_scores),
    );
    all.insert(
        "MERL zero-shot".into(),
        print_merl(&evaluation, &merl_sets, &report_methods),
    );
    if let Some(path) = args.json {
        std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap())
            .map_err(|err| format!("{}: {err}", path.display()))?;
    }
    Ok(())
}

/// A trained model's report side: every text of `texts` through its text tower.
fn report_side(
    trained: &TrainedModel,
    texts: &TextTable,
    cache: &ecgmatch::train::dataset::cache::SignalCache,
    device: &Device,
) -> Result<ReportSide, CliError> {
    let sentences: Vec<Vec<f32>> = texts
        .embeddings
        .chunks_exact(texts.dim)
        .map(<[f32]>::to_vec)
        .collect();
    let embeddings = trained.embed_texts(&sentences, device)?;
    let text_of_record = texts
        .of_records(cache)
        .into_iter()
        .zip(&cache.records)
        .map(|(t, r)| t.ok_or_else(|| format!("record {} has no text in the text table", r.ecg_id)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ReportSide {
        dim: embeddings.len() / texts.texts.len().max(1),
        text_of_record,
        embeddings,
    })
}

/// A bundle's report side as it ships: its texts' int8 embeddings.
fn bundle_report_side(
    bundle: &Bundle,
    cache: &ecgmatch::train::dataset::cache::SignalCache,
) -> Result<ReportSide, CliError> {
    let by_id: std::collections::HashMap<u32, u32> =
        bundle.cases.iter().map(|c| (c.ecg_id, c.text)).collect();
    let text_of_record = cache
        .records
        .iter()
        .map(|r| {
            by_id
                .get(&r.ecg_id)
                .map(|t| *t as usize)
                .ok_or_else(|| format!("record {} is not in the bundle", r.ecg_id))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let embeddings = (0..bundle.text_library.len())
        .flat_map(|i| bundle.text_library.vector(i))
        .collect();
    Ok(ReportSide {
        text_of_record,
        embeddings,
        dim: bundle.text_library.residuals.dim,
    })
}

/// Zero-shot on MERL's protocol (fold 10) for every dual encoder, beside MERL's reported row.
fn print_merl(
    evaluation: &Evaluation,
    sets: &[ecgmatch::train::eval::merl::LabelSet],
    methods: &[DualEncoderRow],
) -> serde_json::Value {
    println!("Zero-shot macro AUC on MERL's protocol, fold 10 (records with a label of the set)\n");
    println!(
        "{:<52} {:>16} {:>16} {:>16} {:>16} {:>16}",
        "method", "superclass", "subclass", "form", "rhythm", "text→ECG P@10"
    );
    let reported: Vec<String> = MERL_REPORTED
        .iter()
        .map(|v| format!("{:>16.3}", v / 100.0))
        .collect();
    println!(
        "{:<52} {}",
        "MERL (reported; pretrained on MIMIC-IV-ECG)",
        reported.join(" ")
    );
    let mut scores = serde_json::Map::new();
    for (name, images, side, prompts) in methods {
        let cells: Vec<(f64, usize, usize)> = sets
            .iter()
            .zip(prompts)
            .map(|(set, p)| evaluation.merl_zero_shot(set, images, p, side.dim))
            .collect();
        let mut shown: Vec<String> = cells
            .iter()
            .map(|(auc, records, labels)| {
                format!("{:>16}", format!("{auc:.3} ({records}/{labels})"))
            })
            .collect();
        // Text → ECG with the five superclass prompts, over the fold-10 records.
        let text_to_ecg = evaluation.text_to_ecg_p10(&sets[0], images, &prompts[0], side.dim);
        shown.push(format!("{text_to_ecg:>16.3}"));
        println!("{name:<52} {}", shown.join(" "));
        scores.insert(
            name.clone(),
            serde_json::json!({
                "zero_shot_auc": cells.iter().map(|c| c.0).collect::<Vec<_>>(),
                "text_to_ecg_p10_superclass": text_to_ecg,
            }),
        );
    }
    println!("(in parentheses: records scored / labels with positives; text→ECG: the five superclass prompts over the fold-10 records)\n");
    serde_json::Value::Object(scores)
}
