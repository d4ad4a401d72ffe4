use yew::prelude::*;

use crate::inference::Backend;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub active: Option<Backend>,
    pub webgpu_available: Option<bool>,
    pub switching: bool,
    pub on_switch: Callback<Backend>,
}

/// Which backend runs the image tower, and a way to change it.
#[function_component(BackendSwitch)]
pub fn backend_switch(props: &Props) -> Html {
    let label = props.active.map_or("starting…", Backend::label);
    let button = |backend: Backend| {
        let on_switch = props.on_switch.clone();
        let unavailable = backend == Backend::WebGpu && props.webgpu_available != Some(true);
        let disabled = props.switching
            || props.active == Some(backend)
            || unavailable
            || props.active.is_none();
        let title = if unavailable {
            "This browser offers no WebGPU adapter"
        } else {
            ""
        };
        html! {
            <button class="backend-option" data-backend={backend.label()} aria-pressed={(props.active == Some(backend)).to_string()} {disabled} {title} onclick={move |_| on_switch.emit(backend)}>
                { backend.label() }
            </button>
        }
    };
    html! {
        <section class="backend" id="backend" data-backend={label}>
            <span>{ "Model runs on: " }<strong>{ label }</strong></span>
            if props.webgpu_available == Some(false) { <span class="meta">{ " (no WebGPU in this browser)" }</span> }
            { button(Backend::WebGpu) }
            { button(Backend::Cpu) }
            if props.switching { <span class="meta">{ " switching…" }</span> }
        </section>
    }
}
