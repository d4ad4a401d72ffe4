use ecgmatch::paper::digitize::sheet::Corners;
use ecgmatch::paper::render::PrintLayout;
use yew::prelude::*;

use crate::state::{PaperPicture, Shared};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: usize,
    pub picture: Shared<PaperPicture>,
    /// How long the digitizer took to read it.
    pub read_ms: f64,
    /// Read the picture again within these corners, in this layout (`None`: find it).
    pub on_reread: Callback<(usize, Corners, Option<PrintLayout>)>,
}

/// Where the corners start: the sheet found, or the whole picture.
fn initial_corners(picture: &PaperPicture) -> Corners {
    let (w, h) = (picture.bitmap.width as f64, picture.bitmap.height as f64);
    picture
        .digitized
        .sheet_corners
        .unwrap_or([(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)])
}

/// Each lead's followed trace in the picture's pixels, as an SVG path broken where the trace
/// was lost, so that a gap is not drawn as a line the printout does not have; and whether the
/// trust gate trusts the lead.
fn trace_paths(picture: &PaperPicture) -> Vec<(String, String, bool)> {
    let d = &picture.digitized;
    d.traces
        .iter()
        .map(|(lead, points)| {
            let mut path = String::new();
            let mut last_x = f64::NEG_INFINITY;
            for &(x, y) in points {
                let (px, py) = d.to_picture(x, y);
                let command = if x - last_x > 2.5 { 'M' } else { 'L' };
                path.push_str(&format!("{command}{px:.1} {py:.1}"));
                last_x = x;
            }
            (lead.label().to_string(), path, d.trust.is_trusted(*lead))
        })
        .collect()
}

/// Picture coordinates of a pointer event over the SVG, which is scaled to the page. (Yew
/// delegates events, so the event's current target is not the SVG: it is looked up.)
fn picture_point(e: &PointerEvent, svg: &NodeRef, size: (usize, usize)) -> Option<(f64, f64)> {
    let rect = svg.cast::<web_sys::Element>()?.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    let x = (e.client_x() as f64 - rect.left()) * size.0 as f64 / rect.width();
    let y = (e.client_y() as f64 - rect.top()) * size.1 as f64 / rect.height();
    Some((x.clamp(0.0, size.0 as f64), y.clamp(0.0, size.1 as f64)))
}

/// The corners in the digitizer's order.
const CORNER_NAMES: [&str; 4] = ["Top left", "Top right", "Bottom right", "Bottom left"];

/// Corner `k` moved by an arrow key: 0.5% of the picture's longer side, 2.5% with Shift, kept
/// inside the picture; `None` for any other key.
fn moved_by_key(
    mut corners: Corners,
    k: usize,
    key: &str,
    far: bool,
    size: (usize, usize),
) -> Option<Corners> {
    let step = size.0.max(size.1) as f64 * if far { 0.025 } else { 0.005 };
    let (dx, dy) = match key {
        "ArrowLeft" => (-step, 0.0),
        "ArrowRight" => (step, 0.0),
        "ArrowUp" => (0.0, -step),
        "ArrowDown" => (0.0, step),
        _ => return None,
    };
    let (x, y) = corners[k];
    corners[k] = (
        (x + dx).clamp(0.0, size.0 as f64),
        (y + dy).clamp(0.0, size.1 as f64),
    );
    Some(corners)
}

