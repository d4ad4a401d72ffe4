use ecgmatch::paper::sheet::{CaliperReading, Sheet, SheetConfig};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use super::paper_canvas::{context, draw_grid, draw_traces, PX_PER_MM};
use super::IntervalsLine;
use crate::state::SharedRecord;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub data: SharedRecord,
}

/// The record as a standard printout: 3×4 leads and a rhythm strip on millimetre paper.
#[function_component(EcgSheet)]
pub fn ecg_sheet(props: &Props) -> Html {
    let canvas = use_node_ref();
    let sheet = use_memo(props.data.clone(), |loaded| {
        Sheet::standard(&loaded.record, &SheetConfig::default())
    });
    {
        let canvas = canvas.clone();
        use_effect_with(sheet.clone(), move |sheet| {
            if let Some(ctx) = canvas.cast::<HtmlCanvasElement>().and_then(|c| context(&c)) {
                draw(&ctx, sheet);
            }
        });
    }
    let calipers = use_state(|| None::<((f64, f64), (f64, f64))>);
    let dragging = use_state(|| false);
    let frame = use_node_ref();
    let size_mm = (sheet.width_mm, sheet.height_mm);
    let at = {
        let frame = frame.clone();
        move |e: &PointerEvent| sheet_point(e, &frame, size_mm)
    };
    let onpointerdown = {
        let (calipers, dragging, at) = (calipers.clone(), dragging.clone(), at.clone());
        Callback::from(move |e: PointerEvent| {
            if let Some(p) = at(&e) {
                calipers.set(Some((p, p)));
                dragging.set(true);
            }
        })
    };
    let onpointermove = {
        let (calipers, dragging) = (calipers.clone(), dragging.clone());
        Callback::from(move |e: PointerEvent| {
            if let (true, Some((from, _)), Some(p)) = (*dragging, *calipers, at(&e)) {
                calipers.set(Some((from, p)));
            }
        })
    };
    let stop = {
        let dragging = dragging.clone();
        Callback::from(move |_: PointerEvent| dragging.set(false))
    };
    let intervals = use_memo(props.data.clone(), |loaded| {
        ecgmatch::signal::intervals::of_record(&loaded.record).unwrap_or_default()
    });
    let reading =
        calipers.map(|(a, b)| (a, b, CaliperReading::between(a, b, &SheetConfig::default())));
    let record = &props.data.record;
    let width = (sheet.width_mm * PX_PER_MM).round() as u32;
    let height = (sheet.height_mm * PX_PER_MM).round() as u32;
    let derived: Vec<&str> = record
        .channels
        .iter()
        .filter(|c| c.derived)
        .map(|c| c.name.as_str())
        .collect();
    html! {
        <section class="ecg" data-format={record.metadata.format.clone().unwrap_or_default()}>
            <h2>{ format!("{} — {} leads, {} Hz, {:.1} s", record.name, record.standard_leads().len(), record.sampling_rate, record.duration_s()) }</h2>
            <p class="meta">{ metadata_line(record) }</p>
            if !record.metadata.statements.is_empty() {
                <p class="meta file-statements">{ format!("Statements in the file: {}", record.metadata.statements.join("; ")) }</p>
            }
            if !derived.is_empty() { <p class="meta">{ format!("Derived from I and II: {}", derived.join(", ")) }</p> }
            { for record.warnings.iter().map(|w| html! { <p class="warning">{ w }</p> }) }
            <div class="sheet-scroll">
                <div class="sheet-frame" ref={frame}>
                    <canvas ref={canvas} id="ecg-sheet" width={width.to_string()} height={height.to_string()} role="img"
                        aria-label={format!("The record {} printed as a 12-lead ECG: leads in 3 rows of 4 and a lead II rhythm strip, at 25 mm/s and 10 mm/mV", record.name)}
                        data-leads={sheet.traces.iter().filter(|t| !t.points_mm.is_empty()).map(|t| t.lead.label()).collect::<Vec<_>>().join(",")}
                        data-samples={sample_probe(record)} />
                    <svg class="calipers" id="calipers-layer" viewBox={format!("0 0 {:.1} {:.1}", size_mm.0, size_mm.1)} preserveAspectRatio="none"
                        {onpointerdown} {onpointermove} onpointerup={stop.clone()} onpointerleave={stop}>
                        if let Some(((ax, ay), (bx, by), _)) = reading {
                            <line x1={format!("{ax:.2}")} y1={format!("{ay:.2}")} x2={format!("{bx:.2}")} y2={format!("{by:.2}")} />
                            <line x1={format!("{ax:.2}")} y1={format!("{:.2}", ay - 3.0)} x2={format!("{ax:.2}")} y2={format!("{:.2}", ay + 3.0)} />
                            <line x1={format!("{bx:.2}")} y1={format!("{:.2}", by - 3.0)} x2={format!("{bx:.2}")} y2={format!("{:.2}", by + 3.0)} />
                        }
                    </svg>
                </div>
            </div>
            <p class="meta">{ "25 mm/s, 10 mm/mV · drag across the sheet for calipers" }</p>
            <IntervalsLine intervals={*intervals} />
            if let Some((_, _, r)) = reading {
                <p class="caliper-reading" id="caliper" data-dt-ms={format!("{:.1}", r.dt_ms)} data-dv-mv={format!("{:.3}", r.dv_mv)}
                    data-rate={r.rate_per_min.map_or(String::new(), |v| format!("{v:.1}"))} aria-live="polite">
                    { format!("Calipers: Δt {:.0} ms · ΔV {:+.2} mV{}", r.dt_ms.abs(), r.dv_mv, r.rate_per_min.map_or(String::new(), |v| format!(" · {v:.0}/min as an RR interval"))) }
                </p>
            }
        </section>
    }
}

