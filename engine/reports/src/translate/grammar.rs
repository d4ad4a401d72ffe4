//! Putting the matched phrases together as English: a comma between statements, hedges before
//! their findings, sentences capitalised.

use super::table::Class;
use super::Unit;

/// The English of `units`, in the report's order but for hedges (see the module above).
pub(crate) fn assemble(units: &[Unit]) -> String {
    // Words so far; a separator is a word of its own until the end.
    let mut out: Vec<String> = Vec::new();
    // Where the current finding (adjectives and head) starts in `out`.
    let mut finding_start: Option<usize> = None;
    let mut previous: Option<Class> = None;
    let mut after_separator = true;
    for (i, unit) in units.iter().enumerate() {
        if unit.separator {
            out.push(unit.english.clone());
            finding_start = None;
            previous = None;
            after_separator = true;
            continue;
        }
        let next = units[i + 1..].iter().find(|u| u.class != Class::Drop);
        let next_class = next.filter(|u| !u.separator).map(|u| u.class);
        // A hedge with an adverb before an adjective or head leads into it
        // (`…, wahrscheinlich anterolaterale ischämie`).
        let leads_on = unit.class == Class::Hedge
            && unit.adverb.is_some()
            && matches!(next_class, Some(Class::Adjective) | Some(Class::Head));
        let opens = leads_on || matches!(unit.class, Class::Head | Class::Adjective | Class::Lead);
        let closed = matches!(
            previous,
            Some(Class::Head) | Some(Class::Follow) | Some(Class::Hedge)
        );
        if opens && closed && !after_separator {
            out.push(",".to_string());
            finding_start = None;
        }
        match unit.class {
            Class::Drop => continue,
            Class::Adjective | Class::Head => {
                if finding_start.is_none() || previous == Some(Class::Head) {
                    finding_start = Some(out.len());
                }
                out.push(unit.english.clone());
            }
            Class::Hedge => {
                // Only hedges with an adverb (`wahrscheinlich`) ever lead into what follows;
                // `möglich` always follows its finding.
                match (previous, finding_start) {
                    // `…, wahrscheinlich anterolaterale ischämie`: an adverb before what follows.
                    _ if leads_on => {
                        out.push(unit.adverb.clone().unwrap_or_default());
                        finding_start = None;
                    }
                    // `inferiorer infarkt möglich` → "possible inferior infarction".
                    (Some(Class::Head) | Some(Class::Follow), Some(start)) => {
                        out.insert(start, unit.english.clone());
                        finding_start = None;
                    }
                    _ => out.push(unit.english.clone()),
                }
            }
            Class::Lead | Class::Join | Class::Follow => {
                if unit.class != Class::Follow {
                    finding_start = None;
                }
                out.push(unit.english.clone());
            }
        }
        previous = Some(match unit.class {
            // A hedge used as an adverb leads into what follows.
            Class::Hedge if leads_on => Class::Lead,
            class => class,
        });
        after_separator = false;
    }
    finish(&out)
}

/// Words joined by spaces, separators against the word before, sentences capitalised, and a
/// final full stop.
fn finish(words: &[String]) -> String {
    let mut text = String::new();
    for word in words.iter().filter(|w| !w.is_empty()) {
        let attaches = word.starts_with([',', '.', ';', '!', '?', ':']);
        if attaches {
            // Two separators in a row (a comma where the report had one): keep the stronger.
            let last = text.chars().last();
            if matches!(last, Some(',')) && word != "," {
                text.pop();
            } else if matches!(last, Some(',' | '.' | ';' | ':')) {
                continue;
            }
        } else if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(word);
    }
    let text = text.trim_start_matches([',', ' ']).to_string();
    let mut out = String::with_capacity(text.len() + 1);
    let mut capital = true;
    for c in text.chars() {
        if capital && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            capital = false;
        } else {
            out.push(c);
        }
        if matches!(c, '.' | '!' | '?') {
            capital = true;
        } else if !c.is_whitespace() && c != '(' {
            capital &= !c.is_alphanumeric();
        }
    }
    let trimmed = out.trim_end_matches([',', ' ', ';', ':']).to_string();
    if trimmed.ends_with(['.', '!', '?']) || trimmed.is_empty() {
        trimmed
    } else {
        trimmed + "."
    }
}
