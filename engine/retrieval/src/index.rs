//! Exact nearest neighbours by cosine similarity over unit-length f32 vectors.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    pub index: usize,
    pub similarity: f32,
}

/// Keeps the `k` best (index, similarity) offered, best first: the one selection every
/// scan here shares.
/// Neighbours reserved for up front; more are kept as they come.
const MAX_RESERVED: usize = 4096;

pub(crate) struct Best {
    k: usize,
    items: Vec<Neighbour>,
}

impl Best {
    pub(crate) fn new(k: usize) -> Self {
        Self {
            k,
            // A huge `k` (a user's `-k`) keeps no more than the library holds: room is made as
            // rows come, not reserved for `k` up front.
            items: Vec::with_capacity(k.min(MAX_RESERVED) + 1),
        }
    }

    #[inline]
    pub(crate) fn offer(&mut self, index: usize, similarity: f32) {
        if self.k == 0
            || (self.items.len() == self.k
                && self
                    .items
                    .last()
                    .is_some_and(|w| w.similarity >= similarity))
        {
            return;
        }
        let at = self.items.partition_point(|n| n.similarity >= similarity);
        self.items.insert(at, Neighbour { index, similarity });
        self.items.truncate(self.k);
    }

    pub(crate) fn into_vec(self) -> Vec<Neighbour> {
        self.items
    }
}

/// A neighbour's weight in a similarity-weighted vote: its similarity, never negative,
/// plus a little so that a vote among dissimilar cases still counts them.
pub fn vote_weight(similarity: f32) -> f32 {
    similarity.max(0.0) + 1e-3
}

/// How the nearest cases vote on a query's statements: the `k` nearest, each weighted by its
/// similarity, or with a `temperature` by `exp((similarity − best) / temperature)`, which lets
/// many neighbours vote (smoother scores for rare statements) while the closest still count most.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KnnRule {
    pub k: usize,
    pub temperature: Option<f32>,
}

/// Ten neighbours weighted by similarity: what bundles made before the rule was chosen use.
impl Default for KnnRule {
    fn default() -> Self {
        Self::new(10)
    }
}

impl KnnRule {
    pub fn new(k: usize) -> Self {
        Self {
            k,
            temperature: None,
        }
    }

    /// The weights of `hits` (best first) that vote; the others do not.
    pub fn weights(&self, hits: &[Neighbour]) -> Vec<f32> {
        let voters = &hits[..hits.len().min(self.k)];
        let best = voters.first().map_or(0.0, |h| h.similarity);
        voters
            .iter()
            .map(|h| match self.temperature {
                Some(t) => ((h.similarity - best) / t).exp(),
                None => vote_weight(h.similarity),
            })
            .collect()
    }
}

impl std::fmt::Display for KnnRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.temperature {
            Some(t) => write!(f, "k={}, softmax τ={t}", self.k),
            None => write!(f, "k={}", self.k),
        }
    }
}

/// The `k` rows of `library` (`n`×`dim`, unit length) most similar to `query`, best first.
/// `skip` excludes one row (the query itself when it is in the library).
pub fn top_k(
    query: &[f32],
    library: &[f32],
    dim: usize,
    k: usize,
    skip: Option<usize>,
) -> Vec<Neighbour> {
    let mut best = Best::new(k);
    for (index, row) in library.chunks_exact(dim).enumerate() {
        if Some(index) != skip {
            best.offer(index, row.iter().zip(query).map(|(a, b)| a * b).sum());
        }
    }
    best.into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_most_similar_first() {
        let lib = [1.0, 0.0, 0.0, 1.0, 0.6, 0.8, -1.0, 0.0];
        let got = top_k(&[0.8, 0.6], &lib, 2, 3, None);
        assert_eq!(
            got.iter().map(|n| n.index).collect::<Vec<_>>(),
            vec![2, 0, 1]
        );
        assert!((got[0].similarity - 0.96).abs() < 1e-6);
        let skipped = top_k(&[0.8, 0.6], &lib, 2, 1, Some(2));
        assert_eq!(skipped[0].index, 0);
        assert!(top_k(&[1.0, 0.0], &lib, 2, 10, None).len() == 4);
        // Any k, however large, gives at most the whole library, best first.
        let all = top_k(&[0.8, 0.6], &lib, 2, usize::MAX, None);
        assert_eq!(
            all.iter().map(|n| n.index).collect::<Vec<_>>(),
            vec![2, 0, 1, 3]
        );
    }
}

#[cfg(test)]
mod knn_rule_tests {
    use super::*;

    #[test]
    fn a_temperature_favours_the_closest_and_k_cuts_the_rest() {
        let hits: Vec<Neighbour> = [0.9, 0.8, 0.5]
            .iter()
            .enumerate()
            .map(|(index, &similarity)| Neighbour { index, similarity })
            .collect();
        assert_eq!(KnnRule::new(2).weights(&hits).len(), 2);
        let w = KnnRule {
            k: 3,
            temperature: Some(0.1),
        }
        .weights(&hits);
        assert!(
            (w[0] - 1.0).abs() < 1e-6 && (w[1] - (-1.0f32).exp()).abs() < 1e-6 && w[2] < w[1],
            "{w:?}"
        );
    }
}

/// Keeps the `k` first of `items` in `order`, sorted (a partial sort: the rest is never
/// ordered).
pub fn keep_first<T>(
    items: &mut Vec<T>,
    k: usize,
    order: impl Fn(&T, &T) -> std::cmp::Ordering + Copy,
) {
    let k = k.min(items.len());
    if k > 0 && k < items.len() {
        items.select_nth_unstable_by(k - 1, order);
    }
    items.truncate(k);
    items.sort_by(order);
}
