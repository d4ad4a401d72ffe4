use ecgmatch::signal::intervals::{Intervals, Measured};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub intervals: Intervals,
}

/// A value as shown, with a question mark where the delineation is unsure.
fn shown(m: Option<Measured>, unit: &str) -> String {
    m.map_or("—".into(), |m| {
        format!("{:.0}{unit}{}", m.value, if m.unsure { " ?" } else { "" })
    })
}

fn data(m: Option<Measured>) -> String {
    m.map_or(String::new(), |m| format!("{:.1}", m.value))
}

/// The query's intervals, as the engine's delineator measured them on its median beats.
#[function_component(IntervalsLine)]
pub fn intervals_line(props: &Props) -> Html {
    let i = props.intervals;
    let unsure: Vec<&str> = [
        ("PR", i.pr_ms),
        ("QRS", i.qrs_ms),
        ("QT", i.qt_ms),
        ("axis", i.axis_deg),
    ]
    .iter()
    .filter(|(_, m)| m.is_some_and(|m| m.unsure))
    .map(|(name, _)| *name)
    .collect();
    let text = format!(
        "heart rate {} · PR {} · QRS {} · QT {} · QTc {} (Bazett), {} (Fridericia) · axis {}",
        i.heart_rate_per_min
            .map_or("—".into(), |v| format!("{v:.0}/min (median RR)")),
        shown(i.pr_ms, " ms"),
        shown(i.qrs_ms, " ms"),
        shown(i.qt_ms, " ms"),
        shown(i.qtc_bazett_ms, " ms"),
        shown(i.qtc_fridericia_ms, " ms"),
        i.axis_deg.map_or("—".into(), |m| format!(
            "{:+.0}°{}",
            m.value,
            if m.unsure { " ?" } else { "" }
        )),
    );
    html! {
        <p class="intervals" id="intervals" data-heart-rate={i.heart_rate_per_min.map_or(String::new(), |v| format!("{v:.1}"))}
            data-pr-ms={data(i.pr_ms)} data-qrs-ms={data(i.qrs_ms)} data-qt-ms={data(i.qt_ms)}
            data-qtc-bazett-ms={data(i.qtc_bazett_ms)} data-qtc-fridericia-ms={data(i.qtc_fridericia_ms)}
            data-axis-deg={data(i.axis_deg)} data-unsure={unsure.join(" ")}
            title="Measured on the median beats of all twelve leads (10 ms samples); ? marks a value the delineator is unsure of. Check against the tracing.">
            <span class="label">{ "Intervals: " }</span>
            { text }
            if i.pr_ms.is_none() && i.qrs_ms.is_some() { <span class="meta">{ " (no P wave found)" }</span> }
        </p>
    }
}
