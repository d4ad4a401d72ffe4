//! BERT uncased WordPiece, id for id as HuggingFace `tokenizers` encodes for all-MiniLM-L6-v2
//! (its `tokenizer.json` with padding off).
//!
//! The steps, in the order `tokenizers` applies them:
//! 1. the special tokens (`[CLS]`, `[SEP]`, ...) are found in the raw text, case-sensitively,
//!    and kept whole;
//! 2. every other span is normalised: control and format characters dropped, whitespace turned
//!    into spaces, CJK ideographs padded with spaces, accents stripped (NFD, then the
//!    non-spacing marks dropped) and only then lower-cased;
//! 3. it is split into words at whitespace, and every punctuation character is a word;
//! 4. each word becomes the longest vocabulary entries that cover it, left to right,
//!    continuations prefixed with `##`; a word longer than 100 characters, or one that cannot
//!    be covered, is `[UNK]`.
//!
//! The character classes come from `tables.rs`, which was read off `tokenizers` itself rather
//! than from current Unicode data: it uses older Unicode tables, and an exact match of its ids
//! is what makes the pretrained weights meaningful.

use std::collections::HashMap;

use unicode_normalization::char::{canonical_combining_class, decompose_canonical};

use super::tables::{CHINESE, DECOMPOSED, NONSPACING_MARKS, PUNCTUATION, REMOVED};
use crate::{Error, Result};

/// Words longer than this many characters are `[UNK]` without being looked at, as in BERT.
pub const MAX_WORD_CHARS: usize = 100;

/// The special tokens the vocabulary must hold; they are also recognised in the input text.
const SPECIAL_TOKENS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// A WordPiece tokenizer built from a BERT `vocab.txt` (one token a line, the line number is
/// its id).
#[derive(Clone, Debug)]
pub struct Tokenizer {
    vocab: HashMap<String, u32>,
    specials: [(&'static str, u32); 5],
    size: usize,
}

impl Tokenizer {
    /// Reads the bytes of a `vocab.txt`. They are bytes rather than a path so that the same
    /// code runs in the browser.
    pub fn from_vocab(vocab_txt: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(vocab_txt)
            .map_err(|e| Error::InvalidWeights(format!("vocab.txt: not UTF-8 text ({e})")))?;
        let mut lines: Vec<&str> = text.split('\n').collect();
        if lines.last() == Some(&"") {
            lines.pop();
        }
        if lines.len() > u32::MAX as usize {
            return Err(Error::InvalidWeights("vocab.txt: too many lines".into()));
        }
        let mut vocab = HashMap::with_capacity(lines.len());
        for (id, line) in lines.iter().enumerate() {
            // Like the loader of `tokenizers`: a later duplicate wins, trailing blanks go.
            vocab.insert(line.trim_end().to_string(), id as u32);
        }
        let mut specials = [("", 0); 5];
        for (slot, token) in specials.iter_mut().zip(SPECIAL_TOKENS) {
            let id = *vocab.get(token).ok_or_else(|| {
                Error::InvalidWeights(format!("vocab.txt: the special token {token} is missing"))
            })?;
            *slot = (token, id);
        }
        Ok(Self {
            vocab,
            specials,
            size: lines.len(),
        })
    }

    /// The number of ids, i.e. the lines of the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.size
    }

    /// The id of a token of the vocabulary, e.g. `"[PAD]"` or `"##us"`.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.vocab.get(token).copied()
    }

    pub fn pad_id(&self) -> u32 {
        self.specials[0].1
    }

    pub fn unk_id(&self) -> u32 {
        self.specials[1].1
    }

    pub fn cls_id(&self) -> u32 {
        self.specials[2].1
    }

    pub fn sep_id(&self) -> u32 {
        self.specials[3].1
    }

    /// `[CLS]`, the ids of `text`, `[SEP]`: at most `max_len` ids in all (at least 2), the
    /// text's end cut off if it is longer, as `tokenizers` truncates a single sequence.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let budget = max_len.max(2) - 2;
        let mut ids = vec![self.cls_id()];
        let mut normalized = String::new();
        let mut piece = String::new();
        for span in self.spans(text) {
            if ids.len() > budget {
                break;
            }
            match span {
                Span::Special(id) => ids.push(id),
                Span::Text(text) => {
                    normalized.clear();
                    normalize(text, &mut normalized);
                    for word in Words::new(&normalized) {
                        if ids.len() > budget {
                            break;
                        }
                        self.word_pieces(word, &mut ids, &mut piece);
                    }
                }
            }
        }
        ids.truncate(budget + 1);
        ids.push(self.sep_id());
        ids
    }

    /// Splits the raw text at the special tokens, leftmost first.
    fn spans<'a>(&self, text: &'a str) -> Vec<Span<'a>> {
        let mut spans = Vec::new();
        let mut rest = text;
        loop {
            let next = self
                .specials
                .iter()
                .filter_map(|&(token, id)| rest.find(token).map(|at| (at, token.len(), id)))
                .min_by_key(|&(at, len, _)| (at, std::cmp::Reverse(len)));
            match next {
                Some((at, len, id)) => {
                    if at > 0 {
                        spans.push(Span::Text(&rest[..at]));
                    }
                    spans.push(Span::Special(id));
                    rest = &rest[at + len..];
                }
                None => {
                    if !rest.is_empty() {
                        spans.push(Span::Text(rest));
                    }
                    return spans;
                }
            }
        }
    }

    /// Greedy longest-match-first WordPiece of one word; `piece` is scratch space.
    fn word_pieces(&self, word: &str, ids: &mut Vec<u32>, piece: &mut String) {
        if word.chars().count() > MAX_WORD_CHARS {
            ids.push(self.unk_id());
            return;
        }
        let first = ids.len();
        let mut start = 0;
        while start < word.len() {
            let mut end = word.len();
            let found = loop {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.push_str(&word[start..end]);
                if let Some(&id) = self.vocab.get(piece.as_str()) {
                    break Some(id);
                }
                end = match word[start..end].char_indices().next_back() {
                    Some((last, _)) if last > 0 => start + last,
                    _ => break None,
                };
            };
            match found {
                Some(id) => {
                    ids.push(id);
                    start = end;
                }
                None => {
                    // One uncovered piece makes the whole word unknown, not just that piece.
                    ids.truncate(first);
                    ids.push(self.unk_id());
                    return;
                }
            }
        }
    }
}

