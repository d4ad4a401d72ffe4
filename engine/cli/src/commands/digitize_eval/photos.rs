//! `ecgmatch digitize-eval --photos DIR --signals DIR`: real photos of printed records scored
//! against the signals that were printed (Challenge 2024 SNR, a refused photo or a lead not
//! read counting 0 dB), per photo and as median and mean of the photos' mean-lead SNR.

use super::super::digitize::{load, pictures_in};
use super::CliError;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use ecgmatch::formats::{read_record_files, read_records};
use ecgmatch::paper::digitize::{digitize, Config};
use ecgmatch::paper::evaluate::{photo_lead_snrs, PHOTO_MAX_SHIFT_S};
use ecgmatch::paper::snr::summarize;

/// The artefact columns of `photos.csv`, as printed.
const ARTEFACTS: [&str; 4] = ["rotation", "fold", "wrinkle", "hw_text"];

/// One photo's row of `photos.csv`: its record and what was done to the paper.
struct PhotoFacts {
    record: String,
    labels: String,
    artefacts: Vec<&'static str>,
}

pub struct PhotoScores {
    /// Per photo: its mean-lead SNR (0 dB when refused).
    pub means: Vec<f64>,
    pub refused: usize,
    pub millis: Vec<f64>,
    /// Lead SNRs of the photos read, split by the trust gate's verdict on the lead.
    pub trusted_leads: Vec<f64>,
    pub doubted_leads: Vec<f64>,
    /// Mean-lead SNRs of the photos read, split by whether the gate lets them be searched.
    pub searched: Vec<f64>,
    pub not_searched: Vec<f64>,
}

/// Scores every picture in `photos` against `signals/<record>.hea`; prints a line per photo.
pub fn score(photos: &Path, signals: &Path) -> Result<PhotoScores, CliError> {
    let facts = read_facts(photos);
    let pictures = pictures_in(photos)?;
    if pictures.is_empty() {
        return Err(format!(
            "{}: no photos or scans (PNG, JPEG, BMP, PDF) in this folder",
            photos.display()
        )
        .into());
    }
    println!(
        "{:<16} {:<24} {:<10} {:>9} {:>7} {:>6}  leads (dB, I II III aVR aVL aVF V1-V6), or why refused",
        "photo", "artefacts", "labels", "mean dB", "median", "ms"
    );
    println!("(a lead marked ? is doubted by the trust gate and left out of the search)");
    let mut scores = PhotoScores {
        means: Vec::new(),
        refused: 0,
        millis: Vec::new(),
        trusted_leads: Vec::new(),
        doubted_leads: Vec::new(),
        searched: Vec::new(),
        not_searched: Vec::new(),
    };
    for path in &pictures {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let stem = path.file_stem().and_then(|n| n.to_str()).unwrap_or("");
        // `01032_hr-0.jpg` shows record `01032_hr` unless photos.csv says otherwise.
        let (record, labels, artefacts) = match facts.get(file) {
            Some(f) => (f.record.clone(), f.labels.clone(), f.artefacts.join(",")),
            None => (
                stem.rsplit_once('-').map_or(stem, |(r, _)| r).to_string(),
                String::new(),
                String::new(),
            ),
        };
        let header = signals.join(format!("{record}.hea"));
        let truth = read_records(&read_record_files(&header)?)
            .remove(0)
            .result
            .map_err(|e| format!("{}: {e}", header.display()))?;
        let picture = load(path)?;
        let started = Instant::now();
        let digitized = digitize(&picture, &Config::default());
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        scores.millis.push(ms);
        let snrs = photo_lead_snrs(&truth, digitized.as_ref().ok());
        let (median, mean) = summarize(&snrs);
        scores.means.push(mean);
        let detail = match &digitized {
            Ok(d) => {
                // `photo_lead_snrs` scores the leads the truth holds: all twelve here.
                for (snr, lead) in snrs.iter().zip(&d.trust.leads) {
                    match lead.trusted() {
                        true => scores.trusted_leads.push(*snr),
                        false => scores.doubted_leads.push(*snr),
                    }
                }
                let searchable = d.trust.searchable().is_ok();
                match searchable {
                    true => scores.searched.push(mean),
                    false => scores.not_searched.push(mean),
                }
                let leads = snrs
                    .iter()
                    .zip(&d.trust.leads)
                    .map(|(s, l)| format!("{s:.1}{}", if l.trusted() { "" } else { "?" }))
                    .collect::<Vec<_>>()
                    .join(" ");
                format!(
                    "{leads}; {}",
                    if searchable {
                        "searched"
                    } else {
                        "not searched"
                    }
                )
            }
            Err(e) => {
                scores.refused += 1;
                format!("refused: {e}")
            }
        };
        println!(
            "{stem:<16} {artefacts:<24} {labels:<10} {mean:>9.2} {median:>7.2} {ms:>6.0}  {detail}"
        );
    }
    Ok(scores)
}

/// Prints the summary row of the photos beside the rendered levels.
pub fn print_summary(photos: &Path, scores: &PhotoScores) {
    let (median, mean) = summarize(&scores.means);
    let mut millis = scores.millis.clone();
    millis.sort_by(f64::total_cmp);
    println!(
        "{:<11} median {median:.2} dB, mean {mean:.2} dB (of the photos' mean-lead SNR; {} of {} photos refused, counted 0 dB; \
         alignment within ±{PHOTO_MAX_SHIFT_S} s); digitize median {:.0} ms; photos from {}",
        "real-photo",
        scores.refused,
        scores.means.len(),
        millis.get(millis.len() / 2).copied().unwrap_or(f64::NAN),
        photos.display()
    );
    let describe = |values: &[f64]| {
        let (median, mean) = summarize(values);
        format!(
            "{} (median {median:.2} dB, mean {mean:.2} dB)",
            values.len()
        )
    };
    println!(
        "{:<11} leads trusted {}, doubted {}; photos searched {}, not searched {}",
        "  gate",
        describe(&scores.trusted_leads),
        describe(&scores.doubted_leads),
        describe(&scores.searched),
        describe(&scores.not_searched),
    );
}

/// `photos.csv` beside the photos or one folder up, keyed by file name; empty when absent.
fn read_facts(photos: &Path) -> HashMap<String, PhotoFacts> {
    let Some(csv) = [photos.join("photos.csv"), photos.join("../photos.csv")]
        .into_iter()
        .find_map(|p| std::fs::read(p).ok())
    else {
        return HashMap::new();
    };
    let mut reader = csv::Reader::from_reader(&csv[..]);
    let Ok(header) = reader.headers().cloned() else {
        return HashMap::new();
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(file), Some(record)) = (column("image_filename"), column("record")) else {
        return HashMap::new();
    };
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|row| {
            let field = |name: &str| column(name).and_then(|c| row.get(c));
            Some((
                row.get(file)?.to_string(),
                PhotoFacts {
                    record: row.get(record)?.to_string(),
                    labels: field("labels").unwrap_or("").replace(' ', ""),
                    artefacts: ARTEFACTS
                        .into_iter()
                        .filter(|a| field(a).is_some_and(|v| v.trim() == "1"))
                        .collect(),
                },
            ))
        })
        .collect()
}
