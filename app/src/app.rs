use std::rc::Rc;

use ecgmatch::retrieval::bundle::Bundle;
use ecgmatch::retrieval::search::Searcher;
use yew::prelude::*;

use crate::components::{
    BackendSwitch, CameraCapture, Disclaimer, DropZone, EcgSheet, EncodingsView, LibraryStatusView,
    Notices, PaperOverlay, RecordTabs, Results, TextSearchView, UnitsChoice,
};
use crate::export;
use crate::files::{files_of, read_files};
use crate::inference::{self, now_ms, Backend};
use crate::library;
use crate::picture::{self, LocalUrl, Picture};
use crate::state::{Action, AppState, Engine, LibraryStatus, Notice, TextSearch, TextTower};
use ecgmatch::formats::ReadOptions;
use ecgmatch::paper::digitize::{digitize_within, sheet::Corners, Config};
use ecgmatch::paper::render::PrintLayout;
use ecgmatch::paper::Bitmap;

/// `?backend=cpu` or `?backend=webgpu` pins the backend (tests and benchmarks use it).
fn requested_backend() -> Option<Backend> {
    let search = web_sys::window()?.location().search().ok()?;
    if search.contains("backend=cpu") {
        Some(Backend::Cpu)
    } else if search.contains("backend=webgpu") {
        Some(Backend::WebGpu)
    } else {
        None
    }
}

async fn start_engine(searcher: Searcher, backend: Backend) -> Result<Engine, String> {
    inference::warm_up(&searcher).await?;
    Ok(Engine {
        searcher: Rc::new(searcher),
        backend,
    })
}

/// Downloads (or reads back) the library, then starts the model on the best backend.
async fn load_library(state: UseReducerHandle<AppState>) {
    let last_percent = std::cell::Cell::new(-1i64);
    let progress = |received: u64, total: Option<u64>| {
        let percent = total.map_or(received as i64 >> 20, |t| {
            (received * 100 / t.max(1)) as i64
        });
        if percent != last_percent.get() {
            last_percent.set(percent);
            state.dispatch(Action::LibraryProgress { received, total });
        }
    };
    let (bytes, origin) = match library::load(library::BUNDLE_URL, progress).await {
        Ok(loaded) => loaded,
        Err(message) => return state.dispatch(Action::LibraryFailed(message)),
    };
    let bundle = match Bundle::from_bytes(&bytes) {
        Ok(b) => b,
        Err(e) => {
            library::forget(library::BUNDLE_URL).await;
            return state.dispatch(Action::LibraryFailed(format!(
                "{e}. Retry to download it again"
            )));
        }
    };
    if origin == library::Origin::Network {
        library::keep(library::BUNDLE_URL, &bytes).await;
    }
    // Tidying storage need not delay the search.
    wasm_bindgen_futures::spawn_local(library::forget_superseded());
    state.dispatch(Action::LibraryReady {
        cases: bundle.cases.len(),
        bytes: bytes.len(),
        from_cache: origin == library::Origin::Cache,
    });
    let webgpu = inference::webgpu_available().await;
    state.dispatch(Action::WebGpuDetected(webgpu));
    let backend = requested_backend().unwrap_or(if webgpu {
        Backend::WebGpu
    } else {
        Backend::Cpu
    });
    let started = async {
        let device = inference::device(backend).await?;
        let searcher = Searcher::new(bundle.clone(), device).map_err(|e| e.to_string())?;
        start_engine(searcher, backend).await
    };
    match started.await {
        Ok(engine) => state.dispatch(Action::EngineReady(engine)),
        Err(e) if backend == Backend::WebGpu => {
            // The GPU path failing must not leave the page without search.
            state.dispatch(Action::EngineFailed(format!("{e}; using the CPU instead")));
            match Searcher::new(bundle, ecgmatch::model::burn::prelude::Device::flex())
                .map_err(|e| e.to_string())
            {
                Ok(s) => match start_engine(s, Backend::Cpu).await {
                    Ok(engine) => state.dispatch(Action::EngineReady(engine)),
                    Err(e) => state.dispatch(Action::EngineFailed(e)),
                },
                Err(e) => state.dispatch(Action::EngineFailed(e)),
            }
        }
        Err(e) => state.dispatch(Action::EngineFailed(e)),
    }
}

/// Loads the text tower (downloading it the first time), or returns the loaded one.
async fn text_tower(state: &UseReducerHandle<AppState>) -> Result<TextTower, String> {
    if let Some(tower) = state.text_tower.clone() {
        return Ok(tower);
    }
    let progress = |received, total| {
        state.dispatch(Action::TextSearch(TextSearch::Downloading {
            received,
            total,
        }))
    };
    let (bytes, origin) = library::load(library::TEXT_TOWER_URL, progress).await?;
    let unpacked = ecgmatch::retrieval::bundle::text_tower::unpack(&bytes);
    let (weights, vocab) = match unpacked {
        Ok(parts) => parts,
        Err(e) => {
            library::forget(library::TEXT_TOWER_URL).await;
            return Err(format!("{e}. Try again to download it afresh"));
        }
    };
    if origin == library::Origin::Network {
        library::keep(library::TEXT_TOWER_URL, &bytes).await;
    }
    let encoder = ecgmatch::model::text::TextEncoder::from_bytes(
        &weights,
        &vocab,
        &ecgmatch::model::burn::prelude::Device::flex(),
    )
    .map_err(|e| e.to_string())?;
    let tower = TextTower(Rc::new(encoder));
    state.dispatch(Action::TextTowerReady(tower.clone()));
    Ok(tower)
}

