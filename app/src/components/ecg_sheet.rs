use ecgmatch::paper::sheet::{Sheet, SheetConfig};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use super::paper_canvas::{context, draw_grid, draw_traces, PX_PER_MM};
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
                <canvas ref={canvas} id="ecg-sheet" width={width.to_string()} height={height.to_string()} role="img"
                    aria-label={format!("The record {} printed as a 12-lead ECG: leads in 3 rows of 4 and a lead II rhythm strip, at 25 mm/s and 10 mm/mV", record.name)}
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

fn draw(ctx: &CanvasRenderingContext2d, sheet: &Sheet) {
    draw_grid(ctx, sheet.width_mm, sheet.height_mm);
    draw_traces(ctx, &sheet.traces, "#111", true);
}
