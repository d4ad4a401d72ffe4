//! `ecgmatch reports`: the reports that fit each ECG, ranked by the dual encoder alone (the
//! seed paper's retrieval), as the page's "Reports that fit this ECG" lists them.

use std::path::PathBuf;

use ecgmatch::retrieval::search::{rank_reports, ReportMatch};

use super::inputs;
use super::search::{open_searcher, prepare_queries};
use super::CliError;

#[derive(clap::Args)]
pub struct Args {
    /// ECG records: a header such as 00001_lr.hea (its .dat files come along), or a folder
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The case library, whose distinct reports are ranked
    #[arg(long, default_value = super::SHIPPED_BUNDLE)]
    bundle: PathBuf,
    /// Reports to list per query
    #[arg(short, long, default_value_t = 10)]
    k: usize,
    /// Leave out reports carried only by cases of this PTB-XL fold (`strat_fold`), so that a
    /// held-out record cannot find its own report through its own case
    #[arg(long)]
    exclude_fold: Option<u8>,
    /// Weight of the reports' frequency prior (default: the one the bundle was built with,
    /// chosen on fold 9)
    #[arg(long)]
    prior: Option<f32>,
    /// Print one JSON array with an entry per query, in the order given
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    read: inputs::ReadArgs,
}

#[derive(serde::Serialize)]
struct QueryReports {
    query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    reports: Vec<ReportMatch>,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let mut searcher = open_searcher(&args.bundle)?;
    if let Some(prior) = args.prior {
        searcher.bundle.manifest.report_prior = prior;
    }
    let results: Vec<QueryReports> = prepare_queries(&searcher, &args.files, &args.read)?
        .into_iter()
        .map(|(label, prepared)| match prepared {
            Ok(q) => QueryReports {
                query: q.name,
                error: None,
                warnings: q.warnings,
                reports: rank_reports(&searcher.bundle, &q.embedding, args.k, args.exclude_fold),
            },
            Err(e) => QueryReports {
                query: label,
                error: Some(e.to_string()),
                warnings: Vec::new(),
                reports: Vec::new(),
            },
        })
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?
        );
    } else {
        for r in &results {
            println!("query {}", r.query);
            if let Some(e) = &r.error {
                println!("  error: {e}\n");
                continue;
            }
            for w in &r.warnings {
                println!("  warning: {w}");
            }
            for m in &r.reports {
                let codes: Vec<&str> = m.scp_codes.iter().map(|c| c.code.as_str()).collect();
                println!(
                    "  {:>2}. {:.3}  {} case{}  [{}]  {}",
                    m.rank,
                    m.similarity,
                    m.cases,
                    if m.cases == 1 { "" } else { "s" },
                    codes.join(", "),
                    m.report
                );
                if m.language != "en" {
                    println!("{:>12}English: {}", "", m.english);
                }
            }
            println!();
        }
    }
    match results.iter().filter_map(|r| r.error.as_ref()).next_back() {
        Some(e) if results.iter().all(|r| r.error.is_some()) => Err(e.clone().into()),
        _ => Ok(()),
    }
}
