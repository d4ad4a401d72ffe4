//! `ecgmatch render`: prints a record as a paper ECG would look (3×4 with a rhythm strip,
//! grid, labels, calibration pulses), optionally photographed badly, to try the digitizer on
//! or to feed a browser's fake camera (`.y4m`), or as a scanner's PDF (`.pdf`).

use super::CliError;
use std::path::PathBuf;

use ecgmatch::paper::degrade::{degrade, Degradation, LEVELS};
use ecgmatch::paper::render::{render, PrintLayout, RenderConfig};
use ecgmatch::paper::{pdf, Bitmap};

use super::inputs;

#[derive(clap::Args)]
pub struct Args {
    /// The record to print: a header such as 00001_lr.hea, or any readable file
    record: PathBuf,
    /// The picture to write: .png, .jpg, .pdf (a JPEG on a page, as scanners write) or .y4m
    /// (one frame, for a fake camera)
    #[arg(long)]
    out: PathBuf,
    /// Layout of the printout: 3x4 (with a lead II rhythm strip), 6x2 or 12x1
    #[arg(long, default_value = "3x4", value_parser = super::digitize::parse_layout)]
    layout: PrintLayout,
    /// Damage as a scanner or phone would: clean, scan, phone or phone-hard
    #[arg(long, default_value = "clean")]
    level: String,
    /// Resolution of the printout (8 px/mm is about 200 dpi)
    #[arg(long, default_value_t = 8.0)]
    px_per_mm: f64,
    /// Seed of the damage's random choices
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    read: inputs::ReadArgs,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let level = Degradation::by_name(&args.level).ok_or_else(|| {
        let names: Vec<&str> = LEVELS.iter().map(|l| l.name).collect();
        format!(
            "unknown level '{}'; choose one of {}",
            args.level,
            names.join(", ")
        )
    })?;
    let files = inputs::collect(std::slice::from_ref(&args.record))?;
    let record = ecgmatch::formats::read_records_with(&files, &args.read.options())
        .into_iter()
        .next()
        .ok_or("no record in the given file")?
        .result
        .map_err(|e| e.to_string())?;
    let sheet = render(
        &record,
        &RenderConfig {
            px_per_mm: args.px_per_mm,
            ..RenderConfig::for_layout(args.layout)
        },
    );
    let picture = degrade(&sheet.bitmap, &level, args.seed)
        .map_err(|e| e.to_string())?
        .bitmap;
    let extension = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (width, height) = (picture.width, picture.height);
    let bytes = match extension.as_str() {
        "y4m" => y4m(&picture),
        "png" => encoded(picture, image::ImageFormat::Png)?,
        "jpg" | "jpeg" => encoded(picture, image::ImageFormat::Jpeg)?,
        "pdf" => pdf::scanned_page(
            width,
            height,
            args.px_per_mm,
            "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
            &encoded(picture, image::ImageFormat::Jpeg)?,
        ),
        _ => return Err(format!("{}: write .png, .jpg, .pdf or .y4m", args.out.display()).into()),
    };
    std::fs::write(&args.out, bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!(
        "{}: {width}×{height} px, {}",
        args.out.display(),
        level.name
    );
    Ok(())
}

fn encoded(picture: Bitmap, format: image::ImageFormat) -> Result<Vec<u8>, CliError> {
    let image = image::RgbImage::from_raw(picture.width as u32, picture.height as u32, picture.rgb)
        .expect("sized");
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, format)
        .map_err(|e| e.to_string())?;
    Ok(bytes.into_inner())
}

/// One YUV 4:2:0 frame in a YUV4MPEG2 stream (even size: the last odd row or column is cut).
fn y4m(picture: &Bitmap) -> Vec<u8> {
    let (w, h) = (picture.width & !1, picture.height & !1);
    let mut out = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\nFRAME\n").into_bytes();
    let rgb = |x: usize, y: usize| picture.get(x, y).map(|v| v as f64);
    out.extend(
        (0..h)
            .flat_map(|y| (0..w).map(move |x| (y, x)))
            .map(|(y, x)| {
                let [r, g, b] = rgb(x, y);
                (0.299 * r + 0.587 * g + 0.114 * b).round() as u8
            }),
    );
    for (cr, cg, cb, offset) in [
        (-0.168736, -0.331264, 0.5, 128.0),
        (0.5, -0.418688, -0.081312, 128.0),
    ] {
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let mut sum = 0.0;
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let [r, g, b] = rgb(x + dx, y + dy);
                    sum += cr * r + cg * g + cb * b;
                }
                out.push((sum / 4.0 + offset).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}
