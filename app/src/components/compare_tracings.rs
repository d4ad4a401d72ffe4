use std::rc::Rc;

use ecgmatch::paper::sheet::{Comparison, SheetConfig, Tracings};
use ecgmatch::retrieval::waveforms::CaseWaveforms;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::paper_canvas::{context, draw_grid, draw_traces, PX_PER_MM};
use crate::hooks::{use_case_tracings, CaseTracings};

/// The query's colour and the case's on the shared grid.
const QUERY_COLOUR: &str = "#111";
const CASE_COLOUR: &str = "#1c5fd6";

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The ECG in hand, made into tracings as the library's were (`waveforms::of_record`).
    pub query: Rc<CaseWaveforms>,
    pub ecg_id: u32,
}

fn tracings(w: &CaseWaveforms) -> Tracings<'_> {
    Tracings {
        sampling_rate: w.sampling_rate as f64,
        rhythm_strip: &w.rhythm_strip,
        median_beats: w.median_beats.as_ref(),
    }
}

/// The query and a similar case on one millimetre grid: median beats overlaid lead by lead,
/// then the two lead II strips one above the other.
#[function_component(CompareTracings)]
pub fn compare_tracings(props: &Props) -> Html {
    let case = use_case_tracings(Some(props.ecg_id));
    let canvas = use_node_ref();
    let comparison = use_memo(
        (props.query.clone(), case.clone()),
        |(query, case)| match case {
            CaseTracings::Ready(case) => Some(Comparison::new(
                &tracings(query),
                &tracings(case),
                &SheetConfig::default(),
            )),
            _ => None,
        },
    );
    {
        let canvas = canvas.clone();
        use_effect_with(comparison.clone(), move |comparison| {
            if let (Some(c), Some(ctx)) = (
                comparison.as_ref(),
                canvas.cast::<HtmlCanvasElement>().and_then(|c| context(&c)),
            ) {
                draw_grid(&ctx, c.width_mm, c.height_mm);
                draw_traces(&ctx, &c.case, CASE_COLOUR, false);
                draw_traces(&ctx, &c.query, QUERY_COLOUR, true);
            }
        });
    }
    match (&case, comparison.as_ref()) {
        (CaseTracings::Ready(_), Some(c)) => {
            let (w, h) = (
                (c.width_mm * PX_PER_MM).round(),
                (c.height_mm * PX_PER_MM).round(),
            );
            let alt = format!(
                "Your ECG (black) beside case {} (blue) at 25 mm/s and 10 mm/mV: the twelve leads' median beats overlaid in a 3 by 4 grid, then both lead II rhythm strips, yours above.",
                props.ecg_id
            );
            html! {
                <figure class="compare-tracings" id="compare-tracings" data-state="ready" data-ecg-id={props.ecg_id.to_string()}
                    data-query-traces={c.query.len().to_string()} data-case-traces={c.case.len().to_string()}>
                    <div class="sheet-scroll">
                        <canvas ref={canvas} width={w.to_string()} height={h.to_string()} role="img" aria-label={alt.clone()} />
                    </div>
                    <figcaption class="meta">
                        <span class="swatch-query">{ "━ your ECG" }</span>{ " " }
                        <span class="swatch-case">{ format!("━ case {}", props.ecg_id) }</span>
                        { " · median beats overlaid, then lead II · 25 mm/s, 10 mm/mV · the case's tracings are kept in 10 µV steps" }
                    </figcaption>
                </figure>
            }
        }
        (CaseTracings::Failed(_, message), _) => html! {
            <p class="compare-tracings warning" id="compare-tracings" data-state="failed">{ format!("The case's tracings could not be shown: {message}") }</p>
        },
        _ => html! {
            <p class="compare-tracings meta" id="compare-tracings" data-state="loading">{ "Fetching the case's tracings (about 1 KB)…" }</p>
        },
    }
}
