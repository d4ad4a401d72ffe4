//! Patient details from header comments, which WFDB leaves free-form.
//!
//! Databases settled on a few conventions: wfdb-python writes `<age>: 25 <sex>: M`,
//! the PhysioNet challenges and PTB write `Age: 60` / `Sex: Male` on lines of their own,
//! and MIT-BIH starts its first comment with age and sex: `69 M 1085 1629 x1`.

use super::header::Header;
use crate::{Metadata, Sex};

pub fn from_header(header: &Header) -> Metadata {
    let mut meta = Metadata {
        comments: header.comments.clone(),
        statements: challenge_diagnoses(&header.comments)
            .into_iter()
            .map(|code| format!("SNOMED CT {code}"))
            .collect(),
        ..Metadata::default()
    };
    for comment in &header.comments {
        let (age, sex) = key_values(comment);
        meta.age = meta.age.or(age);
        meta.sex = meta.sex.or(sex);
    }
    if meta.age.is_none() && meta.sex.is_none() {
        if let Some((age, sex)) = header.comments.iter().find_map(|c| mit_bih(c)) {
            meta.age = age;
            meta.sex = Some(sex);
        }
    }
    let when: Vec<&str> = [&header.base_time, &header.base_date]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    meta.date = (!when.is_empty()).then(|| when.join(" "));
    meta
}

/// The SNOMED CT codes of the PhysioNet Challenge's `# Dx: a,b,c` comment.
pub fn challenge_diagnoses<S: AsRef<str>>(comments: &[S]) -> Vec<String> {
    comments
        .iter()
        .filter_map(|l| {
            l.as_ref()
                .trim_start_matches('#')
                .trim()
                .strip_prefix("Dx:")
        })
        .flat_map(|codes| codes.split(',').map(|c| c.trim().to_string()))
        .filter(|c| !c.is_empty())
        .collect()
}

/// `key: value` pairs anywhere in the line, keys `age`, `sex` or `gender`, with or without
/// angle brackets, in any case.
fn key_values(comment: &str) -> (Option<f32>, Option<Sex>) {
    let (mut age, mut sex) = (None, None);
    let tokens: Vec<&str> = comment.split_whitespace().collect();
    for (i, token) in tokens.iter().enumerate() {
        let Some((key, value)) = token.split_once(':') else {
            continue;
        };
        let value = if value.is_empty() {
            tokens.get(i + 1).copied().unwrap_or("")
        } else {
            value
        };
        match key.trim_matches(['<', '>']).to_ascii_lowercase().as_str() {
            "age" => age = age.or_else(|| parse_age(value)),
            "sex" | "gender" => sex = sex.or_else(|| parse_sex(value)),
            _ => {}
        }
    }
    (age, sex)
}

fn mit_bih(comment: &str) -> Option<(Option<f32>, Sex)> {
    let mut tokens = comment.split_whitespace();
    let age = tokens.next()?;
    let sex = match tokens.next()? {
        "M" => Sex::Male,
        "F" => Sex::Female,
        _ => return None,
    };
    // MIT-BIH writes `?` for an unknown age.
    if age == "?" {
        return Some((None, sex));
    }
    if !age.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((parse_age(age), sex))
}

fn parse_age(value: &str) -> Option<f32> {
    let number: String = value
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    number
        .parse::<f32>()
        .ok()
        .filter(|a| a.is_finite() && (0.0..=130.0).contains(a))
}

fn parse_sex(value: &str) -> Option<Sex> {
    match value
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_ascii_lowercase()
        .as_str()
    {
        "m" | "male" | "man" => Some(Sex::Male),
        "f" | "female" | "woman" => Some(Sex::Female),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(comments: &[&str]) -> Metadata {
        let header = Header {
            comments: comments.iter().map(|c| c.to_string()).collect(),
            ..Header::new("r")
        };
        from_header(&header)
    }

    #[test]
    fn wfdb_python_style() {
        let m = meta(&["<age>: 25  <sex>: M  <diagnoses>: (none)  <medications>: (none)"]);
        assert_eq!((m.age, m.sex), (Some(25.0), Some(Sex::Male)));
    }

    #[test]
    fn challenge_and_ptb_style() {
        let m = meta(&["Age: 60", "Sex: Male", "Dx: 164889003, 426177001"]);
        assert_eq!((m.age, m.sex), (Some(60.0), Some(Sex::Male)));
        assert_eq!(
            m.statements,
            vec!["SNOMED CT 164889003", "SNOMED CT 426177001"]
        );
        let m = meta(&["age: 81", "sex: female", "ECG date: 01/10/1990"]);
        assert_eq!((m.age, m.sex), (Some(81.0), Some(Sex::Female)));
        let m = meta(&["Age: NaN", "Sex: Unknown"]);
        assert_eq!((m.age, m.sex), (None, None));
        let m = meta(&["Age:47 Gender:F"]);
        assert_eq!((m.age, m.sex), (Some(47.0), Some(Sex::Female)));
    }

    #[test]
    fn mit_bih_style() {
        let m = meta(&[
            "unnecessary comment",
            "69 M 1085 1629 x1",
            "Aldomet, Inderal",
        ]);
        assert_eq!((m.age, m.sex), (Some(69.0), Some(Sex::Male)));
        let m = meta(&["? F 1085 1629 x1"]);
        assert_eq!((m.age, m.sex), (None, Some(Sex::Female)));
        // Not every comment that starts with a number is a patient line.
        let m = meta(&["12 leads recorded", "1020 samples * 4/3 bytes/sample"]);
        assert_eq!((m.age, m.sex), (None, None));
    }

    #[test]
    fn unrelated_keys_and_impossible_ages_are_ignored() {
        let m = meta(&[
            "Infarction date (acute): 29-Sep-90",
            "Smoker: no",
            "age: 300",
        ]);
        assert_eq!((m.age, m.sex), (None, None));
    }

    #[test]
    fn date_and_time_as_written() {
        let mut h = meta(&[]);
        assert_eq!(h.date, None);
        let header = Header {
            base_time: Some("12:44:02".into()),
            base_date: Some("10/12/2009".into()),
            ..Header::new("r")
        };
        h = from_header(&header);
        assert_eq!(h.date.as_deref(), Some("12:44:02 10/12/2009"));
    }
}
