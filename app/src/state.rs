//! Page state, lifted to the top and changed only through [`Action`]s.

use std::rc::Rc;

use ecgmatch::formats::Error as FormatError;
use ecgmatch::formats::{ReadOptions, ReadOutcome};
use ecgmatch::model::text::TextEncoder;
use ecgmatch::paper::digitize::Digitized;
use ecgmatch::paper::Bitmap;
use ecgmatch::retrieval::search::{Match, Searcher};
use ecgmatch::signal::encode::layout::{EncodedImage, EncodingLayout, StackConfig};
use ecgmatch::{InputFile, Record};
use yew::Reducible;

use crate::inference::{Backend, QueryResults};
use crate::picture::LocalUrl;

/// Where a record's search stands.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryStatus {
    Waiting,
    Running,
    Done(Rc<QueryResults>),
    Failed(String),
}

/// A record and its per-lead encodings (or why they could not be made): what the
/// printout and the encodings view draw.
#[derive(Debug)]
pub struct RecordData {
    pub record: Record,
    pub encoded: Result<EncodedImage, String>,
}

/// Shared and compared by identity, so that a record's search progressing does not
/// redraw its printout and 48 encodings, nor compare a photo's pixels.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

pub type SharedRecord = Shared<RecordData>;

/// A photo or scan of a paper ECG and what the digitizer read off it.
#[derive(Debug)]
pub struct PaperPicture {
    pub bitmap: Rc<Bitmap>,
    /// A `blob:` or `data:` URL of the picture, local to this page.
    pub url: Rc<LocalUrl>,
    pub digitized: Digitized,
}

/// Files as the user dropped them, kept so that a record can be read again with the
/// user's answer to a question the file left open (its sampling rate or units).
pub type SourceFiles = Rc<Vec<InputFile>>;

/// A record read from the user's files, with its search.
#[derive(Debug, PartialEq)]
pub struct LoadedRecord {
    pub id: usize,
    pub files: Vec<String>,
    pub sources: SourceFiles,
    /// The choices the record was read with.
    pub options: ReadOptions,
    pub data: SharedRecord,
    pub query: QueryStatus,
    /// Milliseconds spent reading the files and decoding the record.
    pub read_ms: f64,
    /// The picture a paper ECG was read from.
    pub picture: Option<Shared<PaperPicture>>,
}

/// Something the user should know about one group of files.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: usize,
    pub files: Vec<String>,
    pub message: String,
    /// Set when the files can be read once the user gives the sampling rate.
    pub needs_rate: Option<SourceFiles>,
}

impl Notice {
    pub fn new(files: Vec<String>, message: String) -> Self {
        Self {
            id: 0,
            files,
            message,
            needs_rate: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum LibraryStatus {
    Loading {
        received: u64,
        total: Option<u64>,
    },
    Ready {
        cases: usize,
        bytes: usize,
        from_cache: bool,
    },
    Failed(String),
}

/// The model and library on one backend. Compared by identity: a new one means a
/// (re)started engine.
#[derive(Clone)]
pub struct Engine {
    pub searcher: Rc<Searcher>,
    pub backend: Backend,
}

impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.searcher, &other.searcher)
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Engine({:?})", self.backend)
    }
}

/// The text tower, loaded on the first text search. Compared by identity.
#[derive(Clone)]
pub struct TextTower(pub Rc<TextEncoder>);

impl PartialEq for TextTower {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for TextTower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextTower")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TextSearch {
    Idle,
    Downloading {
        received: u64,
        total: Option<u64>,
    },
    Searching,
    Done {
        query: String,
        mode: TextMode,
        matches: Vec<Match>,
    },
    Failed(String),
}

/// What a typed description is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMode {
    /// The cases' ECGs, in the dual encoder's joint space (text → ECG).
    Ecgs,
    /// The cases' report texts (text → text).
    Reports,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub records: Vec<Rc<LoadedRecord>>,
    pub notices: Vec<Notice>,
    pub selected: Option<usize>,
    pub busy: bool,
    pub library: LibraryStatus,
    pub engine: Option<Engine>,
    /// None until detection has finished.
    pub webgpu_available: Option<bool>,
    /// A backend switch in progress.
    pub switching: bool,
    /// The case the user opened beside the query, by ecg_id.
    pub compared_case: Option<u32>,
    pub text_search: TextSearch,
    pub text_tower: Option<TextTower>,
    next_id: usize,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            notices: Vec::new(),
            selected: None,
            busy: false,
            library: LibraryStatus::Loading {
                received: 0,
                total: None,
            },
            engine: None,
            webgpu_available: None,
            switching: false,
            compared_case: None,
            text_search: TextSearch::Idle,
            text_tower: None,
            next_id: 0,
        }
    }
}

