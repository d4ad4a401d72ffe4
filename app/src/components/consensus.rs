use ecgmatch::retrieval::search::Vote;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub votes: Vec<Vote>,
    /// How many of the nearest cases voted.
    pub voters: usize,
}

/// The neighbours' statements as a bar chart of similarity-weighted votes.
#[function_component(Consensus)]
pub fn consensus(props: &Props) -> Html {
    html! {
        <section class="consensus" id="consensus" data-voters={props.voters.to_string()}>
            <h3>{ "What the similar cases say" }</h3>
            <p class="meta">{ format!("Share of the vote of the {} nearest cases (each weighted by its similarity) that carries each statement. Decision support from a research dataset, not a diagnosis.", props.voters) }</p>
            <ul class="bars">
                { for props.votes.iter().take(8).map(|v| html! {
                    <li class="vote" data-code={v.code.clone()}>
                        <span class="code" title={v.description.clone()}>{ &v.code }</span>
                        <span class="bar"><span class="fill" style={format!("width: {:.1}%", v.weight * 100.0)} /></span>
                        <span class="weight">{ format!("{:.0}%", v.weight * 100.0) }</span>
                        <span class="description">{ &v.description }</span>
                    </li>
                }) }
            </ul>
        </section>
    }
}
