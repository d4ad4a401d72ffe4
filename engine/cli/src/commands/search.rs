//! `ecgmatch search`: the whole query natively, one query per record given.

use super::CliError;
use std::path::PathBuf;

use ecgmatch::model::burn::prelude::*;
use ecgmatch::retrieval::bundle::{Bundle, SearchMode};
use ecgmatch::retrieval::search::{
    consensus, describe, describe_ranked, rank, rank_embedding_only, shown_results, Match, Searcher,
};
use ecgmatch::signal::intervals::{of_record, Intervals, Measured};
use ecgmatch::signal::measure::{summary, MeasureSummary};

use super::inputs;

#[derive(clap::Args)]
pub struct Args {
    /// ECG records: a header such as 00001_lr.hea (its .dat files come along), or a folder
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The case library
    #[arg(long, default_value = super::SHIPPED_BUNDLE)]
    bundle: PathBuf,
    /// Cases to list per query
    #[arg(short, long, default_value_t = 10)]
    k: usize,
    /// List the nearest cases as they come, several with the same report included (by
    /// default one case per distinct report, as the page lists them)
    #[arg(long)]
    per_case: bool,
    /// Leave the cases of this PTB-XL fold (`strat_fold`) out of the ranking and the vote, so
    /// that a held-out record finds neither itself nor its fold
    #[arg(long)]
    exclude_fold: Option<u8>,
    /// The space cases are compared in: the library's full space (the whitened embedding,
    /// measurements and probe, as the page searches), or the whitened neural embedding alone
    #[arg(long, value_enum, default_value_t = Space::Full)]
    space: Space,
    /// Print one JSON array with an entry per query, in the order given
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    read: inputs::ReadArgs,
}

/// `--space`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Space {
    Full,
    Embedding,
}

#[derive(serde::Serialize)]
struct QueryResult {
    query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// What the reader and the signal-quality gate noticed (flat, clipped, non-numeric leads).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    /// The query's rate, RR spread and largest deflection, as the search measured them.
    #[serde(skip_serializing_if = "Option::is_none")]
    measured: Option<MeasureSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    intervals: Option<Intervals>,
    matches: Vec<Match>,
    /// The query's own record in the library (same ecg_id or the same signal), set apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    this_record: Option<Match>,
    consensus: Vec<ecgmatch::retrieval::search::Vote>,
}

/// The case library at `path`, ready to search on the CPU.
pub(super) fn open_searcher(path: &std::path::Path) -> Result<Searcher, CliError> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "{}: {e}; build it with `ecgmatch bundle` or use the shipped {}",
            path.display(),
            super::SHIPPED_BUNDLE
        )
    })?;
    let bundle = Bundle::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Searcher::new(bundle, Device::flex()).map_err(|e| e.to_string())?)
}

/// One record read and embedded for a query.
pub(super) struct Prepared {
    pub name: String,
    pub embedding: Vec<f32>,
    pub measures: Vec<f32>,
    /// What the reader and the signal-quality gate noticed (flat, clipped, non-numeric leads).
    pub warnings: Vec<String>,
    /// The record's intervals from its median beats (`signal::intervals`).
    pub intervals: Option<Intervals>,
}

/// The files a record came from, and the query made of it or why none could be.
pub(super) type PreparedQuery = (String, Result<Prepared, CliError>);

/// Every record in `files`, read and embedded.
pub(super) fn prepare_queries(
    searcher: &Searcher,
    files: &[PathBuf],
    read: &inputs::ReadArgs,
) -> Result<Vec<PreparedQuery>, CliError> {
    let files = inputs::collect(files)?;
    Ok(
        ecgmatch::formats::read_records_with(&files, &read.options())
            .into_iter()
            .map(|outcome| {
                let label = outcome.files.join(" + ");
                let prepared = outcome.result.map_err(CliError::from).and_then(|record| {
                    let embedding = searcher.embed(&[&record])?;
                    let measures = searcher.measure(&record)?;
                    let mut warnings = record.warnings.clone();
                    warnings.extend(ecgmatch::signal::quality::check(&record)?);
                    Ok(Prepared {
                        name: record.name.clone(),
                        embedding,
                        measures,
                        warnings,
                        intervals: of_record(&record).ok(),
                    })
                });
                (label, prepared)
            })
            .collect(),
    )
}

