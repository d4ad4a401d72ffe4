//! The case library the page downloads: the image tower's weights, every case's
//! embedding (int8), its report, English text and SCP statements, the text side's
//! embeddings for text search, and zero-shot prompts, in one checksummed `.ecgb` file.
//!
//! Reading needs no model code, so the search half works in any build.

pub mod container;
pub mod text_tower;
pub mod weights;

use serde::{Deserialize, Serialize};

use crate::{
    BinaryIndex, DiagnosticProbe, Int8Index, MeasureScaling, Neighbour, RetrievalSpace, Whitening,
};
use crate::{Error, Result};
pub use container::{Container, ContainerWriter};
use ecgmatch_signal::encode::patches::InputLayout;

/// Section names.
pub mod sections {
    pub const CASES: &str = "cases.json";
    pub const LIBRARY: &str = "library.i8";
    pub const LIBRARY_SCALES: &str = "library.scales.f32";
    pub const TEXTS: &str = "texts.i8";
    pub const TEXT_SCALES: &str = "texts.scales.f32";
    pub const PROMPTS: &str = "prompts.f32";
    pub const MODEL: &str = "model.f16.safetensors";
    /// Optional: the whitening the library was stored with and queries get (see `retrieval::whitening`).
    pub const WHITENING: &str = "whitening.f32";
    /// Optional: the diagnostic probe's mean and matrix (see `retrieval::probe`).
    pub const PROBE: &str = "probe.f32";
    /// Optional (v6 on): the cases back in the joint space, for text → ECG (see `retrieval::joint`).
    pub const JOINT: &str = "joint.f32";
    /// Optional (v6 on): the mean text embedding, which `texts.i8` holds residuals from.
    pub const TEXT_MEAN: &str = "texts.mean.f32";
}

/// The diagnostic probe's size and weight (its numbers are the `probe.f32` section).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbeShape {
    pub outputs: usize,
    pub weight: f32,
}

impl ProbeShape {
    pub fn of(probe: &DiagnosticProbe) -> Self {
        Self {
            outputs: probe.outputs,
            weight: probe.weight,
        }
    }
}

/// A diagnostic statement as `scp_statements.csv` describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementInfo {
    pub code: String,
    pub description: String,
    /// "diagnostic", "form" or "rhythm" (form and rhythm may overlap; the first wins).
    pub kind: String,
    pub superclass: Option<String>,
}

/// A zero-shot prompt: its English text and what it stands for (a superclass or a statement code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    pub key: String,
    pub superclass: bool,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    /// Where the cases come from, with its licence and citation.
    pub source: String,
    pub cases: usize,
    pub embed_dim: usize,
    /// The input the image tower reads, and the tower's configuration (burn `ClipConfig`).
    pub layout: InputLayout,
    pub model: serde_json::Value,
    pub statements: Vec<StatementInfo>,
    pub prompts: Vec<Prompt>,
    /// Free-form facts about how it was made (checkpoint, epoch, tool version).
    pub provenance: serde_json::Value,
    /// How the nearest cases vote on statements (the consensus), as chosen on fold 9.
    #[serde(default)]
    pub knn: crate::KnnRule,
    /// The whitening power the library was stored with (none: raw embeddings).
    #[serde(default)]
    pub whitening_power: Option<f64>,
    /// How each case's measurements (rhythm, voltages) extend its embedding in the library;
    /// none in libraries of embeddings alone.
    #[serde(default)]
    pub measures: Option<MeasureScaling>,
    /// How the diagnostic probe's outputs extend the case vectors; none in libraries without.
    #[serde(default)]
    pub probe: Option<ProbeShape>,
    /// The weight of the frequency prior when reports are ranked for an ECG (see
    /// `ReportLibrary::rank`), as chosen on fold 9; 0 in libraries before v6.
    #[serde(default)]
    pub report_prior: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub ecg_id: u32,
    pub fold: u8,
    pub age: Option<f32>,
    pub sex: Option<ecgmatch_formats::Sex>,
    /// The report as the hospital wrote it (mostly German).
    pub report: String,
    /// Index into [`Bundle::texts`]: the English text the text tower saw.
    pub text: u32,
    /// SCP statements with PTB-XL's likelihoods (0–100).
    pub scp_codes: Vec<(String, f32)>,
}

