use web_sys::DragEvent;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_files: Callback<web_sys::FileList>,
    pub busy: bool,
}

/// Accepts files dropped on it or chosen with the picker; several at once.
#[function_component(DropZone)]
pub fn drop_zone(props: &Props) -> Html {
    let hovering = use_state(|| false);

    let ondragover = {
        let hovering = hovering.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            hovering.set(true);
        })
    };
    let ondragleave = {
        let hovering = hovering.clone();
        Callback::from(move |_: DragEvent| hovering.set(false))
    };
    let ondrop = {
        let hovering = hovering.clone();
        let on_files = props.on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            hovering.set(false);
            if let Some(files) = e.data_transfer().and_then(|dt| dt.files()) {
                on_files.emit(files);
            }
        })
    };
    let onchange = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            if let Some(files) = crate::files::take_chosen(&e) {
                on_files.emit(files);
            }
        })
    };

    let class = classes!(
        "drop-zone",
        hovering.then_some("hovering"),
        props.busy.then_some("busy")
    );
    html! {
        <section {class} id="drop-zone" {ondragover} {ondragleave} {ondrop}>
            <p>{ "Drop ECG files here: signal files in any common format (a WFDB record is its .hea header with its .dat files), or photos and scans of printed 12-lead ECGs (PNG, JPEG, BMP, or a scanned PDF). Several at once are fine." }</p>
            <label class="picker">
                { "or choose files" }
                <input type="file" id="file-input" multiple=true {onchange} />
            </label>
            if props.busy { <p class="status">{ "Reading…" }</p> }
        </section>
    }
}
