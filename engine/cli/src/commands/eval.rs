//! `ecgmatch eval`: every method on fold 10 in one run.

use super::CliError;
use ecgmatch::train::fitting;
use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;
use ecgmatch::retrieval::bundle::{Bundle, SearchMode};
use ecgmatch::retrieval::{
    DiagnosticProbe, KnnRule, MeasureScaling, MeasureWeights, ReportOrder, RetrievalSpace,
};
use ecgmatch::signal::measure::MEASURE_COUNT;
use ecgmatch::train::eval::{
    format_table, Evaluation, Known, List, Method, Ranker, Split, ZeroShot,
};
use ecgmatch::train::TrainedModel;

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

/// Whitening powers tried on fold 9 (none: the raw embeddings).
const WHITENING_POWERS: [Option<f64>; 4] = [None, Some(0.5), Some(0.75), Some(1.0)];
/// Weights of the measurements tried on fold 9, with the whitening chosen there.
const RHYTHM_WEIGHTS: [f32; 3] = [0.25, 0.35, 0.5];
const VOLTAGE_WEIGHTS: [f32; 3] = [0.35, 0.5, 0.7];
/// Weights of the diagnostic probe tried on fold 9, with the measurements chosen there.
const PROBE_WEIGHTS: [f32; 3] = [0.75, 1.0, 1.5];

/// How the library is compared and how neighbours vote, as chosen on fold 9.
#[derive(Clone, Copy)]
struct RetrievalRule {
    whitening_power: Option<f64>,
    knn: KnnRule,
    measure_weights: Option<MeasureWeights>,
    probe_weight: Option<f32>,
}

