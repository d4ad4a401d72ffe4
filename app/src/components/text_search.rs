use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::CaseCard;
use crate::state::{TextMode, TextSearch};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub status: TextSearch,
    pub enabled: bool,
    pub on_search: Callback<(String, TextMode)>,
    pub on_compare: Callback<Option<u32>>,
}

/// Ranks the library's cases by how close their ECGs (or, as a second mode, their reports)
/// lie to a typed description.
#[function_component(TextSearchView)]
pub fn text_search(props: &Props) -> Html {
    let input = use_node_ref();
    let mode = use_node_ref();
    let onsubmit = {
        let (input, mode, on_search) = (input.clone(), mode.clone(), props.on_search.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let reports = mode
                .cast::<web_sys::HtmlSelectElement>()
                .is_some_and(|m| m.value() == "reports");
            if let Some(field) = input.cast::<HtmlInputElement>() {
                let query = field.value().trim().to_string();
                if !query.is_empty() {
                    on_search.emit((
                        query,
                        if reports {
                            TextMode::Reports
                        } else {
                            TextMode::Ecgs
                        },
                    ));
                }
            }
        })
    };
    let busy = matches!(
        props.status,
        TextSearch::Downloading { .. } | TextSearch::Searching
    );
    let on_compare = props.on_compare.reform(Some);
    html! {
        <section class="text-search" id="text-search">
            <form {onsubmit}>
                <label for="text-query">{ "Find cases by description: " }</label>
                <input id="text-query" ref={input} type="search" placeholder="e.g. atrial fibrillation with left bundle branch block" disabled={!props.enabled || busy} />
                <label for="text-mode" class="visually-hidden">{ "compared with" }</label>
                <select id="text-mode" ref={mode} disabled={!props.enabled || busy}>
                    <option value="ecgs" selected=true>{ "whose ECG fits it" }</option>
                    <option value="reports">{ "whose report reads like it" }</option>
                </select>
                <button type="submit" disabled={!props.enabled || busy}>{ "Search" }</button>
            </form>
            {
                match &props.status {
                    TextSearch::Idle => html! { <p class="meta">{ "The first text search downloads the text model once (about 23 MB); it then runs in this browser like the rest." }</p> },
                    TextSearch::Downloading { received, total } => html! {
                        <p class="meta" id="text-status" data-state="downloading">
                            { format!("Downloading the text model: {:.1} MB", *received as f64 / 1e6) }
                            if let Some(t) = total { { format!(" of {:.1} MB ({:.0}%)", *t as f64 / 1e6, *received as f64 / (*t).max(1) as f64 * 100.0) } }
                        </p>
                    },
                    TextSearch::Searching => html! { <p class="meta" id="text-status" data-state="searching">{ "Searching…" }</p> },
                    TextSearch::Failed(message) => html! { <p class="notice" id="text-status" data-state="failed" role="alert">{ message }</p> },
                    TextSearch::Done { query, mode, matches } => html! {
                        <div id="text-results" data-state="done" data-query={query.clone()} data-mode={if *mode == TextMode::Ecgs { "ecgs" } else { "reports" }}>
                            <h3>{ match mode {
                                TextMode::Ecgs => format!("Cases whose ECG fits “{query}” (ECG embedding · text embedding)"),
                                TextMode::Reports => format!("Cases whose reports read most like “{query}” (report text · text)"),
                            } }</h3>
                            <ol class="cases">
                                { for matches.iter().map(|m| html! { <CaseCard case={m.clone()} compared={false} on_compare={on_compare.clone()} /> }) }
                            </ol>
                        </div>
                    },
                }
            }
        </section>
    }
}
