//! The digitizer against rendered sheets of real PTB-XL records (known truth, scored with the
//! Challenge 2024 SNR), against pictures that are not ECGs, and (ignored by default) on real
//! photos and scans.

use super::*;
use crate::degrade::{degrade, Degradation, Degraded};
use crate::evaluate::{lead_snrs, printed_reference, read_estimate};
use crate::render::{render, GridStyle, RenderConfig, Rendered};
use crate::snr::summarize;
use crate::Error;
use std::time::Instant;

use ecgmatch_testkit::ptbxl;

/// 4 px/mm at 25 mm/s and 100 Hz: one sample per pixel column.
pub(super) const ONE_SAMPLE_PER_PX: grid::Pitch = grid::Pitch { x: 4.0, y: 4.0 };
const TRACE_BASELINE: f64 = 100.0;

/// A lead's own waveform in mV at sample `i` (100 Hz): a beat every 0.8 s whose form
/// depends on the lead, over a slow wave of the lead's own frequency.
pub(super) fn waveform(lead: Lead, i: usize) -> f64 {
    let k = lead.index() as f64;
    let t = i as f64 / 100.0;
    let phase = (t / 0.8).fract();
    let spike = (-((phase - 0.3) / (0.01 + 0.004 * k)).powi(2)).exp();
    (1.0 - 0.15 * k) * spike + 0.2 * (std::f64::consts::TAU * (1.0 + 0.3 * k) * t).sin()
}

/// A trace followed through samples `from..to` of row `row`, drawn from `mv` at 10 mm/mV on
/// the grid of `ONE_SAMPLE_PER_PX`.
pub(super) fn followed(
    lead: Lead,
    row: usize,
    (from, to): (usize, usize),
    mv: impl Fn(usize) -> f64,
) -> trace::Followed {
    trace::Followed {
        lead,
        cell: layout::Cell {
            lead,
            row,
            samples: (from, to),
        },
        first_x: from,
        ys: (from..to)
            .map(|i| Some(TRACE_BASELINE - mv(i) * 10.0 * ONE_SAMPLE_PER_PX.y))
            .collect(),
        spike_tips: Vec::new(),
        baseline: TRACE_BASELINE,
        bounds: [from as f64, 0.0, to as f64, 2.0 * TRACE_BASELINE],
    }
}

/// `rows` rows at time 0 on a uniform grid, the first `grid_rows` of them the lead grid.
pub(super) fn layout_of_rows(
    rows: usize,
    grid_rows: usize,
    usual_strip_leads: bool,
) -> layout::SheetLayout {
    let row = layout::Row {
        baseline: TRACE_BASELINE,
        band: (0.0, 2.0 * TRACE_BASELINE),
    };
    layout::SheetLayout {
        name: "test".into(),
        rows: vec![row; rows],
        cells: Vec::new(),
        rulers: vec![ruler::Ruler::uniform(); rows],
        x_start: 0.0,
        grid_rows,
        usual_strip_leads,
    }
}

/// Per lead (standard order): the Challenge SNR (aligned, covered fraction applied) against
/// the truth restricted to the window the sheet printed, and a plain SNR over the samples
/// read, each side's mean removed.
fn scores(truth: &Record, rendered: &Rendered, digitized: &Digitized) -> Vec<(f64, f64)> {
    let challenge = lead_snrs(truth, rendered, digitized);
    Lead::STANDARD
        .iter()
        .zip(challenge)
        .map(|(&lead, snr)| {
            (
                snr,
                plain_snr(
                    &printed_reference(truth, rendered, lead),
                    &read_estimate(digitized, lead),
                ),
            )
        })
        .collect()
}

fn plain_snr(truth: &[f32], estimate: &[f32]) -> f64 {
    let pairs: Vec<(f64, f64)> = truth
        .iter()
        .zip(estimate)
        .filter(|(t, e)| t.is_finite() && e.is_finite())
        .map(|(t, e)| (*t as f64, *e as f64))
        .collect();
    if pairs.len() < 10 {
        return f64::NAN;
    }
    let n = pairs.len() as f64;
    let (mt, me) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let signal: f64 = pairs.iter().map(|p| (p.0 - mt).powi(2)).sum();
    let noise: f64 = pairs
        .iter()
        .map(|p| ((p.0 - mt) - (p.1 - me)).powi(2))
        .sum();
    10.0 * (signal / noise.max(1e-12)).log10()
}

