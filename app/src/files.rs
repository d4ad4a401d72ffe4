//! Getting the user's files into memory without ever reading one that is too big.

use ecgmatch::formats::drop_budget::{DropBudget, Refusal};
use ecgmatch::formats::InputFile;
use ecgmatch::formats::{MAX_DROP_BYTES, MAX_FILE_BYTES};
use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;

use crate::state::Notice;

/// The files a file input's `change` event chose, with the input emptied so that choosing the
/// same file again fires `change` again.
pub fn take_chosen(e: &web_sys::Event) -> Option<web_sys::FileList> {
    use wasm_bindgen::JsCast;
    let input: web_sys::HtmlInputElement = e.target()?.dyn_into().ok()?;
    let files = input.files();
    input.set_value("");
    files
}

/// The files of a drop or a picker's choice.
pub fn files_of(list: &web_sys::FileList) -> Vec<web_sys::File> {
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

/// Reads every file in `list`. Files over the size limit, or past the drop's total limit, are
/// refused before reading, so a 1 GB drop costs nothing; each refusal becomes a notice and the
/// others are read.
pub async fn read_files(list: Vec<web_sys::File>) -> (Vec<InputFile>, Vec<Notice>) {
    let mut files = Vec::new();
    let mut refused = Vec::new();
    let mut budget = DropBudget::default();
    for file in list {
        let name = file.name();
        let size = file.size() as u64;
        let refusal = match budget.admit(size) {
            Ok(()) => None,
            Err(Refusal::FileTooLarge) => Some(format!(
                "{name}: too large ({} MB). Files up to {} MB are accepted; export a shorter excerpt of the recording",
                size / 1_000_000,
                MAX_FILE_BYTES / 1_000_000
            )),
            Err(Refusal::DropFull { used }) => Some(format!(
                "{name}: not read: this drop already holds {} MB, and one drop reads at most {} MB. Drop this file on its own",
                used / 1_000_000,
                MAX_DROP_BYTES / 1_000_000
            )),
        };
        if let Some(message) = refusal {
            refused.push(Notice::new(vec![name.clone()], message));
            continue;
        }
        match JsFuture::from(file.array_buffer()).await {
            Ok(buffer) => files.push(InputFile::new(name, Uint8Array::new(&buffer).to_vec())),
            Err(_) => refused.push(Notice::new(
                vec![name.clone()],
                format!("{name}: the browser could not read this file. Try choosing it again"),
            )),
        }
    }
    (files, refused)
}
