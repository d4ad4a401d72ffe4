//! The seed paper's retrieval, scored: each fold-10 ECG's image embedding ranks the distinct
//! reports of folds 1–9 by their text embedding (the dual encoder alone, no case in between),
//! and each distinct fold-10 report's text embedding ranks the library's ECGs.

use std::collections::HashMap;

use ecgmatch_formats::random::SplitMix;
use ecgmatch_reports::translate;
use ecgmatch_retrieval::metrics::jaccard;
use ecgmatch_retrieval::report_library::most_frequent;

use super::meteor::meteor;
use super::text_metrics::{bleu4, rouge_l};
use super::Evaluation;

/// The text side of a dual encoder: each record's report text embedded in the joint space.
pub struct ReportSide {
    /// Per record (cache order): its text's row in `embeddings`.
    pub text_of_record: Vec<usize>,
    /// `texts × dim`, unit length, in the joint space.
    pub embeddings: Vec<f32>,
    pub dim: usize,
}

impl ReportSide {
    fn row(&self, text: usize) -> &[f32] {
        &self.embeddings[text * self.dim..(text + 1) * self.dim]
    }
}

/// How a method ranks the library's distinct reports for an ECG.
pub enum ReportRanker<'a> {
    /// A uniformly random order (seeded).
    Random,
    /// The dual encoder: image embeddings (`records × dim`, cache order, unit length)
    /// against `side`, plus `prior` × ln(the cases carrying the report).
    DualEncoder {
        images: &'a [f32],
        side: &'a ReportSide,
        prior: f32,
    },
}

/// The weights of the frequency prior tried on fold 9: a report's score is its text's cosine
/// similarity to the ECG plus the weight × ln(how many cases carry it), a prior p(report) on
/// top of the dual encoder's likelihood (many distinct wordings say the same thing, and the
/// dual encoder barely tells them apart).
pub const REPORT_PRIORS: [f32; 8] = [0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];

/// ECG → report and report → ECG scores of one method.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReportScores {
    pub queries: usize,
    /// Distinct reports of the library ranked.
    pub reports: usize,
    /// The query's own (normalised) report among the top 1, 5 and 10.
    pub exact_recall: [f64; 3],
    /// The share of queries whose report is in the library at all.
    pub exact_ceiling: f64,
    /// Jaccard similarity of the top report's statements and the query's.
    pub jaccard_at_1: f64,
    /// The share of queries for which one of the top 5 reports (as many as the page shows)
    /// carries a telling statement of the query: one other than SR and NORM where it has
    /// others.
    pub telling_at_5: f64,
    /// The top report's English against the query's own, averaged.
    pub meteor: f64,
    pub bleu4: f64,
    pub rouge_l: f64,
    /// Report → ECG: for each distinct report of the query fold, the share of the 10 library
    /// ECGs its text ranks first that carry all of its statements (none for random).
    pub report_to_ecg_p10: Option<f64>,
    pub report_queries: usize,
}

/// One distinct report of the library.
struct LibraryReport {
    key: String,
    /// Its records (cache order).
    records: Vec<usize>,
    /// Statement ids of its most frequent statement set.
    codes: Vec<usize>,
    english: String,
}

