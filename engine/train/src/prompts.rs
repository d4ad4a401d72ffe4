//! The zero-shot prompts: what the bundle ships and the evaluation scores.

use ecgmatch_retrieval::bundle::Prompt;

use crate::dataset::ptbxl::PtbXl;

/// Superclass prompts in the order of `SUPERCLASSES`, shared by the bundle and the evaluation.
pub const SUPERCLASS_PROMPTS: [(&str, &str); 5] = [
    ("NORM", "normal ECG"),
    ("MI", "myocardial infarction"),
    ("STTC", "ST/T change"),
    ("CD", "conduction disturbance"),
    ("HYP", "hypertrophy"),
];

/// Zero-shot prompts: the superclasses, then every statement by its description.
pub fn prompts(db: &PtbXl) -> Vec<Prompt> {
    SUPERCLASS_PROMPTS
        .iter()
        .map(|(key, text)| Prompt {
            key: key.to_string(),
            superclass: true,
            text: text.to_string(),
        })
        .chain(db.statements.values().map(|s| Prompt {
            key: s.code.clone(),
            superclass: false,
            text: s.description.clone(),
        }))
        .collect()
}
