//! ECGMatch for other web pages: a hospital portal or a research notebook reads ECG files,
//! searches the case library and digitizes pictures of paper ECGs through this small
//! JavaScript API, without the ECGMatch page. Everything runs in the browser; results cross
//! into JavaScript as plain objects (serde-wasm-bindgen, JSON-compatible).
//!
//! ```js
//! import init, { Engine, readFiles, digitize } from './pkg/ecgmatch_js.js';
//! await init();
//! const engine = new Engine(new Uint8Array(await (await fetch('ptbxl-v6.ecgb')).arrayBuffer()));
//! const files = [{ name: '00009_lr.hea', bytes: hea }, { name: '00009_lr.dat', bytes: dat }];
//! const [first] = await engine.search(files, 10);   // { files, record, cases, consensus }
//! ```

use serde::Serialize;
use wasm_bindgen::prelude::*;

use ecgmatch::formats::{read_records, InputFile, Record};
use ecgmatch::model::burn::prelude::Device;
use ecgmatch::paper::digitize::{self, Config};
use ecgmatch::paper::Bitmap;
use ecgmatch::retrieval::bundle::Bundle;
use ecgmatch::retrieval::search::{search_shown, Match, Searcher, Shown, Vote};

// burn's IR registers its dialects with `inventory` constructors; calling them once at start
// keeps the linker from running them again in every export (see app/src/main.rs).
#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

#[wasm_bindgen(start)]
fn start() {
    // SAFETY: runs once, when the module is instantiated, before any export is called.
    #[cfg(target_family = "wasm")]
    unsafe {
        __wasm_call_ctors();
    }
}

/// Converts a result for JavaScript: plain objects and arrays, maps as objects.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

fn error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// `files`: an array of `{ name: string, bytes: Uint8Array }`, as dropped or fetched.
fn input_files(files: &JsValue) -> Result<Vec<InputFile>, JsError> {
    let array: &js_sys::Array = files
        .dyn_ref()
        .ok_or_else(|| JsError::new("files: expected an array of { name, bytes }"))?;
    array
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let field = |key: &str| js_sys::Reflect::get(&file, &JsValue::from_str(key));
            let name = field("name")
                .ok()
                .and_then(|v| v.as_string())
                .ok_or_else(|| JsError::new(&format!("files[{i}]: no name (a string)")))?;
            let bytes = field("bytes")
                .ok()
                .and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok())
                .ok_or_else(|| JsError::new(&format!("{name}: no bytes (a Uint8Array)")))?;
            Ok(InputFile::new(name, bytes.to_vec()))
        })
        .collect()
}

/// One record group of a drop: the files it covers, and the record or why it was refused.
#[derive(Serialize)]
struct ReadResult {
    files: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<Record>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Reads ECG files of any supported format (grouped into records as a drop is):
/// `[{ files, record: { name, sampling_rate, channels: [{ name, lead, units, samples, derived }],
/// metadata, warnings } }` or `{ files, error }]`, one entry per record or refused file.
#[wasm_bindgen(js_name = readFiles)]
pub fn read_files(files: JsValue) -> Result<JsValue, JsError> {
    let results: Vec<ReadResult> = read_records(&input_files(&files)?)
        .into_iter()
        .map(|outcome| match outcome.result {
            Ok(record) => ReadResult {
                files: outcome.files,
                record: Some(record),
                error: None,
            },
            Err(e) => ReadResult {
                files: outcome.files,
                record: None,
                error: Some(e.to_string()),
            },
        })
        .collect();
    to_js(&results)
}

/// A picture of a paper ECG read back into a record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DigitizeResult {
    /// The record to search with: leads the trust gate doubts are left out (limb leads
    /// recomputed from two trusted ones, chest leads flat).
    record: Record,
    /// The layout found (`3x4+1`, `6x2`, …).
    layout: String,
    warnings: Vec<String>,
    /// Leads read with too little confidence.
    doubtful_leads: Vec<String>,
    /// Why the reading should not be searched at all (too few trusted leads), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_searchable: Option<String>,
}

