//! `ecgmatch eval-ood`: records from other hospitals (CinC 2021 layout) queried against the
//! whole PTB-XL library, scored on their SNOMED diagnoses mapped to SCP statements, with
//! random retrieval in the same run.

use super::CliError;
use std::path::PathBuf;

use ecgmatch::formats::random::SplitMix;
use ecgmatch::model::burn::prelude::*;
use ecgmatch::retrieval::bundle::{Bundle, SearchMode};
use ecgmatch::retrieval::metrics::macro_auc;
use ecgmatch::retrieval::search::{rank, Ranked, Searcher};
use ecgmatch::retrieval::Neighbour;
use ecgmatch::train::dataset::cinc::{diagnoses, SnomedToScp};

use super::inputs;

#[derive(clap::Args)]
pub struct Args {
    /// Folder of WFDB records with `# Dx:` SNOMED codes in their headers
    #[arg(long, default_value = "../shared/data/cinc2021-sample")]
    dir: PathBuf,
    #[arg(long, default_value = super::SHIPPED_BUNDLE)]
    bundle: PathBuf,
    #[arg(short, long, default_value_t = 10)]
    k: usize,
}

#[derive(Default)]
struct Tally {
    top1_any: f64,
    top1_finding: f64,
    precision_at_k: f64,
    scores: Vec<f32>,
    truth: Vec<bool>,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let bytes =
        std::fs::read(&args.bundle).map_err(|e| format!("{}: {e}", args.bundle.display()))?;
    let searcher = Searcher::new(
        Bundle::from_bytes(&bytes).map_err(|e| e.to_string())?,
        Device::flex(),
    )
    .map_err(|e| e.to_string())?;
    let bundle = &searcher.bundle;
    let map = SnomedToScp::default();
    let mut headers: Vec<PathBuf> = std::fs::read_dir(&args.dir)
        .map_err(|e| format!("{}: {e}", args.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "hea"))
        .collect();
    headers.sort();
    // (mapped statements, ranked neighbours) per usable record.
    let mut queries: Vec<(Vec<String>, Ranked)> = Vec::new();
    let (mut unreadable, mut unmapped) = (Vec::new(), 0usize);
    for header in &headers {
        let text =
            std::fs::read_to_string(header).map_err(|e| format!("{}: {e}", header.display()))?;
        let truth = map.map(&diagnoses(&text));
        if truth.is_empty() {
            unmapped += 1;
            continue;
        }
        let files = inputs::collect(std::slice::from_ref(header))?;
        let embedded = ecgmatch::formats::read_records(&files)
            .remove(0)
            .result
            .map_err(CliError::from)
            .and_then(|r| Ok((searcher.embed(&[&r])?, searcher.measure(&r)?)));
        match embedded {
            Ok((e, m)) => {
                queries.push((truth, rank(bundle, &e, &m, args.k, SearchMode::Int8, None)))
            }
            Err(e) => unreadable.push(format!("{}: {e}", header.display())),
        }
    }
    let mut labels: Vec<String> = queries
        .iter()
        .flat_map(|(t, _)| t.iter().cloned())
        .collect();
    labels.sort();
    labels.dedup();
    let mut rng = SplitMix(99);
    let depth = args.k.max(bundle.manifest.knn.k);
    let random: Vec<Ranked> = queries
        .iter()
        .map(|_| {
            let voters: Vec<Neighbour> = (0..depth)
                .map(|j| Neighbour {
                    index: rng.below(bundle.cases.len()),
                    similarity: 1.0 - j as f32 / depth as f32,
                })
                .collect();
            Ranked {
                shown: voters[..args.k.min(depth)].to_vec(),
                groups: Vec::new(),
                voters,
            }
        })
        .collect();
    println!(
        "{}: {} records, {} with a mapped diagnosis, {} searched ({} unreadable); {} statements occur; shown k = {}, kNN vote {}\n",
        args.dir.display(),
        headers.len(),
        headers.len() - unmapped,
        queries.len(),
        unreadable.len(),
        labels.len(),
        args.k,
        bundle.manifest.knn
    );
    for e in &unreadable {
        eprintln!("  skipped {e}");
    }
    println!(
        "{:<18} {:>10} {:>14} {:>12} {:>16}",
        "method", "top-1 any", "top-1 finding", "P@k finding", "kNN macro AUC"
    );
    let ours: Vec<Ranked> = queries.iter().map(|(_, r)| r.clone()).collect();
    for (name, ranked) in [("ours (bundle)", ours), ("random retrieval", random)] {
        let mut t = Tally::default();
        for (
            (truth, _),
            Ranked {
                shown: hits,
                voters,
                ..
            },
        ) in queries.iter().zip(&ranked)
        {
            let codes = |h: &Neighbour| {
                bundle.cases[h.index]
                    .scp_codes
                    .iter()
                    .map(|(c, _)| c.clone())
                    .collect::<Vec<String>>()
            };
            let findings: Vec<&String> = truth.iter().filter(|c| *c != "SR").collect();
            let shares = |h: &Neighbour, only_findings: bool| {
                codes(h).iter().any(|c| {
                    if only_findings {
                        findings.contains(&c)
                    } else {
                        truth.contains(c)
                    }
                })
            };
            t.top1_any += f64::from(u8::from(hits.first().is_some_and(|h| shares(h, false))));
            t.top1_finding += f64::from(u8::from(hits.first().is_some_and(|h| shares(h, true))));
            t.precision_at_k +=
                hits.iter().filter(|h| shares(h, true)).count() as f64 / hits.len().max(1) as f64;
            let weights = bundle.manifest.knn.weights(voters);
            let total: f32 = weights.iter().sum::<f32>().max(f32::MIN_POSITIVE);
            for label in &labels {
                let vote: f32 = voters
                    .iter()
                    .zip(&weights)
                    .filter(|(h, _)| codes(h).contains(label))
                    .map(|(_, w)| w)
                    .sum();
                t.scores.push(vote / total);
                t.truth.push(truth.contains(label));
            }
        }
        let n = queries.len().max(1) as f64;
        let (auc, used) = macro_auc(&t.scores, &t.truth, labels.len());
        println!(
            "{name:<18} {:>10.3} {:>14.3} {:>12.3} {:>10.3} ({used} labels)",
            t.top1_any / n,
            t.top1_finding / n,
            t.precision_at_k / n,
            auc
        );
    }
    Ok(())
}