async fn search_text(state: UseReducerHandle<AppState>, engine: Engine, query: String) {
    state.dispatch(Action::TextSearch(TextSearch::Searching));
    let result = async {
        let tower = text_tower(&state).await?;
        state.dispatch(Action::TextSearch(TextSearch::Searching));
        let sentence = tower
            .0
            .embed(&[query.as_str()])
            .map_err(|e| e.to_string())?;
        let embedding = engine
            .searcher
            .embed_sentence(&sentence[0])
            .map_err(|e| e.to_string())?;
        let hits = engine
            .searcher
            .bundle
            .search_text(&embedding, inference::TOP_K);
        Ok::<_, String>(ecgmatch::retrieval::search::describe(
            &engine.searcher.bundle,
            &hits,
        ))
    };
    let status = match result.await {
        Ok(matches) => TextSearch::Done { query, matches },
        Err(e) => TextSearch::Failed(e),
    };
    state.dispatch(Action::TextSearch(status));
}

/// A picture to read, and how.
struct PictureRead {
    name: String,
    bitmap: Rc<Bitmap>,
    url: Rc<LocalUrl>,
    /// Where the user placed the sheet's corners (`None`: find them).
    corners: Option<Corners>,
    /// The layout the user chose (`None`: find it).
    layout: Option<PrintLayout>,
    /// The record this reading replaces.
    replaces: Option<usize>,
}

impl PictureRead {
    fn new(name: String, bitmap: Bitmap, url: Rc<LocalUrl>) -> Self {
        Self {
            name,
            bitmap: Rc::new(bitmap),
            url,
            corners: None,
            layout: None,
            replaces: None,
        }
    }
}

/// Reads a paper ECG off a picture. The page is given a moment to show that it is busy
/// first, as the digitizer holds the thread.
async fn digitize_picture(state: UseReducerHandle<AppState>, read: PictureRead) {
    state.dispatch(Action::Reading);
    picture::yield_to_page().await;
    let started = now_ms();
    let config = Config {
        layout: read.layout,
        ..Config::default()
    };
    let name = read.name;
    let result =
        digitize_within(&read.bitmap, read.corners, &config).map_err(|e| format!("{name}: {e}"));
    let digitize_ms = now_ms() - started;
    state.dispatch(Action::Digitized {
        name,
        bitmap: read.bitmap,
        url: read.url,
        result,
        digitize_ms,
        replaces: read.replaces,
    });
}

/// Signal files are read together (a record may span several); each picture is one record.
async fn read_dropped(state: UseReducerHandle<AppState>, list: Vec<web_sys::File>) {
    let (pictures, others): (Vec<_>, Vec<_>) = list.into_iter().partition(picture::is_picture);
    if !others.is_empty() {
        state.dispatch(Action::Reading);
        let started = now_ms();
        let (files, refused) = read_files(others).await;
        state.dispatch(Action::Refused(refused));
        if !files.is_empty() {
            let outcomes = ecgmatch::formats::read_records(&files);
            let (drop, options) = (Rc::new(files), ReadOptions::default());
            state.dispatch(Action::Read {
                outcomes,
                drop,
                options,
                read_ms: now_ms() - started,
                replaces: None,
            });
        }
    }
    for file in pictures {
        match picture::decode(&file).await {
            Ok(Picture { bitmap, url }) => {
                digitize_picture(state.clone(), PictureRead::new(file.name(), bitmap, url)).await
            }
            Err(message) => state.dispatch(Action::Refused(vec![Notice::new(
                vec![file.name()],
                message,
            )])),
        }
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);
    let generation = use_state(|| 0u32);

    {
        let state = state.clone();
        use_effect_with(*generation, move |_| {
            wasm_bindgen_futures::spawn_local(load_library(state));
        });
    }
    // Search every record that is waiting, one after another, on the current engine.
    {
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
    let on_retry = {
        let (state, generation) = (state.clone(), generation.clone());
        Callback::from(move |_| {
            state.dispatch(Action::RetryLibrary);
            generation.set(*generation + 1);
        })
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
    let on_text_search = {
        let state = state.clone();
        Callback::from(move |query: String| {
            if let Some(engine) = state.engine.clone() {
                wasm_bindgen_futures::spawn_local(search_text(state.clone(), engine, query));
            }
        })
    };
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
                <BackendSwitch active={state.engine.as_ref().map(|e| e.backend)} webgpu_available={state.webgpu_available} switching={state.switching} on_switch={on_switch} />
            }
            <DropZone on_files={on_files} busy={state.busy} />
            <CameraCapture on_capture={on_capture} />
            <TextSearchView status={state.text_search.clone()} enabled={state.engine.is_some()} on_search={on_text_search} on_compare={on_compare.clone()} />
            <Notices notices={state.notices.clone()} on_dismiss={on_dismiss} on_reread={on_reread.clone()} />
            <RecordTabs records={state.records.clone()} selected={state.selected} on_select={on_select} />
            if searched > 0 {
                <p class="export">
                    { format!("{searched} record(s) searched. Export all results: ") }
                    <button id="export-json" onclick={on_export(false)}>{ "JSON" }</button>
                    <button id="export-csv" onclick={on_export(true)}>{ "CSV" }</button>
                </p>
            }
            if let Some(loaded) = state.selected_record() {
                if let Some(guessed) = loaded.data.record.metadata.guessed_units {
                    <UnitsChoice id={loaded.id} {guessed} options={loaded.options.clone()} on_reread={on_reread} />
                }
                if let Some(picture) = loaded.picture.clone() {
                    <PaperOverlay id={loaded.id} {picture} read_ms={loaded.read_ms} on_reread={on_paper_reread} />
                }
                <EcgSheet data={loaded.data.clone()} />
                <Results loaded={loaded.clone()} compared_case={state.compared_case} on_compare={on_compare} />
                <EncodingsView data={loaded.data.clone()} />
            }
        </main>
    }
}
