//! Report texts: the cardiologist's original (kept for display), a normalised form for
//! exact-match evaluation, and English for the text tower.

use std::collections::BTreeMap;

use super::ptbxl::Statement;

pub use ecgmatch_reports::{clean_report, normalise_report};
use ecgmatch_reports::{compose_statements, translate, Language, StatementKind, StatementLine};

/// English text from SCP statements: rhythm first, then diagnostic statements by
/// likelihood, then form statements, as a cardiologist would order a report.
pub fn compose_english(
    codes: &[(String, f32)],
    statements: &BTreeMap<String, Statement>,
) -> String {
    compose_statements(
        codes
            .iter()
            .filter_map(|(code, likelihood)| {
                statements.get(code).map(|s| StatementLine {
                    kind: if s.rhythm {
                        StatementKind::Rhythm
                    } else if s.diagnostic {
                        StatementKind::Diagnostic
                    } else {
                        StatementKind::Form
                    },
                    likelihood: *likelihood,
                    code: &s.code,
                    description: &s.description,
                })
            })
            .collect(),
    )
}

/// Which text of a report the text tower reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextSource {
    /// The report where it is written in English, otherwise its SCP statements composed in
    /// English (what the towers up to v5 were trained on).
    #[default]
    Composed,
    /// The report in English: translated where it is written in German or Swedish.
    Translated,
    /// The report as written, whatever its language (MiniLM is an English model).
    Original,
}

/// The text the text tower sees for a report, as `source` says.
pub fn model_text(
    source: TextSource,
    report: &str,
    codes: &[(String, f32)],
    statements: &BTreeMap<String, Statement>,
) -> String {
    match source {
        TextSource::Composed => {
            if translate(report).language == Language::English {
                clean_report(report)
            } else {
                compose_english(codes, statements)
            }
        }
        TextSource::Translated => translate(report).english,
        TextSource::Original => clean_report(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_gives_its_own_text() {
        let db = crate::dataset::ptbxl::fixtures::database();
        let entry = db
            .entries
            .iter()
            .find(|e| translate(&e.report).language == Language::German)
            .expect("the fixture has a German report");
        let composed = model_text(
            TextSource::Composed,
            &entry.report,
            &entry.scp_codes,
            &db.statements,
        );
        let translated = model_text(
            TextSource::Translated,
            &entry.report,
            &entry.scp_codes,
            &db.statements,
        );
        let original = model_text(
            TextSource::Original,
            &entry.report,
            &entry.scp_codes,
            &db.statements,
        );
        assert_eq!(composed, compose_english(&entry.scp_codes, &db.statements));
        assert_eq!(translated, translate(&entry.report).english);
        assert_eq!(original, clean_report(&entry.report));
        assert_ne!(translated, original);
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
            let text = model_text(
                TextSource::Composed,
                &e.report,
                &e.scp_codes,
                &db.statements,
            );
            assert!(!text.is_empty(), "{}", e.ecg_id);
            assert!(
                !text.contains("unbest") && !text.contains("edit:"),
                "{text}"
            );
        }
    }
}
