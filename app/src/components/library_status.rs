use yew::prelude::*;

use crate::state::LibraryStatus;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub status: LibraryStatus,
    pub on_retry: Callback<()>,
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The case library's download: progress, readiness, or what went wrong with a retry.
#[function_component(LibraryStatusView)]
pub fn library_status(props: &Props) -> Html {
    match &props.status {
        LibraryStatus::Loading { received, total } => {
            let percent = total
                .filter(|t| *t > 0)
                .map(|t| (*received as f64 / t as f64 * 100.0).min(100.0));
            html! {
                <section class="library loading" id="library-status" data-state="loading">
                    <label for="library-progress">{ "Downloading the case library (once; it is kept for offline use): " }</label>
                    <progress id="library-progress" max="100" value={percent.unwrap_or(0.0).to_string()} />
                    <span class="bytes">
                        { megabytes(*received) }
                        if let Some(t) = total { { format!(" of {} ({:.0}%)", megabytes(*t), percent.unwrap_or(0.0)) } }
                    </span>
                </section>
            }
        }
        LibraryStatus::Ready {
            cases,
            bytes,
            from_cache,
        } => html! {
            <section class="library ready" id="library-status" data-state="ready" data-from-cache={from_cache.to_string()}>
                { format!("Case library: {cases} PTB-XL cases ({}), {}; SHA-256 verified.", megabytes(*bytes as u64), if *from_cache { "loaded from this device's cache" } else { "downloaded" }) }
            </section>
        },
        LibraryStatus::Failed(message) => {
            let on_retry = props.on_retry.clone();
            html! {
                <section class="library failed" id="library-status" data-state="failed" role="alert">
                    <p>{ message }</p>
                    <button id="library-retry" onclick={move |_| on_retry.emit(())}>{ "Retry" }</button>
                </section>
            }
        }
    }
}
