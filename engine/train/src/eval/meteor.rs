//! METEOR (Banerjee & Lavie 2005) of one candidate against one reference, with NLTK's
//! parameters (α = 0.9, β = 3, γ = 0.5) and its exact and Porter-stem matching stages. NLTK's
//! third stage, WordNet synonyms, is left out (no WordNet ships here), so scores can be a
//! little lower than NLTK's `meteor_score` on texts that use synonyms.

/// Lower-cased words without punctuation.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// METEOR of `candidate` against `reference`, in [0, 1].
pub fn meteor(candidate: &str, reference: &str) -> f64 {
    let c = words(candidate);
    let r = words(reference);
    if c.is_empty() || r.is_empty() {
        return 0.0;
    }
    // Alignment: candidate position → reference position, exact words first, then stems.
    let mut aligned: Vec<Option<usize>> = vec![None; c.len()];
    let mut used = vec![false; r.len()];
    let stems_c: Vec<String> = c.iter().map(|w| porter_stem(w)).collect();
    let stems_r: Vec<String> = r.iter().map(|w| porter_stem(w)).collect();
    for stage in 0..2 {
        for (i, slot) in aligned.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            let same = |j: usize| match stage {
                0 => c[i] == r[j],
                _ => stems_c[i] == stems_r[j],
            };
            if let Some(j) = (0..r.len()).find(|&j| !used[j] && same(j)) {
                *slot = Some(j);
                used[j] = true;
            }
        }
    }
    let matches = aligned.iter().flatten().count();
    if matches == 0 {
        return 0.0;
    }
    // Chunks: runs of matches adjacent in both texts.
    let mut chunks = 0;
    let mut previous: Option<usize> = None;
    for slot in &aligned {
        match (slot, previous) {
            (Some(j), Some(p)) if *j == p + 1 => {}
            (Some(_), _) => chunks += 1,
            (None, _) => {}
        }
        previous = *slot;
    }
    let m = matches as f64;
    let precision = m / c.len() as f64;
    let recall = m / r.len() as f64;
    let (alpha, beta, gamma) = (0.9, 3.0, 0.5);
    let f_mean = precision * recall / (alpha * precision + (1.0 - alpha) * recall);
    let penalty = gamma * (chunks as f64 / m).powf(beta);
    f_mean * (1.0 - penalty)
}

/// Porter's (1980) suffix-stripping stemmer, for English words in lower case.
pub fn porter_stem(word: &str) -> String {
    if word.len() <= 2 || !word.is_ascii() {
        return word.to_string();
    }
    let mut w: Vec<u8> = word.bytes().collect();
    step1ab(&mut w);
    step1c(&mut w);
    step2(&mut w);
    step3(&mut w);
    step4(&mut w);
    step5(&mut w);
    String::from_utf8(w).unwrap_or_else(|_| word.to_string())
}

fn is_consonant(w: &[u8], i: usize) -> bool {
    match w[i] {
        b'a' | b'e' | b'i' | b'o' | b'u' => false,
        b'y' => i == 0 || !is_consonant(w, i - 1),
        _ => true,
    }
}

/// m: the number of vowel–consonant sequences in `w`.
fn measure(w: &[u8]) -> usize {
    let mut m = 0;
    let mut i = 0;
    while i < w.len() && is_consonant(w, i) {
        i += 1;
    }
    while i < w.len() {
        while i < w.len() && !is_consonant(w, i) {
            i += 1;
        }
        if i >= w.len() {
            break;
        }
        m += 1;
        while i < w.len() && is_consonant(w, i) {
            i += 1;
        }
    }
    m
}

fn has_vowel(w: &[u8]) -> bool {
    (0..w.len()).any(|i| !is_consonant(w, i))
}

fn ends_double_consonant(w: &[u8]) -> bool {
    let n = w.len();
    n >= 2 && w[n - 1] == w[n - 2] && is_consonant(w, n - 1)
}

/// Consonant–vowel–consonant at the end, the last not w, x or y.
fn ends_cvc(w: &[u8]) -> bool {
    let n = w.len();
    n >= 3
        && is_consonant(w, n - 3)
        && !is_consonant(w, n - 2)
        && is_consonant(w, n - 1)
        && !matches!(w[n - 1], b'w' | b'x' | b'y')
}

/// Replaces `suffix` by `with` when the stem left has m > `min_m`; true when `suffix` ended
/// the word (whether or not it was replaced).
fn replace(w: &mut Vec<u8>, suffix: &str, with: &str, min_m: usize) -> bool {
    if !w.ends_with(suffix.as_bytes()) {
        return false;
    }
    let stem = w.len() - suffix.len();
    if measure(&w[..stem]) > min_m {
        w.truncate(stem);
        w.extend_from_slice(with.as_bytes());
    }
    true
}