/// The whitening power and kNN rule with the best macro AUC over all statements on fold 9
/// against folds 1-8 (whitening fitted on folds 1-8), with the bundle model's f32 embeddings
/// (the first run's, when no bundle is given); then, with that whitening, the weights of the
/// `measures` (cache order) and the kNN rule, where measurements beat the embedding alone;
/// then, with those, the diagnostic probe's weight, where a probe beats none.
fn choose_retrieval_rule(
    db: &ecgmatch::train::dataset::ptbxl::PtbXl,
    cache: &ecgmatch::train::dataset::cache::SignalCache,
    methods: &[Method],
    measures: &[f32],
) -> Result<RetrievalRule, CliError> {
    let mut validation = Evaluation::new(db, cache, KnnRule::new(10), Split::Validation)
        .map_err(|e| e.to_string())?;
    validation.measures = measures.to_vec();
    // The shipped model's own embeddings when a bundle is scored, else the first run's.
    let chooser = methods
        .iter()
        .find_map(|m| match &m.ranker {
            Ranker::Bundle {
                bundle, vectors, ..
            } => Some((
                format!("{} (f32)", m.name),
                vectors.clone(),
                bundle.embed_dim(),
            )),
            _ => None,
        })
        .or_else(|| {
            methods.iter().find_map(|m| match &m.ranker {
                Ranker::Embeddings { vectors, dim, .. } => {
                    Some((m.name.clone(), vectors.clone(), *dim))
                }
                _ => None,
            })
        });
    let unchosen = RetrievalRule {
        whitening_power: None,
        knn: KnnRule::new(10),
        measure_weights: None,
        probe_weight: None,
    };
    let Some((name, vectors, dim)) = chooser else {
        return Ok(unchosen);
    };
    // Raw embeddings' nearest similarities lie close together, so small temperatures matter
    // there; whitened ones spread out, and wide votes smooth the rare statements.
    let rules: Vec<KnnRule> = [10, 50, 100, 200, 400, 800, 1600, 3200]
        .into_iter()
        .flat_map(|k| {
            [
                None,
                Some(0.1),
                Some(0.05),
                Some(0.02),
                Some(0.01),
                Some(0.005),
            ]
            .into_iter()
            .map(move |temperature| KnnRule { k, temperature })
        })
        .collect();
    println!(
        "Retrieval rule chosen on fold 9 ({} queries) against folds 1-8 ({} cases) with {name}:",
        validation.query_count(),
        validation.library_size(),
    );
    let mut best = None;
    // Scores every kNN rule in one space, keeping the best rule seen.
    type Best = Option<(RetrievalRule, f64, f64)>;
    let score_space =
        |best: &mut Best, space: RetrievalSpace, label: String, rule: RetrievalRule| {
            let method = Method {
                name: name.clone(),
                list: None,
                ranker: Ranker::Embeddings {
                    vectors: vectors.clone(),
                    dim,
                    zero_shot: None,
                    space,
                },
            };
            for (knn, all, sup) in validation.knn_auc_by_rule(&method, &rules) {
                println!("  {label:<34} {knn:<24} macro AUC all {all:.4}, superclasses {sup:.4}");
                if best.is_none_or(|b| (all, sup) > (b.1, b.2)) {
                    *best = Some((RetrievalRule { knn, ..rule }, all, sup));
                }
            }
        };
    let fit_whitening = |power: Option<f64>| {
        power
            .map(|p| fitting::whitening(&validation.training_rows(&vectors, dim), dim, p))
            .transpose()
            .map_err(|e| e.to_string())
    };
    for power in WHITENING_POWERS {
        let space = RetrievalSpace {
            whitening: fit_whitening(power)?,
            measures: None,
            probe: None,
        };
        let rule = RetrievalRule {
            whitening_power: power,
            ..unchosen
        };
        score_space(&mut best, space, describe_whitening(power), rule);
    }
    if let (Some(embedding_only), false) = (best, measures.is_empty()) {
        let power = embedding_only.0.whitening_power;
        let whitening = fit_whitening(power)?;
        let training = validation.training_rows(measures, MEASURE_COUNT);
        let measured_space = |weights: MeasureWeights| -> Result<RetrievalSpace, CliError> {
            Ok(RetrievalSpace {
                whitening: whitening.clone(),
                measures: Some(MeasureScaling::fit(&training, weights).map_err(|e| e.to_string())?),
                probe: None,
            })
        };
        for rhythm in RHYTHM_WEIGHTS {
            for voltage in VOLTAGE_WEIGHTS {
                let weights = MeasureWeights { rhythm, voltage };
                let space = measured_space(weights)?;
                let rule = RetrievalRule {
                    whitening_power: power,
                    measure_weights: Some(weights),
                    ..unchosen
                };
                score_space(&mut best, space, format!("+ measures {weights}"), rule);
            }
        }
        if let Some((
            rule @ RetrievalRule {
                measure_weights: Some(weights),
                ..
            },
            ..,
        )) = best
        {
            // The probe's fit does not depend on its weight: fitted once, weighted each time.
            let probed = fitting::with_probe(
                &measured_space(weights)?,
                &validation.training_rows(&vectors, dim),
                dim,
                &training,
                &validation.training_targets(),
                1.0,
            )
            .map_err(|e| e.to_string())?;
            let fitted = probed.probe.clone().expect("just fitted");
            for weight in PROBE_WEIGHTS {
                let space = RetrievalSpace {
                    probe: Some(DiagnosticProbe {
                        weight,
                        ..fitted.clone()
                    }),
                    ..probed.clone()
                };
                let rule = RetrievalRule {
                    probe_weight: Some(weight),
                    ..rule
                };
                score_space(&mut best, space, format!("+ probe {weight}"), rule);
            }
        }
    }
    let best = best.map_or(unchosen, |b| b.0);
    println!(
        "  chosen: {}, {}, {}, {}\n",
        describe_whitening(best.whitening_power),
        best.measure_weights
            .map_or("no measurements".to_string(), |w| format!(
                "measurements {w}"
            )),
        best.probe_weight
            .map_or("no probe".to_string(), |w| format!("probe {w}")),
        best.knn
    );
    Ok(best)
}

