use super::CliError;
use std::path::PathBuf;

use ecgmatch::signal::encode::image::{channel_grey, rgb};
use ecgmatch::signal::encode::layout::{encode, EncodingLayout};

use super::{inputs, npy, LayoutArg};

#[derive(clap::Args)]
pub struct Args {
    /// Records: a header such as 00001_lr.hea, or a folder of records
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "stack")]
    layout: LayoutArg,
    /// Image size: the output side for `paper`, each lead's image side for `stack`
    #[arg(long)]
    size: Option<usize>,
    /// Folder to write into; each record gets a sub-folder
    #[arg(long)]
    out: PathBuf,
    /// Print a JSON list of what was written
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    read: inputs::ReadArgs,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let layout = args.layout.layout(args.size);
    let files = inputs::collect(&args.files)?;
    let mut written = Vec::new();
    let mut failures = Vec::new();
    for outcome in ecgmatch::formats::read_records_with(&files, &args.read.options()) {
        let result = outcome.result.map_err(CliError::from).and_then(|record| {
            let image = encode(&record, &layout)?;
            write(&args.out.join(&record.name), &image, &layout)
        });
        match result {
            Ok(dir) => written.push(dir),
            Err(e) => failures.push(e.to_string()),
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "written": written, "errors": failures })
        );
    } else {
        for dir in &written {
            println!("{dir}");
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    if !args.json {
        for f in &failures[..failures.len() - 1] {
            eprintln!("error: {f}");
        }
    }
    Err(failures.last().cloned().unwrap_or_default().into())
}

fn write(
    dir: &std::path::Path,
    image: &ecgmatch::signal::encode::layout::EncodedImage,
    layout: &EncodingLayout,
) -> Result<String, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    npy::write_f32(
        &dir.join("tensor.npy"),
        &[image.channels, image.height, image.width],
        &image.data,
    )
    .map_err(io)?;
    let names: Vec<String> = image.channel_names.iter().map(|n| n.to_string()).collect();
    std::fs::write(
        dir.join("channels.json"),
        serde_json::to_string(&names).unwrap(),
    )
    .map_err(io)?;
    let (w, h) = (image.width as u32, image.height as u32);
    for (c, name) in names.iter().enumerate() {
        image::GrayImage::from_raw(w, h, channel_grey(image, c))
            .expect("one byte per pixel")
            .save(dir.join(format!("{name}.png")))
            .map_err(|e| e.to_string())?;
    }
    if matches!(layout, EncodingLayout::BeatTiles(_)) {
        image::RgbImage::from_raw(w, h, rgb(image))
            .expect("three bytes per pixel")
            .save(dir.join("rgb.png"))
            .map_err(|e| e.to_string())?;
    }
    Ok(dir.display().to_string())
}
