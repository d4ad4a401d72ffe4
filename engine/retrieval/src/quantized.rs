//! Compact library indexes: int8 vectors with one scale each (4× smaller than f32, exact
//! enough to rank), and sign-bit codes (32× smaller) for a Hamming pre-selection that
//! int8 then re-ranks.

use super::index::Best;
use super::Neighbour;
use ecgmatch_signal::wide_simd;

/// Unit-length vectors stored as `round(v / scale)` in −127..=127, `scale = max|v| / 127`.
#[derive(Debug, Clone, PartialEq)]
pub struct Int8Index {
    pub dim: usize,
    pub codes: Vec<i8>,
    pub scales: Vec<f32>,
}

/// Quantizes one vector; returns its scale.
pub fn quantize_into(vector: &[f32], out: &mut Vec<i8>) -> f32 {
    let peak = vector.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if peak > 0.0 { peak / 127.0 } else { 1.0 };
    out.extend(
        vector
            .iter()
            .map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8),
    );
    scale
}

wide_simd! {
    /// `out[i]` = dot(query, row i) in integers; exact, so any order of summation agrees.
    fn int8_dots(query: &[i8], codes: &[i8], out: &mut [i32]) {
        let dim = query.len();
        for (row, o) in codes.chunks_exact(dim).zip(out.iter_mut()) {
            *o = row.iter().zip(query).map(|(a, b)| i32::from(*a) * i32::from(*b)).sum();
        }
    }
}

/// The cosine similarity an integer dot product stands for; rounding can push a
/// near-identical pair just past 1, which would read oddly as "100.2% similar".
#[inline]
fn cosine(dot: i32, scale: f32, query_scale: f32) -> f32 {
    (dot as f32 * scale * query_scale).clamp(-1.0, 1.0)
}

/// Rows scored per block, so the integer dot products stay in cache.
const BLOCK: usize = 1024;

impl Int8Index {
    pub fn build(vectors: &[f32], dim: usize) -> Self {
        let mut codes = Vec::with_capacity(vectors.len());
        let scales = vectors
            .chunks_exact(dim)
            .map(|v| quantize_into(v, &mut codes))
            .collect();
        Self { dim, codes, scales }
    }

    pub fn len(&self) -> usize {
        self.scales.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scales.is_empty()
    }

    /// The stored vector `i`, dequantized.
    pub fn vector(&self, i: usize) -> Vec<f32> {
        self.codes[i * self.dim..(i + 1) * self.dim]
            .iter()
            .map(|c| f32::from(*c) * self.scales[i])
            .collect()
    }

    /// The `k` most similar rows to a unit-length f32 query among those `keep` accepts,
    /// best first, with approximately the cosine similarity.
    pub fn top_k(&self, query: &[f32], k: usize, keep: impl Fn(usize) -> bool) -> Vec<Neighbour> {
        let mut q = Vec::with_capacity(self.dim);
        let q_scale = quantize_into(query, &mut q);
        let mut best = Best::new(k);
        let mut dots = vec![0i32; BLOCK];
        for (block, codes) in self.codes.chunks(BLOCK * self.dim).enumerate() {
            let rows = codes.len() / self.dim;
            int8_dots(&q, codes, &mut dots[..rows]);
            for (r, dot) in dots[..rows].iter().enumerate() {
                let i = block * BLOCK + r;
                if keep(i) {
                    best.offer(i, cosine(*dot, self.scales[i], q_scale));
                }
            }
        }
        best.into_vec()
    }

    /// Scores only `candidates`, best first.
    pub fn rerank(&self, query: &[f32], candidates: &[usize], k: usize) -> Vec<Neighbour> {
        let mut q = Vec::with_capacity(self.dim);
        let q_scale = quantize_into(query, &mut q);
        let mut best = Best::new(k);
        let mut dot = [0i32];
        for &i in candidates {
            int8_dots(&q, &self.codes[i * self.dim..(i + 1) * self.dim], &mut dot);
            best.offer(i, cosine(dot[0], self.scales[i], q_scale));
        }
        best.into_vec()
    }
}

/// Vectors that share a large common part (a dual encoder's report embeddings sit in a narrow
/// cone) kept as their mean and int8 residuals from it: each row's scale then fits the
/// differences that decide a ranking, not the part every row shares.
#[derive(Debug, Clone, PartialEq)]
pub struct CentredInt8 {
    pub mean: Vec<f32>,
    pub residuals: Int8Index,
}

impl CentredInt8 {
    pub fn build(vectors: &[f32], dim: usize) -> Self {
        let rows = vectors.len() / dim.max(1);
        let mut mean = vec![0f32; dim];
        for row in vectors.chunks_exact(dim) {
            mean.iter_mut()
                .zip(row)
                .for_each(|(m, v)| *m += v / rows as f32);
        }
        let residuals: Vec<f32> = vectors
            .chunks_exact(dim)
            .flat_map(|row| row.iter().zip(&mean).map(|(v, m)| v - m))
            .collect();
        Self {
            residuals: Int8Index::build(&residuals, dim),
            mean,
        }
    }

    pub fn len(&self) -> usize {
        self.residuals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.residuals.is_empty()
    }