// An action is built once per user event and moved straight into the reducer, so the size of
// its largest variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum Action {
    Reading,
    /// Groups read from one drop; a failed group never removes what was there. A re-read
    /// with the user's choices `replaces` the record or notice it answers.
    Read {
        outcomes: Vec<ReadOutcome>,
        drop: SourceFiles,
        options: ReadOptions,
        read_ms: f64,
        replaces: Option<usize>,
    },
    Refused(Vec<Notice>),
    /// A picture read by the digitizer (or why it could not be); a re-read with corners the
    /// user placed `replaces` the record it answers.
    Digitized {
        name: String,
        bitmap: Rc<Bitmap>,
        url: Rc<LocalUrl>,
        result: Result<Digitized, String>,
        digitize_ms: f64,
        replaces: Option<usize>,
    },
    Select(usize),
    Dismiss(usize),
    LibraryProgress {
        received: u64,
        total: Option<u64>,
    },
    LibraryReady {
        cases: usize,
        bytes: usize,
        from_cache: bool,
    },
    LibraryFailed(String),
    RetryLibrary,
    WebGpuDetected(bool),
    SwitchingBackend,
    EngineReady(Engine),
    EngineFailed(String),
    QueriesStarted(Vec<usize>),
    QueryFinished(usize, Result<QueryResults, String>),
    Compare(Option<u32>),
    TextSearch(TextSearch),
    TextTowerReady(TextTower),
}

fn record_data(mut record: Record) -> SharedRecord {
    // The signal-quality gate's warnings are shown with the reader's; a record it refuses
    // outright fails at the search with the gate's message.
    if let Ok(warnings) = ecgmatch::signal::quality::check(&record) {
        record.warnings.extend(warnings);
    }
    let encoded = ecgmatch::signal::encode::layout::encode(&record, &page_layout())
        .map_err(|e| e.to_string());
    Shared(Rc::new(RecordData { record, encoded }))
}

/// The encoding shown on the page: whole-record images per lead.
pub fn page_layout() -> EncodingLayout {
    EncodingLayout::Stack(StackConfig::default())
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Reading => next.busy = true,
            Action::Read {
                outcomes,
                drop,
                options,
                read_ms,
                replaces,
            } => next.add_read(outcomes, &drop, &options, read_ms, replaces),
            Action::Refused(notices) => {
                next.busy = false;
                for mut n in notices {
                    n.id = next.take_id();
                    next.notices.push(n);
                }
            }
            Action::Digitized {
                name,
                bitmap,
                url,
                result,
                digitize_ms,
                replaces,
            } => next.add_digitized(name, bitmap, url, result, digitize_ms, replaces),
            Action::Select(id) => {
                next.selected = Some(id);
                next.compared_case = None;
            }
            Action::Dismiss(id) => next.notices.retain(|n| n.id != id),
            Action::LibraryProgress { received, total } => {
                next.library = LibraryStatus::Loading { received, total }
            }
            Action::LibraryReady {
                cases,
                bytes,
                from_cache,
            } => {
                next.library = LibraryStatus::Ready {
                    cases,
                    bytes,
                    from_cache,
                }
            }
            Action::LibraryFailed(message) => next.library = LibraryStatus::Failed(message),
            Action::RetryLibrary => {
                next.library = LibraryStatus::Loading {
                    received: 0,
                    total: None,
                }
            }
            Action::WebGpuDetected(available) => next.webgpu_available = Some(available),
            Action::SwitchingBackend => next.switching = true,
            Action::EngineReady(engine) => {
                next.switching = false;
                next.engine = Some(engine);
            }
            Action::EngineFailed(message) => {
                next.switching = false;
                let id = next.take_id();
                next.notices.push(Notice {
                    id,
                    ..Notice::new(Vec::new(), message)
                });
            }
            Action::QueriesStarted(ids) => next.set_query(&ids, |_| QueryStatus::Running),
            Action::QueryFinished(id, result) => next.set_query(&[id], |_| match &result {
                Ok(r) => QueryStatus::Done(Rc::new(r.clone())),
                Err(e) => QueryStatus::Failed(e.clone()),
            }),
            Action::Compare(case) => next.compared_case = case,
            Action::TextSearch(status) => next.text_search = status,
            Action::TextTowerReady(tower) => next.text_tower = Some(tower),
        }
        Rc::new(next)
    }
}

