//! ECGMatch web page. Everything runs here, in the browser: no ECG leaves the device.

mod app;
mod components;
mod export;
mod files;
mod hooks;
mod inference;
mod library;
mod picture;
mod state;
mod tasks;
mod tracings;

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

// burn's GPU IR registers its dialects with `inventory` constructors. A module whose exported
// functions never call `__wasm_call_ctors` counts as a "command" to the Wasm linker, which then
// runs every constructor again at the start of every export: each call from JavaScript into
// the page (thousands per render) paid for thousands of registrations, about a second per
// search. Calling it once from `main` makes the linker leave the exports alone.
#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

fn main() {
    // SAFETY: runs the constructors once, before any other code of the page; inventory's
    // registrations are idempotent should anything run them again.
    #[cfg(target_family = "wasm")]
    unsafe {
        __wasm_call_ctors();
    }
    register_offline_support();
    yew::Renderer::<app::App>::new().render();
}
