//! Reports among a query's nearest cases: the cleaned, normalised form that decides when two
//! reports are the same, and the nearest cases listed one per distinct report, so that ten
//! cases with the same words do not fill the list (many PTB-XL reports are word for word
//! the same, above all the normal ones).

use std::collections::HashMap;
use std::hash::Hash;

use super::{KnnRule, Neighbour};
pub use ecgmatch_reports::{clean_report, normalise_report};

/// How distinct reports are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOrder {
    /// By their most similar case: the nearest case first, as a plain ranking.
    Similarity,
    /// By their share of the nearest cases' vote: the report most of the neighbourhood
    /// carries first. It finds the query's own words more often, but leans to the reports
    /// written the same way most often, the normal ones: an abnormal ECG's nearest
    /// cases are listed after a normal report that many of them share.
    Support,
}

/// One distinct report among the nearest cases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportGroup {
    /// Its most similar case.
    pub best: Neighbour,
    /// How many of the cases searched carry it.
    pub cases: usize,
    /// Its share of their vote under the rule.
    pub support: f32,
}

/// `hits` (best first) one per distinct report, as `key` tells reports apart, in `order`.
pub fn distinct_reports<K: Eq + Hash>(
    hits: &[Neighbour],
    key: impl Fn(usize) -> K,
    rule: KnnRule,
    order: ReportOrder,
) -> Vec<ReportGroup> {
    let weights = rule.weights(hits);
    let total: f32 = weights.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    let mut slot: HashMap<K, usize> = HashMap::new();
    let mut groups: Vec<ReportGroup> = Vec::new();
    for (hit, w) in hits.iter().zip(&weights) {
        let g = *slot.entry(key(hit.index)).or_insert_with(|| {
            groups.push(ReportGroup {
                best: *hit,
                cases: 0,
                support: 0.0,
            });
            groups.len() - 1
        });
        groups[g].cases += 1;
        groups[g].support += w / total;
    }
    if order == ReportOrder::Support {
        // Stable: equal support keeps the nearer report first.
        groups.sort_by(|a, b| b.support.total_cmp(&a.support));
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(index: usize, similarity: f32) -> Neighbour {
        Neighbour { index, similarity }
    }

    #[test]
    fn nearest_cases_are_listed_once_per_report() {
        // Cases 0 and 2 share a report; 1 and 3 have their own; 4 shares 1's.
        let reports = ["normal", "lbbb", "normal", "imi", "lbbb"];
        let hits = [
            hit(0, 0.9),
            hit(1, 0.8),
            hit(2, 0.7),
            hit(3, 0.6),
            hit(4, 0.5),
        ];
        let rule = KnnRule::new(5);
        let by_similarity = distinct_reports(&hits, |i| reports[i], rule, ReportOrder::Similarity);
        let best: Vec<usize> = by_similarity.iter().map(|g| g.best.index).collect();
        assert_eq!(best, vec![0, 1, 3]);
        assert_eq!(by_similarity[0].cases, 2);
        let shares: f32 = by_similarity.iter().map(|g| g.support).sum();
        assert!((shares - 1.0).abs() < 1e-5);
        // With a vote that lets many cases count, the report carried by more near cases leads.
        let wide = KnnRule {
            k: 5,
            temperature: Some(10.0),
        };
        let reports = ["imi", "normal", "normal", "normal", "lbbb"];
        let by_support = distinct_reports(&hits, |i| reports[i], wide, ReportOrder::Support);
        assert_eq!(by_support[0].best.index, 1, "{by_support:?}");
        assert_eq!(by_support[0].cases, 3);
        assert!(distinct_reports(&[], |i| reports[i], wide, ReportOrder::Support).is_empty());
    }
}