/// Prints the figures and returns the per-lead Challenge SNRs.
fn report(
    name: &str,
    truth: &Record,
    rendered: &Rendered,
    digitized: &Digitized,
    millis: u128,
) -> Vec<f64> {
    let both = scores(truth, rendered, digitized);
    let challenge: Vec<f64> = both.iter().map(|s| s.0).collect();
    let plain: Vec<f64> = both.iter().map(|s| s.1).collect();
    let per_lead: Vec<String> = Lead::STANDARD
        .iter()
        .zip(&both)
        .map(|(l, s)| format!("{} {:.1}/{:.1}", l.label(), s.0, s.1))
        .collect();
    println!(
        "{name}: layout {} px/mm {:.3} rotation {:.2}° | Challenge SNR median {:.1} mean {:.1} dB | plain SNR median {:.1} dB | {} ms | per lead (Challenge/plain) {} | warnings {:?}",
        digitized.layout,
        digitized.px_per_mm,
        digitized.rotation_deg,
        summarize(&challenge).0,
        summarize(&challenge).1,
        summarize(&plain).0,
        millis,
        per_lead.join(", "),
        digitized.warnings
    );
    challenge
}

fn timed(image: &Bitmap) -> (Result<Digitized>, u128) {
    let start = Instant::now();
    let out = digitize(image, &Config::default());
    (out, start.elapsed().as_millis())
}

#[test]
fn clean_render_of_a_ptbxl_record_reads_back_every_lead() {
    let truth = ptbxl("00009_lr");
    let rendered = render(&truth, &RenderConfig::default());
    let (out, ms) = timed(&rendered.bitmap);
    let digitized = out.expect("digitized");
    assert_eq!(digitized.layout, "3x4+1");
    assert!(
        (digitized.px_per_mm - 8.0).abs() < 0.05,
        "pitch {}",
        digitized.px_per_mm
    );
    assert!(
        digitized.rotation_deg.abs() < 0.1,
        "rotation {}",
        digitized.rotation_deg
    );
    let snr = report("clean 3x4 red", &truth, &rendered, &digitized, ms);
    // Lead II comes from the rhythm strip: all 10 s; the others each show 2.5 s.
    let seen = |lead: Lead| {
        digitized.visible[lead.index()]
            .iter()
            .filter(|&&v| v)
            .count()
    };
    assert!(seen(Lead::II) >= 990, "II seen {}", seen(Lead::II));
    assert!(
        (240..=250).contains(&seen(Lead::V6)),
        "V6 seen {}",
        seen(Lead::V6)
    );
    assert!(
        digitized.visible[Lead::V6.index()][900],
        "V6 is in the last column"
    );
    assert!(
        !digitized.visible[Lead::V6.index()][100],
        "V6 is not printed in the first column"
    );
    assert!(digitized
        .record
        .channels
        .iter()
        .all(|c| c.samples.iter().all(|v| v.is_finite())));
    let (median, _) = summarize(&snr);
    assert!(
        median > CLEAN_MEDIAN_DB,
        "median Challenge SNR {median:.1} dB"
    );
    assert!(
        snr.iter().all(|&s| s > CLEAN_FLOOR_DB),
        "a lead below {CLEAN_FLOOR_DB} dB: {snr:?}"
    );
}

/// Whether the picture is dark ink at `(x, y)`: some pixel within 3 px is much darker than the
/// brightest within 12 px (the paper there, lit or shaded).
fn on_ink(picture: &Bitmap, x: f64, y: f64) -> bool {
    let luma = |x: i64, y: i64| -> Option<f64> {
        (x >= 0 && y >= 0 && (x as usize) < picture.width && (y as usize) < picture.height).then(
            || {
                let [r, g, b] = picture.get(x as usize, y as usize);
                0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64
            },
        )
    };
    let around = |radius: i64| {
        (-radius..=radius).flat_map(move |dy| (-radius..=radius).map(move |dx| (dx, dy)))
    };
    let (cx, cy) = (x.round() as i64, y.round() as i64);
    let darkest = around(3)
        .filter_map(|(dx, dy)| luma(cx + dx, cy + dy))
        .fold(f64::INFINITY, f64::min);
    let paper = around(12)
        .filter_map(|(dx, dy)| luma(cx + dx, cy + dy))
        .fold(0.0, f64::max);
    darkest < 0.6 * paper
}

