//! ECGMatch web page. Everything runs here, in the browser: no ECG leaves the device.

mod app;
mod components;
mod export;
mod files;
mod inference;
mod library;
mod picture;
mod state;

/// Registers the service worker that keeps the page usable offline. Where the browser
/// has none (or the page is opened from a file), the page still works online.
fn register_offline_support() {
    if let Some(window) = web_sys::window() {
        let navigator = window.navigator();
        if js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
            let _ = navigator.service_worker().register("sw.js");
        }
    }
}

fn main() {
    register_offline_support();
    yew::Renderer::<app::App>::new().render();
}
