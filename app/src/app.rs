use yew::prelude::*;

use crate::components::{Disclaimer, DropZone, EcgSheet, EncodingsView, Notices, RecordTabs};
use crate::files::read_file_list;
use crate::state::{Action, AppState};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);

    let on_files = {
        let state = state.clone();
        Callback::from(move |list: web_sys::FileList| {
            let state = state.clone();
            state.dispatch(Action::Reading);
            wasm_bindgen_futures::spawn_local(async move {
                let (files, refused) = read_file_list(list).await;
                state.dispatch(Action::Refused(refused));
                if !files.is_empty() {
                    state.dispatch(Action::Read(ecgmatch_engine::read_records(&files)));
                }
            });
        })
    };
    let on_select = {
        let state = state.clone();
        Callback::from(move |id| state.dispatch(Action::Select(id)))
    };
    let on_dismiss = {
        let state = state.clone();
        Callback::from(move |id| state.dispatch(Action::Dismiss(id)))
    };

    html! {
        <main>
            <header>
                <h1>{ "ECGMatch" }</h1>
                <p class="tagline">{ "Find the past cases most similar to an ECG. Everything runs in this browser: no ECG leaves your device." }</p>
            </header>
            <Disclaimer />
            <DropZone on_files={on_files} busy={state.busy} />
            <Notices notices={state.notices.clone()} on_dismiss={on_dismiss} />
            <RecordTabs records={state.records.clone()} selected={state.selected} on_select={on_select} />
            if let Some(loaded) = state.selected_record() {
                <EcgSheet loaded={loaded.clone()} />
                <EncodingsView loaded={loaded.clone()} />
            }
        </main>
    }
}
