use std::rc::Rc;

use yew::prelude::*;

use crate::state::{LoadedRecord, QueryStatus};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub records: Vec<Rc<LoadedRecord>>,
    pub selected: Option<usize>,
    pub on_select: Callback<usize>,
}

/// One tab per record read so far, so nothing a user dropped is lost; each shows where
/// its search stands (the queue).
#[function_component(RecordTabs)]
pub fn record_tabs(props: &Props) -> Html {
    if props.records.is_empty() {
        return html! {};
    }
    html! {
        <nav class="record-tabs" role="tablist" aria-label="Records">
            { for props.records.iter().map(|r| {
                let id = r.id;
                let on_select = props.on_select.clone();
                let class = classes!("tab", (props.selected == Some(id)).then_some("selected"));
                let (state, mark) = match r.query {
                    QueryStatus::Waiting => ("waiting", " ·"),
                    QueryStatus::Running => ("running", " …"),
                    QueryStatus::Done(_) => ("done", " ✓"),
                    QueryStatus::Failed(_) => ("failed", " !"),
                };
                let selected = props.selected == Some(id);
                html! { <button {class} role="tab" aria-selected={selected.to_string()} data-state={state} onclick={move |_| on_select.emit(id)}>{ &r.data.record.name }{ mark }</button> }
            }) }
        </nav>
    }
}
