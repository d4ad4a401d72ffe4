//! Exact nearest neighbours by cosine similarity over unit-length f32 vectors.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    pub index: usize,
    pub similarity: f32,
}

/// Keeps the `k` best (index, similarity) offered, best first: the one selection every
/// scan here shares.
pub(crate) struct Best {
    k: usize,
    items: Vec<Neighbour>,
}

impl Best {
    pub(crate) fn new(k: usize) -> Self {
        Self { k, items: Vec::with_capacity(k + 1) }
    }

    #[inline]
    pub(crate) fn offer(&mut self, index: usize, similarity: f32) {
        if self.k == 0 || (self.items.len() == self.k && self.items.last().is_some_and(|w| w.similarity >= similarity)) {
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

/// The `k` rows of `library` (`n`×`dim`, unit length) most similar to `query`, best first.
/// `skip` excludes one row (the query itself when it is in the library).
pub fn top_k(query: &[f32], library: &[f32], dim: usize, k: usize, skip: Option<usize>) -> Vec<Neighbour> {
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
        assert_eq!(got.iter().map(|n| n.index).collect::<Vec<_>>(), vec![2, 0, 1]);
        assert!((got[0].similarity - 0.96).abs() < 1e-6);
        let skipped = top_k(&[0.8, 0.6], &lib, 2, 1, Some(2));
        assert_eq!(skipped[0].index, 0);
        assert!(top_k(&[1.0, 0.0], &lib, 2, 10, None).len() == 4);
    }
}