/// Record 00009 printed 3×4, photographed at `level` with `seed`, read back as a 3×4 with a
/// rhythm strip with a median SNR above `min_median_db`.
fn photographed(
    level: &str,
    seed: u64,
    min_median_db: f64,
) -> (Record, Rendered, Degraded, Digitized) {
    let truth = ptbxl("00009_lr");
    let rendered = render(&truth, &RenderConfig::default());
    let photo = degrade(
        &rendered.bitmap,
        &Degradation::by_name(level).unwrap(),
        seed,
    )
    .unwrap();
    let (out, ms) = timed(&photo.bitmap);
    let found = out.expect("digitized");
    assert_eq!(found.layout, "3x4+1");
    let snr = report(level, &truth, &rendered, &found, ms);
    assert!(
        summarize(&snr).0 > min_median_db,
        "median SNR {:.1} dB",
        summarize(&snr).0
    );
    (truth, rendered, photo, found)
}

#[test]
fn phone_photo_is_flattened_read_and_its_traces_drawn_on_the_ink() {
    let (truth, rendered, photo, found) = photographed("phone", 3, PHONE_MEDIAN_DB);
    assert!(
        found.sheet_corners.is_some(),
        "the sheet's outline on the table"
    );
    let points: Vec<(f64, f64)> = found
        .traces
        .iter()
        .flat_map(|(_, p)| p.iter().step_by(7).copied())
        .collect();
    let inked = points.iter().filter(|&&(x, y)| {
        let (px, py) = found.to_picture(x, y);
        on_ink(&photo.bitmap, px, py)
    });
    let share = inked.count() as f64 / points.len() as f64;
    assert!(
        share > 0.9,
        "only {share:.2} of the traces drawn over the photo lie on its ink"
    );

    // The same sheet read within corners a person placed on the true ones.
    let (w, h) = (rendered.bitmap.width as f64, rendered.bitmap.height as f64);
    let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)].map(|(x, y)| photo.map_point(x, y));
    let given =
        digitize_within(&photo.bitmap, Some(corners), &Config::default()).expect("digitized");
    assert_eq!(given.sheet_corners, Some(corners));
    let snr = report("phone, corners given", &truth, &rendered, &given, 0);
    assert!(
        summarize(&snr).0 > PHONE_MEDIAN_DB,
        "median SNR {:.1} dB",
        summarize(&snr).0
    );
}

#[test]
fn blurred_shadowed_phone_photo_is_read_through_its_faint_strokes() {
    // The hardest level: thin traces blurred to the grey of a grid line, a deep shadow and a
    // crease. Before faint trace pixels were followed from sure ones, this picture gave only
    // 2 rows ("no ECG traces found").
    photographed("phone-hard", 9, PHONE_HARD_MEDIAN_DB);
}

/// Record `name` printed 3×4 and damaged as `damage` says; the median Challenge SNR read back.
fn read_through(name: &str, damage: Degradation, seed: u64) -> f64 {
    let truth = ptbxl(name);
    let rendered = render(&truth, &RenderConfig::default());
    let picture = degrade(&rendered.bitmap, &damage, seed).unwrap();
    let (out, ms) = timed(&picture.bitmap);
    let snr = report(damage.name, &truth, &rendered, &out.expect("digitized"), ms);
    summarize(&snr).0
}

#[test]
fn a_blurred_picture_is_read_from_the_true_end_of_its_traces() {
    // A phone's blur, noise and JPEG without its geometry. The ink threshold cuts the blurred
    // end of each trace a pixel short (half a sample): reading time from there gives 14.5 dB
    // (18.7 from where the darkness fades).
    let phone = Degradation::by_name("phone").unwrap();
    let blurred = Degradation {
        name: "phone blur alone",
        blur_sigma: phone.blur_sigma,
        noise_sigma: phone.noise_sigma,
        jpeg_quality: phone.jpeg_quality,
        ..Degradation::by_name("clean").unwrap()
    };
    let median = read_through("00009_lr", blurred, 3);
    assert!(median > BLURRED_MEDIAN_DB, "median SNR {median:.1} dB");
}