#[derive(Serialize, Deserialize)]
struct CaseTable {
    texts: Vec<String>,
    cases: Vec<Case>,
}

/// How the library is scanned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SearchMode {
    /// Every int8 vector scored.
    Int8,
    /// Sign-bit codes pick `pool` candidates by Hamming distance; int8 re-ranks them.
    BinaryRerank { pool: usize },
}

#[derive(Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    pub texts: Vec<String>,
    pub cases: Vec<Case>,
    /// Cases in the retrieval space (see `space`).
    pub library: Int8Index,
    binary: BinaryIndex,
    /// Maps an image embedding and a record's measurements into the library's space.
    pub space: RetrievalSpace,
    /// One row per entry of `texts`, in the shared space: the mean text and int8 residuals
    /// from it (v6 on; earlier libraries hold the texts themselves, with a zero mean).
    pub text_library: crate::CentredInt8,
    /// `prompts.len() × embed_dim`, unit length, in the shared space.
    pub prompts: Vec<f32>,
    /// The image and text towers' trained weights, f16 safetensors.
    pub model: Vec<u8>,
    /// Per case, which distinct report it carries (equal when the normalised reports are).
    pub report_keys: Vec<u32>,
    /// The distinct reports, for ranking them by the dual encoder.
    pub reports: crate::ReportLibrary,
    /// The cases in the joint space, where text ranks them (none before v6).
    pub joint: Option<crate::JointView>,
}

fn bad(why: impl std::fmt::Display) -> Error {
    Error::InvalidBundle(why.to_string())
}

fn f32s(bytes: &[u8]) -> Result<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return Err(bad(
            "a float section has a length that is not a multiple of 4",
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect())
}

pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn int8_index(
    codes: &[u8],
    scales: &[u8],
    dim: usize,
    rows: usize,
    what: &str,
) -> Result<Int8Index> {
    let scales = f32s(scales)?;
    if dim == 0 || codes.len() != rows * dim || scales.len() != rows {
        return Err(bad(format!(
            "the {what} holds {} values and {} scales, expected {rows} × {dim}",
            codes.len(),
            scales.len()
        )));
    }
    Ok(Int8Index {
        dim,
        codes: codes.iter().map(|b| *b as i8).collect(),
        scales,
    })
}

