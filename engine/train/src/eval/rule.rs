//! The retrieval rule (whitening, measurements, probe, kNN vote) chosen on fold 9, and the
//! methods it adds to the evaluation table.

use std::io::Write;

use ecgmatch_retrieval::{
    DiagnosticProbe, KnnRule, MeasureScaling, MeasureWeights, ReportOrder, RetrievalSpace,
};
use ecgmatch_signal::measure::MEASURE_COUNT;

use super::{Evaluation, Known, List, Method, Ranker, Split};
use crate::dataset::cache::SignalCache;
use crate::dataset::ptbxl::PtbXl;
use crate::fitting;
use crate::{Error, Result};

fn output(e: std::io::Error) -> Error {
    Error::Training(format!("writing the evaluation: {e}"))
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
pub struct RetrievalRule {
    pub whitening_power: Option<f64>,
    pub knn: KnnRule,
    pub measure_weights: Option<MeasureWeights>,
    pub probe_weight: Option<f32>,
}

/// The whitening power and kNN rule with the best macro AUC over all statements on fold 9
/// against folds 1-8 (whitening fitted on folds 1-8), with the bundle model's f32 embeddings
/// (the first run's, when no bundle is given); then, with that whitening, the weights of the
/// `measures` (cache order) and the kNN rule, where measurements beat the embedding alone;
/// then, with those, the diagnostic probe's weight, where a probe beats none.
pub fn choose(
    db: &PtbXl,
    cache: &SignalCache,
    methods: &[Method],
    measures: &[f32],
    out: &mut dyn Write,
) -> Result<RetrievalRule> {
    let mut validation = Evaluation::new(db, cache, KnnRule::new(10), Split::Validation)?;
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
    writeln!(
        out,
        "Retrieval rule chosen on fold 9 ({} queries) against folds 1-8 ({} cases) with {name}:",
        validation.query_count(),
        validation.library_size(),
    )
    .map_err(output)?;
    let mut best = None;
    // Scores every kNN rule in one space, keeping the best rule seen.
    type Best = Option<(RetrievalRule, f64, f64)>;
    let score_space = |best: &mut Best,
                       out: &mut dyn Write,
                       space: RetrievalSpace,
                       label: String,
                       rule: RetrievalRule|
     -> Result<()> {
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
            writeln!(
                out,
                "  {label:<34} {knn:<24} macro AUC all {all:.4}, superclasses {sup:.4}"
            )
            .map_err(output)?;
            if best.is_none_or(|b| (all, sup) > (b.1, b.2)) {
                *best = Some((RetrievalRule { knn, ..rule }, all, sup));
            }
        }
        Ok(())
    };
    let fit_whitening = |power: Option<f64>| {
        power
            .map(|p| fitting::whitening(&validation.training_rows(&vectors, dim), dim, p))
            .transpose()
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
        score_space(&mut best, out, space, describe_whitening(power), rule)?;
    }
    if let (Some(embedding_only), false) = (best, measures.is_empty()) {
        let power = embedding_only.0.whitening_power;
        let whitening = fit_whitening(power)?;
        let training = validation.training_rows(measures, MEASURE_COUNT);
        let measured_space = |weights: MeasureWeights| -> Result<RetrievalSpace> {
            Ok(RetrievalSpace {
                whitening: whitening.clone(),
                measures: Some(MeasureScaling::fit(&training, weights)?),
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
                score_space(&mut best, out, space, format!("+ measures {weights}"), rule)?;
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
            )?;
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
                score_space(&mut best, out, space, format!("+ probe {weight}"), rule)?;
            }
        }
    }
    let best = best.map_or(unchosen, |b| b.0);
    writeln!(
        out,
        "  chosen: {}, {}, {}, {}\n",
        describe_whitening(best.whitening_power),
        best.measure_weights
            .map_or("no measurements".to_string(), |w| format!(
                "measurements {w}"
            )),
        best.probe_weight
            .map_or("no probe".to_string(), |w| format!("probe {w}")),
        best.knn
    )
    .map_err(output)?;
    Ok(best)
}

pub fn describe_whitening(power: Option<f64>) -> String {
    power.map_or("raw embeddings".to_string(), |p| {
        format!("whitening power {p}")
    })
}

/// The trained runs (`runs`) scored as their embeddings come, with the chosen whitening and
/// with the chosen measurements beside it (both fitted on folds 1-8), so that each step shows
/// in the same table; each run whose variants are added is renamed "(raw embeddings)".
pub fn variants<'b>(
    evaluation: &Evaluation,
    runs: &mut [Method<'b>],
    rule: RetrievalRule,
    measures: &[f32],
) -> Result<Vec<Method<'b>>> {
    // shows in the same table.
    let training_measures = evaluation.training_rows(measures, MEASURE_COUNT);
    let measure_scaling = rule
        .measure_weights
        .map(|w| MeasureScaling::fit(&training_measures, w))
        .transpose()?;
    let mut variants = Vec::new();
    for method in runs {
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
    Ok(variants)
}

/// The page lists the nearest cases once per distinct report, nearest first; scored so for
/// the shipped library (`bundle_int8`, its index in `methods`) and the last trained run from
/// `runs_start` on (the baseline), and for the library also with the reports ordered by the
/// nearest cases' vote, and with that vote told what no ECG tells (the query's cart model, or
/// its statements): the bounds that the report's wording sets (see [`Known`]).
pub fn as_listed<'b>(
    methods: &[Method<'b>],
    bundle_int8: Option<usize>,
    runs_start: usize,
) -> Vec<Method<'b>> {
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
            methods[runs_start..]
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
    listed
}
