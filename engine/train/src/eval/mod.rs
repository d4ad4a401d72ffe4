//! `ecgmatch eval`: fold-10 queries against a fold 1–9 library, every method in one run,
//! with the kNN rule chosen beforehand on fold 9 against folds 1–8,
//! scored for exact-report retrieval, label-aware retrieval, kNN classification,
//! zero-shot classification and report text overlap.

pub mod merl;
pub mod meteor;
pub mod report_retrieval;
pub mod rule;
pub mod text_metrics;

use std::collections::HashMap;

use crate::prompts::SUPERCLASS_PROMPTS;

use crate::dataset::cache::SignalCache;
use crate::dataset::ptbxl::{
    PtbXl, PtbXlEntry, SUPERCLASSES, TEST_FOLD, TRAIN_FOLDS, VALIDATION_FOLD,
};
use crate::dataset::report::{clean_report, normalise_report};
use crate::{Error, Result};
use ecgmatch_formats::random::SplitMix;
use ecgmatch_retrieval::bundle::{Bundle, SearchMode};
use ecgmatch_retrieval::metrics::{jaccard, macro_auc};
use ecgmatch_retrieval::{
    distinct_reports, top_k, KnnRule, Neighbour, ReportOrder, RetrievalSpace,
};
use ecgmatch_signal::measure::MEASURE_COUNT;
use text_metrics::{bleu4, rouge_l};

/// How a method ranks the library for a query.
#[derive(Clone)]
pub enum Ranker<'b> {
    /// A uniformly random ranking (seeded).
    Random,
    /// The library's most frequent reports first, whatever the query.
    MostFrequentReport,
    /// Cosine similarity of embeddings (`records × dim`, unit length, cache order), with
    /// zero-shot scores where the method has prompts.
    /// Similarity is measured in `space` (whitened, and extended by the evaluation's
    /// measurements when it has them); zero-shot scores use the raw embeddings, which share
    /// the text tower's space.
    Embeddings {
        vectors: Vec<f32>,
        dim: usize,
        zero_shot: Option<ZeroShot>,
        space: RetrievalSpace,
    },
    /// A shipped bundle's quantized library, queried with `vectors` (the bundle's own
    /// model on every cached record, cache order) minus its fold-10 cases.
    Bundle {
        bundle: &'b Bundle,
        mode: SearchMode,
        vectors: Vec<f32>,
        zero_shot: Option<ZeroShot>,
    },
}

impl Ranker<'_> {
    /// The query's embedding and the method's prompts, for the zero-shot scores.
    fn zero_shot(&self, query: usize) -> Option<(&[f32], &ZeroShot)> {
        match self {
            Ranker::Embeddings {
                vectors,
                dim,
                zero_shot: Some(z),
                ..
            } => Some((&vectors[query * dim..(query + 1) * dim], z)),
            Ranker::Bundle {
                bundle,
                vectors,
                zero_shot: Some(z),
                ..
            } => {
                let dim = bundle.embed_dim();
                Some((&vectors[query * dim..(query + 1) * dim], z))
            }
            _ => None,
        }
    }
}

/// Prompt embeddings in the method's space for the superclasses and rhythm statements.
#[derive(Clone)]
pub struct ZeroShot {
    pub superclass_prompts: Vec<f32>,
    pub rhythm_codes: Vec<String>,
    pub rhythm_prompts: Vec<f32>,
}

#[derive(Clone)]
pub struct Method<'b> {
    pub name: String,
    pub ranker: Ranker<'b>,
    /// The list scored for retrieval: the ranking as it comes (none), or as `List` says.
    /// kNN votes always count every case.
    pub list: Option<List>,
}

/// How a ranking becomes the list that retrieval is scored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Its cases once per distinct report, in this order.
    Reports(ReportOrder),
    /// A bound, not a method: the neighbours' vote (`ReportOrder::Support`) counting first
    /// only the cases that share what is `Known` of the query, then the plain vote for the
    /// slots left.
    VoteKnowing(Known),
}

/// What a bound knows of the query that its ECG does not tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// The cart model that recorded it. The cart's software drafted each report, so the model
    /// decides much of the wording (English on the AT-6, German on the CS carts), and no ECG
    /// file says which cart recorded it.
    CartModel,
    /// Its diagnostic statements, which cardiologists coded from this very report: what a
    /// perfect reader of the ECG would know. Reports with the same statements still differ in
    /// wording, so even this bound leaves much exact-report recall out of reach.
    Statements,
}

