//! `ecgmatch digitize`: reads printed ECGs from photos or scans (PNG, JPEG, BMP, or a scanned
//! PDF's picture) into 12-lead
//! records, prints what was found in each, and can draw the traces over the picture or write
//! the records out in any format `convert` writes.

use super::CliError;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ecgmatch::formats::write::OutputFormat;
use ecgmatch::paper::digitize::{digitize, Config, Digitized};
use ecgmatch::paper::pdf::{self, PdfPicture};
use ecgmatch::paper::picture_size;
use ecgmatch::paper::render::PrintLayout;
use ecgmatch::paper::Bitmap;

#[derive(clap::Args)]
pub struct Args {
    /// Photos or scans of printed 12-lead ECGs, or folders of them
    #[arg(required = true)]
    pictures: Vec<PathBuf>,
    /// Write `<name>.overlay.png` here: the traces read (blue; red where the lead is doubted),
    /// the lead cells (green) and the sheet's outline (orange) over the picture
    #[arg(long)]
    overlay: Option<PathBuf>,
    /// Write each record read here, in the format given by --to
    #[arg(long)]
    out: Option<PathBuf>,
    /// The printouts' layout: 3x4, 6x2 or 12x1 (default: found in each picture)
    #[arg(long, value_parser = parse_layout)]
    layout: Option<PrintLayout>,
    /// Format of the records written with --out: edf, csv, muse, hl7, philips, dicom or scp
    #[arg(long, default_value = "csv", value_parser = parse_format)]
    to: OutputFormat,
}

const PICTURE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "bmp", "pdf"];

/// The pictures the digitizer reads in a folder, by extension, in name order.
pub(super) fn pictures_in(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let is_picture = |p: &PathBuf| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PICTURE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
    };
    Ok(super::inputs::files_in(dir)?
        .into_iter()
        .filter(is_picture)
        .collect())
}

pub fn run(args: Args) -> Result<(), CliError> {
    let mut paths = Vec::new();
    for path in &args.pictures {
        if path.is_dir() {
            paths.extend(pictures_in(path)?);
        } else {
            paths.push(path.clone());
        }
    }
    for dir in [&args.overlay, &args.out].into_iter().flatten() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let format = args.to;
    let (mut read, mut refused) = (0, 0);
    for path in &paths {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("picture")
            .to_string();
        let bitmap = match load(path) {
            Ok(b) => b,
            Err(message) => {
                println!("{}: {message}", path.display());
                refused += 1;
                continue;
            }
        };
        let started = Instant::now();
        let result = digitize(
            &bitmap,
            &Config {
                layout: args.layout,
                ..Config::default()
            },
        );
        let ms = started.elapsed().as_millis();
        match result {
            Ok(d) => {
                read += 1;
                let seen: Vec<usize> = d
                    .visible
                    .iter()
                    .map(|v| v.iter().filter(|&&s| s).count())
                    .collect();
                let gate = match d.trust.searchable() {
                    Ok(()) => format!(
                        "{} of 12 leads trusted, searchable",
                        d.trust.trusted_count()
                    ),
                    Err(why) => format!("not searchable: {why}"),
                };
                println!(
                    "{}: {}×{} px, layout {}, sheet {}, grid {:.2} px/mm, turned {:.2}°, samples read per lead {seen:?}, {ms} ms; {gate}{}",
                    path.display(),
                    bitmap.width,
                    bitmap.height,
                    d.layout,
                    if d.sheet_corners.is_some() { "outline found and flattened" } else { "fills the picture" },
                    d.px_per_mm,
                    d.rotation_deg,
                    if d.warnings.is_empty() { String::new() } else { format!("; {}", d.warnings.join("; ")) }
                );
                if let Some(dir) = &args.overlay {
                    overlay(&bitmap, &d)
                        .save(dir.join(format!("{name}.overlay.png")))
                        .map_err(|e| e.to_string())?;
                }
                if let Some(dir) = &args.out {
                    let mut record = d.record.clone();
                    record.name = name.clone();
                    let bytes = format.write(&record).map_err(|e| e.to_string())?;
                    std::fs::write(dir.join(format.file_name(&name)), bytes)
                        .map_err(|e| e.to_string())?;
                }
            }
            Err(e) => {
                refused += 1;
                println!("{}: {e} ({ms} ms)", path.display());
            }
        }
    }
    println!("{read} of {} pictures read, {refused} refused", paths.len());
    // A script must see that nothing came of the run, as `search` tells it.
    if read == 0 {
        return Err(format!(
            "none of the {} pictures could be read (the reasons are above); {}",
            paths.len(),
            ecgmatch::paper::digitize::ACCEPTED
        )
        .into());
    }
    Ok(())
}