impl Bundle {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let c = Container::parse(bytes)?;
        let manifest: Manifest = serde_json::from_value(c.manifest.clone())
            .map_err(|e| bad(format!("unreadable manifest: {e}")))?;
        let table: CaseTable = serde_json::from_slice(c.section(sections::CASES)?)
            .map_err(|e| bad(format!("unreadable case table: {e}")))?;
        let dim = manifest.embed_dim;
        if table.cases.len() != manifest.cases
            || table
                .cases
                .iter()
                .any(|k| k.text as usize >= table.texts.len())
        {
            return Err(bad("the case table does not match the manifest"));
        }
        if let Some(measures) = &manifest.measures {
            measures.check()?;
        }
        let whitening = if c.has(sections::WHITENING) {
            Some(Whitening::from_bytes(c.section(sections::WHITENING)?, dim)?)
        } else {
            None
        };
        if whitening.is_some() != manifest.whitening_power.is_some() {
            return Err(bad("the whitening section does not match the manifest"));
        }
        let mut space = RetrievalSpace {
            whitening,
            measures: manifest.measures.clone(),
            probe: None,
        };
        if c.has(sections::PROBE) != manifest.probe.is_some()
            || (manifest.probe.is_some() && space.measures.is_none())
        {
            return Err(bad("the probe section does not match the manifest"));
        }
        if let Some(shape) = manifest.probe {
            space.probe = Some(DiagnosticProbe::from_bytes(
                c.section(sections::PROBE)?,
                space.probe_inputs(dim),
                shape.outputs,
                shape.weight,
            )?);
        }
        let library = int8_index(
            c.section(sections::LIBRARY)?,
            c.section(sections::LIBRARY_SCALES)?,
            space.dim(dim),
            manifest.cases,
            "case vectors",
        )?;
        let residuals = int8_index(
            c.section(sections::TEXTS)?,
            c.section(sections::TEXT_SCALES)?,
            dim,
            table.texts.len(),
            "text embeddings",
        )?;
        let mean = if c.has(sections::TEXT_MEAN) {
            let mean = f32s(c.section(sections::TEXT_MEAN)?)?;
            if mean.len() != dim || mean.iter().any(|v| !v.is_finite()) {
                return Err(bad("the mean text embedding does not match the manifest"));
            }
            mean
        } else {
            vec![0.0; dim]
        };
        let text_library = crate::CentredInt8 { mean, residuals };
        let prompts = f32s(c.section(sections::PROMPTS)?)?;
        if prompts.len() != manifest.prompts.len() * dim {
            return Err(bad("the prompt embeddings do not match the manifest"));
        }
        let model = c.section(sections::MODEL)?.to_vec();
        let mut distinct: std::collections::HashMap<String, u32> = Default::default();
        let report_keys: Vec<u32> = table
            .cases
            .iter()
            .map(|case| {
                let next = distinct.len() as u32;
                *distinct
                    .entry(crate::normalise_report(&case.report))
                    .or_insert(next)
            })
            .collect();
        let joint = if c.has(sections::JOINT) {
            Some(crate::JointView::from_bytes(
                c.section(sections::JOINT)?,
                dim,
                table.cases.len(),
            )?)
        } else {
            None
        };
        Ok(Self {
            joint,
            reports: crate::ReportLibrary::build(&table.cases, &report_keys),
            report_keys,
            space,
            binary: BinaryIndex::from_int8(&library),
            manifest,
            texts: table.texts,
            cases: table.cases,
            library,
            text_library,
            prompts,
            model,
        })
    }

    pub fn embed_dim(&self) -> usize {
        self.manifest.embed_dim
    }

    /// A query in the library's retrieval space, from its image embedding and its
    /// measurements (`signal::measure`; empty when it has none).
    pub fn retrieval_vector(&self, image_embedding: &[f32], measures: &[f32]) -> Vec<f32> {
        self.space.vector(image_embedding, measures)
    }

    /// The `k` cases whose (whitened) image embedding alone is most similar to the query's:
    /// the library's vectors without the measurements and the probe that extend them, best
    /// first, leaving out cases of `exclude_fold`. It shows what the neural embedding carries
    /// on its own; the page searches the full space ([`Bundle::search`]).
    pub fn search_embedding_only(
        &self,
        image_embedding: &[f32],
        k: usize,
        exclude_fold: Option<u8>,
    ) -> Vec<Neighbour> {
        let dim = self.embed_dim();
        let query = match &self.space.whitening {
            Some(w) => w.apply(image_embedding),
            None => image_embedding.to_vec(),
        };
        let width = self.library.dim;
        let mut best = crate::index::Best::new(k);
        for (i, row) in self.library.codes.chunks_exact(width).enumerate() {
            if Some(self.cases[i].fold) == exclude_fold {
                continue;
            }
            let block = &row[..dim];
            let (mut dot, mut norm) = (0f32, 0f32);
            for (c, q) in block.iter().zip(&query) {
                let c = f32::from(*c);
                dot += c * q;
                norm += c * c;
            }
            best.offer(i, dot / norm.sqrt().max(1e-12));
        }
        best.into_vec()
    }

    /// The `k` cases most similar to a query, given as its unit-length image embedding (as
    /// the tower gives it) and its measurements, best first, leaving out cases of
    /// `exclude_fold` (an evaluation's held-out fold).
    pub fn search(
        &self,
        image_embedding: &[f32],
        measures: &[f32],
        k: usize,
        mode: SearchMode,
        exclude_fold: Option<u8>,
    ) -> Vec<Neighbour> {
        self.search_retrieval_space(
            &self.retrieval_vector(image_embedding, measures),
            k,
            mode,
            exclude_fold,
        )
    }

    /// [`Bundle::search`] with a query already in the library's retrieval space.
    pub fn search_retrieval_space(
        &self,
        query: &[f32],
        k: usize,
        mode: SearchMode,
        exclude_fold: Option<u8>,
    ) -> Vec<Neighbour> {
        let keep = |i: usize| exclude_fold != Some(self.cases[i].fold);
        match mode {
            SearchMode::Int8 => self.library.top_k(query, k, keep),
            SearchMode::BinaryRerank { pool } => {
                let candidates = self.binary.candidates(query, pool.max(k), keep);
                self.library.rerank(query, &candidates, k)
            }
        }
    }

    /// Cases ranked by how close their report text is to a text embedding (in the shared
    /// space): the nearest texts first, each with all the cases that carry it.
    pub fn search_text(&self, query: &[f32], k: usize) -> Vec<Neighbour> {
        let mut best = crate::index::Best::new(k);
        for (i, score) in self.text_library.dots(query).into_iter().enumerate() {
            best.offer(i, score);
        }
        let texts = best.into_vec();
        let mut out = Vec::with_capacity(k);
        for t in texts {
            for (i, case) in self.cases.iter().enumerate() {
                if case.text as usize == t.index {
                    out.push(Neighbour {
                        index: i,
                        similarity: t.similarity,
                    });
                    if out.len() == k {
                        return out;
                    }
                }
            }
        }
        out
    }

    /// The `k` cases whose ECG (image embedding) is closest to a text embedding in the joint
    /// space, best first, leaving out cases of `exclude_fold`; none when the library was built
    /// before v6 (it cannot bring its cases back into the joint space).
    pub fn search_ecgs_by_text(
        &self,
        text: &[f32],
        k: usize,
        exclude_fold: Option<u8>,
    ) -> Option<Vec<Neighbour>> {
        let joint = self.joint.as_ref()?;
        let mut best = crate::index::Best::new(k);
        for (i, score) in joint.scores(&self.library, text).into_iter().enumerate() {
            if Some(self.cases[i].fold) != exclude_fold {
                best.offer(i, score);
            }
        }
        Some(best.into_vec())
    }

    /// Cosine similarity of an image embedding to every prompt, in manifest order.
    pub fn zero_shot(&self, query: &[f32]) -> Vec<f32> {
        self.prompts
            .chunks_exact(self.embed_dim())
            .map(|p| p.iter().zip(query).map(|(a, b)| a * b).sum())
            .collect()
    }

    /// The nearest cases' statements (best first, as deep as the bundle's kNN rule asks), each
    /// weighted by the rule, as a share of the total weight; strongest first.
    pub fn consensus(&self, hits: &[Neighbour]) -> Vec<(String, f32)> {
        let weights = self.manifest.knn.weights(hits);
        let total: f32 = weights.iter().sum::<f32>().max(f32::MIN_POSITIVE);
        let mut votes: Vec<(String, f32)> = Vec::new();
        for (hit, w) in hits.iter().zip(&weights) {
            for (code, _) in &self.cases[hit.index].scp_codes {
                match votes.iter_mut().find(|(c, _)| c == code) {
                    Some((_, v)) => *v += w / total,
                    None => votes.push((code.clone(), w / total)),
                }
            }
        }
        votes.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        votes
    }

    /// A case's statements as one English line, rhythm first (see
    /// `ecgmatch_reports::compose_statements`).
    pub fn statements_line(&self, scp_codes: &[(String, f32)]) -> String {
        use ecgmatch_reports::{compose_statements, StatementKind, StatementLine};
        compose_statements(
            scp_codes
                .iter()
                .filter_map(|(code, likelihood)| {
                    let s = self.statement(code)?;
                    Some(StatementLine {
                        kind: match s.kind.as_str() {
                            "rhythm" => StatementKind::Rhythm,
                            "diagnostic" => StatementKind::Diagnostic,
                            _ => StatementKind::Form,
                        },
                        likelihood: *likelihood,
                        code: &s.code,
                        description: &s.description,
                    })
                })
                .collect(),
        )
    }

    pub fn statement(&self, code: &str) -> Option<&StatementInfo> {
        self.manifest.statements.iter().find(|s| s.code == code)
    }
}

