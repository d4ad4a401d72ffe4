//! BLEU-4 (Papineni et al. 2002, with brevity penalty and add-one smoothing for
//! sentence level) and ROUGE-L (F-measure of the longest common subsequence).

use std::collections::HashMap;

fn ngrams(tokens: &[&str], n: usize) -> HashMap<Vec<String>, usize> {
    let mut counts = HashMap::new();
    for w in tokens.windows(n) {
        *counts
            .entry(w.iter().map(|s| s.to_string()).collect())
            .or_insert(0) += 1;
    }
    counts
}

/// Sentence-level BLEU-4 of `candidate` against one `reference`, whitespace-tokenised.
pub fn bleu4(candidate: &str, reference: &str) -> f64 {
    let c: Vec<&str> = candidate.split_whitespace().collect();
    let r: Vec<&str> = reference.split_whitespace().collect();
    if c.is_empty() || r.is_empty() {
        return 0.0;
    }
    let mut log_sum = 0.0;
    for n in 1..=4 {
        let cand = ngrams(&c, n);
        let refs = ngrams(&r, n);
        let total: usize = cand.values().sum();
        let clipped: usize = cand
            .iter()
            .map(|(g, k)| (*k).min(*refs.get(g).unwrap_or(&0)))
            .sum();
        // Add-one smoothing for n > 1 keeps short reports from scoring zero outright.
        let (num, den) = if n == 1 {
            (clipped as f64, total as f64)
        } else {
            (clipped as f64 + 1.0, total as f64 + 1.0)
        };
        if num == 0.0 || den == 0.0 {
            return 0.0;
        }
        log_sum += (num / den).ln() / 4.0;
    }
    let brevity = if c.len() >= r.len() {
        1.0
    } else {
        (1.0 - r.len() as f64 / c.len() as f64).exp()
    };
    brevity * log_sum.exp()
}

/// ROUGE-L F1 between `candidate` and `reference`, whitespace-tokenised.
pub fn rouge_l(candidate: &str, reference: &str) -> f64 {
    let c: Vec<&str> = candidate.split_whitespace().collect();
    let r: Vec<&str> = reference.split_whitespace().collect();
    if c.is_empty() || r.is_empty() {
        return 0.0;
    }
    let mut prev = vec![0usize; r.len() + 1];
    for a in &c {
        let mut cur = vec![0usize; r.len() + 1];
        for (j, b) in r.iter().enumerate() {
            cur[j + 1] = if a == b {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        prev = cur;
    }
    let lcs = prev[r.len()] as f64;
    if lcs == 0.0 {
        return 0.0;
    }
    let (p, rec) = (lcs / c.len() as f64, lcs / r.len() as f64);
    2.0 * p * rec / (p + rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_score_one() {
        let t = "sinus rhythm left axis deviation normal ecg";
        assert!((bleu4(t, t) - 1.0).abs() < 1e-12);
        assert!((rouge_l(t, t) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn partial_overlap_scores_between() {
        let (a, b) = ("sinus rhythm normal ecg", "sinus rhythm abnormal ecg");
        let r = rouge_l(a, b);
        assert!((r - 0.75).abs() < 1e-12, "{r}");
        let bl = bleu4(a, b);
        assert!(bl > 0.0 && bl < 1.0);
        assert_eq!(rouge_l("atrial fibrillation", "sinus rhythm"), 0.0);
        assert_eq!(bleu4("atrial fibrillation", "sinus rhythm"), 0.0);
    }
}
