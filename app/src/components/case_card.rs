use ecgmatch::retrieval::search::Match;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub case: Match,
    pub compared: bool,
    pub on_compare: Callback<u32>,
}

fn sex(s: Option<ecgmatch::formats::Sex>) -> &'static str {
    match s {
        Some(ecgmatch::formats::Sex::Male) => "male",
        Some(ecgmatch::formats::Sex::Female) => "female",
        None => "sex unknown",
    }
}

/// A case's report as written, its English translation where it was not written in English,
/// and its statements as one line.
#[function_component(ReportText)]
pub fn report_text(props: &ReportProps) -> Html {
    let c = &props.case;
    let translated = c.language != "en";
    html! {
        <div class="reports">
            <p class="report" lang={c.language} title="the report as written">{ &c.report }</p>
            if translated {
                <p class="english" lang="en" title="translated offline by ECGMatch's reviewed phrase table">
                    <span class="label">{ "English: " }</span>{ &c.english }
                </p>
            }
            <p class="statements" lang="en" title="composed from the case's SCP statements">
                <span class="label">{ "Statements: " }</span>{ &c.statements }
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ReportProps {
    pub case: Match,
}

/// One ranked case: similarity, patient, the original report beside its English
/// translation, how many nearby cases share that report, and its statements as chips.
#[function_component(CaseCard)]
pub fn case_card(props: &Props) -> Html {
    let c = &props.case;
    let codes: Vec<&str> = c.scp_codes.iter().map(|s| s.code.as_str()).collect();
    let ecg_id = c.ecg_id;
    let on_compare = props.on_compare.clone();
    let age = c
        .age
        .map_or("age unknown".to_string(), |a| format!("{a:.0} y"));
    html! {
        <li class={classes!("case", props.compared.then_some("compared"))} data-ecg-id={ecg_id.to_string()} data-codes={codes.join(" ")} data-similarity={format!("{:.6}", c.similarity)}>
            <div class="case-head">
                <span class="rank">{ format!("#{}", c.rank) }</span>
                <span class="similarity" title="cosine similarity of the ECGs (image embedding, rhythm and voltages)">{ format!("{:.1}% similar", c.similarity * 100.0) }</span>
                <span class="patient">{ format!("{age}, {}", sex(c.sex)) }</span>
                <span class="meta">{ format!("PTB-XL ecg_id {ecg_id}") }</span>
                <button class="compare" onclick={move |_| on_compare.emit(ecg_id)}>{ "Compare" }</button>
            </div>
            if let Some(p) = c.parts {
                <p class="meta parts" data-image={format!("{:.4}", p.image)} data-rhythm={format!("{:.4}", p.rhythm)}
                    data-voltages={format!("{:.4}", p.voltages)} data-probe={format!("{:.4}", p.probe)}
                    title="the similarity is the sum of these parts of the library's space">
                    { format!("Similarity from: image embedding {:.2} · rhythm {:.2} · voltages {:.2} · diagnostic probe {:.2}", p.image, p.rhythm, p.voltages, p.probe) }
                </p>
            }
            if !c.shares_with_vote.is_empty() {
                <p class="meta shares" data-shares={c.shares_with_vote.join(" ")}>
                    { format!("Shares with the consensus's leading statements: {}", c.shares_with_vote.join(", ")) }
                </p>
            }
            <ReportText case={c.clone()} />
            if let Some(n) = c.same_report.filter(|n| *n > 0) {
                <p class="meta same-report" data-same-report={n.to_string()}>{ format!("The same report as {n} other nearby case{}, listed once.", if n == 1 { "" } else { "s" }) }</p>
            }
            <ul class="chips">
                { for c.scp_codes.iter().map(|s| html! {
                    <li class="chip" title={s.description.clone()}>
                        { &s.code }
                        if s.likelihood > 0.0 { <span class="likelihood">{ format!(" {:.0}%", s.likelihood) }</span> }
                    </li>
                }) }
            </ul>
        </li>
    }
}