/// Where a pointer is on the sheet, in mm from its top left, whatever size the page shows it at.
fn sheet_point(e: &PointerEvent, frame: &NodeRef, size_mm: (f64, f64)) -> Option<(f64, f64)> {
    let rect = frame.cast::<web_sys::Element>()?.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    Some((
        (e.client_x() as f64 - rect.left()) / rect.width() * size_mm.0,
        (e.client_y() as f64 - rect.top()) / rect.height() * size_mm.1,
    ))
}

/// A few samples of every standard lead as read (first, at a third, at two thirds, last; mV to
/// 0.1 µV), so that a test can hold the page's reading against the native one.
fn sample_probe(record: &ecgmatch::formats::Record) -> String {
    let n = record.num_samples();
    if n == 0 {
        return String::new();
    }
    let at = [0, n / 3, 2 * n / 3, n - 1];
    ecgmatch::formats::Lead::STANDARD
        .iter()
        .filter_map(|&lead| record.lead(lead))
        .map(|channel| {
            let values: Vec<String> = at
                .iter()
                .map(|&i| format!("{:.4}", f64::from(channel.samples[i])))
                .collect();
            format!(
                "{}={}",
                channel.lead.map_or("", |l| l.label()),
                values.join(",")
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn metadata_line(record: &ecgmatch::formats::Record) -> String {
    let m = &record.metadata;
    let mut parts: Vec<String> = m.format.iter().cloned().collect();
    if let Some(age) = m.age {
        parts.push(format!("age {age}"));
    }
    if let Some(sex) = m.sex {
        parts.push(format!("{sex:?}").to_lowercase());
    }
    if let Some(date) = &m.date {
        parts.push(date.clone());
    }
    parts.extend(m.comments.iter().take(3).cloned());
    parts.join(" · ")
}

fn draw(ctx: &CanvasRenderingContext2d, sheet: &Sheet) {
    draw_grid(ctx, sheet.width_mm, sheet.height_mm);
    draw_traces(ctx, &sheet.traces, "#111", true);
}
