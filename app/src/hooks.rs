//! The page's state in custom hooks, as Yew's examples keep it: the library (loaded once, again
//! on retry), the queue of records waiting for a search, and the user's actions as callbacks.
//! The view (`app.rs`) only lays out components.

use ecgmatch::formats::ReadOptions;
use ecgmatch::paper::digitize::sheet::Corners;
use ecgmatch::paper::render::PrintLayout;
use yew::prelude::*;

use crate::export;
use crate::files::files_of;
use crate::inference::{self, now_ms, Backend};
use crate::picture::Picture;
use crate::state::{Action, AppState, TextMode};
use crate::tasks::{
    digitize_picture, load_library, read_dropped, search_text, start_engine, PictureRead,
};

/// Loads the case library and starts the model once; the callback retries after a failure.
#[hook]
pub fn use_library(state: &UseReducerHandle<AppState>) -> Callback<()> {
    let generation = use_state(|| 0u32);
    {
        let state = state.clone();
        use_effect_with(*generation, move |_| {
            wasm_bindgen_futures::spawn_local(load_library(state));
        });
    }
    let state = state.clone();
    Callback::from(move |_| {
        state.dispatch(Action::RetryLibrary);
        generation.set(*generation + 1);
    })
}

/// Searches every record that is waiting, one after another, on the current engine.
#[hook]
pub fn use_query_queue(state: &UseReducerHandle<AppState>) {
    let state = state.clone();
    let waiting: Vec<usize> = state.waiting().iter().map(|r| r.id).collect();
    use_effect_with(waiting, move |ids| {
        if let (false, Some(engine)) = (ids.is_empty(), state.engine.clone()) {
            let records = state.waiting();
            state.dispatch(Action::QueriesStarted(ids.clone()));
            wasm_bindgen_futures::spawn_local(async move {
                for r in records {
                    let result =
                        inference::run_query(&engine.searcher, engine.backend, &r.data.record)
                            .await;
                    state.dispatch(Action::QueryFinished(r.id, result));
                }
            });
        }
    });
}

/// What the user can do, as callbacks for the components.
#[derive(Clone)]
pub struct Actions {
    pub on_files: Callback<web_sys::FileList>,
    pub on_capture: Callback<Picture>,
    pub on_paper_reread: Callback<(usize, Corners, Option<PrintLayout>)>,
    pub on_reread: Callback<(usize, ReadOptions)>,
    pub on_select: Callback<usize>,
    pub on_dismiss: Callback<usize>,
    pub on_switch: Callback<Backend>,
    pub on_compare: Callback<Option<u32>>,
    pub on_text_search: Callback<(String, TextMode)>,
    pub on_export_json: Callback<MouseEvent>,
    pub on_export_csv: Callback<MouseEvent>,
}

#[hook]
pub fn use_actions(state: &UseReducerHandle<AppState>) -> Actions {
    let state = state.clone();
    let on_files = {
        let state = state.clone();
        Callback::from(move |list: web_sys::FileList| {
            wasm_bindgen_futures::spawn_local(read_dropped(state.clone(), files_of(&list)));
        })
    };
    let on_capture = {
        let state = state.clone();
        Callback::from(move |Picture { bitmap, url }: Picture| {
            let name = format!(
                "camera photo {}",
                String::from(js_sys::Date::new_0().to_locale_time_string("en-GB"))
            );
            wasm_bindgen_futures::spawn_local(digitize_picture(
                state.clone(),
                PictureRead::new(name, bitmap, url),
            ));
        })
    };
    let on_paper_reread = {
        let state = state.clone();
        Callback::from(
            move |(id, corners, layout): (usize, Corners, Option<PrintLayout>)| {
                let (Some(picture), Some(record)) =
                    (state.picture(id), state.records.iter().find(|r| r.id == id))
                else {
                    return;
                };
                let read = PictureRead {
                    name: record.files.first().cloned().unwrap_or_default(),
                    bitmap: picture.bitmap.clone(),
                    url: picture.url.clone(),
                    corners: Some(corners),
                    layout,
                    replaces: Some(id),
                };
                wasm_bindgen_futures::spawn_local(digitize_picture(state.clone(), read));
            },
        )
    };
    let on_reread = {
        let state = state.clone();
        Callback::from(move |(id, options): (usize, ReadOptions)| {
            let Some((drop, _)) = state.sources(id) else {
                return;
            };
            let started = now_ms();
            let outcomes = ecgmatch::formats::read_records_with(&drop, &options);
            state.dispatch(Action::Read {
                outcomes,
                drop,
                options,
                read_ms: now_ms() - started,
                replaces: Some(id),
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
    let on_switch = {
        let state = state.clone();
        Callback::from(move |backend: Backend| {
            let Some(engine) = state.engine.clone() else {
                return;
            };
            let state = state.clone();
            state.dispatch(Action::SwitchingBackend);
            wasm_bindgen_futures::spawn_local(async move {
                let started = async {
                    let device = inference::device(backend).await?;
                    start_engine(
                        engine
                            .searcher
                            .on_device(device)
                            .map_err(|e| e.to_string())?,
                        backend,
                    )
                    .await
                };
                match started.await {
                    Ok(engine) => state.dispatch(Action::EngineReady(engine)),
                    Err(e) => state.dispatch(Action::EngineFailed(e)),
                }
            });
        })
    };
    let on_compare = {
        let state = state.clone();
        Callback::from(move |case| state.dispatch(Action::Compare(case)))
    };
    let on_text_search = {
        let state = state.clone();
        Callback::from(move |(query, mode): (String, TextMode)| {
            if let Some(engine) = state.engine.clone() {
                wasm_bindgen_futures::spawn_local(search_text(state.clone(), engine, query, mode));
            }
        })
    };
    let on_export = {
        let state = state.clone();
        move |csv: bool| {
            let state = state.clone();
            Callback::from(move |_| {
                let result = if csv {
                    export::download(
                        "ecgmatch-results.csv",
                        "text/csv",
                        &export::to_csv(&state.records),
                    )
                } else {
                    export::download(
                        "ecgmatch-results.json",
                        "application/json",
                        &export::to_json(&state.records),
                    )
                };
                if let Err(e) = result {
                    state.dispatch(Action::EngineFailed(format!("export failed: {e}")));
                }
            })
        }
    };
    Actions {
        on_files,
        on_capture,
        on_paper_reread,
        on_reread,
        on_select,
        on_dismiss,
        on_switch,
        on_compare,
        on_text_search,
        on_export_json: on_export(false),
        on_export_csv: on_export(true),
    }
}

/// A library case's tracings for Compare, fetched when `ecg_id` is set (see `tracings`).
#[derive(Clone, PartialEq)]
pub enum CaseTracings {
    Idle,
    Loading(u32),
    Ready(std::rc::Rc<ecgmatch::retrieval::waveforms::CaseWaveforms>),
    Failed(u32, String),
}

#[hook]
pub fn use_case_tracings(ecg_id: Option<u32>) -> CaseTracings {
    let state = use_state(|| CaseTracings::Idle);
    {
        let state = state.clone();
        use_effect_with(ecg_id, move |id| match *id {
            None => state.set(CaseTracings::Idle),
            Some(id) => {
                state.set(CaseTracings::Loading(id));
                wasm_bindgen_futures::spawn_local(async move {
                    state.set(match crate::tracings::case_tracings(id).await {
                        Ok(t) => CaseTracings::Ready(std::rc::Rc::new(t)),
                        Err(e) => CaseTracings::Failed(id, e),
                    });
                });
            }
        });
    }
    (*state).clone()
}