/// Scores of one method.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Scores {
    pub queries: usize,
    pub exact_recall: [f64; 3],
    pub exact_ceiling: f64,
    pub superclass_precision_at_10: f64,
    pub jaccard_at_1: f64,
    pub knn_auc_all: f64,
    pub knn_auc_all_labels: usize,
    pub knn_auc_superclass: f64,
    pub zero_shot_auc_superclass: Option<f64>,
    pub zero_shot_auc_rhythm: Option<f64>,
    pub zero_shot_rhythm_labels: usize,
    pub bleu4: f64,
    pub rouge_l: f64,
}

/// Ten reports by the vote of the cases in `hits` (best first) that `preferred` keeps, then, for
/// the slots left, by the vote of all of them: how a bound that knows something of the query
/// lists its reports.
fn vote_preferring<'r>(
    hits: &[Neighbour],
    report: impl Fn(usize) -> &'r str + Copy,
    rule: KnnRule,
    preferred: impl Fn(usize) -> bool,
) -> Vec<Neighbour> {
    let kept: Vec<Neighbour> = hits
        .iter()
        .filter(|h| preferred(h.index))
        .copied()
        .collect();
    let by_vote = |hits: &[Neighbour]| distinct_reports(hits, report, rule, ReportOrder::Support);
    let mut listed: Vec<Neighbour> = Vec::new();
    for group in by_vote(&kept).into_iter().chain(by_vote(hits)) {
        if listed.len() == 10 {
            break;
        }
        if !listed
            .iter()
            .any(|l| report(l.index) == report(group.best.index))
        {
            listed.push(group.best);
        }
    }
    listed
}

/// Which records query which library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Fold 10 against folds 1–9: the reported figures.
    Test,
    /// Fold 9 against folds 1–8: where choices such as the kNN rule are made, so that fold 10
    /// is not looked at before it is scored.
    Validation,
}

pub struct Evaluation<'a> {
    pub db: &'a PtbXl,
    pub cache: &'a SignalCache,
    pub knn: KnnRule,
    split: Split,
    entries: Vec<&'a PtbXlEntry>,
    reports: Vec<String>,
    codes: Vec<Vec<String>>,
    superclasses: Vec<Vec<&'static str>>,
    /// Per record: its statements as indices into `statement_codes`, and its superclasses as
    /// indices into `SUPERCLASSES` (so that a vote of thousands of neighbours stays cheap).
    code_ids: Vec<Vec<usize>>,
    superclass_ids: Vec<Vec<usize>>,
    library: Vec<usize>,
    queries: Vec<usize>,
    statement_codes: Vec<String>,
    by_ecg_id: HashMap<u32, usize>,
    /// Every record's measurements (`SignalCache::measurements`), for methods whose space
    /// uses them; empty: unmeasured.
    pub measures: Vec<f32>,
}

impl<'a> Evaluation<'a> {
    /// The library's vectors gathered once per method, in library order (empty for rankers
    /// that use none).
    fn library_vectors(&self, method: &Method) -> Vec<f32> {
        match &method.ranker {
            Ranker::Embeddings {
                vectors,
                dim,
                space,
                ..
            } => {
                let measures = match space.measures {
                    Some(_) => self.library_rows(&self.measures, MEASURE_COUNT),
                    None => Vec::new(),
                };
                space.vectors(&self.library_rows(vectors, *dim), *dim, &measures)
            }
            _ => Vec::new(),
        }
    }

    /// Record `i`'s measurements (empty when the evaluation has none).
    fn measures_of(&self, i: usize) -> &[f32] {
        self.measures
            .get(i * MEASURE_COUNT..(i + 1) * MEASURE_COUNT)
            .unwrap_or(&[])
    }

