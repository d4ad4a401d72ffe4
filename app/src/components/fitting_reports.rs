use ecgmatch::retrieval::search::ReportMatch;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub reports: Vec<ReportMatch>,
}

/// The library's reports ranked by the dual encoder alone: the ECG's image embedding against
/// each distinct report's text embedding (the seed paper's retrieval), each with its English,
/// statements and how many cases carry it.
#[function_component(FittingReports)]
pub fn fitting_reports(props: &Props) -> Html {
    html! {
        <section class="fitting-reports" id="fitting-reports">
            <h3>{ "Reports that fit this ECG" }</h3>
            <p class="meta">{ "The library's distinct reports ranked by how close their text lies to the ECG in the dual encoder's shared space (with a small preference for the wording more cases share), no case in between. Decision support from a research dataset, not a diagnosis." }</p>
            <ol class="report-list">
                { for props.reports.iter().map(|r| {
                    let codes: Vec<&str> = r.scp_codes.iter().map(|s| s.code.as_str()).collect();
                    html! {
                        <li class="fitting-report" data-codes={codes.join(" ")} data-cases={r.cases.to_string()} data-similarity={format!("{:.6}", r.similarity)} data-score={format!("{:.6}", r.score)}>
                            <p class="report" lang={r.language}>{ &r.report }</p>
                            if r.language != "en" {
                                <p class="english" lang="en"><span class="label">{ "English: " }</span>{ &r.english }</p>
                            }
                            <p class="meta">
                                { format!("{:.1}% fit · carried by {} case{} · statements: {}", r.similarity * 100.0, r.cases, if r.cases == 1 { "" } else { "s" }, r.statements) }
                            </p>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
