//! English for PTB-XL's German and Swedish reports.
//!
//! The carts drafted these reports from a small, regular vocabulary
//! (`sinusrhythmus lagetyp normal qrs(t) abnorm inferiorer infarkt wahrscheinlich alt`), so a
//! reviewed phrase table and the little grammar they use translate them faithfully: each
//! phrase is matched longest first, statements are separated by commas, and a hedge after
//! its finding moves before it as English wants (`inferiorer infarkt möglich` → "possible
//! inferior infarction"). Words the table lacks are kept as they were written and listed in
//! [`Translation::untranslated`], never guessed.

mod grammar;
mod table;
mod tokens;

use table::{fold, Class, Table};

/// The language a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    English,
    German,
    Swedish,
}

impl Language {
    /// The ISO 639-1 code, as the page's `lang` attribute wants it.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
            Language::Swedish => "sv",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::German => "German",
            Language::Swedish => "Swedish",
        }
    }
}

/// A report in English, and what it was written in.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    pub language: Language,
    /// The report in English: the original itself where it was written in English.
    pub english: String,
    /// Words the table does not know, kept in the English as written.
    pub untranslated: Vec<String>,
    /// How many of the report's words were read (for [`Coverage`]).
    pub words: usize,
}

/// One matched piece of a report.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub class: Class,
    pub english: String,
    pub adverb: Option<String>,
    pub separator: bool,
}

/// The report in English (see the module's documentation).
pub fn translate(report: &str) -> Translation {
    let cleaned = crate::clean::repair_export(&crate::clean_report(report));
    let words = tokens::tokens(&cleaned);
    let table = Table::get();
    let mut units = Vec::new();
    let mut untranslated = Vec::new();
    let mut votes = [0usize; 3];
    let mut word_count = 0;
    let folded: Vec<String> = words.iter().map(|w| fold(w)).collect();
    let mut i = 0;
    while i < words.len() {
        if tokens::is_separator(&words[i]) {
            units.push(Unit {
                class: Class::Join,
                english: words[i].clone(),
                adverb: None,
                separator: true,
            });
            i += 1;
            continue;
        }
        if let Some((length, entry)) = longest_match(table, &folded[i..]) {
            word_count += words[i..i + length]
                .iter()
                .filter(|w| !tokens::is_separator(w))
                .count();
            if let Some(language) = entry.language {
                votes[language as usize] += length;
            }
            units.push(Unit {
                class: entry.class,
                english: entry.english.clone(),
                adverb: entry.adverb.clone(),
                separator: false,
            });
            i += length;
            continue;
        }
        word_count += 1;
        let (english, class) = match word_without_table_entry(table, &words[i]) {
            Some(found) => found,
            None => {
                untranslated.push(words[i].clone());
                (words[i].clone(), Class::Follow)
            }
        };
        units.push(Unit {
            class,
            english,
            adverb: None,
            separator: false,
        });
        i += 1;
    }
    // The language most of the report's words belong to; words written the same in two
    // languages (`normal`, `st`, `infarkt`) do not vote.
    let [english_votes, german_votes, swedish_votes] = votes;
    let language = if english_votes > german_votes.max(swedish_votes) {
        Language::English
    } else if swedish_votes > german_votes {
        Language::Swedish
    } else if german_votes > 0 {
        Language::German
    } else {
        Language::English
    };
    if language == Language::English {
        // Written in English: shown as written, nothing translated.
        return Translation {
            language,
            english: crate::display_report(report),
            untranslated: Vec::new(),
            words: word_count,
        };
    }
    let english = grammar::assemble(&units);
    Translation {
        language,
        english,
        untranslated,
        words: word_count,
    }
}

/// The longest table entry that `words` (folded) start with, and how many words it takes.
fn longest_match<'t>(table: &'t Table, words: &[String]) -> Option<(usize, &'t table::Entry)> {
    (1..=table.longest.min(words.len()))
        .rev()
        .find_map(|length| {
            table
                .lookup(&words[..length].join(" "))
                .map(|entry| (length, entry))
        })
}

/// A word that is no phrase of the table but reads all the same: a lead or lead list
/// (`v2-6`, `i,ii,f`), a number, or a compound whose parts the table knows
/// (`p-verbreiterung` → "P-widening").
fn word_without_table_entry(table: &Table, word: &str) -> Option<(String, Class)> {
    if let Some(leads) = lead_names(word) {
        return Some((leads, Class::Follow));
    }
    let parts: Vec<&str> = word.split(['-', '/']).collect();
    if parts.len() < 2 {
        return None;
    }
    let mut english = String::new();
    let mut class = Class::Follow;
    let mut rest = word;
    for part in parts {
        let (english_part, part_class) = if part.is_empty() {
            (String::new(), class)
        } else if let Some(entry) = table.lookup(&fold(part)) {
            (entry.english.clone(), entry.class)
        } else {
            (lead_names(part)?, Class::Follow)
        };
        english.push_str(&english_part);
        class = part_class;
        rest = &rest[part.len()..];
        if let Some(separator) = rest.chars().next() {
            english.push(separator);
            rest = &rest[separator.len_utf8()..];
        }
    }
    Some((english, class))
}

/// Leads as English reports write them (`avf` → `aVF`, `v2-6` → `V2-6`), and numbers as
/// they are; None for anything else.
fn lead_names(word: &str) -> Option<String> {
    let mut out = String::new();
    let mut any = false;
    for piece in word.split_inclusive(['-', ',', '/', '+']) {
        let (name, separator) = match piece.char_indices().last() {
            Some((i, '-' | ',' | '/' | '+')) => (&piece[..i], &piece[i..]),
            _ => (piece, ""),
        };
        let lead = match name {
            // `f` and `l` are aVF and aVL as the carts' lead lists name them (`ii, iii, f`).
            "i" | "ii" | "iii" | "f" | "l" => name.to_uppercase(),
            "avr" | "avl" | "avf" => format!("aV{}", name[2..].to_uppercase()),
            "" => String::new(),
            _ if name
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',') =>
            {
                name.to_string()
            }
            _ if name.starts_with('v') && name[1..].chars().all(|c| c.is_ascii_digit()) => {
                name.to_uppercase()
            }
            _ => return None,
        };
        any |= !lead.is_empty();
        out.push_str(&lead);
        out.push_str(separator);
    }
    any.then_some(out)
}

/// How much of the German and Swedish reports' words the table reads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Coverage {
    pub reports: usize,
    pub words: usize,
    pub untranslated: usize,
}

impl Coverage {
    /// Adds one report (English reports are not counted: nothing is translated).
    pub fn add(&mut self, translation: &Translation) {
        if translation.language != Language::English {
            self.reports += 1;
            self.words += translation.words;
            self.untranslated += translation.untranslated.len();
        }
    }

    /// The share of words translated.
    pub fn share(&self) -> f64 {
        1.0 - self.untranslated as f64 / self.words.max(1) as f64
    }
}

#[cfg(test)]
mod tests;