    pub fn new(db: &'a PtbXl, cache: &'a SignalCache, knn: KnnRule, split: Split) -> Result<Self> {
        let by_id: HashMap<u32, &PtbXlEntry> = db.entries.iter().map(|e| (e.ecg_id, e)).collect();
        let entries: Vec<&PtbXlEntry> = cache
            .records
            .iter()
            .map(|r| {
                by_id.get(&r.ecg_id).copied().ok_or_else(|| {
                    Error::Training(format!("record {} is not in the database", r.ecg_id))
                })
            })
            .collect::<Result<_>>()?;
        let reports = entries
            .iter()
            .map(|e| normalise_report(&e.report))
            .collect();
        let codes: Vec<Vec<String>> = entries
            .iter()
            .map(|e| e.scp_codes.iter().map(|(c, _)| c.clone()).collect())
            .collect();
        let superclasses: Vec<Vec<&'static str>> =
            entries.iter().map(|e| db.superclasses(e)).collect();
        let query_fold = match split {
            Split::Test => TEST_FOLD,
            Split::Validation => VALIDATION_FOLD,
        };
        let library = (0..entries.len())
            .filter(|i| entries[*i].fold < query_fold)
            .collect();
        let queries = (0..entries.len())
            .filter(|i| entries[*i].fold == query_fold)
            .collect();
        let statement_codes: Vec<String> = db.statements.keys().cloned().collect();
        let code_index: HashMap<&str, usize> = statement_codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let code_ids = codes
            .iter()
            .map(|cs: &Vec<String>| {
                let mut ids: Vec<usize> = cs
                    .iter()
                    .filter_map(|c| code_index.get(c.as_str()).copied())
                    .collect();
                // Sorted, so that equal statement sets compare equal (`Known::Statements`).
                ids.sort_unstable();
                ids
            })
            .collect();
        let superclass_ids = superclasses
            .iter()
            .map(|cs: &Vec<&str>| {
                cs.iter()
                    .filter_map(|c| SUPERCLASSES.iter().position(|s| s == c))
                    .collect()
            })
            .collect();
        let by_ecg_id = cache
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.ecg_id, i))
            .collect();
        Ok(Self {
            db,
            cache,
            knn,
            split,
            entries,
            reports,
            codes,
            superclasses,
            code_ids,
            superclass_ids,
            library,
            queries,
            statement_codes,
            by_ecg_id,
            measures: Vec::new(),
        })
    }

    /// The rows of `vectors` (cache order, `dim` wide) that belong to the library.
    fn library_rows(&self, vectors: &[f32], dim: usize) -> Vec<f32> {
        self.library
            .iter()
            .flat_map(|i| vectors[i * dim..(i + 1) * dim].iter().copied())
            .collect()
    }

    /// The rows of `vectors` (cache order) from the training folds, where whitening is fitted.
    pub fn training_rows(&self, vectors: &[f32], dim: usize) -> Vec<f32> {
        self.training()
            .flat_map(|i| vectors[i * dim..(i + 1) * dim].iter().copied())
            .collect()
    }

    /// The records of the training folds, in cache order.
    fn training(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.entries.len()).filter(|i| TRAIN_FOLDS.contains(&self.entries[*i].fold))
    }

    /// The training folds' probe targets (`dataset::labels::probe_targets`), in the order of
    /// [`Evaluation::training_rows`].
    pub fn training_targets(&self) -> Vec<f32> {
        crate::dataset::labels::probe_targets(self.db, self.training().map(|i| self.entries[i]))
    }

    pub fn library_size(&self) -> usize {
        self.library.len()
    }

    pub fn query_count(&self) -> usize {
        self.queries.len()
    }

    fn rank(
        &self,
        method: &Method,
        query: usize,
        k: usize,
        rng: &mut SplitMix,
        frequent: &[usize],
        library_vectors: &[f32],
    ) -> Vec<Neighbour> {
        match &method.ranker {
            Ranker::Random => {
                let mut picks: Vec<Neighbour> = (0..k)
                    .map(|j| Neighbour {
                        index: self.library[rng.below(self.library.len())],
                        similarity: 1.0 - j as f32 / k as f32,
                    })
                    .collect();
                picks.dedup_by_key(|n| n.index);
                picks
            }
            Ranker::MostFrequentReport => frequent
                .iter()
                .take(k)
                .enumerate()
                .map(|(j, i)| Neighbour {
                    index: *i,
                    similarity: 1.0 - j as f32 / k as f32,
                })
                .collect(),
            Ranker::Embeddings {
                vectors,
                dim,
                space,
                ..
            } => top_k(
                &space.vector(
                    &vectors[query * dim..(query + 1) * dim],
                    self.measures_of(query),
                ),
                library_vectors,
                space.dim(*dim),
                k,
                None,
            )
            .into_iter()
            .map(|n| Neighbour {
                index: self.library[n.index],
                similarity: n.similarity,
            })
            .collect(),
            Ranker::Bundle {
                bundle,
                mode,
                vectors,
                ..
            } => {
                let dim = bundle.embed_dim();
                assert_eq!(
                    self.split,
                    Split::Test,
                    "a bundle's library holds folds 1-9: it is scored on the test split only"
                );
                bundle
                    .search(
                        &vectors[query * dim..(query + 1) * dim],
                        self.measures_of(query),
                        k,
                        *mode,
                        Some(TEST_FOLD),
                    )
                    .into_iter()
                    .filter_map(|n| {
                        Some(Neighbour {
                            index: *self.by_ecg_id.get(&bundle.cases[n.index].ecg_id)?,
                            similarity: n.similarity,
                        })
                    })
                    .collect()
            }
        }
    }

    /// The kNN vote: each statement's and each superclass's share of the voting neighbours'
    /// weight under `rule`.
    fn vote(&self, hits: &[Neighbour], rule: KnnRule) -> (Vec<f32>, [f32; SUPERCLASSES.len()]) {
        let weights = rule.weights(hits);
        let total: f32 = weights.iter().sum::<f32>().max(f32::MIN_POSITIVE);
        let mut all = vec![0f32; self.statement_codes.len()];
        let mut sup = [0f32; SUPERCLASSES.len()];
        for (hit, w) in hits.iter().zip(&weights) {
            for &c in &self.code_ids[hit.index] {
                all[c] += w / total;
            }
            for &c in &self.superclass_ids[hit.index] {
                sup[c] += w / total;
            }
        }
        (all, sup)
    }

    /// Query `q`'s true statements and superclasses, in the order `vote` scores them.
    fn push_truth(&self, q: usize, all: &mut Vec<bool>, sup: &mut Vec<bool>) {
        let mut truth = vec![false; self.statement_codes.len()];
        for &c in &self.code_ids[q] {
            truth[c] = true;
        }
        all.extend(truth);
        sup.extend((0..SUPERCLASSES.len()).map(|c| self.superclass_ids[q].contains(&c)));
    }

    pub fn score(&self, method: &Method) -> Scores {
        let k = self.knn.k.max(10);
        let mut rng = SplitMix(1234);
        // Library cases ordered by how often their report occurs, for the frequency baseline.
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for i in &self.library {
            *counts.entry(self.reports[*i].as_str()).or_insert(0) += 1;
        }
        let mut frequent = self.library.clone();
        frequent.sort_by_key(|i| (std::cmp::Reverse(counts[self.reports[*i].as_str()]), *i));

        let library_vectors = self.library_vectors(method);
        let n_codes = self.statement_codes.len();
        let (mut knn_scores, mut knn_truth) = (Vec::new(), Vec::new());
        let (mut super_scores, mut super_truth) = (Vec::new(), Vec::new());
        let mut s = Scores {
            queries: self.queries.len(),
            ..Scores::default()
        };
        let (mut zs_super, mut zs_super_truth, mut zs_rhythm, mut zs_rhythm_truth) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &q in &self.queries {
            let hits = self.rank(method, q, k, &mut rng, &frequent, &library_vectors);
            let distinct = |hits: &[Neighbour], order| -> Vec<Neighbour> {
                distinct_reports(hits, |i| self.reports[i].as_str(), self.knn, order)
                    .into_iter()
                    .map(|g| g.best)
                    .collect()
            };
            let listed: Vec<Neighbour> = match method.list {
                None => hits.clone(),
                Some(List::Reports(order)) => distinct(&hits, order),
                Some(List::VoteKnowing(known)) => {
                    let shares = |i: usize| match known {
                        Known::CartModel => {
                            self.entries[i].device_model() == self.entries[q].device_model()
                        }
                        Known::Statements => self.code_ids[i] == self.code_ids[q],
                    };
                    vote_preferring(&hits, |i| self.reports[i].as_str(), self.knn, shares)
                }
            };
            let report = &self.reports[q];
            s.exact_ceiling += f64::from(u8::from(counts.contains_key(report.as_str())));
            for (slot, cut) in [1, 5, 10].iter().enumerate() {
                s.exact_recall[slot] += f64::from(u8::from(
                    listed
                        .iter()
                        .take(*cut)
                        .any(|h| &self.reports[h.index] == report),
                ));
            }
            let top10 = &listed[..listed.len().min(10)];
            s.superclass_precision_at_10 += top10
                .iter()
                .filter(|h| self.superclasses[h.index] == self.superclasses[q])
                .count() as f64
                / top10.len().max(1) as f64;
            if let Some(first) = listed.first() {
                s.jaccard_at_1 += jaccard(&self.codes[first.index], &self.codes[q]);
                s.bleu4 += bleu4(
                    &clean_report(&self.entries[first.index].report),
                    &clean_report(&self.entries[q].report),
                );
                s.rouge_l += rouge_l(
                    &clean_report(&self.entries[first.index].report),
                    &clean_report(&self.entries[q].report),
                );
            }
            let (all, sup) = self.vote(&hits, self.knn);
            knn_scores.extend(all);
            super_scores.extend(sup);
            self.push_truth(q, &mut knn_truth, &mut super_truth);
            if let Some((v, z)) = method.ranker.zero_shot(q) {
                let dim = v.len();
                let dot = |p: &[f32]| -> f32 { p.iter().zip(v).map(|(a, b)| a * b).sum() };
                for (c, class) in SUPERCLASSES.iter().enumerate() {
                    zs_super.push(dot(&z.superclass_prompts[c * dim..(c + 1) * dim]));
                    zs_super_truth.push(self.superclasses[q].contains(class));
                }
                for (c, code) in z.rhythm_codes.iter().enumerate() {
                    zs_rhythm.push(dot(&z.rhythm_prompts[c * dim..(c + 1) * dim]));
                    zs_rhythm_truth.push(self.codes[q].contains(code));
                }
            }
        }
        let n = self.queries.len().max(1) as f64;
        for r in &mut s.exact_recall {
            *r /= n;
        }
        s.exact_ceiling /= n;
        s.superclass_precision_at_10 /= n;
        s.jaccard_at_1 /= n;
        s.bleu4 /= n;
        s.rouge_l /= n;
        (s.knn_auc_all, s.knn_auc_all_labels) = macro_auc(&knn_scores, &knn_truth, n_codes);
        s.knn_auc_superclass = macro_auc(&super_scores, &super_truth, SUPERCLASSES.len()).0;
        if let Some((_, z)) = self
            .queries
            .first()
            .and_then(|q| method.ranker.zero_shot(*q))
        {
            s.zero_shot_auc_superclass =
                Some(macro_auc(&zs_super, &zs_super_truth, SUPERCLASSES.len()).0);
            let (auc, used) = macro_auc(&zs_rhythm, &zs_rhythm_truth, z.rhythm_codes.len());
            s.zero_shot_auc_rhythm = Some(auc);
            s.zero_shot_rhythm_labels = used;
        }
        s
    }

    /// kNN macro AUC (all statements, superclasses) of `method` under each rule, from one
    /// search per query: how the rule is chosen on the validation split.
    pub fn knn_auc_by_rule(&self, method: &Method, rules: &[KnnRule]) -> Vec<(KnnRule, f64, f64)> {
        let deepest = rules.iter().map(|r| r.k).max().unwrap_or(10);
        let mut rng = SplitMix(1234);
        let library_vectors = self.library_vectors(method);
        let hits: Vec<Vec<Neighbour>> = self
            .queries
            .iter()
            .map(|&q| self.rank(method, q, deepest, &mut rng, &[], &library_vectors))
            .collect();
        rules
            .iter()
            .map(|rule| {
                let (mut all, mut all_truth, mut sup, mut sup_truth) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for (&q, hits) in self.queries.iter().zip(&hits) {
                    let (a, s) = self.vote(hits, *rule);
                    all.extend(a);
                    sup.extend(s);
                    self.push_truth(q, &mut all_truth, &mut sup_truth);
                }
                let auc_all = macro_auc(&all, &all_truth, self.statement_codes.len()).0;
                (
                    *rule,
                    auc_all,
                    macro_auc(&sup, &sup_truth, SUPERCLASSES.len()).0,
                )
            })
            .collect()
    }

    /// Zero-shot prompts: one per superclass and one per rhythm statement, in English.
    pub fn prompts(&self) -> (Vec<String>, Vec<(String, String)>) {
        let superclass = SUPERCLASS_PROMPTS
            .iter()
            .map(|(_, text)| text.to_string())
            .collect();
        let rhythm = self
            .db
            .statements
            .values()
            .filter(|s| s.rhythm)
            .map(|s| (s.code.clone(), s.description.clone()))
            .collect();
        (superclass, rhythm)
    }

    /// The same prompts, taken from a bundle (embedded when it was built).
    pub fn bundle_prompts(&self, bundle: &Bundle) -> Result<ZeroShot> {
        let dim = bundle.embed_dim();
        let find = |key: &str, superclass: bool| {
            bundle
                .manifest
                .prompts
                .iter()
                .position(|p| p.key == key && p.superclass == superclass)
                .map(|i| bundle.prompts[i * dim..(i + 1) * dim].to_vec())
                .ok_or_else(|| {
                    Error::from(ecgmatch_retrieval::Error::InvalidBundle(format!(
                        "no zero-shot prompt for {key}"
                    )))
                })
        };
        let superclass_prompts = SUPERCLASS_PROMPTS
            .iter()
            .map(|(key, _)| find(key, true))
            .collect::<Result<Vec<_>>>()?
            .concat();
        let (_, rhythm) = self.prompts();
        let rhythm_codes: Vec<String> = rhythm.into_iter().map(|(c, _)| c).collect();
        let rhythm_prompts = rhythm_codes
            .iter()
            .map(|c| find(c, false))
            .collect::<Result<Vec<_>>>()?
            .concat();
        Ok(ZeroShot {
            superclass_prompts,
            rhythm_codes,
            rhythm_prompts,
        })
    }
}

