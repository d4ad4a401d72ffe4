use ecgmatch::formats::ReadOptions;
use ecgmatch::signal::prepare::MIN_ECG_RATE_HZ;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The notice whose files are read again.
    pub id: usize,
    pub on_reread: Callback<(usize, ReadOptions)>,
}

/// Asks for the sampling rate of a table that has no time column, then reads it again.
#[function_component(RateRequest)]
pub fn rate_request(props: &Props) -> Html {
    let input = use_node_ref();
    let invalid = use_state(|| false);
    let onsubmit = {
        let (input, invalid, on_reread, id) = (
            input.clone(),
            invalid.clone(),
            props.on_reread.clone(),
            props.id,
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = input
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            match value.trim().replace(',', ".").parse::<f64>() {
                // An ECG below 20 Hz cannot be searched (`signal::prepare`), above 100 kHz
                // no device records.
                Ok(hz) if (MIN_ECG_RATE_HZ..=100_000.0).contains(&hz) => {
                    invalid.set(false);
                    on_reread.emit((
                        id,
                        ReadOptions {
                            sampling_rate: Some(hz),
                            ..ReadOptions::default()
                        },
                    ));
                }
                _ => invalid.set(true),
            }
        })
    };
    html! {
        <form class="rate-request" {onsubmit}>
            <label>{ "Sampling rate (Hz) " }
                <input ref={input} class="sampling-rate" type="text" inputmode="decimal" placeholder="e.g. 500" />
            </label>
            <button type="submit">{ "Read" }</button>
            if *invalid { <span class="warning">{ format!(" Enter the samples per second: an ECG's rate, {MIN_ECG_RATE_HZ} to 100000") }</span> }
        </form>
    }
}
