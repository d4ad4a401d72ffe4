//! ECGMatch web page. Everything runs here, in the browser: no ECG leaves the device.

mod app;
mod components;
mod files;
mod state;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