fn describe_whitening(power: Option<f64>) -> String {
    power.map_or("raw embeddings".to_string(), |p| {
        format!("whitening power {p}")
    })
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
        Some(knn) => RetrievalRule {
            whitening_power: args.whitening_power,
            knn,
            measure_weights: args.measure_weights,
            probe_weight: args.probe_weight,
        },
        None => choose_retrieval_rule(&db, &cache, &methods, &measures)?,
    };
    evaluation.knn = rule.knn;
    // The trained runs are scored as their embeddings come, with the chosen whitening and
    // with the chosen measurements beside it (both fitted on folds 1-8), so that each step
    // shows in the same table.
    let training_measures = evaluation.training_rows(&measures, MEASURE_COUNT);
    let measure_scaling = rule
        .measure_weights
        .map(|w| MeasureScaling::fit(&training_measures, w))
        .transpose()?;
    let mut variants = Vec::new();
    for method in &mut methods[runs.clone()] {
        let before = variants.len();
        let Ranker::Embeddings {
            vectors,
            dim,
            zero_shot,
            ..
        } = &mut method.ranker
        else {
            continue;
        };
        let whitening = rule
            .whitening_power
            .map(|p| fitting::whitening(&evaluation.training_rows(vectors, *dim), *dim, p))
            .transpose()?;
        let whitened_name = rule.whitening_power.map_or(method.name.clone(), |p| {
            format!("{} (whitened {p})", method.name)
        });
        let mut variant = |name: String, space: RetrievalSpace| {
            variants.push(Method {
                name,
                list: None,
                ranker: Ranker::Embeddings {
                    vectors: vectors.clone(),
                    dim: *dim,
                    zero_shot: zero_shot.clone(),
                    space,
                },
            })
        };
        if rule.whitening_power.is_some() {
            let space = RetrievalSpace {
                whitening: whitening.clone(),
                measures: None,
                probe: None,
            };
            variant(whitened_name.clone(), space);
        }
        if let (Some(scaling), Some(weights)) = (&measure_scaling, rule.measure_weights) {
            let measured_name = format!("{whitened_name} + measurements ({weights})");
            let space = RetrievalSpace {
                whitening,
                measures: Some(scaling.clone()),
                probe: None,
            };
            variant(measured_name.clone(), space.clone());
            if let Some(weight) = rule.probe_weight {
                let probed = fitting::with_probe(
                    &space,
                    &evaluation.training_rows(vectors, *dim),
                    *dim,
                    &training_measures,
                    &evaluation.training_targets(),
                    weight,
                )?;
                variant(format!("{measured_name} + probe {weight}"), probed);
            }
        }
        if variants.len() > before {
            method.name = format!("{} (raw embeddings)", method.name);
        }
    }
    methods.extend(variants);
    // The page lists the nearest cases once per distinct report, nearest first; scored so for
    // the shipped library and the last trained run (the baseline), and for the library also
    // with the reports ordered by the nearest cases' vote, and with that vote told what no ECG
    // tells (the query's cart model, or its statements): the bounds that the report's wording
    // sets (see `Known`).
    let page_list = (
        List::Reports(ReportOrder::Similarity),
        "as the page lists them: one case per report, nearest first",
    );
    let listed: Vec<Method> = bundle_int8
        .map(|i| &methods[i])
        .into_iter()
        .flat_map(|m| {
            [
                page_list,
                (
                    List::Reports(ReportOrder::Support),
                    "one case per report, by the nearest cases' vote",
                ),
                (
                    List::VoteKnowing(Known::CartModel),
                    "bound, not a method: the vote among cases from the query's own cart model, \
                     which no ECG file names",
                ),
                (
                    List::VoteKnowing(Known::Statements),
                    "bound, not a method: the vote among cases with the query's own \
                     statements, as a perfect reader would know them",
                ),
            ]
            .map(|list| (m, list))
        })
        .chain(
            methods[runs.start..]
                .iter()
                .rev()
                .find(|m| matches!(m.ranker, Ranker::Embeddings { .. }))
                .map(|m| (m, page_list)),
        )
        .map(|(m, (list, label))| Method {
            name: format!("{}, {label}", m.name),
            list: Some(list),
            ..m.clone()
        })
        .collect();
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
