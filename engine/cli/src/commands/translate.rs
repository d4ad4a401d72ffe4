//! `ecgmatch translate`: English for report texts, or, over PTB-XL, how much of its German
//! and Swedish the translator's table covers and a review sample drawn by a fixed seed.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

use ecgmatch::formats::random::SplitMix;
use ecgmatch::reports::{normalise_report, translate, Coverage, Language};
use ecgmatch::train::dataset::ptbxl::PtbXl;

use super::CliError;

#[derive(clap::Args)]
pub struct Args {
    /// Report texts to translate (each argument one report)
    texts: Vec<String>,
    /// PTB-XL in its PhysioNet layout: print the table's coverage of its German and Swedish
    #[arg(long)]
    ptbxl: Option<PathBuf>,
    /// With --ptbxl: write a review sample (Markdown) of distinct German and Swedish reports
    #[arg(long, requires = "ptbxl")]
    review: Option<PathBuf>,
    /// How many reports the review sample draws
    #[arg(long, default_value_t = 200)]
    count: usize,
    /// The seed that draws the review sample
    #[arg(long, default_value_t = 24)]
    seed: u64,
}

pub fn run(args: Args) -> Result<(), CliError> {
    for text in &args.texts {
        let translation = translate(text);
        println!("[{}] {}", translation.language.code(), translation.english);
        if !translation.untranslated.is_empty() {
            println!(
                "  not in the table: {}",
                translation.untranslated.join(", ")
            );
        }
    }
    let Some(root) = args.ptbxl else {
        if args.texts.is_empty() {
            return Err(
                "give report texts to translate, or --ptbxl DIR to measure the table's coverage"
                    .into(),
            );
        }
        return Ok(());
    };
    let ptbxl = PtbXl::open(&root)?;
    let mut coverage = BTreeMap::<&str, Coverage>::new();
    let mut missing = HashMap::<String, usize>::new();
    let mut languages = BTreeMap::<&str, usize>::new();
    // Distinct reports (normalised) not written in English, in order of first appearance.
    let mut distinct: Vec<(u32, String, Language)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for entry in &ptbxl.entries {
        let translation = translate(&entry.report);
        *languages.entry(translation.language.name()).or_default() += 1;
        coverage
            .entry(translation.language.name())
            .or_default()
            .add(&translation);
        if translation.language != Language::English {
            for word in &translation.untranslated {
                *missing.entry(word.clone()).or_default() += 1;
            }
            if seen.insert(normalise_report(&entry.report)) {
                distinct.push((entry.ecg_id, entry.report.clone(), translation.language));
            }
        }
    }
    println!("PTB-XL reports by language: {languages:?}");
    println!(
        "{:<8} {:>8} {:>8} {:>13} {:>9}",
        "language", "reports", "words", "untranslated", "covered"
    );
    let mut all = Coverage::default();
    for (name, c) in &coverage {
        if c.reports == 0 {
            continue;
        }
        println!(
            "{name:<8} {:>8} {:>8} {:>13} {:>8.2}%",
            c.reports,
            c.words,
            c.untranslated,
            100.0 * c.share()
        );
        all.reports += c.reports;
        all.words += c.words;
        all.untranslated += c.untranslated;
    }
    println!(
        "{:<8} {:>8} {:>8} {:>13} {:>8.2}%",
        "both",
        all.reports,
        all.words,
        all.untranslated,
        100.0 * all.share()
    );
    let mut missing: Vec<(String, usize)> = missing.into_iter().collect();
    missing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top: Vec<String> = missing
        .iter()
        .take(30)
        .map(|(w, n)| format!("{w} ({n})"))
        .collect();
    println!("most frequent words not in the table: {}", top.join(", "));
    println!("distinct German/Swedish reports: {}", distinct.len());

    if let Some(path) = args.review {
        let mut random = SplitMix(args.seed);
        random.shuffle(&mut distinct);
        let mut sample: Vec<_> = distinct.into_iter().take(args.count).collect();
        sample.sort_by_key(|(id, _, _)| *id);
        let mut out = format!(
            "# Translation review: {} distinct German and Swedish PTB-XL reports\n\n\
             Drawn by `ecgmatch translate --ptbxl DIR --review FILE --count {} --seed {}`.\n\
             Verdict: `ok` (faithful), or `error: kind` with what is wrong.\n\n\
             | ecg_id | lang | original | English | verdict |\n|---|---|---|---|---|\n",
            sample.len(),
            args.count,
            args.seed
        );
        for (id, report, language) in &sample {
            let english = translate(report).english;
            let cell = |s: &str| s.replace('|', "\\|");
            let _ = writeln!(
                out,
                "| {id} | {} | {} | {} |  |",
                language.code(),
                cell(&ecgmatch::reports::display_report(report)),
                cell(&english)
            );
        }
        std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("review sample written to {}", path.display());
    }
    Ok(())
}
