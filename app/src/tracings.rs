//! The similar cases' tracings for Compare: read from the waveform pack a case at a time (one
//! byte range of about 1 KB, after the pack's index once), and kept in Cache Storage so that a
//! case once compared can be compared again offline.
//!
//! What the requests say: which library cases are compared (their byte ranges), never anything
//! of the ECG in hand; the query's own tracings are made here, from the record in memory.

use std::cell::RefCell;
use std::rc::Rc;

use ecgmatch::retrieval::waveforms::{
    decode_case, find, read_index, CaseRange, CaseWaveforms, PackShape, HEADER_LEN, INDEX_ENTRY_LEN,
};

use crate::library::{fetch_range, keep, kept, WAVEFORMS_URL};

type Index = Rc<(PackShape, Vec<CaseRange>)>;

thread_local! {
    /// The pack's index once read (262 KB for PTB-XL), for the rest of the visit.
    static INDEX: RefCell<Option<Index>> = const { RefCell::new(None) };
}

/// The pack's header and index: from memory, from what an earlier visit kept, or fetched.
async fn index() -> Result<Index, String> {
    if let Some(index) = INDEX.with(|i| i.borrow().clone()) {
        return Ok(index);
    }
    let key = format!("{WAVEFORMS_URL}/index");
    let bytes = match kept(&key).await {
        Some(bytes) => bytes,
        None => {
            let header = fetch_range(WAVEFORMS_URL, 0, HEADER_LEN).await?;
            let cases = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default());
            let end = HEADER_LEN + cases as usize * INDEX_ENTRY_LEN;
            let bytes = fetch_range(WAVEFORMS_URL, 0, end).await?;
            read_index(&bytes).map_err(|e| e.to_string())?;
            keep(&key, &bytes).await;
            bytes
        }
    };
    let index: Index = Rc::new(read_index(&bytes).map_err(|e| e.to_string())?);
    INDEX.with(|i| *i.borrow_mut() = Some(index.clone()));
    Ok(index)
}

/// One library case's tracings.
pub async fn case_tracings(ecg_id: u32) -> Result<CaseWaveforms, String> {
    let index = index().await?;
    let (shape, ranges) = &*index;
    let at =
        find(ranges, ecg_id).ok_or_else(|| format!("case {ecg_id} has no tracings in the pack"))?;
    let key = format!("{WAVEFORMS_URL}/case/{ecg_id}");
    let bytes = match kept(&key).await {
        Some(bytes) => bytes,
        None => {
            let bytes = fetch_range(WAVEFORMS_URL, at.offset, at.offset + at.len).await?;
            keep(&key, &bytes).await;
            bytes
        }
    };
    decode_case(ecg_id, shape, &bytes).map_err(|e| e.to_string())
}
