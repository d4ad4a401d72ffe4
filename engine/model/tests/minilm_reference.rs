//! all-MiniLM-L6-v2 in burn against the reference: the cosines that sentence-transformers gives
//! (mean pooling, L2 normalisation, fp32) for three ECG statements, unit length, and batches
//! whose padding changes nothing. Needs the pretrained weights: `make weights`.

use std::path::PathBuf;
use std::sync::OnceLock;

use burn::tensor::Device;
use ecgmatch_model::text::{TextEncoder, EMBEDDING_DIM};

const SINUS: &str = "sinus rhythm, normal ecg";
const AFIB: &str = "atrial fibrillation with rapid ventricular response";
const IMI: &str = "inferior myocardial infarction, age undetermined";

fn encoder() -> &'static TextEncoder {
    static ENCODER: OnceLock<TextEncoder> = OnceLock::new();
    ENCODER.get_or_init(|| {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/weights/all-MiniLM-L6-v2");
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}. The pretrained weights are missing: run `make weights` first",
                    path.display()
                )
            })
        };
        TextEncoder::from_bytes(
            &read("model.safetensors"),
            &read("vocab.txt"),
            &Device::flex(),
        )
        .unwrap()
    })
}

fn cosine(a: &[f32; EMBEDDING_DIM], b: &[f32; EMBEDDING_DIM]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn reference_cosines() {
    let e = encoder().embed(&[SINUS, AFIB, IMI]).unwrap();
    for (name, got, want) in [
        ("sinus/afib", cosine(&e[0], &e[1]), 0.377),
        ("sinus/imi", cosine(&e[0], &e[2]), 0.242),
        ("afib/imi", cosine(&e[1], &e[2]), 0.287),
    ] {
        assert!(
            (got - want).abs() <= 0.002,
            "{name}: cosine {got:.4}, reference {want}"
        );
    }
}

#[test]
fn embeddings_have_unit_length() {
    let texts = [
        SINUS,
        AFIB,
        IMI,
        "sinusrhythmus lagetyp normal ekg normal",
        "",
        "4.46 unbestätigter bericht",
    ];
    for (text, e) in texts.iter().zip(encoder().embed(&texts).unwrap()) {
        let norm = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{text:?}: norm {norm}");
        assert!(e.iter().all(|x| x.is_finite()), "{text:?}: not finite");
    }
}

#[test]
fn padding_a_batch_changes_no_embedding() {
    let texts = [
        "normal ecg",
        SINUS,
        AFIB,
        "sinus rhythm. st segments are depressed in i, ii, v3-6. t waves are inverted in i, avl, v3-6. \
         non-specific but consistent with myocardial ischaemia.",
        IMI,
    ];
    let together = encoder().embed(&texts).unwrap();
    for (text, batched) in texts.iter().zip(&together) {
        let alone = &encoder().embed(&[text]).unwrap()[0];
        let worst = batched
            .iter()
            .zip(alone)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= 1e-5,
            "{text:?}: differs by {worst} in a padded batch"
        );
    }
}

#[test]
fn texts_longer_than_the_model_are_truncated() {
    let long =
        "sinus rhythm with first degree av block and left anterior fascicular block. ".repeat(40);
    let e = encoder().embed(&[long.as_str()]).unwrap();
    assert!(e[0].iter().all(|x| x.is_finite()));
}