impl Evaluation<'_> {
    /// The library's distinct reports (by normalised text), most frequent first.
    fn library_reports(&self) -> Vec<LibraryReport> {
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        for &i in &self.library {
            groups.entry(self.reports[i].as_str()).or_default().push(i);
        }
        let mut reports: Vec<LibraryReport> = groups
            .into_iter()
            .map(|(key, records)| {
                let codes =
                    most_frequent(records.iter().map(|&r| self.code_ids[r].as_slice())).to_vec();
                LibraryReport {
                    key: key.to_string(),
                    english: translate(&self.entries[records[0]].report).english,
                    records,
                    codes,
                }
            })
            .collect();
        reports.sort_by(|a, b| {
            b.records
                .len()
                .cmp(&a.records.len())
                .then(a.key.cmp(&b.key))
        });
        reports
    }

    /// Scores `ranker` for ECG → report on every query, and report → ECG on every distinct
    /// report of the query fold.
    pub fn score_reports(&self, ranker: &ReportRanker) -> ReportScores {
        let library = self.library_reports();
        let known: std::collections::HashSet<&str> =
            library.iter().map(|r| r.key.as_str()).collect();
        // The text each library report is ranked by: its records' most frequent one.
        let text_of_report: Vec<usize> = match ranker {
            ReportRanker::DualEncoder { side, .. } => library
                .iter()
                .map(|report| most_frequent(report.records.iter().map(|&r| side.text_of_record[r])))
                .collect(),
            ReportRanker::Random => Vec::new(),
        };
        let mut rng = SplitMix(2024);
        let mut s = ReportScores {
            queries: self.queries.len(),
            reports: library.len(),
            ..ReportScores::default()
        };
        for &q in &self.queries {
            let order: Vec<usize> = match ranker {
                ReportRanker::Random => {
                    let mut order: Vec<usize> = (0..library.len()).collect();
                    for j in 0..10.min(order.len()) {
                        let pick = j + rng.below(order.len() - j);
                        order.swap(j, pick);
                    }
                    order.truncate(10);
                    order
                }
                ReportRanker::DualEncoder {
                    images,
                    side,
                    prior,
                } => {
                    let query = &images[q * side.dim..(q + 1) * side.dim];
                    let scores: Vec<f32> = text_of_report
                        .iter()
                        .zip(&library)
                        .map(|(&t, report)| {
                            dot(query, side.row(t)) + prior * (report.records.len() as f32).ln()
                        })
                        .collect();
                    top_reports(&library, &scores, 10)
                }
            };
            let own = self.reports[q].as_str();
            for (slot, k) in [1, 5, 10].into_iter().enumerate() {
                if order.iter().take(k).any(|&r| library[r].key == own) {
                    s.exact_recall[slot] += 1.0;
                }
            }
            if known.contains(own) {
                s.exact_ceiling += 1.0;
            }
            let telling = self.telling_statements(q);
            if order
                .iter()
                .take(5)
                .any(|&r| library[r].codes.iter().any(|c| telling.contains(c)))
            {
                s.telling_at_5 += 1.0;
            }
            if let Some(&top) = order.first() {
                s.jaccard_at_1 += jaccard(&library[top].codes, &self.code_ids[q]);
                let own_english = translate(&self.entries[q].report).english;
                s.meteor += meteor(&library[top].english, &own_english);
                s.bleu4 += bleu4(&library[top].english, &own_english);
                s.rouge_l += rouge_l(&library[top].english, &own_english);
            }
        }
        let n = self.queries.len().max(1) as f64;
        for v in s.exact_recall.iter_mut() {
            *v /= n;
        }
        for v in [
            &mut s.exact_ceiling,
            &mut s.jaccard_at_1,
            &mut s.telling_at_5,
            &mut s.meteor,
            &mut s.bleu4,
            &mut s.rouge_l,
        ] {
            *v /= n;
        }
        if let ReportRanker::DualEncoder { images, side, .. } = ranker {
            let (p10, count) = self.report_to_ecg(images, side);
            s.report_to_ecg_p10 = Some(p10);
            s.report_queries = count;
        }
        s
    }

    /// Query `q`'s statements other than SR and NORM, or all of them where it has no others.
    fn telling_statements(&self, q: usize) -> Vec<usize> {
        let plain: Vec<usize> = ["SR", "NORM"]
            .iter()
            .filter_map(|c| self.statement_codes.iter().position(|s| s == c))
            .collect();
        let telling: Vec<usize> = self.code_ids[q]
            .iter()
            .copied()
            .filter(|c| !plain.contains(c))
            .collect();
        if telling.is_empty() {
            self.code_ids[q].clone()
        } else {
            telling
        }
    }

    /// The weight of the reports' frequency prior that ranks best on this split, and its
    /// score: how the prior is chosen on fold 9. Best is the share of queries whose five
    /// listed reports carry one of its telling statements (what the page's list is for), ties
    /// to the smaller weight.
    pub fn choose_report_prior(&self, images: &[f32], side: &ReportSide) -> (f32, f64) {
        REPORT_PRIORS
            .iter()
            .map(|&prior| {
                let s = self.score_reports(&ReportRanker::DualEncoder {
                    images,
                    side,
                    prior,
                });
                (prior, s.telling_at_5)
            })
            .fold(
                (0.0, f64::MIN),
                |best, next| {
                    if next.1 > best.1 {
                        next
                    } else {
                        best
                    }
                },
            )
    }

    /// Report → ECG: mean P@10, over the query fold's distinct reports, of library ECGs that
    /// carry all of the report's statements; and how many reports were asked.
    fn report_to_ecg(&self, images: &[f32], side: &ReportSide) -> (f64, usize) {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for &q in &self.queries {
            first.entry(self.reports[q].as_str()).or_insert(q);
        }
        let dim = side.dim;
        let mut total = 0.0;
        let mut asked = 0;
        for &q in first.values() {
            if self.code_ids[q].is_empty() {
                continue;
            }
            let text = side.row(side.text_of_record[q]);
            let mut scored: Vec<(f32, usize)> = self
                .library
                .iter()
                .map(|&i| (dot(text, &images[i * dim..(i + 1) * dim]), i))
                .collect();
            let k = 10.min(scored.len());
            scored.select_nth_unstable_by(k.saturating_sub(1), |a, b| b.0.total_cmp(&a.0));
            let hits = scored[..k]
                .iter()
                .filter(|(_, i)| {
                    self.code_ids[q]
                        .iter()
                        .all(|c| self.code_ids[*i].contains(c))
                })
                .count();
            total += hits as f64 / k.max(1) as f64;
            asked += 1;
        }
        (total / asked.max(1) as f64, asked)
    }
}

/// The `k` best reports: by their text's score (`scores`, one per report), then by how many
/// cases carry them.
fn top_reports(library: &[LibraryReport], scores: &[f32], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..library.len()).collect();
    let key = |r: usize| (scores[r], library[r].records.len());
    let by = |a: &usize, b: &usize| {
        let (sa, na) = key(*a);
        let (sb, nb) = key(*b);
        sb.total_cmp(&sa).then(nb.cmp(&na)).then(a.cmp(b))
    };
    ecgmatch_retrieval::keep_first(&mut order, k, by);
    order
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The scores as the evaluation prints them.
pub fn format_report_table(name: &str, s: &ReportScores) -> String {
    let report_to_ecg = s.report_to_ecg_p10.map_or("—".to_string(), |p| {
        format!("{p:.4}  ({} reports)", s.report_queries)
    });
    format!(
        "== {name}: ECG → report ({} queries, {} distinct library reports)\n\
         exact-report recall@1 / @5 / @10   {:.4} / {:.4} / {:.4}   (ceiling {:.4})\n\
         Jaccard@1 over SCP statements       {:.4}\n\
         a telling statement in the top 5    {:.4}\n\
         top-1 METEOR / BLEU-4 / ROUGE-L     {:.4} / {:.4} / {:.4}   (English)\n\
         report → ECG P@10                   {report_to_ecg}\n",
        s.queries,
        s.reports,
        s.exact_recall[0],
        s.exact_recall[1],
        s.exact_recall[2],
        s.exact_ceiling,
        s.jaccard_at_1,
        s.telling_at_5,
        s.meteor,
        s.bleu4,
        s.rouge_l,
    )
}
