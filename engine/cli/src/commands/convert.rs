use super::CliError;
use std::path::PathBuf;

use ecgmatch::formats::write::OutputFormat;

use super::inputs;

#[derive(clap::Args)]
pub struct Args {
    /// Records in any readable format: a header such as 00001_lr.hea, a file, or a folder
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format: edf, csv, muse, hl7, philips, dicom, scp, or all (repeatable)
    #[arg(long = "to", required = true, value_parser = parse_format)]
    to: Vec<Formats>,
    /// Folder to write into
    #[arg(long)]
    out: PathBuf,
    /// Keep only the first this many seconds
    #[arg(long)]
    seconds: Option<f64>,
    #[command(flatten)]
    read: inputs::ReadArgs,
}

#[derive(Clone)]
struct Formats(Vec<OutputFormat>);

fn parse_format(name: &str) -> Result<Formats, String> {
    if name == "all" {
        return Ok(Formats(OutputFormat::ALL.to_vec()));
    }
    OutputFormat::from_name(name)
        .map(|f| Formats(vec![f]))
        .ok_or_else(|| {
            let names: Vec<&str> = OutputFormat::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown format '{name}'; choose one of {}, or all",
                names.join(", ")
            )
        })
}

/// Writes each record in each requested format; reports every failure, fails if any did.
pub fn run(args: Args) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let formats: Vec<OutputFormat> = args.to.iter().flat_map(|f| f.0.iter().copied()).collect();
    let mut failures = Vec::new();
    for outcome in
        ecgmatch::formats::read_records_with(&inputs::collect(&args.files)?, &args.read.options())
    {
        let record = match outcome.result {
            Ok(r) => match args.seconds {
                Some(seconds) => r.excerpt(seconds),
                None => r,
            },
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        for format in &formats {
            let path = args.out.join(format.file_name(&record.name));
            let written = format
                .write(&record)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
                });
            match written {
                Ok(()) => println!("{}", path.display()),
                Err(e) => failures.push(format!("{} as {}: {e}", record.name, format.name())),
            }
        }
    }
    for f in failures.iter().skip(1) {
        eprintln!("error: {f}");
    }
    failures
        .first()
        .map_or(Ok(()), |first| Err(first.clone().into()))
}
