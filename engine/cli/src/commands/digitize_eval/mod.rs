//! `ecgmatch digitize-eval`: renders fold-10 PTB-XL records as printed sheets, degrades them as
//! a scanner or phone would, digitizes them back and scores the signals (Challenge 2024 SNR)
//! and the search that uses them (against searching with the original record). With
//! `--photos` it also scores real photos of printouts against their printed signals (`photos`).

mod photos;

use super::CliError;
use std::path::PathBuf;
use std::time::Instant;

use ecgmatch::formats::read_record_files;
use ecgmatch::formats::Record;
use ecgmatch::model::burn::prelude::*;
use ecgmatch::paper::degrade::{degrade, LEVELS};
use ecgmatch::paper::digitize::{digitize, Config};
use ecgmatch::paper::evaluate::{lead_snrs, printed_only};
use ecgmatch::paper::render::{render, PrintLayout, RenderConfig, Rendered};
use ecgmatch::paper::snr::summarize;
use ecgmatch::paper::Bitmap;
use ecgmatch::retrieval::bundle::{Bundle, SearchMode};
use ecgmatch::retrieval::metrics::macro_auc;
use ecgmatch::retrieval::search::{rank, Ranked, Searcher};
use ecgmatch::train::dataset::ptbxl::{PtbXl, SUPERCLASSES, TEST_FOLD};

#[derive(clap::Args)]
pub struct Args {
    /// PTB-XL in its PhysioNet layout (ptbxl_database.csv, records100/): score renders of
    /// its fold-10 records
    #[arg(long, required_unless_present = "photos")]
    ptbxl: Option<PathBuf>,
    /// Real photos or scans of printouts (PNG, JPEG, BMP, PDF), scored against --signals; a
    /// `photos.csv` here or one folder up names each photo's record and artefacts
    #[arg(long, requires = "signals")]
    photos: Option<PathBuf>,
    /// The signals those photos printed: `<record>.hea` (WFDB), NaN (the invalid value)
    /// outside the window each lead was printed in
    #[arg(long, requires = "photos")]
    signals: Option<PathBuf>,
    /// How many fold-10 records (by ecg_id, after the skipped ones)
    #[arg(long, default_value_t = 100)]
    records: usize,
    /// Fold-10 records to pass over first. The digitizer's thresholds were chosen on renders of
    /// the first 50, so `--skip 50` scores records it was not tuned on
    #[arg(long, default_value_t = 0)]
    skip: usize,
    /// The case library whose search is scored with digitized queries
    #[arg(long, default_value = super::SHIPPED_BUNDLE)]
    bundle: PathBuf,
}

/// The other layouts, printed clean, each to be found by the digitizer as a person's picture
/// would be (a layout found wrongly counts as refused).
const OTHER_LAYOUTS: [(&str, PrintLayout); 2] = [
    ("clean-12x1", PrintLayout::TwelveByOne),
    ("clean-6x2", PrintLayout::SixByTwo),
];

/// What one degradation level gave over all records.
#[derive(Default)]
struct Level {
    snrs: Vec<f64>,
    refused: usize,
    /// Pictures read whose leads the trust gate would not search with.
    not_searched: usize,
    /// Leads the trust gate doubted, over the pictures read.
    doubted: usize,
    millis: Vec<f64>,
    /// Per record: the ranked cases from the digitized record (None when refused).
    ranked: Vec<Option<Ranked>>,
}

