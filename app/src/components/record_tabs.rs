use std::rc::Rc;

use yew::prelude::*;

use crate::state::LoadedRecord;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub records: Vec<Rc<LoadedRecord>>,
    pub selected: Option<usize>,
    pub on_select: Callback<usize>,
}

/// One tab per record read so far, so nothing a user dropped is lost.
#[function_component(RecordTabs)]
pub fn record_tabs(props: &Props) -> Html {
    if props.records.is_empty() {
        return html! {};
    }
    html! {
        <nav class="record-tabs">
            { for props.records.iter().map(|r| {
                let id = r.id;
                let on_select = props.on_select.clone();
                let class = classes!("tab", (props.selected == Some(id)).then_some("selected"));
                html! { <button {class} onclick={move |_| on_select.emit(id)}>{ &r.record.name }</button> }
            }) }
        </nav>
    }
}