#[test]
fn a_sheet_seen_in_perspective_is_timed_by_its_grid_lines() {
    // A phone's perspective without its blur: the sheet flattened from its outline keeps a
    // little perspective, so a uniform scale drifts by a pixel or two along a row. Timed by a
    // uniform scale, this picture gives 17.1 dB (20.3 by its grid lines).
    let phone = Degradation::by_name("phone").unwrap();
    let tilted = Degradation {
        name: "phone perspective alone",
        blur_sigma: 0.0,
        noise_sigma: 0.0,
        jpeg_quality: 0,
        illumination: 0.0,
        shadow: 0.0,
        ..phone
    };
    let median = read_through("00009_lr", tilted, 7);
    assert!(median > TILTED_MEDIAN_DB, "median SNR {median:.1} dB");
}

#[test]
fn calibration_pulses_under_header_text_and_blur_are_found() {
    // Record 00116 photographed as phone-hard with seed 116: the header's text lies within a
    // pulse's height above the first row, and blur breaks the pulses' thin sides and slants
    // them across two columns. Looking for each column's topmost ink found no pulse, so every
    // row was timed from where its ink begins, the pulse: every lead 9 mm (0.36 s) early,
    // 6.8 dB (11.5 with the pulses found).
    let median = read_through("00116_lr", Degradation::by_name("phone-hard").unwrap(), 116);
    assert!(median > PULSES_FOUND_MEDIAN_DB, "median SNR {median:.1} dB");
}

#[test]
fn a_sheet_half_in_deep_shadow_is_outlined_at_its_true_corners() {
    // Record 00065 photographed as phone-hard with seed 65: a shadow darkens the sheet's top
    // left to within a third of the way from the table's grey to the lit paper. Taken for
    // table, it moved that corner 380 px and every lead read below 3 dB.
    let truth = ptbxl("00065_lr");
    let rendered = render(&truth, &RenderConfig::default());
    let photo = degrade(
        &rendered.bitmap,
        &Degradation::by_name("phone-hard").unwrap(),
        65,
    )
    .unwrap();
    let found = sheet::find_corners(&photo.bitmap).expect("the sheet's outline");
    let (w, h) = (rendered.bitmap.width as f64, rendered.bitmap.height as f64);
    let true_corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)].map(|(x, y)| photo.map_point(x, y));
    for (f, t) in found.iter().zip(&true_corners) {
        assert!(
            (f.0 - t.0).hypot(f.1 - t.1) < 15.0,
            "corner found at {f:?}, printed at {t:?}"
        );
    }
}

/// Thresholds a little under what was measured (see the report lines the tests print).
const CLEAN_MEDIAN_DB: f64 = 20.0;
const CLEAN_FLOOR_DB: f64 = 10.0;
const ROTATED_MEDIAN_DB: f64 = 18.0;
const PHONE_MEDIAN_DB: f64 = 8.0;
const PHONE_HARD_MEDIAN_DB: f64 = 4.0;
const BLURRED_MEDIAN_DB: f64 = 15.0;
const TILTED_MEDIAN_DB: f64 = 17.5;
const PULSES_FOUND_MEDIAN_DB: f64 = 10.0;

#[test]
fn grey_grid_render_reads_back() {
    let truth = ptbxl("00063_lr");
    let rendered = render(
        &truth,
        &RenderConfig {
            grid: GridStyle::Grey,
            ..RenderConfig::default()
        },
    );
    let (out, ms) = timed(&rendered.bitmap);
    let digitized = out.expect("digitized");
    let snr = report("clean 3x4 grey", &truth, &rendered, &digitized, ms);
    assert_eq!(digitized.layout, "3x4+1");
    assert!(
        summarize(&snr).0 > CLEAN_MEDIAN_DB,
        "median SNR {:.1} dB",
        summarize(&snr).0
    );
}

#[test]
fn render_rotated_by_three_degrees_is_straightened_and_read() {
    let truth = ptbxl("00009_lr");
    let rendered = render(&truth, &RenderConfig::default());
    let image = grid::straighten(&rendered.bitmap, -3.0);
    let (out, ms) = timed(&image);
    let digitized = out.expect("digitized");
    let snr = report("rotated 3°", &truth, &rendered, &digitized, ms);
    assert!(
        (digitized.rotation_deg - 3.0).abs() < 0.1,
        "rotation {}",
        digitized.rotation_deg
    );
    assert_eq!(digitized.layout, "3x4+1");
    assert!(
        summarize(&snr).0 > ROTATED_MEDIAN_DB,
        "median SNR {:.1} dB",
        summarize(&snr).0
    );
}

