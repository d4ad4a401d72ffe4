//! A query from start to end: record → the bundle's input layout → image embedding →
//! ranked cases, in the form the CLI prints and the page shows.

use burn::prelude::*;
use serde::Serialize;

use crate::bundle::Bundle;
use crate::distinct_reports;
use crate::Neighbour;
use crate::ReportGroup;
use crate::ReportOrder;
use crate::{Error, Result};
use ecgmatch_formats::Record;
use ecgmatch_model::clip::Clip;
use ecgmatch_signal::measure::{COMPARED_COUNT, RHYTHM_COUNT};

/// One SCP statement of a case, with its description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementChip {
    pub code: String,
    /// PTB-XL's likelihood, 0–100 (0 for rhythm and form statements, which carry none).
    pub likelihood: f32,
    pub description: String,
}

/// A ranked case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub rank: usize,
    pub ecg_id: u32,
    pub similarity: f32,
    pub fold: u8,
    pub age: Option<f32>,
    pub sex: Option<ecgmatch_formats::Sex>,
    /// The report as the hospital wrote it, the cart's stamps removed.
    pub report: String,
    /// The language it is written in (ISO 639-1: `de`, `sv`, `en`).
    pub language: &'static str,
    /// The report in English: translated (see `ecgmatch_reports::translate`), or itself.
    pub english: String,
    /// The case's SCP statements as one English line, rhythm first.
    pub statements: String,
    pub scp_codes: Vec<StatementChip>,
    /// How many other cases among the nearest searched carry the same report (listed once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_report: Option<usize>,
    /// What the similarity is made of (see [`explain`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<SimilarityParts>,
    /// The case's statements among the vote's leading ones (see [`explain`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shares_with_vote: Vec<String>,
}

/// A case's similarity to the query split over the parts of the library's space: the dot
/// product of the two unit vectors, block by block, so that the parts add up to the similarity
/// (up to the int8 library's rounding). A part the space lacks is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimilarityParts {
    /// The image tower's (whitened) embedding.
    pub image: f32,
    /// The RR-interval measurements.
    pub rhythm: f32,
    /// Each lead's highest and lowest point of its median beat.
    pub voltages: f32,
    /// The diagnostic probe's outputs.
    pub probe: f32,
}

/// How many of the vote's statements, heaviest first, count as its leading ones.
pub const LEADING_VOTES: usize = 5;

/// Adds to each match what its similarity is made of and which of its statements are among
/// the vote's [`LEADING_VOTES`] heaviest: why the case is there, beside how much. `query` is the
/// query's vector in the library's space ([`Bundle::retrieval_vector`]); `cases` gives each
/// match's case index in the library, in the same order.
pub fn explain(
    bundle: &Bundle,
    query: &[f32],
    cases: &[usize],
    matches: &mut [Match],
    votes: &[Vote],
) {
    let embed_dim = bundle.manifest.embed_dim;
    let (rhythm, compared) = match bundle.space.measures {
        Some(_) => (RHYTHM_COUNT, COMPARED_COUNT),
        None => (0, 0),
    };
    let mut leading: Vec<&Vote> = votes.iter().collect();
    leading.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    leading.truncate(LEADING_VOTES);
    for (m, &index) in matches.iter_mut().zip(cases) {
        let case = bundle.library.vector(index);
        let dot = |range: std::ops::Range<usize>| -> f32 {
            let end = range.end.min(query.len()).min(case.len());
            let start = range.start.min(end);
            query[start..end]
                .iter()
                .zip(&case[start..end])
                .map(|(a, b)| a * b)
                .sum()
        };
        m.parts = Some(SimilarityParts {
            image: dot(0..embed_dim),
            rhythm: dot(embed_dim..embed_dim + rhythm),
            voltages: dot(embed_dim + rhythm..embed_dim + compared),
            probe: dot(embed_dim + compared..query.len()),
        });
        m.shares_with_vote = leading
            .iter()
            .filter(|v| m.scp_codes.iter().any(|c| c.code == v.code))
            .map(|v| v.code.clone())
            .collect();
    }
}

