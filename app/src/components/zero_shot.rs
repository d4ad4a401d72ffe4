use ecgmatch::retrieval::search::ZeroShotScore;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub scores: Vec<ZeroShotScore>,
}

/// How close the query sits to each superclass prompt, and the closest statements.
#[function_component(ZeroShot)]
pub fn zero_shot(props: &Props) -> Html {
    let superclasses: Vec<&ZeroShotScore> = props.scores.iter().filter(|s| s.superclass).collect();
    let statements: Vec<&ZeroShotScore> = props
        .scores
        .iter()
        .filter(|s| !s.superclass)
        .take(5)
        .collect();
    let row = |s: &&ZeroShotScore| html! { <li data-key={s.key.clone()}>{ format!("{} ({}): {:.2}", s.text, s.key, s.score) }</li> };
    html! {
        <details class="zero-shot" id="zero-shot">
            <summary>{ "Zero-shot scores against statement prompts" }</summary>
            <p class="meta">{ "Cosine similarity of this ECG to English prompts in the shared space; only their order is meaningful." }</p>
            <div class="columns">
                <ol>{ for superclasses.iter().map(row) }</ol>
                <ol>{ for statements.iter().map(row) }</ol>
            </div>
        </details>
    }
}
