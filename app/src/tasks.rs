//! The page's asynchronous work: loading the library and starting the model, reading dropped
//! files and pictures, and text search. Each task reports through the state's actions.

use std::rc::Rc;

use ecgmatch::formats::ReadOptions;
use ecgmatch::paper::digitize::{digitize_within, sheet::Corners, Config};
use ecgmatch::paper::render::PrintLayout;
use ecgmatch::paper::Bitmap;
use ecgmatch::retrieval::bundle::Bundle;
use ecgmatch::retrieval::search::Searcher;
use yew::prelude::*;

use crate::files::read_files;
use crate::inference::{self, now_ms, Backend};
use crate::library;
use crate::picture::{self, LocalUrl, Picture};
use crate::state::{Action, AppState, Engine, Notice, TextMode, TextSearch, TextTower};

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

pub async fn start_engine(searcher: Searcher, backend: Backend) -> Result<Engine, String> {
    inference::warm_up(&searcher).await?;
    Ok(Engine {
        searcher: Rc::new(searcher),
        backend,
    })
}

/// Downloads (or reads back) the library, then starts the model on the best backend.
pub async fn load_library(state: UseReducerHandle<AppState>) {
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

pub async fn search_text(
    state: UseReducerHandle<AppState>,
    engine: Engine,
    query: String,
    mode: TextMode,
) {
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
        let bundle = &engine.searcher.bundle;
        let hits = match mode {
            TextMode::Ecgs => bundle
                .search_ecgs_by_text(&embedding, inference::TOP_K, None)
                .ok_or("this case library predates text → ECG search; reload the page for the current one")?,
            TextMode::Reports => bundle.search_text(&embedding, inference::TOP_K),
        };
        Ok::<_, String>(ecgmatch::retrieval::search::describe(
            &engine.searcher.bundle,
            &hits,
        ))
    };
    let status = match result.await {
        Ok(matches) => TextSearch::Done {
            query,
            mode,
            matches,
        },
        Err(e) => TextSearch::Failed(e),
    };
    state.dispatch(Action::TextSearch(status));
}

/// A picture to read, and how.
pub struct PictureRead {
    pub name: String,
    pub bitmap: Rc<Bitmap>,
    pub url: Rc<LocalUrl>,
    /// Where the user placed the sheet's corners (`None`: find them).
    pub corners: Option<Corners>,
    /// The layout the user chose (`None`: find it).
    pub layout: Option<PrintLayout>,
    /// The record this reading replaces.
    pub replaces: Option<usize>,
}

impl PictureRead {
    pub fn new(name: String, bitmap: Bitmap, url: Rc<LocalUrl>) -> Self {
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
pub async fn digitize_picture(state: UseReducerHandle<AppState>, read: PictureRead) {
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
pub async fn read_dropped(state: UseReducerHandle<AppState>, list: Vec<web_sys::File>) {
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
