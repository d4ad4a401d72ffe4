//! Report texts: the cardiologist's original (kept for display), a normalised form for
//! exact-match evaluation, and English for the text tower.

use std::collections::BTreeMap;

use super::ptbxl::Statement;

pub use ecgmatch_retrieval::reports::{clean_report, normalise_report};

const ENGLISH_MARKERS: [&str; 12] = [
    "sinus rhythm",
    "sinus tachycardia",
    "sinus bradycardia",
    "atrial fibrillation",
    "normal ecg",
    " are ",
    " is ",
    " the ",
    "within normal limits",
    "probable",
    "consistent with",
    "abnormal ecg",
];
const OTHER_MARKERS: [&str; 12] = [
    "sinusrhythmus",
    "lagetyp",
    "linkstyp",
    "rechtstyp",
    " ekg",
    "ekg ",
    "vorhof",
    "sinusrytm",
    "förmak",
    "misstänkt",
    "kammar",
    "unspezifisch",
];

/// Whether a (cleaned) report is written in English rather than German or Swedish.
pub fn is_english(report: &str) -> bool {
    let text = format!(" {} ", clean_report(report));
    ENGLISH_MARKERS.iter().any(|m| text.contains(m))
        && !OTHER_MARKERS.iter().any(|m| text.contains(m))
}

/// English text from SCP statements: rhythm first, then diagnostic statements by
/// likelihood, then form statements, as a cardiologist would order a report.
pub fn compose_english(
    codes: &[(String, f32)],
    statements: &BTreeMap<String, Statement>,
) -> String {
    let mut known: Vec<(&Statement, f32)> = codes
        .iter()
        .filter_map(|(code, likelihood)| statements.get(code).map(|s| (s, *likelihood)))
        .collect();
    let rank = |s: &Statement| {
        if s.rhythm {
            0
        } else if s.diagnostic {
            1
        } else {
            2
        }
    };
    known.sort_by(|(a, la), (b, lb)| {
        rank(a)
            .cmp(&rank(b))
            .then(lb.total_cmp(la))
            .then(a.code.cmp(&b.code))
    });
    known
        .iter()
        .map(|(s, _)| s.description.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The text the text tower sees: the report itself where it is English, otherwise the
/// statements composed in English.
pub fn model_text(
    report: &str,
    codes: &[(String, f32)],
    statements: &BTreeMap<String, Statement>,
) -> String {
    if is_english(report) {
        clean_report(report)
    } else {
        compose_english(codes, statements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            normalise_report("Sinus rhythm.  Normal ECG."),
            "sinus rhythm normal ecg"
        );
    }

    #[test]
    fn english_is_told_from_german_and_swedish() {
        assert!(is_english(
            "sinus rhythm. left atrial enlargement. otherwise no definite pathology."
        ));
        assert!(is_english(
            "atrial fibrillation. st segments are depressed in i, avl."
        ));
        assert!(!is_english("sinusrhythmus lagetyp normal normales ekg"));
        assert!(!is_english(
            "sinusrytm misstÄnkt hypertrofi av vÄnster fÖrmak"
        ));
        assert!(!is_english("vorhofflimmern/-flattern lagetyp normal"));
        assert!(is_english(
            "sinus rhythm. second degree av block, wenckebach type."
        ));
    }

    #[test]
    fn composition_orders_rhythm_then_diagnoses() {
        let db = crate::dataset::ptbxl::fixtures::database();
        let codes = vec![
            ("LVOLT".to_string(), 0.0),
            ("NORM".to_string(), 100.0),
            ("SR".to_string(), 0.0),
        ];
        assert_eq!(
            compose_english(&codes, &db.statements),
            format!(
                "sinus rhythm, normal ECG, {}",
                db.statements["LVOLT"].description
            )
        );
        // Every fixture entry gets a non-empty English text.
        for e in &db.entries {
            let text = model_text(&e.report, &e.scp_codes, &db.statements);
            assert!(!text.is_empty(), "{}", e.ecg_id);
            assert!(
                !text.contains("unbest") && !text.contains("edit:"),
                "{text}"
            );
        }
    }
}