    /// Row `i`, dequantized.
    pub fn vector(&self, i: usize) -> Vec<f32> {
        let mut v = self.residuals.vector(i);
        v.iter_mut().zip(&self.mean).for_each(|(r, m)| *r += m);
        v
    }

    /// The dot product of `query` with every row.
    pub fn dots(&self, query: &[f32]) -> Vec<f32> {
        let dim = self.residuals.dim;
        let shared: f32 = query.iter().zip(&self.mean).map(|(q, m)| q * m).sum();
        self.residuals
            .codes
            .chunks_exact(dim)
            .zip(&self.residuals.scales)
            .map(|(row, scale)| {
                let d: f32 = row.iter().zip(query).map(|(c, q)| f32::from(*c) * q).sum();
                shared + d * scale
            })
            .collect()
    }
}

/// One bit per dimension: whether the value is positive. Hamming distance between codes
/// tracks the angle between vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryIndex {
    words: usize,
    bits: Vec<u64>,
}

impl BinaryIndex {
    pub fn from_int8(index: &Int8Index) -> Self {
        let words = index.dim.div_ceil(64);
        let mut bits = Vec::with_capacity(index.len() * words);
        for row in index.codes.chunks_exact(index.dim) {
            bits.extend(sign_bits(row.iter().map(|c| *c > 0), words));
        }
        Self { words, bits }
    }

    /// The `n` rows nearest in Hamming distance among those `keep` accepts.
    pub fn candidates(&self, query: &[f32], n: usize, keep: impl Fn(usize) -> bool) -> Vec<usize> {
        let q = sign_bits(query.iter().map(|v| *v > 0.0), self.words);
        let mut best = Best::new(n);
        for (i, row) in self.bits.chunks_exact(self.words).enumerate() {
            if keep(i) {
                let distance: u32 = row.iter().zip(&q).map(|(a, b)| (a ^ b).count_ones()).sum();
                best.offer(i, -(distance as f32));
            }
        }
        best.into_vec().into_iter().map(|n| n.index).collect()
    }
}

fn sign_bits(signs: impl Iterator<Item = bool>, words: usize) -> Vec<u64> {
    let mut out = vec![0u64; words];
    for (d, positive) in signs.enumerate() {
        if positive {
            out[d / 64] |= 1 << (d % 64);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::top_k;

    fn unit_vectors(n: usize, dim: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let mut out = Vec::with_capacity(n * dim);
        for _ in 0..n {
            let v: Vec<f32> = (0..dim).map(|_| next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            out.extend(v.iter().map(|x| x / norm));
        }
        out
    }

    #[test]
    fn int8_scores_are_close_to_f32_and_rank_alike() {
        let (dim, n) = (64, 3000);
        let library = unit_vectors(n, dim, 1);
        let queries = unit_vectors(20, dim, 2);
        let index = Int8Index::build(&library, dim);
        for q in queries.chunks_exact(dim) {
            let exact = top_k(q, &library, dim, 10, None);
            let approx = index.top_k(q, 10, |_| true);
            assert_eq!(approx.len(), 10);
            assert!((approx[0].similarity - exact[0].similarity).abs() < 0.02);
            let shared = approx
                .iter()
                .filter(|a| exact.iter().any(|e| e.index == a.index))
                .count();
            assert!(shared >= 8, "int8 kept {shared} of the 10 exact neighbours");
        }
        let back = index.vector(5);
        assert!(back
            .iter()
            .zip(&library[5 * dim..6 * dim])
            .all(|(a, b)| (a - b).abs() < 0.01));
    }

    #[test]
    fn filters_and_reranking_agree_with_a_full_scan() {
        let dim = 32;
        let library = unit_vectors(500, dim, 3);
        let index = Int8Index::build(&library, dim);
        let q = &library[7 * dim..8 * dim];
        let even = index.top_k(q, 5, |i| i % 2 == 0);
        assert!(even.iter().all(|n| n.index % 2 == 0));
        let all: Vec<usize> = (0..500).collect();
        assert_eq!(index.rerank(q, &all, 5), index.top_k(q, 5, |_| true));
        assert_eq!(
            index.top_k(q, 1, |_| true)[0].index,
            7,
            "a vector finds itself first"
        );
        let binary = BinaryIndex::from_int8(&index);
        let pool = binary.candidates(q, 50, |_| true);
        assert_eq!(pool[0], 7, "its own code is at Hamming distance 0");
        assert!(binary.candidates(q, 50, |i| i != 7).iter().all(|i| *i != 7));
    }

    #[test]
    fn zero_and_empty_inputs_do_not_break() {
        let index = Int8Index::build(&[0.0; 8], 4);
        assert_eq!(index.scales, vec![1.0, 1.0]);
        assert_eq!(index.top_k(&[0.5, 0.5, 0.5, 0.5], 3, |_| true).len(), 2);
        assert!(index.top_k(&[1.0, 0.0, 0.0, 0.0], 0, |_| true).is_empty());
        assert!(Int8Index::build(&[], 4)
            .top_k(&[1.0, 0.0, 0.0, 0.0], 3, |_| true)
            .is_empty());
    }
}
