//! Library search speed on one core: the shipped bundle's 21,799 cases and a synthetic
//! library of a million vectors, exact f32 as the baseline in the same run.

use super::CliError;
use std::path::PathBuf;
use std::time::Instant;

use ecgmatch::formats::random::SplitMix;
use ecgmatch::retrieval::bundle::{Bundle, SearchMode};
use ecgmatch::retrieval::{top_k, BinaryIndex, Int8Index};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = super::SHIPPED_BUNDLE)]
    bundle: PathBuf,
    /// Size of the synthetic library
    #[arg(long, default_value_t = 1_000_000)]
    synthetic: usize,
    #[arg(long, default_value_t = 200)]
    queries: usize,
    #[arg(short, long, default_value_t = 10)]
    k: usize,
    /// Candidates binary codes pass to int8 re-ranking
    #[arg(long, default_value_t = 1000)]
    pool: usize,
}

fn random_unit(rng: &mut SplitMix, n: usize, dim: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let v: Vec<f32> = (0..dim)
            .map(|_| (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        out.extend(v.iter().map(|x| x / norm));
    }
    out
}

/// Milliseconds per query, and how many of the exact top k each query's answer kept.
fn time(
    queries: &[f32],
    dim: usize,
    search: impl Fn(&[f32]) -> Vec<usize>,
    exact: &[Vec<usize>],
) -> (f64, f64) {
    let started = Instant::now();
    let answers: Vec<Vec<usize>> = queries.chunks_exact(dim).map(&search).collect();
    let ms = started.elapsed().as_secs_f64() * 1000.0 / answers.len().max(1) as f64;
    let kept: usize = answers
        .iter()
        .zip(exact)
        .map(|(a, e)| a.iter().filter(|i| e.contains(i)).count())
        .sum();
    let total: usize = exact.iter().map(Vec::len).sum();
    (ms, kept as f64 / total.max(1) as f64)
}

fn report(library: &str, rows: &[(&str, (f64, f64))]) {
    let base = rows[0].1 .0;
    for (name, (ms, recall)) in rows {
        println!("{library:<28} {name:<26} {ms:>9.3} ms/query  {:>6.1}× vs f32   recall of exact top-k {recall:.3}", base / ms);
    }
}

pub fn run(args: Args) -> Result<(), CliError> {
    let bytes =
        std::fs::read(&args.bundle).map_err(|e| format!("{}: {e}", args.bundle.display()))?;
    let bundle = Bundle::from_bytes(&bytes).map_err(|e| e.to_string())?;
    // The library's width: the embedding, and the measurements where the bundle has them.
    let dim = bundle.library.dim;
    let k = args.k;
    let mut rng = SplitMix(7);
    println!("one thread, {} queries, k = {k}, dim {dim}\n", args.queries);

    // Queries near real cases: a library vector plus noise, renormalised. They are made in the
    // library's (whitened) space, so the scans are timed without the whitening, which is timed
    // on its own below.
    let n = bundle.cases.len();
    let mut queries = Vec::with_capacity(args.queries * dim);
    let noise = random_unit(&mut rng, args.queries, dim);
    for q in 0..args.queries {
        let base = bundle.library.vector(rng.below(n));
        let v: Vec<f32> = base
            .iter()
            .zip(&noise[q * dim..])
            .map(|(a, b)| a + 0.3 * b)
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        queries.extend(v.iter().map(|x| x / norm));
    }
    let library_f32: Vec<f32> = (0..n).flat_map(|i| bundle.library.vector(i)).collect();
    let exact: Vec<Vec<usize>> = queries
        .chunks_exact(dim)
        .map(|q| {
            top_k(q, &library_f32, dim, k, None)
                .iter()
                .map(|h| h.index)
                .collect()
        })
        .collect();
    let idx = |hits: Vec<ecgmatch::retrieval::Neighbour>| {
        hits.into_iter().map(|h| h.index).collect::<Vec<_>>()
    };
    report(
        &format!("bundle ({n} cases)"),
        &[
            (
                "f32 exact scan",
                time(
                    &queries,
                    dim,
                    |q| idx(top_k(q, &library_f32, dim, k, None)),
                    &exact,
                ),
            ),
            (
                "int8 scan",
                time(
                    &queries,
                    dim,
                    |q| idx(bundle.search_retrieval_space(q, k, SearchMode::Int8, None)),
                    &exact,
                ),
            ),
            (
                &format!("binary → int8 ({})", args.pool),
                time(
                    &queries,
                    dim,
                    |q| {
                        idx(bundle.search_retrieval_space(
                            q,
                            k,
                            SearchMode::BinaryRerank { pool: args.pool },
                            None,
                        ))
                    },
                    &exact,
                ),
            ),
        ],
    );

    if bundle.space != Default::default() {
        let embed_dim = bundle.embed_dim();
        let started = Instant::now();
        for q in queries.chunks_exact(dim) {
            let (embedding, measures) = q.split_at(embed_dim);
            std::hint::black_box(
                bundle.retrieval_vector(std::hint::black_box(embedding), measures),
            );
        }
        println!(
            "{:<28} {:<26} {:>9.3} ms/query  (added to every search of this bundle)",
            format!("bundle ({n} cases)"),
            "mapping the query",
            started.elapsed().as_secs_f64() * 1e3 / args.queries as f64,
        );
    }

    let m = args.synthetic;
    eprintln!("building a synthetic library of {m} vectors…");
    let synthetic = random_unit(&mut rng, m, dim);
    let int8 = Int8Index::build(&synthetic, dim);
    let binary = BinaryIndex::from_int8(&int8);
    let few = &queries[..dim * args.queries.min(50)];
    let exact: Vec<Vec<usize>> = few
        .chunks_exact(dim)
        .map(|q| {
            top_k(q, &synthetic, dim, k, None)
                .iter()
                .map(|h| h.index)
                .collect()
        })
        .collect();
    report(
        &format!("synthetic ({m} vectors)"),
        &[
            (
                "f32 exact scan",
                time(
                    few,
                    dim,
                    |q| idx(top_k(q, &synthetic, dim, k, None)),
                    &exact,
                ),
            ),
            (
                "int8 scan",
                time(few, dim, |q| idx(int8.top_k(q, k, |_| true)), &exact),
            ),
            (
                &format!("binary → int8 ({})", args.pool),
                time(
                    few,
                    dim,
                    |q| idx(int8.rerank(q, &binary.candidates(q, args.pool, |_| true), k)),
                    &exact,
                ),
            ),
        ],
    );
    Ok(())
}
