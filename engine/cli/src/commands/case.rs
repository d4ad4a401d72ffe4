//! `ecgmatch case ID`: one library case as the page's Compare shows it: its report, statements
//! and tracings from the waveform pack, so that the pack can be checked against PTB-XL.

use super::CliError;
use std::path::PathBuf;

use ecgmatch::formats::Lead;
use ecgmatch::retrieval::bundle::Bundle;
use ecgmatch::retrieval::search::describe;
use ecgmatch::retrieval::waveforms::{decode_case, find, read_index};
use ecgmatch::retrieval::Neighbour;

#[derive(clap::Args)]
pub struct Args {
    /// The case's PTB-XL ecg_id
    ecg_id: u32,
    /// The case library
    #[arg(long, default_value = super::SHIPPED_BUNDLE)]
    bundle: PathBuf,
    /// The library's waveform pack (`ecgmatch pack-waveforms`)
    #[arg(long, default_value = "static/waveforms/ptbxl-v1.ecgw")]
    waveforms: PathBuf,
    /// Print JSON: the report, statements and tracings, the lead II strip as samples in mV
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let read = |path: &PathBuf| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
    let bundle = Bundle::from_bytes(&read(&args.bundle)?).map_err(|e| e.to_string())?;
    let index = bundle
        .cases
        .iter()
        .position(|c| c.ecg_id == args.ecg_id)
        .ok_or_else(|| format!("case {} is not in {}", args.ecg_id, args.bundle.display()))?;
    let case = describe(
        &bundle,
        &[Neighbour {
            index,
            similarity: 1.0,
        }],
    )
    .remove(0);
    let pack = read(&args.waveforms)?;
    let (shape, ranges) = read_index(&pack).map_err(|e| e.to_string())?;
    let at = find(&ranges, args.ecg_id).ok_or_else(|| {
        format!(
            "case {} has no tracings in {}",
            args.ecg_id,
            args.waveforms.display()
        )
    })?;
    let bytes = pack
        .get(at.offset..at.offset + at.len)
        .ok_or("the waveform pack is cut short")?;
    let tracings = decode_case(at.ecg_id, &shape, bytes).map_err(|e| e.to_string())?;
    if args.json {
        // µV are what the pack keeps; more digits would only be float noise.
        let mv = |x: &[f32]| -> Vec<f64> {
            x.iter()
                .map(|v| (f64::from(*v) * 1000.0).round() / 1000.0)
                .collect()
        };
        let beats = tracings.median_beats.as_ref().map(|beats| {
            Lead::STANDARD
                .iter()
                .zip(beats)
                .map(|(lead, beat)| (lead.label().to_string(), serde_json::json!(mv(beat))))
                .collect::<serde_json::Map<_, _>>()
        });
        let out = serde_json::json!({
            "ecg_id": case.ecg_id,
            "fold": case.fold,
            "age": case.age,
            "sex": case.sex,
            "report": case.report,
            "language": case.language,
            "english": case.english,
            "statements": case.statements,
            "scp_codes": case.scp_codes,
            "tracings": {
                "sampling_rate_hz": tracings.sampling_rate,
                "amplitude_step_uv": shape.step_uv,
                "rhythm_strip": { "lead": "II", "mv": mv(&tracings.rhythm_strip) },
                "median_beats": beats.map(|b| serde_json::json!({ "samples_before_r": 35, "mv": b })),
            },
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        println!("case {} (fold {}): {}", case.ecg_id, case.fold, case.report);
        if case.language != "en" {
            println!("  English: {}", case.english);
        }
        println!("  Statements: {}", case.statements);
        let strip = &tracings.rhythm_strip;
        let (low, high) = strip
            .iter()
            .fold((f32::MAX, f32::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
        println!(
            "  Tracings: lead II {:.0} s at {} Hz ({low:.2} to {high:.2} mV), {}",
            strip.len() as f32 / tracings.sampling_rate,
            tracings.sampling_rate,
            if tracings.median_beats.is_some() {
                "12 median beats"
            } else {
                "no median beat"
            }
        );
    }
    Ok(())
}
