use super::CliError;
use std::path::PathBuf;

use ecgmatch::formats::Record;
use serde::Serialize;

use super::inputs;

#[derive(clap::Args)]
pub struct Args {
    /// Records: a header such as 00001_lr.hea, or a folder of records
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    read: inputs::ReadArgs,
}

#[derive(Serialize)]
struct Summary<'a> {
    files: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<RecordSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct RecordSummary<'a> {
    name: &'a str,
    sampling_rate: f64,
    samples: usize,
    duration_s: f64,
    leads: Vec<LeadSummary<'a>>,
    metadata: &'a ecgmatch::formats::Metadata,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct LeadSummary<'a> {
    name: &'a str,
    lead: Option<&'static str>,
    units: &'a str,
    derived: bool,
}

fn summarise(r: &Record) -> RecordSummary<'_> {
    RecordSummary {
        name: &r.name,
        sampling_rate: r.sampling_rate,
        samples: r.num_samples(),
        duration_s: r.duration_s(),
        leads: r
            .channels
            .iter()
            .map(|c| LeadSummary {
                name: &c.name,
                lead: c.lead.map(|l| l.label()),
                units: &c.units,
                derived: c.derived,
            })
            .collect(),
        metadata: &r.metadata,
        warnings: &r.warnings,
    }
}

pub fn run(args: Args) -> Result<(), CliError> {
    let files = inputs::collect(&args.files)?;
    let outcomes = ecgmatch::formats::read_records_with(&files, &args.read.options());
    let failures = outcomes.iter().filter(|o| o.result.is_err()).count();
    let summaries: Vec<Summary> = outcomes
        .iter()
        .map(|o| Summary {
            files: &o.files,
            record: o.result.as_ref().ok().map(summarise),
            error: o.result.as_ref().err().map(|e| e.to_string()),
        })
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summaries).map_err(|e| e.to_string())?
        );
    } else {
        for s in &summaries {
            match (&s.record, &s.error) {
                (Some(r), _) => print_text(r),
                (_, Some(e)) => eprintln!("error: {e}"),
                _ => {}
            }
        }
    }
    match failures {
        0 => Ok(()),
        n if n == outcomes.len() && !args.json => Err("no record could be read".into()),
        n => Err(format!("{n} of {} inputs could not be read", outcomes.len()).into()),
    }
}

fn print_text(r: &RecordSummary) {
    println!(
        "{}: {} Hz, {} samples ({:.2} s)",
        r.name, r.sampling_rate, r.samples, r.duration_s
    );
    let leads: Vec<String> = r
        .leads
        .iter()
        .map(|l| {
            let mut s = l.lead.unwrap_or(l.name).to_string();
            if l.lead.is_none() {
                s.push_str(&format!(" [{}]", l.units));
            }
            if l.derived {
                s.push_str(" (derived)");
            }
            s
        })
        .collect();
    println!("  leads: {}", leads.join(", "));
    let m = r.metadata;
    if let Some(format) = &m.format {
        println!("  format: {format}");
    }
    if let Some(units) = m.guessed_units {
        println!(
            "  units: {} (guessed from the values; --units uv|mv to override)",
            units.label()
        );
    }
    for statement in &m.statements {
        println!("  statement: {statement}");
    }
    if let Some(age) = m.age {
        println!("  age: {age}");
    }
    if let Some(sex) = m.sex {
        println!("  sex: {sex:?}");
    }
    if let Some(date) = &m.date {
        println!("  date: {date}");
    }
    for c in &m.comments {
        println!("  # {c}");
    }
    for w in r.warnings {
        println!("  warning: {w}");
    }
}
