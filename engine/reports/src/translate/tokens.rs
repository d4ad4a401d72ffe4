//! Splitting a cleaned report into words and the punctuation between them.

/// Whether `token` is punctuation that separates statements.
pub(crate) fn is_separator(token: &str) -> bool {
    matches!(token, "." | "," | ";" | "!" | "?" | ":")
}

/// Words and separators, in order: `"av-block 1.grades, qrs(t) abnorm."` →
/// `av-block`, `1`, `.`, `grades`, `,`, `qrs(t)`, `abnorm`, `.`.
/// Brackets around a whole word are dropped; inside a word (`qrs(t)`,
/// `extrasystole(n)`) they are kept.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut joined = Vec::new();
    let mut chunks = text.split_whitespace().peekable();
    // `st- hebung`, `t- veraenderungen`: a short prefix and its hyphen belong to the next
    // word (a long one is German's suspended compound, `myokard- oder perikardschaden`).
    while let Some(chunk) = chunks.next() {
        match (chunk.strip_suffix('-'), chunks.peek()) {
            (Some(prefix), Some(next)) if !prefix.is_empty() && prefix.chars().count() <= 2 => {
                joined.push(format!("{chunk}{next}"));
                chunks.next();
            }
            _ => joined.push(chunk.to_string()),
        }
    }
    for chunk in &joined {
        let mut word = String::new();
        let chars: Vec<char> = chunk.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let separator = matches!(c, '.' | ',' | ';' | '!' | '?' | ':')
                // A decimal number keeps its point or comma (`0,2`, `4.46`).
                && !(i > 0
                    && i + 1 < chars.len()
                    && chars[i - 1].is_ascii_digit()
                    && chars[i + 1].is_ascii_digit());
            if separator {
                push_word(&mut out, &word);
                word.clear();
                out.push(c.to_string());
            } else {
                word.push(c);
            }
        }
        push_word(&mut out, &word);
    }
    out
}

fn push_word(out: &mut Vec<String>, word: &str) {
    let mut word = word;
    if word.starts_with('(') && (word.ends_with(')') || !word.contains(')')) {
        word = &word[1..];
    }
    if word.ends_with(')') && !word.contains('(') {
        word = &word[..word.len() - 1];
    }
    let word = word.trim_matches(|c| matches!(c, '"' | '\'' | '*'));
    if !word.is_empty() {
        out.push(word.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_separators_come_apart() {
        assert_eq!(
            tokens("av-block 1.grades, qrs(t) abnorm. (grenzwertig) 0,2 mg st- hebung"),
            [
                "av-block",
                "1",
                ".",
                "grades",
                ",",
                "qrs(t)",
                "abnorm",
                ".",
                "grenzwertig",
                "0,2",
                "mg",
                "st-hebung"
            ]
        );
    }
}
