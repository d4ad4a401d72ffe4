use super::*;

fn english(report: &str) -> String {
    translate(report).english
}

#[test]
fn the_carts_statements_read_as_english() {
    assert_eq!(
        english("sinusrhythmus lagetyp normal normales ekg 4.46   unbestÄtigter bericht"),
        "Sinus rhythm, normal axis, normal ECG."
    );
    assert_eq!(
        english("sinusrhythmus ueberdrehter linkstyp sonst normales ekg"),
        "Sinus rhythm, left axis deviation, otherwise normal ECG."
    );
}

#[test]
fn a_hedge_moves_before_its_finding() {
    assert_eq!(
        english("sinusrhythmus lagetyp normal qrs(t) abnorm inferiorer infarkt möglich"),
        "Sinus rhythm, normal axis, QRS(T) abnormal, possible inferior infarction."
    );
    assert_eq!(
        english("sinusrhythmus qrs(t) abnorm inferiorer infarkt wahrscheinlich alt"),
        "Sinus rhythm, QRS(T) abnormal, inferior infarction, probably old."
    );
    assert_eq!(
        english("st & t abnorm, wahrscheinlich anterolaterale ischämie oder linksbelastung"),
        "ST & T abnormal, probably anterolateral ischemia or left ventricular strain."
    );
    assert_eq!(
        english("anteroseptaler myokardschaden nicht auszuschliessen"),
        "Anteroseptal myocardial damage cannot be excluded."
    );
}

#[test]
fn swedish_reports_are_told_from_german_ones() {
    let swedish = translate("sinusrytm vänster el-axel inferior infarkt sannolikt äldre");
    assert_eq!(swedish.language, Language::Swedish);
    assert_eq!(
        swedish.english,
        "Sinus rhythm, left axis deviation, inferior infarction, probably old."
    );
    let german = translate("sinusrhythmus linkstyp");
    assert_eq!(german.language, Language::German);
}

#[test]
fn english_reports_are_kept_as_written() {
    let report = "Sinus rhythm. Left anterior fascicular block. Edit: LAFB 100";
    let translation = translate(report);
    assert_eq!(translation.language, Language::English);
    assert_eq!(
        translation.english,
        "Sinus rhythm. Left anterior fascicular block."
    );
}

#[test]
fn leads_and_unknown_words_are_kept() {
    let translation = translate("sinusrhythmus t neg in v1-3, avf xylophon");
    assert_eq!(
        translation.english,
        "Sinus rhythm, T negative in V1-3, aVF xylophon."
    );
    assert_eq!(translation.untranslated, ["xylophon"]);
}

#[test]
fn the_tables_are_well_formed() {
    // Loading panics on a malformed line or a key given twice in one language.
    assert!(Table::get().longest >= 4);
}

#[test]
fn the_reviewed_sample_is_what_the_translator_gives() {
    // docs/analysis/translation-review.md holds 200 translations read and judged by hand; a
    // change to the table or grammar that alters one must be reviewed again.
    let review = include_str!("../../../../docs/analysis/translation-review.md");
    let mut rows = 0;
    for line in review
        .lines()
        .filter(|l| l.starts_with("| ") && l.as_bytes().get(2).is_some_and(u8::is_ascii_digit))
    {
        let cells: Vec<String> = line
            .trim_matches(|c| c == '|' || c == ' ')
            .split(" | ")
            .map(|c| c.replace("\\|", "|"))
            .collect();
        let (original, english) = (&cells[2], &cells[3]);
        assert_eq!(&translate(original).english, english, "ecg_id {}", cells[0]);
        rows += 1;
    }
    assert_eq!(rows, 200);
}
