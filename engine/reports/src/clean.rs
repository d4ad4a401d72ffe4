//! Cleaning a report before it is compared, shown or translated.

/// Lower-cases, removes the boilerplate PTB-XL appends, and collapses whitespace:
/// `4.46 unbestätigter bericht` (an unconfirmed-report stamp of the cart's software) and
/// `Edit: …` (annotators' coding notes, not part of the report).
pub fn clean_report(report: &str) -> String {
    let lower = report.to_lowercase();
    let mut text = lower.as_str();
    if let Some(i) = text.find("edit:") {
        text = &text[..i];
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    words[..stamp_start(&words)]
        .join(" ")
        .trim_end_matches([' ', '.', ',', ';'])
        .to_string()
}

/// Where the cart's `4.46 unbestätigter bericht` stamp starts among `words` (their number
/// where there is none). The export cut some stamps short (`4.46 unbestä`), and `alter
/// unbest.` (age undetermined) is a finding, not the stamp.
fn stamp_start(words: &[&str]) -> usize {
    const STAMP: &str = "unbestätigter";
    let version = |w: &str| w.contains('.') && w.chars().all(|c| c.is_ascii_digit() || c == '.');
    for (i, word) in words.iter().enumerate() {
        let word = word.to_lowercase();
        let numbered = i > 0 && version(words[i - 1]);
        let stamp = word.starts_with("unbestä") || (numbered && STAMP.starts_with(word.as_str()));
        if stamp {
            return i - usize::from(numbered);
        }
    }
    words.len()
}

/// The form used for exact-report matching: cleaned, the export's damage repaired (`#bergang`
/// is the `Übergang` of the same report elsewhere), punctuation-insensitive.
pub fn normalise_report(report: &str) -> String {
    clean_report(&repair_export(report))
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Repairs the characters PTB-XL's export damaged: a `#` inside a German word stands for
/// `ü` (`f#r`, `#bergang`).
pub(crate) fn repair_export(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let beside_letter = |j: Option<usize>| {
                j.and_then(|j| chars.get(j))
                    .is_some_and(|c| c.is_alphabetic())
            };
            if c == '#' && (beside_letter(i.checked_sub(1)) || beside_letter(Some(i + 1))) {
                'ü'
            } else {
                c
            }
        })
        .collect()
}

/// The report as it is shown: the cart's stamps and the annotators' notes removed, and the
/// upper-case umlauts that PTB-XL's export left inside lower-case words repaired
/// (`unbestÄtigter` → `unbestätigter`); otherwise the hospital's own words and case.
pub fn display_report(report: &str) -> String {
    let report = repair_export(report);
    let report = report.as_str();
    let kept = match report.to_lowercase().find("edit:") {
        // Lower-casing keeps byte offsets for the characters these reports use; check it.
        Some(i) if report.is_char_boundary(i) => &report[..i],
        _ => report,
    };
    // The export upper-cased umlauts inside lower-case text (`unbestÄtigter`, `Äldre`).
    let chars: Vec<char> = kept.chars().collect();
    let out: String = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let lower_beside = (i > 0 && chars[i - 1].is_lowercase())
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if lower_beside && matches!(c, 'Ä' | 'Ö' | 'Ü' | 'Å') {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = out.split_whitespace().collect();
    words[..stamp_start(&words)]
        .join(" ")
        .trim_end_matches([' ', ',', ';'])
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_report_exported_damaged_and_whole_has_one_key() {
        // PTB-XL records 14460 and 6834: the same report, one exported as `#bergang`, the other
        // as `Übergang` with the cart's stamp (the page listed both as one report written twice).
        let a = "sinusrhythmus lagetyp normal r-s #bergang in v ableitungen nach rechts verschoben sonst normales ekg";
        let b = "sinusrhythmus lagetyp normal r-s Übergang in v ableitungen nach rechts verschoben sonst normales ekg 4.46                          unbestÄtigter bericht";
        assert_eq!(normalise_report(a), normalise_report(b));
    }

    #[test]
    fn boilerplate_is_removed() {
        assert_eq!(
            clean_report("sinusrhythmus linkstyp sonst normales ekg 4.46                          unbestÄtigter bericht"),
            "sinusrhythmus linkstyp sonst normales ekg"
        );
        assert_eq!(
            clean_report("sinus rhythm. normal ecg. Edit: NORM 100, (NORM 100)"),
            "sinus rhythm. normal ecg"
        );
        assert_eq!(clean_report("sinusrhythmus 4.46 unbestä"), "sinusrhythmus");
        assert_eq!(
            clean_report("inferiorer infarkt alter unbest."),
            "inferiorer infarkt alter unbest"
        );
        assert_eq!(
            normalise_report("Sinus rhythm.  Normal ECG."),
            "sinus rhythm normal ecg"
        );
    }

    #[test]
    fn the_shown_report_keeps_its_case_and_loses_the_stamps() {
        assert_eq!(
            display_report(
                "sinusrhythmus linkstyp sonst normales ekg 4.46   unbestÄtigter bericht"
            ),
            "sinusrhythmus linkstyp sonst normales ekg"
        );
        assert_eq!(
            display_report("Sinus rhythm. Normal ECG. Edit: NORM 100"),
            "Sinus rhythm. Normal ECG."
        );
        assert_eq!(
            display_report("ÜBERDREHTER linkstyp"),
            "ÜBERDREHTER linkstyp"
        );
        assert_eq!(
            display_report("infarkt sannolikt Äldre, förskjuten Åt höger"),
            "infarkt sannolikt äldre, förskjuten åt höger"
        );
    }
}