#[test]
fn pictures_that_are_not_ecgs_are_refused_with_a_reason() {
    // The kind of refusal, and its message.
    let message = |r: Result<Digitized>| match r {
        Err(Error::InvalidPicture(m)) => ("picture", m),
        Err(Error::NoGrid(m)) => ("grid", m),
        Err(Error::NoTraces(m)) => ("traces", m),
        Err(other) => panic!("expected a refusal of the picture, got {other:?}"),
        Ok(d) => panic!(
            "expected a refusal, got layout {} with warnings {:?}",
            d.layout, d.warnings
        ),
    };
    let tiny = Bitmap::filled(50, 40, [255, 255, 255]);
    let (kind, m) = message(digitize(&tiny, &Config::default()));
    assert!(kind == "picture" && m.contains("too small"), "{m}");
    let blank = Bitmap::filled(600, 400, [255, 255, 255]);
    let (kind, m) = message(digitize(&blank, &Config::default()));
    assert!(
        kind == "grid" && m.contains("no ECG grid found") && m.contains("accepted"),
        "{m}"
    );
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
    assert!(message(digitize(&noise, &Config::default()))
        .1
        .contains("no ECG"));
    // A sheet with its grid, header, labels and calibration pulses but no traces.
    let mut empty = ptbxl("00009_lr");
    empty.channels.clear();
    let (kind, m) = message(digitize(
        &render(&empty, &RenderConfig::default()).bitmap,
        &Config::default(),
    ));
    assert!(kind == "traces" && m.contains("no ECG traces found"), "{m}");
    // Wrong byte count.
    let broken = Bitmap {
        width: 300,
        height: 300,
        rgb: vec![0; 10],
    };
    let (kind, m) = message(digitize(&broken, &Config::default()));
    assert!(kind == "picture" && m.contains("does not match"), "{m}");
}

#[test]
fn a_texture_read_as_traces_is_not_searched_and_a_printout_is() {
    // Random pixels enlarged 20× (smooth blobs): taken for a grid with traces on it.
    let mut state = 0x2545_F491u32;
    let small = image::RgbImage::from_fn(80, 55, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        image::Rgb([(state >> 24) as u8, (state >> 16) as u8, (state >> 8) as u8])
    });
    let blobs =
        image::imageops::resize(&small, 1600, 1100, image::imageops::FilterType::CatmullRom);
    let blobs = Bitmap {
        width: 1600,
        height: 1100,
        rgb: blobs.into_raw(),
    };
    let flagged = |d: &Digitized| d.trust.searchable().is_err();
    match digitize(&blobs, &Config::default()) {
        Ok(d) => assert!(
            flagged(&d),
            "blobs read as {} and searchable: {:?}",
            d.layout,
            d.trust
        ),
        Err(e) => assert!(e.to_string().contains("no ECG"), "{e}"),
    }
    let sheet = render(&ptbxl("00009_lr"), &RenderConfig::default());
    let d = digitize(&sheet.bitmap, &Config::default()).expect("read");
    assert!(!flagged(&d), "{:?}", d.trust);
    assert_eq!(d.trust.trusted_count(), 12, "{:?}", d.warnings);
}

#[test]
fn twelve_by_one_is_found_and_six_by_two_read_when_chosen() {
    use crate::render::PrintLayout;
    let truth = ptbxl("00063_lr");
    for (layout, chosen, name) in [
        (PrintLayout::TwelveByOne, None, "12x1"),
        (PrintLayout::SixByTwo, Some(PrintLayout::SixByTwo), "6x2"),
    ] {
        let rendered = render(&truth, &RenderConfig::for_layout(layout));
        let started = Instant::now();
        let digitized = digitize(
            &rendered.bitmap,
            &Config {
                layout: chosen,
                ..Config::default()
            },
        )
        .expect("digitized");
        let snr = report(
            &format!("clean {name}"),
            &truth,
            &rendered,
            &digitized,
            started.elapsed().as_millis(),
        );
        assert_eq!(digitized.layout, name);
        let seen = |lead: Lead| {
            digitized.visible[lead.index()]
                .iter()
                .filter(|&&v| v)
                .count()
        };
        let expected = if layout == PrintLayout::SixByTwo {
            500
        } else {
            1000
        };
        // Tall chest-lead complexes may cross into the next row of a 12×1 (15 mm apart) and
        // lose the trace there; most leads must be read throughout.
        let whole = Lead::STANDARD
            .iter()
            .filter(|&&l| seen(l) + 10 >= expected)
            .count();
        assert!(
            whole >= 10,
            "{name}: samples read per lead {:?}",
            Lead::STANDARD.map(seen)
        );
        assert!(
            summarize(&snr).0 > CLEAN_MEDIAN_DB - 4.0,
            "{name}: median SNR {:.1} dB",
            summarize(&snr).0
        );
    }
}