/// Writes the sections of a bundle (used by `ecgmatch bundle` and by tests).
pub struct BundleParts<'a> {
    pub manifest: Manifest,
    pub texts: Vec<String>,
    pub cases: Vec<Case>,
    /// `cases × embed_dim`, unit length, as the image tower gives them (mapped here into
    /// `space`, whose measurements the manifest must carry too).
    pub case_embeddings: &'a [f32],
    /// `cases × MEASURE_COUNT` when `space` has measurements, else empty.
    pub case_measures: &'a [f32],
    pub space: &'a RetrievalSpace,
    /// `texts × embed_dim`, unit length.
    pub text_embeddings: &'a [f32],
    pub prompt_embeddings: &'a [f32],
    pub model_f16: &'a [u8],
}

impl BundleParts<'_> {
    pub fn to_bytes(self) -> Vec<u8> {
        let dim = self.manifest.embed_dim;
        debug_assert_eq!(self.space.measures, self.manifest.measures);
        debug_assert_eq!(
            self.space.probe.as_ref().map(ProbeShape::of),
            self.manifest.probe
        );
        let vectors = self
            .space
            .vectors(self.case_embeddings, dim, self.case_measures);
        let joint = crate::JointView::fit(
            self.space.whitening.as_ref(),
            self.case_embeddings,
            &vectors,
            dim,
            self.space.dim(dim),
        );
        let library = Int8Index::build(&vectors, self.space.dim(dim));
        let texts = crate::CentredInt8::build(self.text_embeddings, dim);
        let table = serde_json::to_vec(&CaseTable {
            texts: self.texts,
            cases: self.cases,
        })
        .expect("cases serialise");
        let i8_bytes = |codes: &[i8]| codes.iter().map(|c| *c as u8).collect::<Vec<u8>>();
        let mut w = ContainerWriter::default();
        w.add(sections::CASES, &table)
            .add(sections::LIBRARY, &i8_bytes(&library.codes))
            .add(sections::LIBRARY_SCALES, &f32_bytes(&library.scales))
            .add(sections::TEXTS, &i8_bytes(&texts.residuals.codes))
            .add(sections::TEXT_SCALES, &f32_bytes(&texts.residuals.scales))
            .add(sections::TEXT_MEAN, &f32_bytes(&texts.mean))
            .add(sections::PROMPTS, &f32_bytes(self.prompt_embeddings))
            .add(sections::MODEL, self.model_f16);
        if let Some(joint) = &joint {
            w.add(sections::JOINT, &joint.to_bytes());
        }
        if let Some(probe) = &self.space.probe {
            w.add(sections::PROBE, &probe.to_bytes());
        }
        if let Some(whitening) = &self.space.whitening {
            w.add(sections::WHITENING, &whitening.to_bytes());
        }
        w.finish(serde_json::to_value(&self.manifest).expect("the manifest serialises"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// A three-case library in two dimensions, with real structure but no model.
    pub fn small_bundle() -> Vec<u8> {
        small_bundle_with(&RetrievalSpace::default(), &[])
    }

    fn small_bundle_with(space: &RetrievalSpace, case_measures: &[f32]) -> Vec<u8> {
        let case = |ecg_id, fold, text, codes: &[&str]| Case {
            ecg_id,
            fold,
            age: Some(60.0),
            sex: Some(ecgmatch_formats::Sex::Female),
            report: format!("bericht {ecg_id}"),
            text,
            scp_codes: codes.iter().map(|c| (c.to_string(), 100.0)).collect(),
        };
        let embeddings: Vec<f32> =
            [unit(&[1.0, 0.0]), unit(&[0.8, 0.6]), unit(&[-1.0, 0.1])].concat();
        let texts: Vec<f32> = [unit(&[1.0, 0.1]), unit(&[-1.0, 0.0])].concat();
        let prompts: Vec<f32> = unit(&[0.0, 1.0]);
        BundleParts {
            manifest: Manifest {
                name: "test".into(),
                source: "synthetic".into(),
                cases: 3,
                embed_dim: 2,
                layout: InputLayout::Stack {
                    image_size: 64,
                    patch: 8,
                },
                model: serde_json::json!({}),
                statements: vec![StatementInfo {
                    code: "NORM".into(),
                    description: "normal ECG".into(),
                    kind: "diagnostic".into(),
                    superclass: Some("NORM".into()),
                }],
                prompts: vec![Prompt {
                    key: "NORM".into(),
                    superclass: true,
                    text: "normal ECG".into(),
                }],
                provenance: serde_json::json!({}),
                knn: crate::KnnRule::default(),
                whitening_power: space.whitening.as_ref().map(|_| 1.0),
                measures: space.measures.clone(),
                probe: space.probe.as_ref().map(ProbeShape::of),
                report_prior: 0.0,
            },
            texts: vec!["normal ecg".into(), "inferior infarction".into()],
            cases: vec![
                case(1, 1, 0, &["NORM", "SR"]),
                case(2, 10, 0, &["NORM"]),
                case(3, 2, 1, &["IMI"]),
            ],
            case_embeddings: &embeddings,
            case_measures,
            space,
            text_embeddings: &texts,
            prompt_embeddings: &prompts,
            model_f16: b"weights",
        }
        .to_bytes()
    }

    #[test]
    fn the_fuzz_seeds_are_libraries_the_loader_reads() {
        use crate::MeasureWeights;
        use ecgmatch_signal::measure::MEASURE_COUNT;
        let mut measures = vec![0f32; 3 * MEASURE_COUNT];
        measures[MEASURE_COUNT..2 * MEASURE_COUNT].fill(4.0);
        let mut space = RetrievalSpace::measured(
            &measures,
            MeasureWeights {
                rhythm: 0.5,
                voltage: 1.0,
            },
        );
        space.whitening = Some(Whitening {
            dim: 2,
            mean: vec![0.4, 0.1],
            matrix: vec![1.0, 0.0, 0.0, 10.0],
        });
        for (name, made) in [
            ("plain.ecgb", small_bundle()),
            (
                "whitened-measured.ecgb",
                small_bundle_with(&space, &measures),
            ),
        ] {
            let seed = ecgmatch_testkit::fuzz_seed("bundle", name, &made);
            let library = Bundle::from_bytes(&seed).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(library.cases.len(), 3, "{name}");
        }
    }

    #[test]
    fn reports_are_ranked_by_their_text_and_a_held_out_fold_loses_its_own() {
        let b = Bundle::from_bytes(&small_bundle()).unwrap();
        // Three cases, three distinct reports (`bericht 1`, `2`, `3`), two texts.
        assert_eq!(b.reports.len(), 3);
        let rank = |query: &[f32], exclude: Option<u8>, prior: f32| {
            b.reports
                .rank(&b.text_library, &b.cases, query, 3, exclude, prior)
                .iter()
                .map(|h| b.cases[b.reports.reports[h.report].cases[0] as usize].ecg_id)
                .collect::<Vec<_>>()
        };
        // Near the infarction text: its report first, then the two normal ones (tied).
        assert_eq!(rank(&unit(&[-1.0, 0.05]), None, 0.0), [3, 1, 2]);
        assert_eq!(rank(&unit(&[1.0, 0.1]), None, 0.0)[2], 3);
        // Case 2 is the only one carrying its report and sits in fold 10.
        assert_eq!(rank(&unit(&[1.0, 0.1]), Some(10), 0.0), [1, 3]);
    }

    #[test]
    fn the_embedding_alone_ranks_as_the_plain_library_does_without_extensions() {
        // Without whitening, measurements or probe the two searches are one.
        let b = Bundle::from_bytes(&small_bundle()).unwrap();
        let q = unit(&[0.9, 0.5]);
        let full: Vec<usize> = b
            .search(&q, &[], 3, SearchMode::Int8, None)
            .iter()
            .map(|h| h.index)
            .collect();
        let alone: Vec<usize> = b
            .search_embedding_only(&q, 3, None)
            .iter()
            .map(|h| h.index)
            .collect();
        assert_eq!(full, alone);
        assert!(b
            .search_embedding_only(&q, 3, Some(10))
            .iter()
            .all(|h| h.index != 1));
    }

    #[test]
    fn a_written_bundle_reads_back_and_searches() {
        let bytes = small_bundle();
        let b = Bundle::from_bytes(&bytes).unwrap();
        assert_eq!(b.cases.len(), 3);
        assert_eq!(b.model, b"weights");
        let q = unit(&[0.9, 0.5]);
        let hits = b.search(&q, &[], 2, SearchMode::Int8, None);
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), vec![1, 0]);
        assert_eq!(
            b.search(&q, &[], 2, SearchMode::Int8, Some(10))[0].index,
            0,
            "fold 10 left out"
        );
        assert_eq!(
            b.search(&q, &[], 2, SearchMode::BinaryRerank { pool: 3 }, None),
            hits
        );
        let text_hits = b.search_text(&unit(&[-1.0, 0.05]), 3);
        assert_eq!(text_hits[0].index, 2);
        assert_eq!(text_hits.len(), 3);
        let votes = b.consensus(&hits);
        assert_eq!(votes[0].0, "NORM");
        assert!(
            (votes[0].1 - 1.0).abs() < 1e-5,
            "both neighbours carry NORM"
        );
        assert!(votes[1].1 < 1.0);
        assert_eq!(b.zero_shot(&unit(&[0.0, 1.0])).len(), 1);
    }

    #[test]
    fn a_whitened_library_is_searched_with_whitened_queries() {
        // Centred, with y counting ten times as much as x (as whitening does where the
        // training cases spread along x much more than along y).
        let whitening = Whitening {
            dim: 2,
            mean: vec![0.4, 0.1],
            matrix: vec![1.0, 0.0, 0.0, 10.0],
        };
        let space = RetrievalSpace {
            whitening: Some(whitening.clone()),
            measures: None,
            probe: None,
        };
        let b = Bundle::from_bytes(&small_bundle_with(&space, &[])).unwrap();
        assert_eq!(b.space.whitening.as_ref(), Some(&whitening));
        assert_eq!(b.manifest.whitening_power, Some(1.0));
        // Each case, queried with its own raw embedding, finds itself first.
        for (i, raw) in [unit(&[1.0, 0.0]), unit(&[0.8, 0.6]), unit(&[-1.0, 0.1])]
            .iter()
            .enumerate()
        {
            assert_eq!(b.search(raw, &[], 1, SearchMode::Int8, None)[0].index, i);
            let stored = b.library.vector(i);
            let mapped = b.retrieval_vector(raw, &[]);
            let cos: f32 = stored.iter().zip(&mapped).map(|(a, b)| a * b).sum();
            assert!(cos > 0.99, "case {i} is stored whitened (cos {cos})");
        }
    }

    #[test]
    fn measurements_stored_with_the_library_decide_between_similar_embeddings() {
        use crate::MeasureWeights;
        use ecgmatch_signal::measure::{COMPARED_COUNT, MEASURE_COUNT};
        // Cases 1 and 2 have close embeddings; their voltages differ widely.
        let mut measures = vec![0f32; 3 * MEASURE_COUNT];
        measures[MEASURE_COUNT..2 * MEASURE_COUNT].fill(4.0);
        let weights = MeasureWeights {
            rhythm: 0.0,
            voltage: 1.0,
        };
        let space = RetrievalSpace::measured(&measures, weights);
        let b = Bundle::from_bytes(&small_bundle_with(&space, &measures)).unwrap();
        assert_eq!(b.library.dim, 2 + COMPARED_COUNT);
        assert_eq!(b.space, space);
        let q = unit(&[0.8, 0.6]);
        let high = vec![4f32; MEASURE_COUNT];
        assert_eq!(b.search(&q, &high, 1, SearchMode::Int8, None)[0].index, 1);
        let low = vec![0f32; MEASURE_COUNT];
        assert_eq!(b.search(&q, &low, 1, SearchMode::Int8, None)[0].index, 0);
        assert_eq!(
            b.search(&q, &low, 1, SearchMode::BinaryRerank { pool: 3 }, None)[0].index,
            0
        );
    }

    #[test]
    fn a_cases_similarity_splits_into_parts_that_add_up_to_it() {
        use crate::search::{describe, explain, Vote};
        use crate::MeasureWeights;
        use ecgmatch_signal::measure::MEASURE_COUNT;
        let mut measures = vec![0f32; 3 * MEASURE_COUNT];
        for (i, m) in measures.iter_mut().enumerate() {
            *m = ((i * 7919) % 13) as f32 * 0.3;
        }
        let weights = MeasureWeights {
            rhythm: 0.5,
            voltage: 1.0,
        };
        let space = RetrievalSpace::measured(&measures, weights);
        let b = Bundle::from_bytes(&small_bundle_with(&space, &measures)).unwrap();
        let query = unit(&[0.8, 0.6]);
        let query_measures = &measures[MEASURE_COUNT..2 * MEASURE_COUNT];
        let hits = b.search(&query, query_measures, 3, SearchMode::Int8, None);
        let mut matches = describe(&b, &hits);
        let votes = vec![Vote {
            code: "NORM".into(),
            description: "normal ECG".into(),
            weight: 0.9,
        }];
        let cases: Vec<usize> = hits.iter().map(|h| h.index).collect();
        let vector = b.retrieval_vector(&query, query_measures);
        explain(&b, &vector, &cases, &mut matches, &votes);
        for m in &matches {
            let p = m.parts.unwrap();
            let sum = p.image + p.rhythm + p.voltages + p.probe;
            assert!(
                (sum - m.similarity).abs() < 0.02,
                "{p:?} add up to {sum}, not {}",
                m.similarity
            );
            assert!(p.rhythm != 0.0 && p.voltages != 0.0, "{p:?}");
            assert_eq!(p.probe, 0.0, "this space has no probe");
        }
        // Cases 1 and 2 carry NORM, case 3 does not.
        for m in &matches {
            let norm = m.scp_codes.iter().any(|c| c.code == "NORM");
            assert_eq!(
                m.shares_with_vote == vec!["NORM".to_string()],
                norm,
                "{}",
                m.ecg_id
            );
        }
    }

    #[test]
    fn the_query_s_own_record_is_set_apart_by_its_signal_or_its_ptbxl_name() {
        use crate::search::{ptbxl_ecg_id, rank, shown_results};
        let b = Bundle::from_bytes(&small_bundle()).unwrap();
        // Case 1's own embedding: the same signal, whatever the file is called.
        let query = unit(&[1.0, 0.0]);
        let ranked = rank(&b, &query, &[], 3, SearchMode::Int8, None);
        let shown = shown_results(&b, "upload", &query, &[], &ranked, 2);
        assert_eq!(shown.this_record.as_ref().map(|m| m.ecg_id), Some(1));
        assert_eq!(
            shown.matches.iter().map(|m| m.ecg_id).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(shown.matches[0].rank, 1);
        assert_eq!(shown.voters, 2, "it does not vote for itself");
        // Far from every case by its signal, but named as PTB-XL names case 3.
        let query = unit(&[0.0, 1.0]);
        let ranked = rank(&b, &query, &[], 3, SearchMode::Int8, None);
        let shown = shown_results(&b, "00003_lr", &query, &[], &ranked, 3);
        assert_eq!(shown.this_record.map(|m| m.ecg_id), Some(3));
        assert!(shown.matches.iter().all(|m| m.ecg_id != 3));
        assert_eq!(ptbxl_ecg_id("00009_hr"), Some(9));
        for name in ["00009", "00009_phone", "0009_lr", "abcde_lr"] {
            assert_eq!(ptbxl_ecg_id(name), None, "{name}");
        }
    }

    #[test]
    fn a_probe_travels_in_the_bundle_and_a_missing_one_is_refused() {
        use crate::MeasureWeights;
        use ecgmatch_signal::measure::{COMPARED_COUNT, MEASURE_COUNT};
        let measures: Vec<f32> = (0..3 * MEASURE_COUNT).map(|i| (i % 3) as f32).collect();
        let weights = MeasureWeights {
            rhythm: 0.5,
            voltage: 0.5,
        };
        let mut space = RetrievalSpace::measured(&measures, weights);
        let inputs = space.probe_inputs(2);
        space.probe = Some(DiagnosticProbe {
            inputs,
            outputs: 2,
            weight: 1.5,
            mean: vec![0.1; inputs],
            matrix: (0..2 * inputs).map(|i| (i % 5) as f32 * 0.01).collect(),
        });
        let bytes = small_bundle_with(&space, &measures);
        let b = Bundle::from_bytes(&bytes).unwrap();
        assert_eq!(b.space, space);
        assert_eq!(b.library.dim, 2 + COMPARED_COUNT + 2);
        let q = b.retrieval_vector(
            &unit(&[0.8, 0.6]),
            &measures[MEASURE_COUNT..2 * MEASURE_COUNT],
        );
        assert_eq!(
            b.search_retrieval_space(&q, 1, SearchMode::Int8, None)[0].index,
            1
        );
        // A manifest that promises a probe without its section is refused.
        let c = Container::parse(&bytes).unwrap();
        let mut w = ContainerWriter::default();
        for name in c.names().filter(|n| *n != sections::PROBE) {
            w.add(name, c.section(name).unwrap());
        }
        let err = Bundle::from_bytes(&w.finish(c.manifest.clone()))
            .err()
            .unwrap();
        assert!(err.to_string().contains("probe"), "{err}");
    }

    #[test]
    fn a_damaged_bundle_is_refused_with_a_reason() {
        let mut bytes = small_bundle();
        let n = bytes.len();
        bytes[n - 3] ^= 0xff;
        let err = Bundle::from_bytes(&bytes).err().unwrap().to_string();
        assert!(
            err.contains("case library") && err.contains("damaged"),
            "{err}"
        );
        assert!(Bundle::from_bytes(&bytes[..100]).is_err());
    }
}
