//! The phrase table: `key | class | English` lines in one file per language, keys matched on
//! [`fold`]ed words so that the reports' spellings without umlauts (`ueberdrehter`,
//! `leitungsstoerung`) find the same entry.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::tokens::tokens;
use super::Language;

/// How a phrase takes part in the reports' grammar (see `grammar`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// A finding, rhythm or axis: the head of a statement (`infarkt`, `linkstyp`).
    Head,
    /// An adjective before its head (`inferiorer`, `unvollständiger`).
    Adjective,
    /// A hedge after its head (`möglich`, `wahrscheinlich`): English puts it before.
    Hedge,
    /// A modifier that opens a statement (`verdacht auf`, `sonst`).
    Lead,
    /// A word that joins two parts of one statement (`oder`, `in`, `såsom vid`).
    Join,
    /// A word that closes or follows a head (`alt`, `nicht auszuschliessen`, lead names).
    Follow,
    /// Not part of the report (version numbers of the cart software).
    Drop,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub class: Class,
    /// The English; for a hedge, its adjective form (before a head).
    pub english: String,
    /// A hedge's adverb form (before an adjective: "probably anterolateral").
    pub adverb: Option<String>,
    /// None where the word is the same in more than one of the languages.
    pub language: Option<Language>,
}

pub(crate) struct Table {
    entries: HashMap<String, Entry>,
    /// The most words a key has.
    pub longest: usize,
}

const GERMAN: &str = include_str!("de.txt");
const SWEDISH: &str = include_str!("sv.txt");
const ENGLISH: &str = include_str!("en.txt");

/// The report's word in the form the table is keyed by: umlauts written out as the reports
/// without them do (`ä` → `ae`), `ß` → `ss`, Swedish `å` → `aa`.
pub(crate) fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'å' => out.push_str("aa"),
            'é' | 'è' => out.push('e'),
            c => out.push(c),
        }
    }
    out
}

impl Table {
    pub(crate) fn get() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        TABLE.get_or_init(|| {
            let mut table = Table {
                entries: HashMap::new(),
                longest: 1,
            };
            for (text, language) in [
                (GERMAN, Language::German),
                (SWEDISH, Language::Swedish),
                (ENGLISH, Language::English),
            ] {
                table.add(text, language);
            }
            table
        })
    }

    fn add(&mut self, text: &str, language: Language) {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split(" | ").collect();
            // The table is compiled in: a malformed line is a bug the tests catch.
            assert!(
                parts.len() == 3,
                "{language:?} table line {}: `key | class | English`",
                number + 1
            );
            let class = match parts[1] {
                "head" => Class::Head,
                "adj" => Class::Adjective,
                "hedge" => Class::Hedge,
                "lead" => Class::Lead,
                "join" => Class::Join,
                "follow" => Class::Follow,
                "drop" => Class::Drop,
                other => panic!("{language:?} table line {}: class `{other}`", number + 1),
            };
            let (english, adverb) = match parts[2].split_once(" / ") {
                Some((adjective, adverb)) => (adjective.to_string(), Some(adverb.to_string())),
                None => (parts[2].to_string(), None),
            };
            let words: Vec<String> = tokens(parts[0]).iter().map(|t| fold(t)).collect();
            self.longest = self.longest.max(words.len());
            let key = words.join(" ");
            let entry = Entry {
                class,
                english: if english == "=" {
                    parts[0].to_string()
                } else {
                    english
                },
                adverb,
                language: Some(language),
            };
            match self.entries.get_mut(&key) {
                // The same word in two languages: the first table's sense, no language vote.
                Some(existing) if existing.language != Some(language) => existing.language = None,
                Some(_) => panic!(
                    "{language:?} table line {}: `{}` twice",
                    number + 1,
                    parts[0]
                ),
                None => {
                    self.entries.insert(key, entry);
                }
            }
        }
    }

    /// The entry for these folded words, joined by single spaces.
    pub(crate) fn lookup(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }
}
