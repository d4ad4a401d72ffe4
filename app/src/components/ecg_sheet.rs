use ecgmatch::paper::sheet::{Sheet, SheetConfig};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use crate::state::SharedRecord;

/// Canvas pixels per millimetre of paper.
const PX_PER_MM: f64 = 4.0;

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
                <canvas ref={canvas} id="ecg-sheet" width={width.to_string()} height={height.to_string()}
                    data-leads={sheet.traces.iter().filter(|t| !t.points_mm.is_empty()).map(|t| t.lead.label()).collect::<Vec<_>>().join(",")}
                    data-samples={sample_probe(record)} />
            </div>
            <p class="meta">{ "25 mm/s, 10 mm/mV" }</p>
        </section>
    }
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

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

fn draw(ctx: &CanvasRenderingContext2d, sheet: &Sheet) {
    let (w, h) = (sheet.width_mm * PX_PER_MM, sheet.height_mm * PX_PER_MM);
    ctx.set_fill_style_str("#fffafa");
    ctx.fill_rect(0.0, 0.0, w, h);
    // Minor lines every millimetre, major every 5 mm, as on ECG paper.
    for (step_mm, colour, width) in [(1.0, "#f6cfcf", 0.5), (5.0, "#e89a9a", 1.0)] {
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(width);
        ctx.begin_path();
        let mut x = 0.0;
        while x <= sheet.width_mm + 1e-9 {
            ctx.move_to(x * PX_PER_MM, 0.0);
            ctx.line_to(x * PX_PER_MM, h);
            x += step_mm;
        }
        let mut y = 0.0;
        while y <= sheet.height_mm + 1e-9 {
            ctx.move_to(0.0, y * PX_PER_MM);
            ctx.line_to(w, y * PX_PER_MM);
            y += step_mm;
        }
        ctx.stroke();
    }
    ctx.set_stroke_style_str("#111");
    ctx.set_fill_style_str("#111");
    ctx.set_line_width(1.2);
    ctx.set_font("bold 14px sans-serif");
    for trace in &sheet.traces {
        let _ = ctx.fill_text(
            trace.lead.label(),
            trace.label_mm.0 * PX_PER_MM,
            trace.label_mm.1 * PX_PER_MM,
        );
        ctx.begin_path();
        for (i, (x, y)) in trace.points_mm.iter().enumerate() {
            if i == 0 {
                ctx.move_to(x * PX_PER_MM, y * PX_PER_MM);
            } else {
                ctx.line_to(x * PX_PER_MM, y * PX_PER_MM);
            }
        }
        ctx.stroke();
    }
}