impl Level {
    /// Digitizes `picture` (a print of `record`, `rendered`), timing it; a refusal, or a layout
    /// other than `expected` where one is given, counts as refused.
    fn score(
        &mut self,
        record: &Record,
        rendered: &Rendered,
        picture: &Bitmap,
        config: &Config,
        expected: Option<PrintLayout>,
        search: &dyn Fn(&Record) -> Result<Ranked, CliError>,
    ) -> Result<(), CliError> {
        let started = Instant::now();
        let digitized = digitize(picture, config);
        self.millis.push(started.elapsed().as_secs_f64() * 1000.0);
        match digitized {
            Ok(d) if expected.is_none_or(|l| d.layout.starts_with(l.name())) => {
                // The degraded picture moved the sheet, but the truth windows are in time, not pixels.
                self.snrs.extend(
                    lead_snrs(record, rendered, &d)
                        .into_iter()
                        .filter(|s| s.is_finite()),
                );
                self.doubted += 12 - d.trust.trusted_count();
                // Searched as the page searches it: doubtful leads left out, and not at all
                // when the trust gate says so (then it counts as no result).
                match d.trust.searchable() {
                    Ok(()) => self
                        .ranked
                        .push(Some(search(&d.trust.query_record(&d.record))?)),
                    Err(_) => {
                        self.not_searched += 1;
                        self.ranked.push(None);
                    }
                }
            }
            _ => {
                self.refused += 1;
                self.ranked.push(None);
            }
        }
        Ok(())
    }
}

pub fn run(args: Args) -> Result<(), CliError> {
    let photo_scores = match (&args.photos, &args.signals) {
        (Some(photos), Some(signals)) => Some((photos, photos::score(photos, signals)?)),
        _ => None,
    };
    if let Some(ptbxl) = &args.ptbxl {
        renders(&args, ptbxl)?;
    }
    // The real photos' summary sits under the rendered levels, in the same table.
    if let Some((photos, scores)) = &photo_scores {
        photos::print_summary(photos, scores);
    }
    Ok(())
}

