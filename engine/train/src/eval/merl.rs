//! Zero-shot classification on MERL's protocol (Liu et al. 2024, "Zero-Shot ECG Recognition
//! with Multimodal ECG-Text Learning"), on PTB-XL's test fold: for each label set (the 5
//! superclasses, 23 subclasses, 19 form and 12 rhythm statements), the records with at least
//! one label of the set, each label scored by the cosine similarity of the record's image
//! embedding and the label's prompt, and the macro AUC over labels with positives.
//!
//! MERL was pretrained on MIMIC-IV-ECG and never saw PTB-XL; ours is trained on folds 1–8.

use ecgmatch_retrieval::metrics::macro_auc;

use super::Evaluation;

/// MERL's published zero-shot macro AUC on PTB-XL (percent): superclasses, subclasses, form,
/// rhythm.
pub const MERL_REPORTED: [f64; 4] = [74.2, 75.7, 65.9, 78.5];

/// The four label sets, in [`MERL_REPORTED`] order.
pub const LABEL_SETS: [&str; 4] = ["superclass", "subclass", "form", "rhythm"];

/// English prompts for the 23 diagnostic subclasses (PTB-XL's own names for them).
const SUBCLASS_PROMPTS: [(&str, &str); 23] = [
    ("NORM", "normal ECG"),
    ("IMI", "inferior myocardial infarction"),
    ("AMI", "anterior myocardial infarction"),
    ("LMI", "lateral myocardial infarction"),
    ("PMI", "posterior myocardial infarction"),
    (
        "LAFB/LPFB",
        "left anterior or left posterior fascicular block",
    ),
    ("IRBBB", "incomplete right bundle branch block"),
    ("ILBBB", "incomplete left bundle branch block"),
    ("CLBBB", "complete left bundle branch block"),
    ("CRBBB", "complete right bundle branch block"),
    ("_AVB", "atrioventricular block"),
    (
        "IVCD",
        "non-specific intraventricular conduction disturbance",
    ),
    ("WPW", "Wolff-Parkinson-White syndrome"),
    ("LVH", "left ventricular hypertrophy"),
    ("RVH", "right ventricular hypertrophy"),
    ("LAO/LAE", "left atrial overload or enlargement"),
    ("RAO/RAE", "right atrial overload or enlargement"),
    ("SEHYP", "septal hypertrophy"),
    ("ISC_", "non-specific ischemic ST-T changes"),
    ("ISCA", "ischemic ST-T changes in anterior leads"),
    ("ISCI", "ischemic ST-T changes in inferior leads"),
    ("STTC", "ST-T changes"),
    ("NST_", "non-specific ST changes"),
];

/// One label set: per label its key and its prompt.
pub struct LabelSet {
    pub name: &'static str,
    pub labels: Vec<(String, String)>,
}

impl Evaluation<'_> {
    /// The four label sets with their prompts.
    pub fn merl_label_sets(&self) -> Vec<LabelSet> {
        let statements = |keep: fn(&crate::dataset::Statement) -> bool| {
            self.db
                .statements
                .values()
                .filter(|s| keep(s))
                .map(|s| (s.code.clone(), s.description.clone()))
                .collect()
        };
        vec![
            LabelSet {
                name: LABEL_SETS[0],
                labels: crate::prompts::SUPERCLASS_PROMPTS
                    .iter()
                    .map(|(k, t)| (k.to_string(), t.to_string()))
                    .collect(),
            },
            LabelSet {
                name: LABEL_SETS[1],
                labels: SUBCLASS_PROMPTS
                    .iter()
                    .map(|(k, t)| (k.to_string(), t.to_string()))
                    .collect(),
            },
            LabelSet {
                name: LABEL_SETS[2],
                labels: statements(|s| s.form),
            },
            LabelSet {
                name: LABEL_SETS[3],
                labels: statements(|s| s.rhythm),
            },
        ]
    }

    /// Whether query record `q` carries `label` of the set `set`.
    fn carries(&self, q: usize, set: &str, label: &str) -> bool {
        let entry = self.entries[q];
        entry.scp_codes.iter().any(|(code, _)| {
            let statement = self.db.statements.get(code);
            match set {
                "superclass" => statement.and_then(|s| s.superclass.as_deref()) == Some(label),
                "subclass" => statement.and_then(|s| s.subclass.as_deref()) == Some(label),
                _ => code == label,
            }
        })
    }

    /// Macro AUC of one label set: `images` (cache order, `dim` wide, unit length) against
    /// `prompts` (one unit-length row per label of `set`); with the number of records scored
    /// and of labels with positives.
    pub fn merl_zero_shot(
        &self,
        set: &LabelSet,
        images: &[f32],
        prompts: &[f32],
        dim: usize,
    ) -> (f64, usize, usize) {
        let labels = set.labels.len();
        let mut scores = Vec::new();
        let mut truth = Vec::new();
        let mut records = 0;
        for &q in &self.queries {
            let carried: Vec<bool> = set
                .labels
                .iter()
                .map(|(key, _)| self.carries(q, set.name, key))
                .collect();
            if !carried.contains(&true) {
                continue;
            }
            records += 1;
            let image = &images[q * dim..(q + 1) * dim];
            scores.extend(
                prompts
                    .chunks_exact(dim)
                    .map(|p| p.iter().zip(image).map(|(a, b)| a * b).sum::<f32>()),
            );
            truth.extend(carried);
        }
        let (auc, used) = macro_auc(&scores, &truth, labels);
        (auc, records, used)
    }
}

impl Evaluation<'_> {
    /// Text → ECG: for each label of `set`, the query-fold records ranked by their image
    /// embedding's similarity to the label's prompt; the mean share of the top 10 that carry
    /// the label.
    pub fn text_to_ecg_p10(
        &self,
        set: &LabelSet,
        images: &[f32],
        prompts: &[f32],
        dim: usize,
    ) -> f64 {
        let mut total = 0.0;
        for ((key, _), prompt) in set.labels.iter().zip(prompts.chunks_exact(dim)) {
            let mut scored: Vec<(f32, usize)> = self
                .queries
                .iter()
                .map(|&q| {
                    let image = &images[q * dim..(q + 1) * dim];
                    (prompt.iter().zip(image).map(|(a, b)| a * b).sum(), q)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            let hits = scored
                .iter()
                .take(10)
                .filter(|(_, q)| self.carries(*q, set.name, key))
                .count();
            total += hits as f64 / 10.0;
        }
        total / set.labels.len().max(1) as f64
    }
}
