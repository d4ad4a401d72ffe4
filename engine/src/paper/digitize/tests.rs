//! The digitizer against drawn sheets of a real PTB-XL record (known truth), against pictures
//! that are not ECGs, and (ignored by default) on real photos and scans.

use super::test_sheet::{self, Style};
use super::*;
use crate::formats::read_record_files;
use crate::{read_records, Error};
use std::path::Path;
use std::time::Instant;

fn ptbxl(name: &str) -> Record {
    let path = format!("{}/../tests/fixtures/ptbxl-fold10/{name}.hea", env!("CARGO_MANIFEST_DIR"));
    let files = read_record_files(Path::new(&path)).expect("fixture files");
    read_records(&files).remove(0).result.expect("fixture record")
}

/// SNR in dB over the visible samples, each side's mean removed (the sheet draws every cell
/// around its own median, so the offset carries no information).
fn snr_db(truth: &[f32], estimate: &[f32], visible: &[bool]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> =
        truth.iter().zip(estimate).zip(visible).filter(|p| *p.1).map(|((&t, &e), _)| (t as f64, e as f64)).collect();
    if pairs.len() < 10 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mt, me) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let signal: f64 = pairs.iter().map(|p| (p.0 - mt).powi(2)).sum();
    let noise: f64 = pairs.iter().map(|p| ((p.0 - mt) - (p.1 - me)).powi(2)).sum();
    Some(10.0 * (signal / noise.max(1e-12)).log10())
}