/// Digitizes a photo or scan of a printed 12-lead ECG from its RGBA pixels (as a canvas's
/// `getImageData` gives them): `{ record, layout, warnings, doubtfulLeads, notSearchable? }`
/// (search only where `notSearchable` is absent), or an error saying why the
/// picture cannot be read and what to retake.
#[wasm_bindgen]
pub fn digitize(rgba: &[u8], width: usize, height: usize) -> Result<JsValue, JsError> {
    let bitmap = Bitmap::from_rgba(width, height, rgba).ok_or_else(|| {
        JsError::new(&format!(
            "the picture's pixel data ({} bytes) does not match {width}×{height} RGBA",
            rgba.len()
        ))
    })?;
    let digitized = digitize::digitize(&bitmap, &Config::default()).map_err(error)?;
    let trust = &digitized.trust;
    to_js(&DigitizeResult {
        record: trust.query_record(&digitized.record),
        doubtful_leads: trust
            .leads
            .iter()
            .filter(|l| !l.trusted())
            .map(|l| l.lead.label().to_string())
            .collect(),
        not_searchable: trust.searchable().err(),
        layout: digitized.layout,
        warnings: digitized.warnings,
    })
}

/// One record's search: its nearest cases (one per distinct report) and the statements the
/// neighbours vote for.
#[derive(Serialize)]
struct SearchResult {
    files: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    cases: Vec<Match>,
    /// The record's own copy in the library (same ecg_id or the same signal), not among `cases`.
    #[serde(rename = "thisRecord", skip_serializing_if = "Option::is_none")]
    this_record: Option<Match>,
    consensus: Vec<Vote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A loaded case library with the image tower, on burn's CPU backend.
#[wasm_bindgen]
pub struct Engine {
    searcher: Searcher,
}

#[wasm_bindgen]
impl Engine {
    /// Loads a case library (`.ecgb` bytes: the checksum, sections and model are checked).
    #[wasm_bindgen(constructor)]
    pub fn new(library: &[u8]) -> Result<Engine, JsError> {
        let bundle = Bundle::from_bytes(library).map_err(error)?;
        let searcher = Searcher::new(bundle, Device::flex()).map_err(error)?;
        Ok(Engine { searcher })
    }

    /// The library's name, its number of cases and where they come from.
    pub fn library(&self) -> Result<JsValue, JsError> {
        #[derive(Serialize)]
        struct Library<'a> {
            name: &'a str,
            cases: usize,
            source: &'a str,
        }
        let manifest = &self.searcher.bundle.manifest;
        to_js(&Library {
            name: &manifest.name,
            cases: manifest.cases,
            source: &manifest.source,
        })
    }

    /// Reads `files` (see [`read_files`]) and searches each record for its `k` nearest cases:
    /// `[{ files, record, cases: [{ rank, ecg_id, similarity, parts, shares_with_vote, report, language, english, statements, scp_codes, … }],
    /// thisRecord (the record's own copy in the library, when it is one of its cases; not among
    /// `cases`), consensus: [{ code, description, weight }] }` or `{ files, error }]`.
    pub async fn search(&self, files: JsValue, k: usize) -> Result<JsValue, JsError> {
        let mut results = Vec::new();
        for outcome in read_records(&input_files(&files)?) {
            let searched = match outcome.result {
                Ok(record) => self.search_record(&record, k).await,
                Err(e) => Err(e.to_string()),
            };
            results.push(match searched {
                Ok((record, shown)) => SearchResult {
                    files: outcome.files,
                    record: Some(record),
                    cases: shown.matches,
                    this_record: shown.this_record,
                    consensus: shown.votes,
                    error: None,
                },
                Err(e) => SearchResult {
                    files: outcome.files,
                    record: None,
                    cases: Vec::new(),
                    this_record: None,
                    consensus: Vec::new(),
                    error: Some(e),
                },
            });
        }
        to_js(&results)
    }
}

impl Engine {
    async fn search_record(&self, record: &Record, k: usize) -> Result<(String, Shown), String> {
        let searcher = &self.searcher;
        let input = searcher.input(record).map_err(|e| e.to_string())?;
        let measures = searcher.measure(record).map_err(|e| e.to_string())?;
        let embedding = searcher
            .embed_async(input, 1)
            .await
            .map_err(|e| e.to_string())?;
        let shown = search_shown(
            &searcher.bundle,
            &record.name,
            &embedding,
            &measures,
            k.clamp(1, 100),
        );
        Ok((record.name.clone(), shown))
    }
}
