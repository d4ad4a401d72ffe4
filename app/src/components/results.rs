use std::rc::Rc;

use yew::prelude::*;

use super::{CaseCard, CompareTracings, Consensus, FittingReports, Measured, ReportText, ZeroShot};
use crate::state::{LoadedRecord, QueryStatus};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<LoadedRecord>,
    pub compared_case: Option<u32>,
    pub on_compare: Callback<Option<u32>>,
}

/// The selected record's search: ranked cases, the neighbours' consensus, zero-shot
/// scores, and the case opened beside the query.
#[function_component(Results)]
pub fn results(props: &Props) -> Html {
    let name = props.loaded.data.record.name.clone();
    let section = use_node_ref();
    // The query's tracings as the library's were made, for Compare.
    let query_tracings = use_memo(props.loaded.data.clone(), |data| {
        ecgmatch::retrieval::waveforms::of_record(&data.record)
            .ok()
            .map(Rc::new)
    });
    {
        // Rendering time: from results ready to the DOM holding them.
        let section = section.clone();
        use_effect_with(props.loaded.query.clone(), move |query| {
            if let (QueryStatus::Done(r), Some(el)) = (query, section.cast::<web_sys::Element>()) {
                let _ = el.set_attribute(
                    "data-render-ms",
                    &format!("{:.2}", crate::inference::now_ms() - r.finished_at),
                );
            }
        });
    }
    match &props.loaded.query {
        QueryStatus::Waiting => {
            html! { <section class="results pending" id="results" data-state="waiting" data-record={name}>{ "Waiting for the case library…" }</section> }
        }
        QueryStatus::Running => {
            html! { <section class="results pending" id="results" data-state="running" data-record={name}>{ "Searching…" }</section> }
        }
        QueryStatus::Failed(message) => html! {
            <section class="results failed" id="results" data-state="failed" data-record={name} role="alert">{ format!("This record could not be searched: {message}") }</section>
        },
        QueryStatus::Done(r) => {
            let t = r.timings;
            let timings = serde_json::json!({ "read": props.loaded.read_ms, "encode": t.encode, "embed": t.embed, "search": t.search }).to_string();
            let on_compare = props.on_compare.reform(Some);
            let compared = props
                .compared_case
                .and_then(|id| r.matches.iter().find(|m| m.ecg_id == id));
            html! {
                <section ref={section} class="results" id="results" data-state="done" data-record={name} data-timings={timings} data-backend={r.backend.label()}>
                    <h2>{ format!("Most similar cases to {}", props.loaded.data.record.name) }</h2>
                    <p class="meta">
                        { format!("One case per distinct report, nearest first · read {:.0} ms · encode {:.0} ms · embed {:.0} ms on {} · search {:.1} ms", props.loaded.read_ms, t.encode, t.embed, r.backend.label(), t.search) }
                    </p>
                    if let Some(case) = compared {
                        <aside class="compare-panel" id="compare-panel" data-ecg-id={case.ecg_id.to_string()}>
                            <h3>{ format!("Your ECG beside case {}", case.ecg_id) }</h3>
                            if let Some(query) = (*query_tracings).clone() {
                                <CompareTracings query={query} ecg_id={case.ecg_id} />
                            } else {
                                <p class="meta">{ "Your ECG has no lead II to draw beside the case." }</p>
                            }
                            <ReportText case={case.clone()} />
                            <button onclick={props.on_compare.reform(|_| None)}>{ "Close" }</button>
                        </aside>
                    }
                    if let Some(own) = &r.this_record {
                        <p class="this-record" id="this-record" data-ecg-id={own.ecg_id.to_string()} data-similarity={format!("{:.6}", own.similarity)}>
                            <strong>{ "This record: " }</strong>
                            { format!("this ECG is case {} of the library ({:.1}% similar, fold {}: \"{}\"). It is not counted among the similar cases below, nor in the consensus.", own.ecg_id, own.similarity * 100.0, own.fold, own.english) }
                        </p>
                    }
                    <div class="results-grid">
                        <ol class="cases">
                            { for r.matches.iter().map(|m| html! {
                                <CaseCard case={m.clone()} compared={props.compared_case == Some(m.ecg_id)} on_compare={on_compare.clone()} />
                            }) }
                        </ol>
                        <div class="side">
                            <Measured summary={r.measured.clone()} />
                            <FittingReports reports={r.reports.clone()} />
                            <Consensus votes={r.consensus.clone()} voters={r.voters} />
                            <ZeroShot scores={r.zero_shot.clone()} />
                        </div>
                    </div>
                </section>
            }
        }
    }
}