fn step1ab(w: &mut Vec<u8>) {
    if w.ends_with(b"sses") || w.ends_with(b"ies") {
        w.truncate(w.len() - 2);
    } else if w.ends_with(b"s") && !w.ends_with(b"ss") {
        w.pop();
    }
    if w.ends_with(b"eed") {
        if measure(&w[..w.len() - 3]) > 0 {
            w.pop();
        }
        return;
    }
    let stripped = if w.ends_with(b"ed") && has_vowel(&w[..w.len() - 2]) {
        w.truncate(w.len() - 2);
        true
    } else if w.ends_with(b"ing") && has_vowel(&w[..w.len() - 3]) {
        w.truncate(w.len() - 3);
        true
    } else {
        false
    };
    if stripped {
        if w.ends_with(b"at") || w.ends_with(b"bl") || w.ends_with(b"iz") {
            w.push(b'e');
        } else if ends_double_consonant(w) && !matches!(w[w.len() - 1], b'l' | b's' | b'z') {
            w.pop();
        } else if measure(w) == 1 && ends_cvc(w) {
            w.push(b'e');
        }
    }
}

fn step1c(w: &mut [u8]) {
    let n = w.len();
    if w[n - 1] == b'y' && has_vowel(&w[..n - 1]) {
        w[n - 1] = b'i';
    }
}

fn step2(w: &mut Vec<u8>) {
    const RULES: [(&str, &str); 20] = [
        ("ational", "ate"),
        ("tional", "tion"),
        ("enci", "ence"),
        ("anci", "ance"),
        ("izer", "ize"),
        ("abli", "able"),
        ("alli", "al"),
        ("entli", "ent"),
        ("eli", "e"),
        ("ousli", "ous"),
        ("ization", "ize"),
        ("ation", "ate"),
        ("ator", "ate"),
        ("alism", "al"),
        ("iveness", "ive"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("aliti", "al"),
        ("iviti", "ive"),
        ("biliti", "ble"),
    ];
    for (suffix, with) in RULES {
        if replace(w, suffix, with, 0) {
            return;
        }
    }
}

fn step3(w: &mut Vec<u8>) {
    const RULES: [(&str, &str); 7] = [
        ("icate", "ic"),
        ("ative", ""),
        ("alize", "al"),
        ("iciti", "ic"),
        ("ical", "ic"),
        ("ful", ""),
        ("ness", ""),
    ];
    for (suffix, with) in RULES {
        if replace(w, suffix, with, 0) {
            return;
        }
    }
}

fn step4(w: &mut Vec<u8>) {
    const SUFFIXES: [&str; 19] = [
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion",
        "ou", "ism", "ate", "iti", "ous", "ive", "ize",
    ];
    for suffix in SUFFIXES {
        if w.ends_with(suffix.as_bytes()) {
            let stem = w.len() - suffix.len();
            // -ion only after s or t.
            let allowed = suffix != "ion" || (stem > 0 && matches!(w[stem - 1], b's' | b't'));
            if allowed && measure(&w[..stem]) > 1 {
                w.truncate(stem);
            }
            return;
        }
    }
}

fn step5(w: &mut Vec<u8>) {
    let n = w.len();
    if w[n - 1] == b'e' {
        let m = measure(&w[..n - 1]);
        if m > 1 || (m == 1 && !ends_cvc(&w[..n - 1])) {
            w.pop();
        }
    }
    let n = w.len();
    if n >= 2 && w[n - 1] == b'l' && w[n - 2] == b'l' && measure(w) > 1 {
        w.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porter_stems_as_the_paper_says() {
        for (word, stem) in [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("agreed", "agre"),
            ("hopping", "hop"),
            ("filing", "file"),
            ("happy", "happi"),
            ("relational", "relat"),
            ("conditional", "condit"),
            ("hypertrophy", "hypertrophi"),
            ("infarction", "infarct"),
            ("depressed", "depress"),
            ("abnormalities", "abnorm"),
        ] {
            assert_eq!(porter_stem(word), stem, "{word}");
        }
    }

    #[test]
    fn meteor_rewards_order_and_stems() {
        let t = "sinus rhythm, left axis deviation, normal ECG.";
        let same = meteor(t, t);
        // One chunk of 7 matches: penalty 0.5 · (1/7)³.
        assert!((same - (1.0 - 0.5 / 343.0)).abs() < 1e-9, "{same}");
        let stemmed = meteor("inferior infarctions", "inferior infarction");
        assert!((stemmed - same_len_one_chunk(2)).abs() < 1e-9, "{stemmed}");
        let shuffled = meteor("normal ecg sinus rhythm", "sinus rhythm normal ecg");
        assert!(shuffled < meteor("sinus rhythm normal ecg", "sinus rhythm normal ecg"));
        assert_eq!(meteor("atrial fibrillation", "sinus rhythm"), 0.0);
    }

    fn same_len_one_chunk(m: usize) -> f64 {
        1.0 - 0.5 / (m as f64).powi(3)
    }
}
