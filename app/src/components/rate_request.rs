use ecgmatch::formats::ReadOptions;
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
                Ok(hz) if hz.is_finite() && hz > 0.0 && hz <= 100_000.0 => {
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
            if *invalid { <span class="warning">{ " Enter a positive number of samples per second, at most 100000" }</span> }
        </form>
    }
}
