use ecgmatch::formats::ReadOptions;
use yew::prelude::*;

use super::RateRequest;
use crate::state::Notice;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub notices: Vec<Notice>,
    pub on_dismiss: Callback<usize>,
    pub on_reread: Callback<(usize, ReadOptions)>,
}

#[function_component(Notices)]
pub fn notices(props: &Props) -> Html {
    html! {
        <ul class="notices" id="notices">
            { for props.notices.iter().map(|n| {
                let id = n.id;
                let on_dismiss = props.on_dismiss.clone();
                html! {
                    <li class="notice" role="alert">
                        <span>{ &n.message }</span>
                        if n.needs_rate.is_some() { <RateRequest id={id} on_reread={props.on_reread.clone()} /> }
                        <button aria-label="Dismiss" onclick={move |_| on_dismiss.emit(id)}>{ "×" }</button>
                    </li>
                }
            }) }
        </ul>
    }
}
