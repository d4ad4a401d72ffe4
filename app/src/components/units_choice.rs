use ecgmatch::formats::{AmplitudeUnits, ReadOptions};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: usize,
    /// The unit the reader assumed.
    pub guessed: AmplitudeUnits,
    pub options: ReadOptions,
    pub on_reread: Callback<(usize, ReadOptions)>,
}

/// A file that does not state its amplitude unit was read with a guess; a wrong guess
/// scales every lead by 1000, so the user confirms it or reads the file the other way.
#[function_component(UnitsChoice)]
pub fn units_choice(props: &Props) -> Html {
    let other = match props.guessed {
        AmplitudeUnits::Microvolts => AmplitudeUnits::Millivolts,
        AmplitudeUnits::Millivolts => AmplitudeUnits::Microvolts,
    };
    let onclick = {
        let (on_reread, id) = (props.on_reread.clone(), props.id);
        let options = ReadOptions {
            units: Some(other),
            ..props.options.clone()
        };
        Callback::from(move |_| on_reread.emit((id, options.clone())))
    };
    html! {
        <p class="units-choice" data-units={props.guessed.label()}>
            { format!("The file does not state its amplitude unit; the values were read as {} from their size. Check the printout: ", props.guessed.label()) }
            <button id="switch-units" {onclick}>{ format!("read as {} instead", other.label()) }</button>
        </p>
    }
}