/// The scores as the table the CLI prints.
pub fn format_table(name: &str, s: &Scores, knn: KnnRule) -> String {
    let opt = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.4}"));
    format!(
        "== {name} ({} queries)\n\
         exact-report recall@1 / @5 / @10   {:.4} / {:.4} / {:.4}   (ceiling {:.4})\n\
         superclass-set precision@10        {:.4}\n\
         Jaccard@1 over SCP statements       {:.4}\n\
         kNN ({knn}) macro AUC, all statements   {:.4}  ({} statements in the test set)\n\
         kNN ({knn}) macro AUC, 5 superclasses   {:.4}\n\
         zero-shot macro AUC, superclasses   {}\n\
         zero-shot macro AUC, rhythm         {}  ({} rhythm statements)\n\
         top-1 report BLEU-4 / ROUGE-L       {:.4} / {:.4}\n",
        s.queries,
        s.exact_recall[0],
        s.exact_recall[1],
        s.exact_recall[2],
        s.exact_ceiling,
        s.superclass_precision_at_10,
        s.jaccard_at_1,
        s.knn_auc_all,
        s.knn_auc_all_labels,
        s.knn_auc_superclass,
        opt(s.zero_shot_auc_superclass),
        opt(s.zero_shot_auc_rhythm),
        s.zero_shot_rhythm_labels,
        s.bleu4,
        s.rouge_l
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_lists_the_preferred_cases_reports_first_then_fills_with_the_whole_vote() {
        let reports = ["normal", "normal", "lvh", "normal", "inferior mi", "lvh"];
        let hits: Vec<Neighbour> = (0..reports.len())
            .map(|index| Neighbour {
                index,
                similarity: 1.0 - index as f32 * 0.01,
            })
            .collect();
        let rule = KnnRule::new(reports.len());
        let listed = vote_preferring(&hits, |i| reports[i], rule, |i| i >= 4);
        let listed: Vec<&str> = listed.iter().map(|h| reports[h.index]).collect();
        // The preferred cases (4 and 5) first, by their vote; then "normal", the whole vote's
        // first, which they did not list; no report twice.
        assert_eq!(listed, ["inferior mi", "lvh", "normal"]);
    }
}
