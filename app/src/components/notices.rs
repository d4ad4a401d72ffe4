use yew::prelude::*;

use crate::state::Notice;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub notices: Vec<Notice>,
    pub on_dismiss: Callback<usize>,
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
                        <button aria-label="Dismiss" onclick={move |_| on_dismiss.emit(id)}>{ "×" }</button>
                    </li>
                }
            }) }
        </ul>
    }
}
