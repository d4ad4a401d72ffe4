//! What every fuzz target checks: the readers never panic (libFuzzer catches that), and a
//! successful read keeps the promises the rest of the engine relies on.

use ecgmatch_formats::ReadOutcome;
use ecgmatch_formats::{read_records, InputFile};

/// Reads `data` as one dropped file called `name` and checks the outcome.
pub fn read_one(name: &str, data: &[u8]) {
    check(read_records(&[InputFile::new(name, data.to_vec())]));
}

pub fn check(outcomes: Vec<ReadOutcome>) {
    for outcome in outcomes {
        let Ok(record) = outcome.result else { continue };
        assert!(record.sampling_rate.is_finite() && record.sampling_rate > 0.0);
        assert!(!record.channels.is_empty());
        let n = record.num_samples();
        assert!(n > 0);
        for channel in &record.channels {
            assert_eq!(channel.samples.len(), n);
            assert!(!channel.units.is_empty());
            // NaN marks a missing sample (WFDB's invalid-sample value); infinities are bugs.
            assert!(channel.samples.iter().all(|s| !s.is_infinite()));
        }
    }
}

/// The PDF reader's picture: refused, a JPEG for a decoder, or pixels of the size it says.
pub fn pdf(data: &[u8]) {
    use ecgmatch_paper::pdf::{largest_picture, PdfPicture};
    use ecgmatch_paper::picture_size::MAX_PIXELS;
    if let Ok(PdfPicture::Pixels(b)) = largest_picture(data) {
        assert_eq!(b.rgb.len(), b.width * b.height * 3);
        assert!(b.width * b.height <= MAX_PIXELS);
    }
}

/// Largest picture side a digitizer input makes: bigger would only slow each execution.
const MAX_FUZZ_SIDE: usize = 640;

/// A picture from `data`: two bytes of width and two of height (each folded into
/// `1..=MAX_FUZZ_SIDE`), then RGB pixels, the rest of the input repeated to fill the picture.
pub fn picture(data: &[u8]) -> Option<ecgmatch_paper::Bitmap> {
    let (size, pixels) = data.split_at_checked(4)?;
    if pixels.is_empty() {
        return None;
    }
    let side = |b: &[u8]| usize::from(u16::from_le_bytes([b[0], b[1]])) % MAX_FUZZ_SIDE + 1;
    let (width, height) = (side(&size[..2]), side(&size[2..]));
    let rgb = pixels.iter().copied().cycle().take(width * height * 3).collect();
    Some(ecgmatch_paper::Bitmap { width, height, rgb })
}

/// The digitizer on a fuzzed picture: refused, or twelve leads whose samples are finite.
pub fn digitize(data: &[u8]) {
    use ecgmatch_paper::digitize::{digitize, Config};
    let Some(bitmap) = picture(data) else { return };
    if let Ok(read) = digitize(&bitmap, &Config::default()) {
        assert_eq!(read.record.channels.len(), 12);
        for channel in &read.record.channels {
            assert!(channel.samples.iter().all(|s| s.is_finite()));
        }
    }
}

/// The case library loader: refused, or a library whose cases all have their vectors.
pub fn bundle(data: &[u8]) {
    if let Ok(library) = ecgmatch_retrieval::bundle::Bundle::from_bytes(data) {
        assert_eq!(library.library.len(), library.cases.len());
        // A search over what was loaded: every case reachable, nothing out of range.
        let query = vec![1.0; library.library.dim];
        for hit in library.library.top_k(&query, 5, |_| true) {
            assert!(hit.index < library.cases.len());
        }
    }
}

/// What separates the vocabulary from the text in a tokenizer input.
pub const TEXT_MARK: &[u8] = b"\n--text--\n";

/// The tokenizer: `vocab.txt` lines, [`TEXT_MARK`], then the text (any bytes, read as UTF-8
/// with replacement). A refused vocabulary is fine; a loaded one gives at most 64 in-range ids
/// framed by [CLS] and [SEP].
pub fn tokenize(data: &[u8]) {
    let Some(at) = data.windows(TEXT_MARK.len()).position(|w| w == TEXT_MARK) else {
        return;
    };
    let Ok(tokenizer) = ecgmatch_model::text::Tokenizer::from_vocab(&data[..at]) else {
        return;
    };
    let text = String::from_utf8_lossy(&data[at + TEXT_MARK.len()..]);
    let ids = tokenizer.encode(&text, 64);
    assert!((2..=64).contains(&ids.len()));
    assert_eq!(ids[0], tokenizer.cls_id());
    assert_eq!(ids[ids.len() - 1], tokenizer.sep_id());
    assert!(ids.iter().all(|&id| (id as usize) < tokenizer.vocab_size()));
}
