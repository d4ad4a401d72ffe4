use yew::prelude::*;

#[function_component(Disclaimer)]
pub fn disclaimer() -> Html {
    html! {
        <aside class="disclaimer" role="note">
            <strong>{ "Decision support only. " }</strong>
            { "ECGMatch compares an ECG with cases of a research dataset (PTB-XL). It does not make a diagnosis; a qualified clinician must interpret every ECG." }
        </aside>
    }
}