fn renders(args: &Args, ptbxl: &std::path::Path) -> Result<(), CliError> {
    let db = PtbXl::open(ptbxl)?;
    let bytes =
        std::fs::read(&args.bundle).map_err(|err| format!("{}: {err}", args.bundle.display()))?;
    let searcher = Searcher::new(Bundle::from_bytes(&bytes)?, Device::flex())?;
    let bundle = &searcher.bundle;
    let mut entries: Vec<_> = db.entries.iter().filter(|x| x.fold == TEST_FOLD).collect();
    entries.sort_by_key(|x| x.ecg_id);
    entries.drain(..args.skip.min(entries.len()));
    entries.truncate(args.records);
    // The shipped library holds all of PTB-XL: fold-10 cases (the query itself among them) are
    // left out of the search, as `ecgmatch eval` does.
    let search = |record: &Record| -> Result<Ranked, CliError> {
        let embedding = searcher.embed(&[record])?;
        let measures = searcher.measure(record)?;
        Ok(rank(
            bundle,
            &embedding,
            &measures,
            10,
            SearchMode::Int8,
            Some(TEST_FOLD),
        ))
    };
    let mut levels: Vec<Level> = LEVELS.iter().map(|_| Level::default()).collect();
    let mut other_layouts: Vec<Level> = OTHER_LAYOUTS.iter().map(|_| Level::default()).collect();
    let mut originals = Vec::new();
    let mut printed = Vec::new();
    let mut truths = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        let files = read_record_files(&db.header_path(entry))?;
        let record = ecgmatch::formats::read_records(&files).remove(0).result?;
        originals.push(search(&record)?);
        truths.push(db.superclasses(entry));
        let rendered = render(&record, &RenderConfig::default());
        printed.push(Some(search(&printed_only(&record, &rendered))?));
        for (level, out) in LEVELS.iter().zip(&mut levels) {
            let picture = degrade(&rendered.bitmap, level, entry.ecg_id as u64)?.bitmap;
            out.score(
                &record,
                &rendered,
                &picture,
                &Config::default(),
                None,
                &search,
            )?;
        }
        for ((_, layout), out) in OTHER_LAYOUTS.iter().zip(&mut other_layouts) {
            let rendered = render(&record, &RenderConfig::for_layout(*layout));
            out.score(
                &record,
                &rendered,
                &rendered.bitmap,
                &Config::default(),
                Some(*layout),
                &search,
            )?;
        }
        eprint!("\r{}/{} records", n + 1, entries.len());
    }
    eprintln!();
    println!(
        "digitize-eval: {} fold-10 PTB-XL records (numbers {} to {} by ecg_id) rendered 3x4 + rhythm strip at 8 px/mm, degraded, digitized (and clean 12x1 and 6x2 sheets); \
         Challenge 2024 SNR per lead (median, mean over leads read); retrieval against the {} cases outside fold 10 (kNN {})",
        entries.len(),
        args.skip + 1,
        args.skip + entries.len(),
        bundle.cases.iter().filter(|c| c.fold != TEST_FOLD).count(),
        bundle.manifest.knn
    );
    let superclass_of = |index: usize| -> Vec<&str> {
        let case = &bundle.cases[index];
        SUPERCLASSES
            .into_iter()
            .filter(|c| {
                case.scp_codes.iter().any(|(code, _)| {
                    bundle.statement(code).and_then(|s| s.superclass.as_deref()) == Some(*c)
                })
            })
            .collect()
    };
    let retrieval = |ranked: &[Option<Ranked>]| -> (f64, f64, f64) {
        let (mut precision, mut scores, mut truth, mut overlap) =
            (0.0, Vec::new(), Vec::new(), 0.0);
        for ((r, t), original) in ranked.iter().zip(&truths).zip(&originals) {
            let (shown, voters) = r
                .as_ref()
                .map_or((&[][..], &[][..]), |r| (&r.shown[..], &r.voters[..]));
            precision += shown
                .iter()
                .filter(|h| superclass_of(h.index) == *t)
                .count() as f64
                / 10.0;
            overlap += shown
                .iter()
                .filter(|h| original.shown.iter().any(|o| o.index == h.index))
                .count() as f64
                / 10.0;
            let weights = bundle.manifest.knn.weights(voters);
            let total: f32 = weights.iter().sum::<f32>().max(f32::MIN_POSITIVE);
            for class in SUPERCLASSES {
                scores.push(
                    voters
                        .iter()
                        .zip(&weights)
                        .filter(|(h, _)| superclass_of(h.index).contains(&class))
                        .map(|(_, w)| w)
                        .sum::<f32>()
                        / total,
                );
                truth.push(t.contains(&class));
            }
        }
        let n = ranked.len().max(1) as f64;
        (
            precision / n,
            macro_auc(&scores, &truth, SUPERCLASSES.len()).0,
            overlap / n,
        )
    };
    let original: Vec<Option<Ranked>> = originals.iter().cloned().map(Some).collect();
    let (p, auc, _) = retrieval(&original);
    println!(
        "{:<11} retrieval: superclass P@10 {p:.3}, kNN macro AUC superclasses {auc:.3}",
        "original"
    );
    let (p, auc, overlap) = retrieval(&printed);
    println!(
        "{:<11} retrieval: superclass P@10 {p:.3}, kNN macro AUC superclasses {auc:.3}, top-10 shared with the original's {overlap:.3} \
         (the original cut to the windows the sheet prints and filled as digitized records are: a perfect digitizer)",
        "printed"
    );
    let names = LEVELS
        .iter()
        .map(|l| l.name)
        .chain(OTHER_LAYOUTS.iter().map(|o| o.0));
    for (name, out) in names.zip(levels.iter().chain(&other_layouts)) {
        let (median, mean) = summarize(&out.snrs);
        let (p, auc, overlap) = retrieval(&out.ranked);
        let mut millis = out.millis.clone();
        millis.sort_by(f64::total_cmp);
        println!(
            "{:<11} median {median:.2} dB, mean {mean:.2} dB ({} leads read, {} of {} pictures refused or misread); \
             trust gate: {} leads doubted, {} pictures not searched; digitize median {:.0} ms; retrieval: superclass P@10 {p:.3}, kNN macro AUC superclasses {auc:.3}, \
             top-10 shared with the original's {overlap:.3}",
            name,
            out.snrs.len(),
            out.refused,
            entries.len(),
            out.doubted,
            out.not_searched,
            millis.get(millis.len() / 2).copied().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