/// A report ranked for an ECG by the dual encoder (the seed paper's retrieval).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportMatch {
    pub rank: usize,
    /// Cosine similarity of the ECG's image embedding and the report's text embedding.
    pub similarity: f32,
    /// What ranks it: the similarity plus the bundle's frequency prior × ln(cases).
    pub score: f32,
    /// The report as written (its most frequent statement set's case), stamps removed.
    pub report: String,
    /// The language it is written in (ISO 639-1).
    pub language: &'static str,
    /// The report in English.
    pub english: String,
    /// Its statements as one English line, and one by one.
    pub statements: String,
    pub scp_codes: Vec<StatementChip>,
    /// How many cases of the library carry it.
    pub cases: usize,
    /// The case whose report and statements are shown.
    pub ecg_id: u32,
}

/// A statement voted for by the neighbours, with its share of the votes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vote {
    pub code: String,
    pub description: String,
    pub weight: f32,
}

/// A prompt's zero-shot score (cosine similarity) for a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZeroShotScore {
    pub key: String,
    pub text: String,
    pub superclass: bool,
    pub score: f32,
}

pub struct Searcher {
    pub bundle: Bundle,
    model: Clip,
    device: Device,
}

fn tensor_values<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| backend(format!("{e:?}")))
}

fn backend(message: String) -> Error {
    Error::Model(ecgmatch_model::Error::Backend(message))
}