/// The traces read, drawn over the photo, with the sheet's four corners to drag where the
/// digitizer got them wrong and a button to read the picture again within them.
#[function_component(PaperOverlay)]
pub fn paper_overlay(props: &Props) -> Html {
    let picture = &props.picture;
    let size = (picture.bitmap.width, picture.bitmap.height);
    let corners = use_state(|| initial_corners(picture));
    let dragging = use_state(|| None::<usize>);
    let svg = use_node_ref();
    let layout_choice = use_node_ref();
    {
        let corners = corners.clone();
        use_effect_with(props.picture.clone(), move |picture| {
            corners.set(initial_corners(picture))
        });
    }
    let traces = use_memo(props.picture.clone(), |picture| trace_paths(picture));

    let onpointermove = {
        let (corners, dragging, svg) = (corners.clone(), dragging.clone(), svg.clone());
        Callback::from(move |e: PointerEvent| {
            if let (Some(k), Some(p)) = (*dragging, picture_point(&e, &svg, size)) {
                let mut moved = *corners;
                moved[k] = p;
                corners.set(moved);
            }
        })
    };
    let stop = {
        let dragging = dragging.clone();
        Callback::from(move |_: PointerEvent| dragging.set(None))
    };
    let onclick = {
        let (corners, on_reread, id, choice) = (
            corners.clone(),
            props.on_reread.clone(),
            props.id,
            layout_choice.clone(),
        );
        Callback::from(move |_| {
            // Read as a plain property: the select element's own binding would add a web-sys feature.
            let value = choice
                .get()
                .and_then(|s| js_sys::Reflect::get(&s, &"value".into()).ok())
                .and_then(|v| v.as_string());
            let layout = value.and_then(|v| PrintLayout::from_name(&v));
            on_reread.emit((id, *corners, layout))
        })
    };
    let d = &picture.digitized;
    let outline: Vec<String> = corners
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let handle_radius = size.0.max(size.1) as f64 / 90.0;
    let summary = format!(
        "Layout {} read; grid {:.1} px per mm; sheet {}; turned {:.1}°; read in {:.0} ms. 25 mm/s and 10 mm/mV are assumed.",
        d.layout,
        d.px_per_mm,
        if d.sheet_corners.is_some() { "outline found and flattened" } else { "fills the picture" },
        d.rotation_deg,
        props.read_ms
    );
    html! {
        <section class="paper-overlay" id="paper-overlay" data-layout={d.layout.clone()}
            data-digitize-ms={format!("{:.0}", props.read_ms)} data-traces={d.traces.len().to_string()}
            data-trusted-leads={d.trust.trusted_count().to_string()}>
            <h2>{ "Read from the picture" }</h2>
            <p>{ summary }</p>
            if !d.warnings.is_empty() {
                <ul class="warnings">{ for d.warnings.iter().map(|w| html! { <li>{ w }</li> }) }</ul>
            }
            <p class="hint">{ "Blue: the traces as read; red and dashed: leads read with too little confidence, left out of the search. Check them against the printout. Drag the orange corners onto the sheet's corners if they are off (or focus one with Tab and move it with the arrow keys), choose the layout if it was taken wrongly (six rows are read as 6×2 where their limb leads obey aVR = −(I + II)/2 and its kin, else as 3×4 with three rhythm strips), then read again. Leads are 2.5 s each in a 3×4 layout; the rest of each lead is filled from its own beats for the search." }</p>
            <div class="overlay-frame">
                <img src={picture.url.as_str().to_string()} alt="The photographed ECG" />
                <svg ref={svg} viewBox={format!("0 0 {} {}", size.0, size.1)} preserveAspectRatio="none"
                    {onpointermove} onpointerup={stop.clone()} onpointerleave={stop}>
                    { for traces.iter().map(|(lead, path, trusted)| html! {
                        <path class={classes!("trace", (!trusted).then_some("doubtful"))}
                            data-lead={lead.clone()} data-trusted={trusted.to_string()} d={path.clone()} />
                    }) }
                    <polygon class="sheet-outline" points={outline.join(" ")} />
                    { for corners.iter().enumerate().map(|(k, (x, y))| {
                        let dragging = dragging.clone();
                        let onpointerdown = Callback::from(move |e: PointerEvent| { e.prevent_default(); dragging.set(Some(k)); });
                        let onkeydown = {
                            let corners = corners.clone();
                            Callback::from(move |e: KeyboardEvent| {
                                if let Some(moved) = moved_by_key(*corners, k, &e.key(), e.shift_key(), size) {
                                    e.prevent_default();
                                    corners.set(moved);
                                }
                            })
                        };
                        let label = format!("{} corner of the sheet, at {x:.0}, {y:.0}: arrow keys move it (with Shift, further)", CORNER_NAMES[k]);
                        html! { <circle class="corner" data-corner={k.to_string()} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={format!("{handle_radius:.1}")}
                            tabindex="0" role="button" aria-label={label} {onpointerdown} {onkeydown} /> }
                    }) }
                </svg>
            </div>
            <p class="reread">
                <label>{ "Layout " }
                    <select id="paper-layout" ref={layout_choice}>
                        <option value="auto" selected=true>{ "find it" }</option>
                        { for PrintLayout::ALL.iter().map(|l| html! { <option value={l.name()}>{ l.name().replace('x', "×") }</option> }) }
                    </select>
                </label>
                <button id="reread-corners" {onclick}>{ "Read again within these corners" }</button>
            </p>
        </section>
    }
}
