//! The seed paper's retrieval: the library's distinct reports, ranked for an ECG by the dual
//! encoder alone (its image embedding · the report text's embedding), each with the cases
//! that carry it. No case stands between the ECG and the report.

use std::collections::HashMap;

use crate::bundle::Case;
use crate::quantized::CentredInt8;

/// One distinct report (by its normalised text) of the library.
#[derive(Debug, Clone, PartialEq)]
pub struct DistinctReport {
    /// Its text's row in the bundle's text embeddings.
    pub text: u32,
    /// The cases carrying it (indices into the bundle's cases), the shown one first: a case
    /// with the report's most frequent statement set.
    pub cases: Vec<u32>,
}

/// A report ranked for a query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportHit {
    /// Index into [`ReportLibrary::reports`].
    pub report: usize,
    /// Cosine similarity of the query's image embedding and the report's text embedding.
    pub similarity: f32,
    /// How many cases carry it (those of an excluded fold not counted).
    pub cases: usize,
    /// What ranks it: the similarity plus the frequency prior.
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportLibrary {
    pub reports: Vec<DistinctReport>,
}

impl ReportLibrary {
    /// The distinct reports of `cases`, most frequent first; `report_keys` (one per case)
    /// tells them apart (equal when the normalised reports are, see
    /// `reports::normalise_report`).
    pub fn build(cases: &[Case], report_keys: &[u32]) -> Self {
        let mut groups: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, key) in report_keys.iter().enumerate() {
            groups.entry(*key).or_default().push(i as u32);
        }
        let mut reports: Vec<(u32, DistinctReport)> = groups
            .into_iter()
            .map(|(key, mut members)| {
                let codes_of = |i: &u32| -> Vec<&str> {
                    let mut codes: Vec<&str> = cases[*i as usize]
                        .scp_codes
                        .iter()
                        .map(|(c, _)| c.as_str())
                        .collect();
                    codes.sort_unstable();
                    codes
                };
                let usual = most_frequent(members.iter().map(codes_of));
                let shown = members
                    .iter()
                    .position(|i| codes_of(i) == usual)
                    .unwrap_or(0);
                members.swap(0, shown);
                let text = most_frequent(members.iter().map(|i| cases[*i as usize].text));
                (
                    key,
                    DistinctReport {
                        text,
                        cases: members,
                    },
                )
            })
            .collect();
        reports.sort_by(|a, b| {
            b.1.cases
                .len()
                .cmp(&a.1.cases.len())
                .then_with(|| a.0.cmp(&b.0))
        });
        Self {
            reports: reports.into_iter().map(|(_, r)| r).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.reports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }

    /// The `k` reports that fit `query` (a unit-length image embedding in the joint space)
    /// best: by their text's cosine similarity to it plus `prior` × ln(the cases carrying them),
    /// a prior that prefers the wording most cases share among reports the dual encoder can
    /// barely tell apart; ties to the report more cases carry. A report carried only by
    /// cases of `exclude_fold` is left out.
    pub fn rank(
        &self,
        texts: &CentredInt8,
        cases: &[Case],
        query: &[f32],
        k: usize,
        exclude_fold: Option<u8>,
        prior: f32,
    ) -> Vec<ReportHit> {
        let text_scores = texts.dots(query);
        let mut hits: Vec<ReportHit> = self
            .reports
            .iter()
            .enumerate()
            .filter_map(|(report, r)| {
                let carried = r
                    .cases
                    .iter()
                    .filter(|&&i| Some(cases[i as usize].fold) != exclude_fold)
                    .count();
                (carried > 0).then(|| {
                    let similarity = text_scores[r.text as usize];
                    ReportHit {
                        report,
                        similarity,
                        cases: carried,
                        score: similarity + prior * (carried as f32).ln(),
                    }
                })
            })
            .collect();
        let order = |a: &ReportHit, b: &ReportHit| {
            b.score
                .total_cmp(&a.score)
                .then(b.cases.cmp(&a.cases))
                .then(a.report.cmp(&b.report))
        };
        crate::keep_first(&mut hits, k, order);
        hits
    }
}

/// The value that occurs most often (ties to the smallest; the default when there is none).
pub fn most_frequent<T: std::hash::Hash + Ord + Default>(values: impl Iterator<Item = T>) -> T {
    let mut counts: HashMap<T, usize> = HashMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(v, _)| v)
        .unwrap_or_default()
}