pub fn parse_layout(name: &str) -> Result<PrintLayout, String> {
    PrintLayout::from_name(name)
        .ok_or_else(|| format!("unknown layout '{name}'; choose 3x4, 6x2 or 12x1"))
}

fn parse_format(name: &str) -> Result<OutputFormat, String> {
    OutputFormat::from_name(name).ok_or_else(|| {
        format!("unknown format '{name}'; choose one of edf, csv, muse, hl7, philips, dicom, scp")
    })
}

/// Decodes a picture or a scanned PDF's page as the page does: its size read from its header
/// first (a huge one is refused before decoding), and shrunk to the digitizer's side.
pub(super) fn load(path: &Path) -> Result<Bitmap, CliError> {
    let not_decoded = |e: image::ImageError| {
        format!("not a picture that can be decoded ({e}); accepted: PNG, JPEG, BMP, or a PDF of a scanned page")
    };
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let decoded = if bytes.starts_with(b"%PDF-") {
        match pdf::largest_picture(&bytes)? {
            PdfPicture::Pixels(bitmap) => {
                let (w, h) = (bitmap.width as u32, bitmap.height as u32);
                image::RgbImage::from_raw(w, h, bitmap.rgb).ok_or("the PDF's picture is damaged")?
            }
            PdfPicture::Jpeg(jpeg) => {
                image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
                    .map_err(not_decoded)?
                    .to_rgb8()
            }
        }
    } else {
        picture_size::checked_size(&bytes)?;
        image::load_from_memory(&bytes)
            .map_err(not_decoded)?
            .to_rgb8()
    };
    let (w, h) = picture_size::shrunk(decoded.width() as usize, decoded.height() as usize);
    let picture = if (w, h) == (decoded.width() as usize, decoded.height() as usize) {
        decoded
    } else {
        image::imageops::thumbnail(&decoded, w as u32, h as u32)
    };
    Ok(Bitmap {
        width: picture.width() as usize,
        height: picture.height() as usize,
        rgb: picture.into_raw(),
    })
}

/// The picture with what was read drawn over it.
fn overlay(picture: &Bitmap, d: &Digitized) -> image::RgbImage {
    let mut out = image::RgbImage::from_raw(
        picture.width as u32,
        picture.height as u32,
        picture.rgb.clone(),
    )
    .expect("same size");
    let mut put = |(px, py): (f64, f64), c: [u8; 3]| {
        for (dx, dy) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
            let (x, y) = (px + dx, py + dy);
            if x >= 0.0 && y >= 0.0 && (x as u32) < out.width() && (y as u32) < out.height() {
                out.put_pixel(x as u32, y as u32, image::Rgb(c));
            }
        }
    };
    let mut line = |a: (f64, f64), b: (f64, f64), c: [u8; 3], frame: bool| {
        let steps = ((b.0 - a.0).hypot(b.1 - a.1).ceil() as usize).max(1);
        for k in 0..=steps {
            let t = k as f64 / steps as f64;
            let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            put(if frame { d.to_picture(p.0, p.1) } else { p }, c);
        }
    };
    for (_, [x0, y0, x1, y1]) in &d.lead_boxes {
        line((*x0, *y0), (*x1, *y0), [0, 200, 0], true);
        line((*x0, *y1), (*x1, *y1), [0, 200, 0], true);
    }
    for (lead, points) in &d.traces {
        // Leads the trust gate doubts are red.
        let colour = if d.trust.is_trusted(*lead) {
            [0, 90, 255]
        } else {
            [220, 0, 0]
        };
        for pair in points.windows(2) {
            if (pair[1].0 - pair[0].0).abs() <= 2.0 {
                line(pair[0], pair[1], colour, true);
            }
        }
    }
    if let Some(corners) = d.sheet_corners {
        for k in 0..4 {
            line(corners[k], corners[(k + 1) % 4], [255, 140, 0], false);
        }
    }
    out
}