/// Per-lead SNR (standard order) of a digitized record against the truth.
fn per_lead_snr(truth: &Record, digitized: &Digitized) -> Vec<f64> {
    Lead::STANDARD
        .iter()
        .map(|lead| {
            let t = &truth.lead(*lead).expect("truth lead").samples;
            let e = &digitized.record.lead(*lead).expect("digitized lead").samples;
            let n = t.len().min(e.len());
            snr_db(&t[..n], &e[..n], &digitized.visible[lead.index()][..n]).unwrap_or(f64::NEG_INFINITY)
        })
        .collect()
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(name: &str, truth: &Record, digitized: &Digitized, millis: u128) -> Vec<f64> {
    let snr = per_lead_snr(truth, digitized);
    let per_lead: Vec<String> =
        Lead::STANDARD.iter().zip(&snr).map(|(l, s)| format!("{} {s:.1}", l.label())).collect();
    println!(
        "{name}: layout {} px/mm {:.3} rotation {:.2}° median SNR {:.1} dB ({} ms) | {} | warnings: {:?}",
        digitized.layout,
        digitized.px_per_mm,
        digitized.rotation_deg,
        median(&snr),
        millis,
        per_lead.join(", "),
        digitized.warnings
    );
    snr
}

fn timed(image: &Bitmap) -> (Result<Digitized>, u128) {
    let start = Instant::now();
    let out = digitize(image, &Config::default());
    (out, start.elapsed().as_millis())
}

#[test]
fn clean_render_of_a_ptbxl_record_reads_back_every_lead() {
    let truth = ptbxl("00009_lr");
    let image = test_sheet::draw(&truth, &Style::red());
    let (out, ms) = timed(&image);
    let digitized = out.expect("digitized");
    assert_eq!(digitized.layout, "3x4+1");
    assert!((digitized.px_per_mm - 8.0).abs() < 0.05, "pitch {}", digitized.px_per_mm);
    assert!(digitized.rotation_deg.abs() < 0.1, "rotation {}", digitized.rotation_deg);
    let snr = report("clean red grid", &truth, &digitized, ms);
    // Lead II comes from the rhythm strip: all 10 s; the others each show 2.5 s.
    let seen = |lead: Lead| digitized.visible[lead.index()].iter().filter(|&&v| v).count();
    assert!(seen(Lead::II) >= 990, "II seen {}", seen(Lead::II));
    assert!(seen(Lead::V6) >= 245 && seen(Lead::V6) <= 250, "V6 seen {}", seen(Lead::V6));
    assert!(digitized.visible[Lead::V6.index()][900], "V6 is in the last column");
    assert!(!digitized.visible[Lead::V6.index()][100], "V6 is not printed in the first column");
    assert!(digitized.record.channels.iter().all(|c| c.samples.iter().all(|v| v.is_finite())));
    assert!(median(&snr) > 20.0, "median SNR {:.1} dB", median(&snr));
    assert!(snr.iter().all(|&s| s > 12.0), "a lead below 12 dB: {snr:?}");
}

#[test]
fn grey_grid_without_pulse_reads_back() {
    let truth = ptbxl("00063_lr");
    let image = test_sheet::draw(&truth, &Style::grey());
    let (out, ms) = timed(&image);
    let digitized = out.expect("digitized");
    let snr = report("clean grey grid", &truth, &digitized, ms);
    assert_eq!(digitized.layout, "3x4+1");
    assert!(median(&snr) > 20.0, "median SNR {:.1} dB", median(&snr));
}

#[test]
fn render_rotated_by_three_degrees_is_straightened_and_read() {
    let truth = ptbxl("00009_lr");
    let straight = test_sheet::draw(&truth, &Style::red());
    let image = grid::straighten(&straight, -3.0);
    let (out, ms) = timed(&image);
    let digitized = out.expect("digitized");
    let snr = report("rotated 3°", &truth, &digitized, ms);
    assert!((digitized.rotation_deg - 3.0).abs() < 0.1, "rotation {}", digitized.rotation_deg);
    assert_eq!(digitized.layout, "3x4+1");
    assert!(median(&snr) > 15.0, "median SNR {:.1} dB", median(&snr));
}

#[test]
fn pictures_that_are_not_ecgs_are_refused_with_a_reason() {
    let message = |r: Result<Digitized>| match r {
        Err(Error::InvalidArgument(m)) => m,
        Err(other) => panic!("expected InvalidArgument, got {other}"),
        Ok(d) => panic!("expected a refusal, got layout {} with warnings {:?}", d.layout, d.warnings),
    };
    let tiny = Bitmap::filled(50, 40, [255, 255, 255]);
    assert!(message(digitize(&tiny, &Config::default())).contains("too small"));
    let blank = Bitmap::filled(600, 400, [255, 255, 255]);
    let m = message(digitize(&blank, &Config::default()));
    assert!(m.contains("no ECG grid found") && m.contains("accepted"), "{m}");
    // Noise has no period either.
    let mut noise = Bitmap::filled(600, 400, [255, 255, 255]);
    let mut state = 0x9E37_79B9u32;
    for y in 0..400 {
        for x in 0..600 {
            // xorshift32: no short period for the grid finder to take for a grid.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let v = (state >> 24) as u8;
            noise.set(x, y, [v, v.wrapping_mul(3), v.wrapping_add(90)]);
        }
    }
    assert!(message(digitize(&noise, &Config::default())).contains("no ECG"));
    // A grid with nothing printed on it.
    let mut empty_sheet = ptbxl("00009_lr");
    empty_sheet.channels.clear();
    let image = test_sheet::draw(&empty_sheet, &Style { pulse: false, ..Style::red() });
    let m = message(digitize(&image, &Config::default()));
    assert!(m.contains("no ECG traces found"), "{m}");
    // Wrong byte count.
    let broken = Bitmap { width: 300, height: 300, rgb: vec![0; 10] };
    assert!(message(digitize(&broken, &Config::default())).contains("does not match"));
}

/// Real photos and scans (no ground truth): prints the layout found or the refusal, and the
/// time. `cargo test ... real_photos -- --ignored --nocapture`
#[test]
#[ignore]
fn real_photos() {
    let dir = std::env::var("PAPER_PHOTOS").unwrap_or_else(|_| "/work/shared/data/paper-ecg-photos".into());
    let names = std::env::var("PAPER_PHOTO_NAMES")
        .unwrap_or_else(|_| "ecg00001.png,ecg00002.png,ecg00003.png,ecg00004.png,ecg00006.png".into());
    for name in names.split(',') {
        let path = format!("{dir}/{name}");
        let decoded = match image::open(&path) {
            Ok(d) => d.to_rgb8(),
            Err(e) => {
                println!("{name}: cannot decode: {e}");
                continue;
            }
        };
        let bitmap = Bitmap { width: decoded.width() as usize, height: decoded.height() as usize, rgb: decoded.into_raw() };
        let (out, ms) = timed(&bitmap);
        match out {
            Ok(d) => {
                let seen: Vec<usize> = d.visible.iter().map(|v| v.iter().filter(|&&s| s).count()).collect();
                let pitch = grid::find_pitch(&ink::classify(&grid::straighten(&bitmap, d.rotation_deg)));
                println!(
                    "{name} {}x{}: {pitch:?} layout {} px/mm {:.2} rotation {:.2}° ({ms} ms) samples seen per lead {seen:?} warnings {:?}",
                    bitmap.width, bitmap.height, d.layout, d.px_per_mm, d.rotation_deg, d.warnings
                );
                if let Ok(out_dir) = std::env::var("PAPER_OVERLAY_DIR") {
                    overlay(&bitmap, &d, &format!("{out_dir}/{name}.overlay.png"));
                }
            }
            Err(e) => {
                let pitch = grid::find_pitch(&ink::classify(&bitmap));
                println!("{name} {}x{}: {e} ({ms} ms; pitch {pitch:?})", bitmap.width, bitmap.height)
            }
        }
    }
}

/// Draws the followed traces (blue) and the cells (green) over the picture.
fn overlay(picture: &Bitmap, d: &Digitized, path: &str) {
    let mut out = image::RgbImage::from_raw(picture.width as u32, picture.height as u32, picture.rgb.clone())
        .expect("same size");
    let mut put = |x: f64, y: f64, c: [u8; 3]| {
        let (px, py) = d.to_picture(x, y);
        if px >= 0.0 && py >= 0.0 && (px as u32) < out.width() && (py as u32) < out.height() {
            out.put_pixel(px as u32, py as u32, image::Rgb(c));
        }
    };
    for (_, points) in &d.traces {
        for &(x, y) in points {
            put(x, y, [0, 90, 255]);
            put(x, y + 1.0, [0, 90, 255]);
        }
    }
    for (_, [x0, y0, x1, y1]) in &d.lead_boxes {
        let mut x = *x0;
        while x <= *x1 {
            put(x, *y0, [0, 200, 0]);
            put(x, *y1, [0, 200, 0]);
            x += 1.0;
        }
    }
    out.save(path).expect("overlay written");
}

#[test]
fn debug_steps() {
    let truth = ptbxl("00009_lr");
    let image = test_sheet::draw(&truth, &Style::red());
    let d = digitize(&image, &Config::default()).unwrap();
    for lead in [Lead::V2] {
        let t = &truth.lead(lead).unwrap().samples;
        let e = &d.record.lead(lead).unwrap().samples;
        let vis = &d.visible[lead.index()];
        let idx: Vec<usize> = (0..1000).filter(|&i| vis[i]).collect();
        let mt = idx.iter().map(|&i| t[i] as f64).sum::<f64>() / idx.len() as f64;
        let me = idx.iter().map(|&i| e[i] as f64).sum::<f64>() / idx.len() as f64;
        let mut errs: Vec<(f64, usize)> = idx.iter().map(|&i| (((t[i] as f64 - mt) - (e[i] as f64 - me)).abs(), i)).collect();
        errs.sort_by(|a, b| b.0.total_cmp(&a.0));
        for &(err, i) in errs.iter().take(12) {
            println!("{lead:?} i {i} err {err:.3} truth {:.3} est {:.3} | around truth {:?} est {:?}", t[i] as f64 - mt, e[i] as f64 - me,
                &t[i.saturating_sub(2)..(i+3).min(1000)], &e[i.saturating_sub(2)..(i+3).min(1000)]);
        }
    }
}
