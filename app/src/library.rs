//! Getting the case library (and, on first text search, the text tower) into memory:
//! from Cache Storage when an earlier visit kept it, otherwise downloaded once with
//! progress and kept. Their SHA-256 is checked when they are parsed
//! ([`ecgmatch::retrieval::bundle::Container::parse`]).

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, ReadableStreamDefaultReader, Response};

/// Served by the page's own origin (see `index.html`); the only data the page fetches.
pub const BUNDLE_URL: &str = "bundle/ptbxl-v6.ecgb";
/// The packed text tower, fetched only when the user first searches by text.
pub const TEXT_TOWER_URL: &str = "bundle/text-tower-v1.ecgb";
/// The library's tracings, fetched a case at a time (byte ranges) when Compare opens one.
pub const WAVEFORMS_URL: &str = "waveforms/ptbxl-v1.ecgw";
const CACHE_NAME: &str = "ecgmatch-library-v1";

fn describe(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

async fn open_cache() -> Option<Cache> {
    let caches = web_sys::window()?.caches().ok()?;
    JsFuture::from(caches.open(CACHE_NAME))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

/// Where the bytes came from, for the status line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Origin {
    Cache,
    Network,
}

/// Fetches `url`, calling `progress(received, total)` while it downloads.
pub async fn load(
    url: &str,
    progress: impl Fn(u64, Option<u64>),
) -> Result<(Vec<u8>, Origin), String> {
    let cache = open_cache().await;
    if let Some(cache) = &cache {
        if let Ok(hit) = JsFuture::from(cache.match_with_str(url)).await {
            if let Ok(response) = hit.dyn_into::<Response>() {
                if let Ok(bytes) = read_body(&response, &progress).await {
                    return Ok((bytes, Origin::Cache));
                }
            }
        }
    }
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| {
            format!(
                "{url} could not be downloaded ({}). Check the connection and retry",
                describe(e)
            )
        })?
        .dyn_into()
        .map_err(|_| format!("{url}: the download returned no response"))?;
    if !response.ok() {
        return Err(format!(
            "{url} could not be downloaded: the server answered {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let bytes = read_body(&response, &progress).await?;
    Ok((bytes, Origin::Network))
}

/// Keeps a verified download for the next visit. Only called after it parsed, so a
/// damaged download is never kept.
pub async fn keep(url: &str, bytes: &[u8]) {
    let Some(cache) = open_cache().await else {
        return;
    };
    let body = Uint8Array::from(bytes);
    if let Ok(response) = Response::new_with_opt_buffer_source(Some(&body)) {
        // A full quota refuses the put: the page works on, downloading again next visit.
        if JsFuture::from(cache.put_with_str(url, &response))
            .await
            .is_ok()
        {
            ask_to_persist().await;
        }
    }
}

/// Asks the browser to keep the site's storage when space runs short
/// (`navigator.storage.persist()`), so that the kept library is not evicted on a phone. The
/// browser may decline; nothing changes then.
async fn ask_to_persist() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let Ok(storage) = Reflect::get(&navigator, &"storage".into()) else {
        return;
    };
    let Ok(persist) = Reflect::get(&storage, &"persist".into()) else {
        return;
    };
    let Ok(persist) = persist.dyn_into::<js_sys::Function>() else {
        return;
    };
    if let Ok(promise) = persist.call0(&storage) {
        let _ = JsFuture::from(js_sys::Promise::from(promise)).await;
    }
}

/// What an earlier visit kept under `key`, if anything.
pub async fn kept(key: &str) -> Option<Vec<u8>> {
    let cache = open_cache().await?;
    let response: Response = JsFuture::from(cache.match_with_str(key))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    read_body(&response, &|_, _| {}).await.ok()
}

/// Bytes `start..end` of `url`, as one HTTP range request. A server that answers with the whole
/// file instead (no range support) is refused before its body is read: for the waveform pack
/// that would be 23 MB on a phone.
pub async fn fetch_range(url: &str, start: usize, end: usize) -> Result<Vec<u8>, String> {
    let headers = web_sys::Headers::new().map_err(describe)?;
    headers
        .set("Range", &format!("bytes={start}-{}", end.saturating_sub(1)))
        .map_err(describe)?;
    let init = web_sys::RequestInit::new();
    init.set_headers(&headers);
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| {
            format!(
                "{url} could not be reached ({}). Check the connection",
                describe(e)
            )
        })?
        .dyn_into()
        .map_err(|_| format!("{url}: no response"))?;
    if response.status() != 206 {
        if let Some(body) = response.body() {
            let _ = body.cancel();
        }
        return Err(format!(
            "{url}: the server answered {} instead of the part asked for; the tracings need a server that sends parts of files (HTTP ranges)",
            response.status()
        ));
    }
    let bytes = read_body(&response, &|_, _| {}).await?;
    if bytes.len() != end - start {
        return Err(format!(
            "{url}: {} bytes came instead of {}",
            bytes.len(),
            end - start
        ));
    }
    Ok(bytes)
}

/// Drops a kept download (after it failed to parse, so a retry downloads afresh).
pub async fn forget(url: &str) {
    if let Some(cache) = open_cache().await {
        let _ = JsFuture::from(cache.delete_with_str(url)).await;
    }
}

/// Drops what an earlier version kept under another name (a replaced library is 11 MB), so
/// a returning visitor's storage holds only the files this page fetches.
pub async fn forget_superseded() {
    let Some(cache) = open_cache().await else {
        return;
    };
    let Ok(keys) = JsFuture::from(cache.keys()).await else {
        return;
    };
    let current = [BUNDLE_URL, TEXT_TOWER_URL].map(|url| format!("/{url}"));
    // The current pack's parts are kept under keys below its URL (see `tracings`).
    let pack_parts = format!("/{WAVEFORMS_URL}/");
    for request in js_sys::Array::from(&keys).iter() {
        let Ok(request) = request.dyn_into::<web_sys::Request>() else {
            continue;
        };
        let url = request.url();
        if !current.iter().any(|c| url.ends_with(c)) && !url.contains(&pack_parts) {
            let _ = JsFuture::from(cache.delete_with_request(&request)).await;
        }
    }
}

async fn read_body(
    response: &Response,
    progress: &impl Fn(u64, Option<u64>),
) -> Result<Vec<u8>, String> {
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    let body = response.body().ok_or("the download has no body")?;
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| "cannot read the download".to_string())?;
    let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
    progress(0, total);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("the download broke off ({}). Retry", describe(e)))?;
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(describe)?;
        bytes.extend(Uint8Array::new(&value).to_vec());
        progress(bytes.len() as u64, total);
    }
    Ok(bytes)
}
