use ecgmatch::signal::measure::MeasureSummary;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub summary: Option<MeasureSummary>,
}

/// What the search measured from the query beside its images, so the clinician can check it
/// (a misread photo shows here first: a rate of 300 or a deflection of 8 mV).
#[function_component(Measured)]
pub fn measured(props: &Props) -> Html {
    let Some(m) = &props.summary else {
        return html! {};
    };
    html! {
        <section class="measured" id="measured" data-heart-rate={format!("{:.1}", m.heart_rate_bpm)}>
            <h3>{ "Measured from this ECG" }</h3>
            <p>
                { format!("Heart rate {:.0}/min, RR interval SD {:.0} ms", m.heart_rate_bpm, m.rr_sd_ms) }
                if let Some((lead, mv)) = m.largest_deflection {
                    { format!(", largest deflection {mv:+.2} mV in {}", lead.label()) }
                }
            </p>
            <p class="meta">{ "Rough automatic measures over the first 10 s; the search compares the rhythm and every lead's voltages beside the ECG's images. Not a clinical measurement." }</p>
        </section>
    }
}
