//! Retrieval and classification scores, following the PTB-XL benchmark's conventions
//! (macro ROC-AUC over the labels that occur in the test set).

/// Area under the ROC curve of `scores` for binary `labels`, with ties counted half
/// (the Mann–Whitney statistic). `None` when only one class is present.
pub fn roc_auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|l| **l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    // Average ranks over ties, then sum the positives' ranks.
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|k| labels[**k]).count() as f64 * average_rank;
        i = j + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Mean AUC over label columns: `scores` and `labels` are `samples`×`n_labels`, row-major.
/// Columns with only one class in `labels` are left out; returns (mean, columns used).
pub fn macro_auc(scores: &[f32], labels: &[bool], n_labels: usize) -> (f64, usize) {
    let samples = scores.len() / n_labels.max(1);
    let mut aucs = Vec::new();
    for c in 0..n_labels {
        let s: Vec<f32> = (0..samples).map(|i| scores[i * n_labels + c]).collect();
        let l: Vec<bool> = (0..samples).map(|i| labels[i * n_labels + c]).collect();
        if let Some(auc) = roc_auc(&s, &l) {
            aucs.push(auc);
        }
    }
    (
        aucs.iter().sum::<f64>() / aucs.len().max(1) as f64,
        aucs.len(),
    )
}

/// |A ∩ B| / |A ∪ B| of two label sets (1 when both are empty).
pub fn jaccard<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    let inter = a.iter().filter(|x| b.contains(x)).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_known_values() {
        assert_eq!(
            roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        assert_eq!(roc_auc(&[1.0, 2.0], &[false, true]), Some(1.0));
        assert_eq!(roc_auc(&[2.0, 1.0], &[false, true]), Some(0.0));
        assert_eq!(roc_auc(&[1.0, 1.0], &[false, true]), Some(0.5));
        assert_eq!(roc_auc(&[1.0, 2.0], &[true, true]), None);
    }

    #[test]
    fn macro_auc_skips_single_class_columns() {
        // Two samples, three labels: column 0 separated, column 1 inverted, column 2 all negative.
        let scores = [0.9, 0.9, 0.0, 0.1, 0.1, 0.0];
        let labels = [true, false, false, false, true, false];
        assert_eq!(macro_auc(&scores, &labels, 3), (0.5, 2));
    }

    #[test]
    fn jaccard_of_sets() {
        assert_eq!(jaccard(&["NORM", "SR"], &["SR"]), 0.5);
        assert_eq!(jaccard::<&str>(&[], &[]), 1.0);
    }
}
