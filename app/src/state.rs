//! Page state, lifted to the top and changed only through [`Action`]s.

use std::rc::Rc;

use ecgmatch_engine::encode::layout::{EncodedImage, Layout, StackConfig};
use ecgmatch_engine::formats::ReadOutcome;
use ecgmatch_engine::Record;
use yew::Reducible;

/// A record read from the user's files, with its encodings.
#[derive(Debug, PartialEq)]
pub struct LoadedRecord {
    pub id: usize,
    pub files: Vec<String>,
    pub record: Record,
    /// The per-lead encodings, or why they could not be made.
    pub encoded: Result<EncodedImage, String>,
}

/// Something the user should know about one group of files.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: usize,
    pub files: Vec<String>,
    pub message: String,
}

#[derive(Debug, Default, PartialEq)]
pub struct AppState {
    pub records: Vec<Rc<LoadedRecord>>,
    pub notices: Vec<Notice>,
    pub selected: Option<usize>,
    pub busy: bool,
    next_id: usize,
}

pub enum Action {
    Reading,
    /// Groups read from one drop; a failed group never removes what was there.
    Read(Vec<ReadOutcome>),
    Refused(Vec<Notice>),
    Select(usize),
    Dismiss(usize),
}

/// The encoding shown on the page: whole-record images per lead.
pub fn page_layout() -> Layout {
    Layout::Stack(StackConfig::default())
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = AppState {
            records: self.records.clone(),
            notices: self.notices.clone(),
            selected: self.selected,
            busy: self.busy,
            next_id: self.next_id,
        };
        match action {
            Action::Reading => next.busy = true,
            Action::Read(outcomes) => {
                next.busy = false;
                for outcome in outcomes {
                    let id = next.take_id();
                    match outcome.result {
                        Ok(record) => {
                            let encoded = ecgmatch_engine::encode::layout::encode(&record, &page_layout())
                                .map_err(|e| e.to_string());
                            next.records.push(Rc::new(LoadedRecord { id, files: outcome.files, record, encoded }));
                            next.selected = Some(id);
                        }
                        Err(e) => next.notices.push(Notice { id, files: outcome.files, message: e.to_string() }),
                    }
                }
            }
            Action::Refused(notices) => {
                next.busy = false;
                for mut n in notices {
                    n.id = next.take_id();
                    next.notices.push(n);
                }
            }
            Action::Select(id) => next.selected = Some(id),
            Action::Dismiss(id) => next.notices.retain(|n| n.id != id),
        }
        Rc::new(next)
    }
}

impl AppState {
    fn take_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    pub fn selected_record(&self) -> Option<&Rc<LoadedRecord>> {
        let id = self.selected?;
        self.records.iter().find(|r| r.id == id)
    }
}