impl AppState {
    /// The records (and refusals) read from one drop; a re-read `replaces` its record.
    fn add_read(
        &mut self,
        outcomes: Vec<ReadOutcome>,
        drop: &SourceFiles,
        options: &ReadOptions,
        read_ms: f64,
        replaces: Option<usize>,
    ) {
        self.busy = false;
        if let Some(old) = replaces {
            self.records.retain(|r| r.id != old);
            self.notices.retain(|n| n.id != old);
        }
        let per_record = read_ms / outcomes.len().max(1) as f64;
        for outcome in outcomes {
            let id = self.take_id();
            let sources: SourceFiles = Rc::new(
                drop.iter()
                    .filter(|f| outcome.files.contains(&f.name))
                    .cloned()
                    .collect(),
            );
            match outcome.result {
                Ok(record) => {
                    self.add_record(LoadedRecord {
                        id,
                        files: outcome.files,
                        sources,
                        options: options.clone(),
                        data: record_data(record),
                        query: QueryStatus::Waiting,
                        read_ms: per_record,
                        picture: None,
                    });
                }
                Err(e) => self.notices.push(Notice {
                    id,
                    files: outcome.files,
                    message: e.to_string(),
                    needs_rate: matches!(e, FormatError::NeedsSamplingRate { .. })
                        .then_some(sources),
                }),
            }
        }
    }

    /// A picture's reading (or why it failed); a re-read `replaces` its record if it succeeds.
    fn add_digitized(
        &mut self,
        name: String,
        bitmap: Rc<Bitmap>,
        url: Rc<LocalUrl>,
        result: Result<Digitized, String>,
        digitize_ms: f64,
        replaces: Option<usize>,
    ) {
        self.busy = false;
        // A failed re-read leaves the record it was to replace as it was.
        if let (Some(old), Ok(_)) = (replaces, &result) {
            self.records.retain(|r| r.id != old);
        }
        let id = self.take_id();
        match result {
            Ok(digitized) => {
                // The trust gate: doubtful leads stay out of the query, and a reading with too
                // few trusted leads is not searched at all (its message says what to retake).
                let query = match digitized.trust.searchable() {
                    Ok(()) => QueryStatus::Waiting,
                    Err(why) => QueryStatus::Failed(why),
                };
                let mut record = digitized.trust.query_record(&digitized.record);
                record.name = name
                    .rsplit_once('.')
                    .map_or(name.as_str(), |(stem, _)| stem)
                    .to_string();
                self.add_record(LoadedRecord {
                    id,
                    files: vec![name],
                    sources: Rc::new(Vec::new()),
                    options: ReadOptions::default(),
                    data: record_data(record),
                    query,
                    read_ms: digitize_ms,
                    picture: Some(Shared(Rc::new(PaperPicture {
                        bitmap,
                        url,
                        digitized,
                    }))),
                });
            }
            Err(message) => self.notices.push(Notice {
                id,
                ..Notice::new(vec![name], message)
            }),
        }
    }

    fn add_record(&mut self, record: LoadedRecord) {
        self.selected = Some(record.id);
        self.compared_case = None;
        self.records.push(Rc::new(record));
    }

    /// The picture behind a record read from paper.
    pub fn picture(&self, id: usize) -> Option<Shared<PaperPicture>> {
        self.records.iter().find(|r| r.id == id)?.picture.clone()
    }

    fn take_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn set_query(&mut self, ids: &[usize], status: impl Fn(&LoadedRecord) -> QueryStatus) {
        for r in &mut self.records {
            if ids.contains(&r.id) {
                *r = Rc::new(LoadedRecord {
                    id: r.id,
                    files: r.files.clone(),
                    sources: r.sources.clone(),
                    options: r.options.clone(),
                    data: r.data.clone(),
                    query: status(r),
                    read_ms: r.read_ms,
                    picture: r.picture.clone(),
                });
            }
        }
    }

    /// The files behind a record or notice, to read them again with the user's choices.
    pub fn sources(&self, id: usize) -> Option<(SourceFiles, ReadOptions)> {
        if let Some(r) = self.records.iter().find(|r| r.id == id) {
            return Some((r.sources.clone(), r.options.clone()));
        }
        let notice = self.notices.iter().find(|n| n.id == id)?;
        Some((notice.needs_rate.clone()?, ReadOptions::default()))
    }

    pub fn selected_record(&self) -> Option<&Rc<LoadedRecord>> {
        let id = self.selected?;
        self.records.iter().find(|r| r.id == id)
    }

    /// Records read but not yet searched, once an engine is ready.
    pub fn waiting(&self) -> Vec<Rc<LoadedRecord>> {
        if self.engine.is_none() {
            return Vec::new();
        }
        self.records
            .iter()
            .filter(|r| r.query == QueryStatus::Waiting)
            .cloned()
            .collect()
    }
}