pub fn run(args: Args) -> Result<(), CliError> {
    let searcher = open_searcher(&args.bundle)?;
    let mut results = Vec::new();
    for (label, prepared) in prepare_queries(&searcher, &args.files, &args.read)? {
        results.push(match prepared {
            Ok(q) => {
                let ranked = match args.space {
                    Space::Full => rank(
                        &searcher.bundle,
                        &q.embedding,
                        &q.measures,
                        // One more: the query's own record is set apart when the library has it.
                        args.k + 1,
                        SearchMode::Int8,
                        args.exclude_fold,
                    ),
                    Space::Embedding => rank_embedding_only(
                        &searcher.bundle,
                        &q.embedding,
                        args.k,
                        args.exclude_fold,
                    ),
                };
                // As the page shows them (the full space, one case per report): the query's own
                // record set apart, the similarities explained. Evaluation listings
                // (`--per-case`, `--space embedding`) keep every case as ranked.
                let (matches, this_record, votes) =
                    if args.per_case || !matches!(args.space, Space::Full) {
                        let matches = if args.per_case {
                            describe(
                                &searcher.bundle,
                                &ranked.voters[..args.k.min(ranked.voters.len())],
                            )
                        } else {
                            describe_ranked(&searcher.bundle, &ranked)
                        };
                        (matches, None, consensus(&searcher.bundle, &ranked.voters))
                    } else {
                        let shown = shown_results(
                            &searcher.bundle,
                            &q.name,
                            &q.embedding,
                            &q.measures,
                            &ranked,
                            args.k,
                        );
                        (shown.matches, shown.this_record, shown.votes)
                    };
                QueryResult {
                    query: q.name,
                    error: None,
                    warnings: q.warnings,
                    measured: summary(&q.measures),
                    intervals: q.intervals,
                    matches,
                    this_record,
                    consensus: votes,
                }
            }
            Err(e) => QueryResult {
                query: label,
                error: Some(e.to_string()),
                warnings: Vec::new(),
                measured: None,
                intervals: None,
                matches: Vec::new(),
                this_record: None,
                consensus: Vec::new(),
            },
        });
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?
        );
    } else {
        for r in &results {
            print_text(r);
        }
    }
    match results.iter().filter_map(|r| r.error.as_ref()).next_back() {
        Some(e) if results.iter().all(|r| r.error.is_some()) => Err(e.clone().into()),
        _ => Ok(()),
    }
}

fn print_text(r: &QueryResult) {
    println!("query {}", r.query);
    if let Some(e) = &r.error {
        println!("  error: {e}\n");
        return;
    }
    for w in &r.warnings {
        println!("  warning: {w}");
    }
    if let Some(m) = &r.measured {
        println!("  measured: {}", describe_measured(m));
    }
    if let Some(i) = &r.intervals {
        let shown = |m: Option<Measured>| {
            m.map_or("—".to_string(), |m| {
                format!("{:.0}{}", m.value, if m.unsure { "?" } else { "" })
            })
        };
        println!(
            "  intervals (? unsure): PR {} ms, QRS {} ms, QT {} ms, QTc {} (Bazett) / {} (Fridericia) ms, axis {}°",
            shown(i.pr_ms),
            shown(i.qrs_ms),
            shown(i.qt_ms),
            shown(i.qtc_bazett_ms),
            shown(i.qtc_fridericia_ms),
            shown(i.axis_deg)
        );
    }
    if let Some(own) = &r.this_record {
        println!(
            "  this record: library case {} ({:.3}), not counted among the similar cases or in the vote",
            own.ecg_id, own.similarity
        );
    }
    for m in &r.matches {
        let codes: Vec<&str> = m.scp_codes.iter().map(|c| c.code.as_str()).collect();
        let same = match m.same_report {
            Some(n) if n > 0 => format!("  (+{n} near cases with this report)"),
            _ => String::new(),
        };
        println!(
            "  {:>2}. {:.3}  ecg_id {:<6} [{}]  {}{same}",
            m.rank,
            m.similarity,
            m.ecg_id,
            codes.join(", "),
            m.report.trim()
        );
        if m.language != "en" {
            println!("{:>23}English: {}", "", m.english);
        }
        if let Some(p) = m.parts {
            println!(
                "{:>23}similarity from: image {:.3}, rhythm {:.3}, voltages {:.3}, probe {:.3}",
                "", p.image, p.rhythm, p.voltages, p.probe
            );
        }
    }
    let votes: Vec<String> = r
        .consensus
        .iter()
        .take(5)
        .map(|v| format!("{} {:.0}%", v.code, v.weight * 100.0))
        .collect();
    println!("  neighbours' statements: {}\n", votes.join(", "));
}

fn describe_measured(m: &MeasureSummary) -> String {
    let mut text = format!(
        "heart rate {:.0}/min, RR SD {:.0} ms",
        m.heart_rate_bpm, m.rr_sd_ms
    );
    if let Some((lead, mv)) = m.largest_deflection {
        text += &format!(", largest deflection {mv:+.2} mV in {}", lead.label());
    }
    text
}