#[test]
fn six_rows_are_read_as_the_six_by_two_their_limb_leads_say_they_are() {
    use crate::render::PrintLayout;
    let truth = ptbxl("00063_lr");
    let rendered = render(&truth, &RenderConfig::for_layout(PrintLayout::SixByTwo));
    // No layout chosen: six rows could be 3×4 with three rhythm strips.
    let digitized = digitize(&rendered.bitmap, &Config::default()).expect("digitized");
    assert_eq!(digitized.layout, "6x2", "{:?}", digitized.warnings);
    assert!(
        digitized
            .warnings
            .iter()
            .any(|w| w.starts_with("read as 6x2")),
        "{:?}",
        digitized.warnings
    );
    let snr = report("clean 6x2 found", &truth, &rendered, &digitized, 0);
    assert!(summarize(&snr).0 > CLEAN_MEDIAN_DB - 4.0);
}

/// The picture's pixels from column `x0` to `x1`, top to bottom.
fn columns(picture: &Bitmap, x0: usize, x1: usize) -> Bitmap {
    let rgb = picture
        .rgb
        .chunks_exact(picture.width * 3)
        .flat_map(|row| &row[x0 * 3..x1 * 3])
        .copied()
        .collect();
    Bitmap {
        width: x1 - x0,
        height: picture.height,
        rgb,
    }
}

#[test]
fn a_photo_of_part_of_the_sheet_is_refused_naming_the_leads_it_lacks() {
    let sheet = render(&ptbxl("00009_lr"), &RenderConfig::default()).bitmap;
    // The left half: the first two columns of the 3×4 grid (I to aVF), not V1 to V6.
    let half = columns(&sheet, 0, sheet.width / 2);
    match digitize(&half, &Config::default()) {
        Err(Error::PartialSheet(m)) => assert!(
            m.contains("only part of the printout") && m.contains("V1, V2, V3, V4, V5 and V6"),
            "{m}"
        ),
        other => panic!("expected a refusal, got {:?}", other.map(|d| d.warnings)),
    }
    // Trimmed margins lose no lead: read as before.
    let trimmed = columns(&sheet, sheet.width / 40, sheet.width - sheet.width / 40);
    let read = digitize(&trimmed, &Config::default()).expect("a trimmed sheet reads");
    assert!(
        read.warnings.iter().all(|w| !w.contains("seen in only")),
        "{:?}",
        read.warnings
    );
}

/// A real phone photo of a printout (`tests/fixtures/paper-photos`), read as well as the
/// digitizer can today: whatever it reads, a reading whose leads score under 3 dB against the
/// printed signal is not trusted enough to search, and its doubtful leads are named.
#[test]
fn a_real_photo_read_poorly_is_not_searched() {
    let picture = image::open(ecgmatch_testkit::fixture("paper-photos/01032_hr-0.jpg"))
        .expect("photo")
        .to_rgb8();
    let bitmap = Bitmap {
        width: picture.width() as usize,
        height: picture.height() as usize,
        rgb: picture.into_raw(),
    };
    let header = ecgmatch_testkit::fixture("paper-photos/01032_hr.hea");
    let truth = ecgmatch_formats::read_records(
        &ecgmatch_formats::read_record_files(&header).expect("files"),
    )
    .remove(0)
    .result
    .expect("truth");
    let d = digitize(&bitmap, &Config::default()).expect("the photo is read");
    let snrs = crate::evaluate::photo_lead_snrs(&truth, Some(&d));
    let (_, mean) = summarize(&snrs);
    eprintln!(
        "real photo: mean-lead SNR {mean:.2} dB, {} leads trusted",
        d.trust.trusted_count()
    );
    if mean < 3.0 {
        let why = d
            .trust
            .searchable()
            .expect_err("a poor reading is not searched");
        assert!(why.contains("Retake"), "{why}");
        assert!(
            d.warnings.iter().any(|w| w.contains("is doubtful")),
            "{:?}",
            d.warnings
        );
    }
}