impl Searcher {
    pub fn new(bundle: Bundle, device: Device) -> Result<Self> {
        let model = bundle.load_model(&device)?;
        Ok(Self {
            bundle,
            model,
            device,
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The model input of one record, refused when no lead carries an ECG (the signal-quality
    /// gate, `signal::quality`): a record of zeros or non-numbers would otherwise be answered
    /// as confidently as a real one.
    pub fn input(&self, record: &Record) -> Result<Vec<f32>> {
        ecgmatch_signal::quality::check(record)?;
        Ok(self.bundle.manifest.layout.record_patches(record)?)
    }

    /// A record's measurements, as the library's cases were measured; empty when the
    /// library compares embeddings alone.
    pub fn measure(&self, record: &Record) -> Result<Vec<f32>> {
        match self.bundle.space.measures {
            Some(_) => Ok(ecgmatch_signal::measure::record_measurements(record)?.to_vec()),
            None => Ok(Vec::new()),
        }
    }

    /// Unit-length embeddings of `n` inputs laid end to end, as a tensor on the device
    /// (the page reads it back asynchronously).
    pub fn embed_tensor(&self, inputs: Vec<f32>, n: usize) -> Tensor<2> {
        let (patches, dim) = self.bundle.manifest.layout.patch_shape();
        self.model.image.forward(Tensor::from_data(
            TensorData::new(inputs, [n, patches, dim]),
            &self.device,
        ))
    }

    /// Embeddings of `n` inputs laid end to end, read back without blocking (the only
    /// way a browser's GPU can be read).
    pub async fn embed_async(&self, inputs: Vec<f32>, n: usize) -> Result<Vec<f32>> {
        let data = self
            .embed_tensor(inputs, n)
            .into_data_async()
            .await
            .map_err(|e| backend(format!("reading the embedding back failed: {e:?}")))?;
        data.try_to_vec::<f32>()
            .map_err(|e| backend(format!("{e:?}")))
    }

    /// The same library and model on another device.
    pub fn on_device(&self, device: Device) -> Result<Self> {
        Self::new(self.bundle.clone(), device)
    }

    /// Embeddings of several records, `records × embed_dim`, reading back synchronously.
    pub fn embed(&self, records: &[&Record]) -> Result<Vec<f32>> {
        let mut inputs = Vec::new();
        for r in records {
            inputs.extend(self.input(r)?);
        }
        tensor_values(self.embed_tensor(inputs, records.len()))
    }

    /// Embeds free text (already turned into a sentence embedding by the text tower).
    pub fn embed_sentence(&self, sentence: &[f32]) -> Result<Vec<f32>> {
        tensor_values(self.model.embed_text(Tensor::from_data(
            TensorData::new(sentence.to_vec(), [1, sentence.len()]),
            &self.device,
        )))
    }
}

/// The `k` reports the dual encoder ranks first for a unit-length image embedding, leaving out
/// reports carried only by cases of `exclude_fold`.
pub fn rank_reports(
    bundle: &Bundle,
    embedding: &[f32],
    k: usize,
    exclude_fold: Option<u8>,
) -> Vec<ReportMatch> {
    bundle
        .reports
        .rank(
            &bundle.text_library,
            &bundle.cases,
            embedding,
            k,
            exclude_fold,
            bundle.manifest.report_prior,
        )
        .into_iter()
        .enumerate()
        .map(|(rank, hit)| {
            let shown = bundle.reports.reports[hit.report].cases[0] as usize;
            let case = describe(
                bundle,
                &[Neighbour {
                    index: shown,
                    similarity: hit.similarity,
                }],
            )
            .remove(0);
            ReportMatch {
                rank: rank + 1,
                similarity: hit.similarity,
                score: hit.score,
                report: case.report,
                language: case.language,
                english: case.english,
                statements: case.statements,
                scp_codes: case.scp_codes,
                cases: hit.cases,
                ecg_id: case.ecg_id,
            }
        })
        .collect()
}

/// The cases behind neighbours, with their statements described.
pub fn describe(bundle: &Bundle, hits: &[Neighbour]) -> Vec<Match> {
    hits.iter()
        .enumerate()
        .map(|(rank, hit)| {
            let case = &bundle.cases[hit.index];
            let translation = ecgmatch_reports::translate(&case.report);
            Match {
                rank: rank + 1,
                ecg_id: case.ecg_id,
                similarity: hit.similarity,
                fold: case.fold,
                age: case.age,
                sex: case.sex,
                report: ecgmatch_reports::display_report(&case.report),
                language: translation.language.code(),
                english: translation.english,
                statements: bundle.statements_line(&case.scp_codes),
                scp_codes: case
                    .scp_codes
                    .iter()
                    .map(|(code, likelihood)| StatementChip {
                        code: code.clone(),
                        likelihood: *likelihood,
                        description: bundle
                            .statement(code)
                            .map_or_else(String::new, |s| s.description.clone()),
                    })
                    .collect(),
                same_report: None,
                parts: None,
                shares_with_vote: Vec::new(),
            }
        })
        .collect()
}

/// A ranking's listed cases, described, each with how many others share its report.
pub fn describe_ranked(bundle: &Bundle, ranked: &Ranked) -> Vec<Match> {
    let mut out = describe(bundle, &ranked.shown);
    for (m, group) in out.iter_mut().zip(&ranked.groups) {
        m.same_report = Some(group.cases - 1);
    }
    out
}

/// A query's nearest cases: the `shown` best, one per distinct report (`groups`, aligned with
/// them, count the cases behind each), and as many as the bundle's kNN rule lets vote.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub shown: Vec<Neighbour>,
    pub groups: Vec<ReportGroup>,
    pub voters: Vec<Neighbour>,
}

/// Ranks the library for a query (its image `embedding` and `measures`, see
/// [`Searcher::measure`]) once, deep enough for both the list and the vote, and lists the
/// nearest cases once per distinct report, nearest first (not by how many neighbours share a
/// report: see [`ReportOrder::Support`]); `exclude_fold` leaves out one fold's cases (an
/// evaluation's queries).
pub fn rank(
    bundle: &Bundle,
    embedding: &[f32],
    measures: &[f32],
    shown: usize,
    mode: crate::bundle::SearchMode,
    exclude_fold: Option<u8>,
) -> Ranked {
    let voters = bundle.search(
        embedding,
        measures,
        shown.max(bundle.manifest.knn.k),
        mode,
        exclude_fold,
    );
    group_ranked(bundle, voters, shown)
}

/// [`rank`] in the whitened embedding alone (see [`Bundle::search_embedding_only`]).
pub fn rank_embedding_only(
    bundle: &Bundle,
    embedding: &[f32],
    shown: usize,
    exclude_fold: Option<u8>,
) -> Ranked {
    let voters =
        bundle.search_embedding_only(embedding, shown.max(bundle.manifest.knn.k), exclude_fold);
    group_ranked(bundle, voters, shown)
}

/// The `shown` best of `voters` (best first), one per distinct report.
fn group_ranked(bundle: &Bundle, voters: Vec<Neighbour>, shown: usize) -> Ranked {
    let mut groups = distinct_reports(
        &voters,
        |i| bundle.report_keys[i],
        bundle.manifest.knn,
        ReportOrder::Similarity,
    );
    groups.truncate(shown);
    Ranked {
        shown: groups.iter().map(|g| g.best).collect(),
        groups,
        voters,
    }
}

/// Similarity at or above which a case is taken for the query's own record (the same signal).
/// Chosen on fold 9 (300 records searched against the whole library): a record's own copy
/// scored 0.984 at least, the nearest other case 0.948 at most.
pub const SAME_RECORD_SIMILARITY: f32 = 0.97;

/// The PTB-XL ecg_id a record's name gives (`00009_lr`, `00009_hr`), if it is one.
pub fn ptbxl_ecg_id(name: &str) -> Option<u32> {
    let (id, rate) = name.split_once('_')?;
    (id.len() == 5 && id.bytes().all(|b| b.is_ascii_digit()) && matches!(rate, "lr" | "hr"))
        .then(|| id.parse().ok())
        .flatten()
}

/// What the page shows of a full-space ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// The similar cases, at most as many as asked for, the query's own record left out.
    pub matches: Vec<Match>,
    /// The query's own record, when the library holds it (same ecg_id, or the same signal).
    pub this_record: Option<Match>,
    /// The vote of the neighbours other than the query's own record.
    pub votes: Vec<Vote>,
    pub voters: usize,
}

/// A full-space ranking as the page shows it: the listed cases described and explained (see
/// [`explain`]), the neighbours' vote, and the query's own record set apart, neither listed
/// nor voting, so that a dropped library record does not find itself "100% similar" among
/// its similar cases. Rank `shown + 1` cases so that `shown` remain.
pub fn shown_results(
    bundle: &Bundle,
    query_name: &str,
    embedding: &[f32],
    measures: &[f32],
    ranked: &Ranked,
    shown: usize,
) -> Shown {
    let own_id = ptbxl_ecg_id(query_name);
    let is_own = |ecg_id: u32, similarity: f32| {
        similarity >= SAME_RECORD_SIMILARITY || own_id == Some(ecg_id)
    };
    let voters: Vec<Neighbour> = ranked
        .voters
        .iter()
        .filter(|n| !is_own(bundle.cases[n.index].ecg_id, n.similarity))
        .copied()
        .collect();
    let votes = consensus(bundle, &voters);
    // Each listed case with its index in the library (`describe_ranked` follows `ranked.shown`).
    let (own, listed): (Vec<_>, Vec<_>) = ranked
        .shown
        .iter()
        .map(|n| n.index)
        .zip(describe_ranked(bundle, ranked))
        .partition(|(_, m)| is_own(m.ecg_id, m.similarity));
    let (mut cases, mut matches): (Vec<usize>, Vec<Match>) = listed.into_iter().unzip();
    cases.truncate(shown);
    matches.truncate(shown);
    for (rank, m) in matches.iter_mut().enumerate() {
        m.rank = rank + 1;
    }
    let query = bundle.retrieval_vector(embedding, measures);
    explain(bundle, &query, &cases, &mut matches, &votes);
    let this_record = own.into_iter().next().map(|(index, mut m)| {
        explain(
            bundle,
            &query,
            &[index],
            std::slice::from_mut(&mut m),
            &votes,
        );
        m
    });
    Shown {
        matches,
        this_record,
        votes,
        voters: voters.len(),
    }
}

/// Ranks the library for a query and shows `shown` similar cases as the page does (see
/// [`shown_results`]): one more is ranked, since the query's own record is set apart when the
/// library holds it.
pub fn search_shown(
    bundle: &Bundle,
    query_name: &str,
    embedding: &[f32],
    measures: &[f32],
    shown: usize,
) -> Shown {
    let ranked = rank(
        bundle,
        embedding,
        measures,
        shown + 1,
        crate::bundle::SearchMode::Int8,
        None,
    );
    shown_results(bundle, query_name, embedding, measures, &ranked, shown)
}

/// The neighbours' statement votes, described.
pub fn consensus(bundle: &Bundle, hits: &[Neighbour]) -> Vec<Vote> {
    bundle
        .consensus(hits)
        .into_iter()
        .map(|(code, weight)| Vote {
            description: bundle
                .statement(&code)
                .map_or_else(String::new, |s| s.description.clone()),
            code,
            weight,
        })
        .collect()
}

/// Every prompt's score for an image embedding, best first.
pub fn zero_shot(bundle: &Bundle, embedding: &[f32]) -> Vec<ZeroShotScore> {
    let mut scores: Vec<ZeroShotScore> = bundle
        .manifest
        .prompts
        .iter()
        .zip(bundle.zero_shot(embedding))
        .map(|(p, score)| ZeroShotScore {
            key: p.key.clone(),
            text: p.text.clone(),
            superclass: p.superclass,
            score,
        })
        .collect();
    scores.sort_by(|a, b| b.score.total_cmp(&a.score));
    scores
}
