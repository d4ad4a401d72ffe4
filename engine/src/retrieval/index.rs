//! Exact nearest neighbours by cosine similarity over unit-length f32 vectors.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    pub index: usize,
    pub similarity: f32,
}

/// The `k` rows of `library` (`n`×`dim`, unit length) most similar to `query`, best first.
/// `skip` excludes one row (the query itself when it is in the library).
pub fn top_k(query: &[f32], library: &[f32], dim: usize, k: usize, skip: Option<usize>) -> Vec<Neighbour> {
    let mut best: Vec<Neighbour> = Vec::with_capacity(k + 1);
    for (index, row) in library.chunks_exact(dim).enumerate() {
        if Some(index) == skip {
            continue;
        }
        let similarity: f32 = row.iter().zip(query).map(|(a, b)| a * b).sum();
        if best.len() == k && best.last().is_some_and(|w| w.similarity >= similarity) {
            continue;
        }
        let at = best.partition_point(|n| n.similarity >= similarity);
        best.insert(at, Neighbour { index, similarity });
        best.truncate(k);
    }
    best
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
