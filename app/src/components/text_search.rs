use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::CaseCard;
use crate::state::TextSearch;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub status: TextSearch,
    pub enabled: bool,
    pub on_search: Callback<String>,
    pub on_compare: Callback<Option<u32>>,
}

/// Ranks the library's cases by how close their reports are to a typed phrase.
#[function_component(TextSearchView)]
pub fn text_search(props: &Props) -> Html {
    let input = use_node_ref();
    let onsubmit = {
        let (input, on_search) = (input.clone(), props.on_search.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(field) = input.cast::<HtmlInputElement>() {
                let query = field.value().trim().to_string();
                if !query.is_empty() {
                    on_search.emit(query);
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
                <label for="text-query">{ "Search the cases by report text: " }</label>
                <input id="text-query" ref={input} type="search" placeholder="e.g. atrial fibrillation with rapid ventricular response" disabled={!props.enabled || busy} />
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
                    TextSearch::Done { query, matches } => html! {
                        <div id="text-results" data-state="done" data-query={query.clone()}>
                            <h3>{ format!("Cases whose reports read most like “{query}”") }</h3>
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
