use std::rc::Rc;

use ecgmatch::signal::encode::image::channel_rgba;
use ecgmatch::signal::encode::layout::EncodedImage;
use yew::prelude::*;

use super::grey_canvas::GreyCanvas;
use crate::state::SharedRecord;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub data: SharedRecord,
}

/// Every lead's image encodings, one row per lead; shown on request, since drawing 48
/// images costs more than the search itself on a slow device.
#[function_component(EncodingsView)]
pub fn encodings_view(props: &Props) -> Html {
    let open = use_state(|| false);
    // Hooks first, unconditionally; the images are only made once the view is opened.
    let images = use_memo((props.data.clone(), *open), |(loaded, open)| {
        match (&loaded.encoded, open) {
            (Ok(e), true) => (0..e.channels)
                .map(|c| Rc::new(channel_rgba(e, c)))
                .collect::<Vec<_>>(),
            _ => vec![],
        }
    });
    let encoded = match &props.data.encoded {
        Ok(e) => e,
        Err(message) => {
            return html! { <section class="encodings"><p class="warning">{ message }</p></section> }
        }
    };
    if !*open {
        let open = open.clone();
        return html! {
            <section class="encodings" id="encodings" data-open="false">
                <button id="show-encodings" aria-expanded="false" onclick={move |_| open.set(true)}>{ "Show the image encodings (GASF, GADF, MTF, RP per lead)" }</button>
            </section>
        };
    }
    let kinds = encoded.encodings();
    html! {
        <section class="encodings" id="encodings" data-open="true">
            <h2>{ "Image encodings" }</h2>
            <p class="meta">{ format!("Whole record, {}×{} per lead. GASF/GADF: Gramian angular summation/difference fields; MTF: Markov transition field; RP: recurrence plot.", encoded.width, encoded.height) }</p>
            <table>
                <thead><tr><th>{ "Lead" }</th>{ for kinds.iter().map(|k| html! { <th>{ k.label() }</th> }) }</tr></thead>
                <tbody>
                    { for rows(encoded).into_iter().map(|(lead, channels)| html! {
                        <tr>
                            <th>{ lead }</th>
                            { for channels.into_iter().map(|(c, kind)| html! {
                                <td><GreyCanvas rgba={images[c].clone()} size={encoded.width as u32}
                                    title={format!("{lead} {}", kind)} lead={lead} encoding={kind} /></td>
                            }) }
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}

/// Channels grouped by lead, in tensor order.
fn rows(encoded: &EncodedImage) -> Vec<(&'static str, Vec<(usize, &'static str)>)> {
    let mut rows: Vec<(&'static str, Vec<(usize, &'static str)>)> = Vec::new();
    for (c, name) in encoded.channel_names.iter().enumerate() {
        let lead = name.lead.map_or("all", |l| l.label());
        let entry = (c, name.encoding.label());
        match rows.last_mut() {
            Some((l, chans)) if *l == lead => chans.push(entry),
            _ => rows.push((lead, vec![entry])),
        }
    }
    rows
}
