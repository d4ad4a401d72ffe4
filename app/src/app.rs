use yew::prelude::*;

use crate::components::{
    BackendSwitch, CameraCapture, Disclaimer, DropZone, EcgSheet, EncodingsView, LibraryStatusView,
    Notices, PaperOverlay, RecordTabs, Results, TextSearchView, UnitsChoice,
};
use crate::hooks::{use_actions, use_library, use_query_queue};
use crate::state::{AppState, LibraryStatus};

/// The page: the library's state, the drop zone and camera, text search, and for the selected
/// record its sheet, similar cases and encodings. State lives in the hooks.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);
    let on_retry = use_library(&state);
    use_query_queue(&state);
    let actions = use_actions(&state);
    let searched = state
        .records
        .iter()
        .filter(|r| matches!(r.query, crate::state::QueryStatus::Done(_)))
        .count();

    html! {
        <main>
            <header>
                <h1>{ "ECGMatch" }</h1>
                <p class="tagline">{ "Find the past cases most similar to an ECG. Everything runs in this browser: no ECG leaves your device." }</p>
            </header>
            <Disclaimer />
            <LibraryStatusView status={state.library.clone()} on_retry={on_retry} />
            if matches!(state.library, LibraryStatus::Ready { .. }) {
                <BackendSwitch active={state.engine.as_ref().map(|e| e.backend)} webgpu_available={state.webgpu_available} switching={state.switching} on_switch={actions.on_switch.clone()} />
            }
            <DropZone on_files={actions.on_files.clone()} busy={state.busy} />
            <CameraCapture on_capture={actions.on_capture.clone()} />
            <TextSearchView status={state.text_search.clone()} enabled={state.engine.is_some()} on_search={actions.on_text_search.clone()} on_compare={actions.on_compare.clone()} />
            <Notices notices={state.notices.clone()} on_dismiss={actions.on_dismiss.clone()} on_reread={actions.on_reread.clone()} />
            <RecordTabs records={state.records.clone()} selected={state.selected} on_select={actions.on_select.clone()} />
            if searched > 0 {
                <p class="export">
                    { format!("{searched} record(s) searched. Export all results: ") }
                    <button id="export-json" onclick={actions.on_export_json.clone()}>{ "JSON" }</button>
                    <button id="export-csv" onclick={actions.on_export_csv.clone()}>{ "CSV" }</button>
                </p>
            }
            if let Some(loaded) = state.selected_record() {
                if let Some(guessed) = loaded.data.record.metadata.guessed_units {
                    <UnitsChoice id={loaded.id} {guessed} options={loaded.options.clone()} on_reread={actions.on_reread.clone()} />
                }
                if let Some(picture) = loaded.picture.clone() {
                    <PaperOverlay id={loaded.id} {picture} read_ms={loaded.read_ms} on_reread={actions.on_paper_reread.clone()} />
                }
                <EcgSheet data={loaded.data.clone()} />
                <Results loaded={loaded.clone()} compared_case={state.compared_case} on_compare={actions.on_compare.clone()} />
                <EncodingsView data={loaded.data.clone()} />
            }
        </main>
    }
}
