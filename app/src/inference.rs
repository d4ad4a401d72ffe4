//! The image tower on WebGPU where the browser has it, on burn's CPU backend otherwise,
//! and one query from record to ranked cases with each stage timed.

use ecgmatch::formats::Record;
use ecgmatch::model::burn::prelude::Device;
use ecgmatch::retrieval::search::{
    rank_reports, search_shown, zero_shot, Match, ReportMatch, Searcher, Vote, ZeroShotScore,
};
use ecgmatch::signal::measure::{summary, MeasureSummary};
use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Backend {
    WebGpu,
    Cpu,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::WebGpu => "WebGPU",
            Backend::Cpu => "CPU (wasm)",
        }
    }
}

/// Whether `navigator.gpu` exists and hands out an adapter.
pub async fn webgpu_available() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let Ok(gpu) = Reflect::get(&window.navigator(), &"gpu".into()) else {
        return false;
    };
    if gpu.is_undefined() || gpu.is_null() {
        return false;
    }
    let Ok(request) =
        Reflect::get(&gpu, &"requestAdapter".into()).and_then(|f| f.dyn_into::<Function>())
    else {
        return false;
    };
    let Ok(promise) = request.call0(&gpu).and_then(|p| p.dyn_into::<Promise>()) else {
        return false;
    };
    matches!(JsFuture::from(promise).await, Ok(adapter) if !adapter.is_null() && !adapter.is_undefined())
}

pub async fn device(backend: Backend) -> Result<Device, String> {
    match backend {
        Backend::Cpu => Ok(Device::flex()),
        Backend::WebGpu => Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| format!("WebGPU could not start: {e:?}")),
    }
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Milliseconds per stage of one query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    pub encode: f64,
    pub embed: f64,
    pub search: f64,
}

/// Everything the page shows for one query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResults {
    pub matches: Vec<Match>,
    /// The query's own record in the library (same ecg_id or the same signal), set apart.
    pub this_record: Option<Match>,
    pub consensus: Vec<Vote>,
    /// How many of the nearest cases voted for the consensus.
    pub voters: usize,
    pub zero_shot: Vec<ZeroShotScore>,
    /// The library's reports ranked by the dual encoder alone.
    pub reports: Vec<ReportMatch>,
    /// The query's rate, RR spread and largest deflection (none without beats).
    pub measured: Option<MeasureSummary>,
    pub backend: Backend,
    pub timings: Timings,
    /// `performance.now()` when the results were ready, to time their rendering.
    pub finished_at: f64,
}

/// Cases shown per query.
pub const TOP_K: usize = 10;

/// Reports that fit the ECG, shown per query.
pub const REPORTS_SHOWN: usize = 5;

pub async fn run_query(
    searcher: &Searcher,
    backend: Backend,
    record: &Record,
) -> Result<QueryResults, String> {
    let t0 = now_ms();
    let input = searcher.input(record).map_err(|e| e.to_string())?;
    let measures = searcher.measure(record).map_err(|e| e.to_string())?;
    let t1 = now_ms();
    let embedding = searcher
        .embed_async(input, 1)
        .await
        .map_err(|e| e.to_string())?;
    let t2 = now_ms();
    let reports = rank_reports(&searcher.bundle, &embedding, REPORTS_SHOWN, None);
    let shown = search_shown(&searcher.bundle, &record.name, &embedding, &measures, TOP_K);
    let t3 = now_ms();
    Ok(QueryResults {
        reports,
        matches: shown.matches,
        this_record: shown.this_record,
        consensus: shown.votes,
        voters: shown.voters,
        zero_shot: zero_shot(&searcher.bundle, &embedding),
        measured: summary(&measures),
        backend,
        timings: Timings {
            encode: t1 - t0,
            embed: t2 - t1,
            search: t3 - t2,
        },
        finished_at: now_ms(),
    })
}

/// One forward pass on zeros, so that shader compilation and allocation happen before
/// the first real query.
pub async fn warm_up(searcher: &Searcher) -> Result<(), String> {
    let (patches, dim) = searcher.bundle.manifest.layout.patch_shape();
    searcher
        .embed_async(vec![0.0; patches * dim], 1)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