enum Span<'a> {
    Text(&'a str),
    Special(u32),
}

/// The words that WordPiece sees for a text without special tokens: normalised and split.
/// Public so that tests can compare this stage with `tokenizers` on every code point.
pub fn words(text: &str) -> Vec<String> {
    let mut normalized = String::new();
    normalize(text, &mut normalized);
    Words::new(&normalized).map(str::to_string).collect()
}

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

const HANGUL_SYLLABLES: std::ops::RangeInclusive<char> = '\u{AC00}'..='\u{D7A3}';

/// BERT's normaliser, appending to `out`.
fn normalize(text: &str, out: &mut String) {
    // Clean-up and CJK spacing, then NFD as `tokenizers` has it: only what its older Unicode
    // tables decompose, then combining marks put in canonical order.
    let mut chars: Vec<char> = Vec::with_capacity(text.len() + 8);
    let decompose = |c: char, chars: &mut Vec<char>| {
        if in_table(DECOMPOSED, c) || HANGUL_SYLLABLES.contains(&c) {
            decompose_canonical(c, |d| chars.push(d));
        } else {
            chars.push(c);
        }
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            chars.push(c);
        } else if in_table(REMOVED, c) {
        } else if c.is_whitespace() {
            chars.push(' ');
        } else if in_table(CHINESE, c) {
            // CJK compatibility ideographs are spaced first and then decomposed.
            chars.push(' ');
            decompose(c, &mut chars);
            chars.push(' ');
        } else {
            decompose(c, &mut chars);
        }
    }
    canonical_order(&mut chars);
    // Accents go before lower-casing, so that e.g. 'İ' ends as a plain 'i'.
    for c in chars {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if !in_table(NONSPACING_MARKS, c) {
            // Per character, as `tokenizers` does: a final 'Σ' becomes 'σ', not 'ς'.
            out.extend(c.to_lowercase());
        }
    }
}

/// Sorts each run of combining characters by combining class, keeping ties in order.
fn canonical_order(chars: &mut [char]) {
    let mut i = 0;
    while i < chars.len() {
        if canonical_combining_class(chars[i]) == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && canonical_combining_class(chars[i]) != 0 {
            i += 1;
        }
        if i - start > 1 {
            chars[start..i].sort_by_key(|&c| canonical_combining_class(c));
        }
    }
}

fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_punctuation()
    } else {
        in_table(PUNCTUATION, c)
    }
}

/// BERT's pre-tokenizer over normalised text: words end at whitespace, and each punctuation
/// character is a word of its own.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.rest = self.rest.trim_start_matches(char::is_whitespace);
        let first = self.rest.chars().next()?;
        let end = if is_punctuation(first) {
            first.len_utf8()
        } else {
            self.rest
                .find(|c: char| c.is_whitespace() || is_punctuation(c))
                .unwrap_or(self.rest.len())
        };
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Tokenizer {
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nsin\n##us\n,\nun\n##able\nab\n##le\na\n";
        Tokenizer::from_vocab(vocab.as_bytes()).unwrap()
    }

    #[test]
    fn longest_match_first_with_continuations() {
        let t = tiny();
        assert_eq!(t.encode("Sinus, unable", 64), vec![2, 5, 6, 7, 8, 9, 3]);
    }

    #[test]
    fn a_word_with_an_unknown_piece_is_unknown_whole() {
        let t = tiny();
        assert_eq!(t.encode("sinusx a", 64), vec![2, 1, 12, 3]);
    }

    #[test]
    fn overlong_words_are_unknown() {
        let t = tiny();
        assert_eq!(t.encode(&"a".repeat(MAX_WORD_CHARS + 1), 64), vec![2, 1, 3]);
    }

    #[test]
    fn truncation_keeps_cls_and_sep() {
        let t = tiny();
        assert_eq!(t.encode("sinus sinus sinus", 5), vec![2, 5, 6, 5, 3]);
        assert_eq!(t.encode("sinus", 0), vec![2, 3]);
    }

    #[test]
    fn special_tokens_in_text_are_kept_case_sensitively() {
        let t = tiny();
        assert_eq!(
            t.encode("a[SEP]a [mask]", 64),
            vec![2, 12, 3, 12, 1, 1, 1, 3]
        );
    }

    #[test]
    fn normalisation_strips_accents_before_lowercasing() {
        assert_eq!(
            words("İstanbul Ärztin, ΟΔΟΣ\u{200B}x\tcafé"),
            ["istanbul", "arztin", ",", "οδοσx", "cafe"]
        );
        assert_eq!(words("心电图ok"), ["心", "电", "图", "ok"]);
    }

    #[test]
    fn a_vocabulary_without_special_tokens_is_refused() {
        let err = Tokenizer::from_vocab(b"[PAD]\n[UNK]\n").unwrap_err();
        assert!(err.to_string().contains("[CLS]"), "{err}");
    }
}
