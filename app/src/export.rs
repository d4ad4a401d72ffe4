//! Every searched record's results as a JSON or CSV download, made in the page (a blob
//! URL), so nothing is sent anywhere.

use ecgmatch::retrieval::search::Match;
use wasm_bindgen::JsCast;

use crate::state::{LoadedRecord, QueryStatus};

#[derive(serde::Serialize)]
struct Exported<'a> {
    query: &'a str,
    files: &'a [String],
    backend: &'static str,
    matches: &'a [Match],
    #[serde(skip_serializing_if = "Option::is_none")]
    this_record: Option<&'a Match>,
}

pub fn to_json(records: &[std::rc::Rc<LoadedRecord>]) -> String {
    let rows: Vec<Exported> = records
        .iter()
        .filter_map(|r| match &r.query {
            QueryStatus::Done(q) => Some(Exported {
                query: &r.data.record.name,
                files: &r.files,
                backend: q.backend.label(),
                matches: &q.matches,
                this_record: q.this_record.as_ref(),
            }),
            _ => None,
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn to_csv(records: &[std::rc::Rc<LoadedRecord>]) -> String {
    let mut out = String::from(
        "query,rank,ecg_id,similarity,age,sex,scp_codes,report,language,english,statements\n",
    );
    for r in records {
        let QueryStatus::Done(q) = &r.query else {
            continue;
        };
        for m in &q.matches {
            let codes: Vec<&str> = m.scp_codes.iter().map(|c| c.code.as_str()).collect();
            let fields = [
                csv_field(&r.data.record.name),
                m.rank.to_string(),
                m.ecg_id.to_string(),
                format!("{:.4}", m.similarity),
                m.age.map_or(String::new(), |a| format!("{a:.0}")),
                m.sex
                    .map_or(String::new(), |s| format!("{s:?}").to_lowercase()),
                csv_field(&codes.join(" ")),
                csv_field(m.report.trim()),
                m.language.to_string(),
                csv_field(&m.english),
                csv_field(&m.statements),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out
}

/// Offers `text` as a file download.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "could not make the file")?;
    let url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "could not make the file")?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "no anchor")?
        .dyn_into()
        .map_err(|_| "no anchor")?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
