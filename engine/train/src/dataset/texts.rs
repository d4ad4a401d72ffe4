//! The report text of every PTB-XL record as the text tower sees it, with its frozen
//! sentence embedding. Records sharing a text share an entry, which also tells the loss
//! which pairs are not negatives of each other.

use std::collections::HashMap;
use std::path::Path;

use super::ptbxl::PtbXl;
use super::report::{model_text, TextSource};
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"ECGTEXTS";

#[derive(Debug, Clone, PartialEq)]
pub struct TextTable {
    pub dim: usize,
    /// Distinct texts.
    pub texts: Vec<String>,
    /// `texts.len()` × `dim`, unit length.
    pub embeddings: Vec<f32>,
    /// ecg_id → index into `texts`.
    pub by_record: HashMap<u32, usize>,
}

impl TextTable {
    /// Embeds every distinct text of `db` once with `embed` (a batch of texts in, one
    /// vector each out).
    pub fn build(
        db: &PtbXl,
        source: TextSource,
        dim: usize,
        mut embed: impl FnMut(&[&str]) -> Result<Vec<Vec<f32>>>,
    ) -> Result<Self> {
        let mut texts: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut by_record = HashMap::new();
        for e in &db.entries {
            let text = model_text(source, &e.report, &e.scp_codes, &db.statements);
            let next = texts.len();
            let i = *index.entry(text.clone()).or_insert_with(|| {
                texts.push(text);
                next
            });
            by_record.insert(e.ecg_id, i);
        }
        let mut embeddings = Vec::with_capacity(texts.len() * dim);
        for chunk in texts.chunks(256) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            for v in embed(&refs)? {
                if v.len() != dim {
                    return Err(Error::Dataset(format!(
                        "text embedding has {} values, expected {dim}",
                        v.len()
                    )));
                }
                embeddings.extend(v);
            }
        }
        Ok(Self {
            dim,
            texts,
            embeddings,
            by_record,
        })
    }

    /// The text of each record of `cache`, in the cache's order; `None` where the table has
    /// none for a record.
    pub fn of_records(&self, cache: &super::cache::SignalCache) -> Vec<Option<usize>> {
        cache
            .records
            .iter()
            .map(|r| self.by_record.get(&r.ecg_id).copied())
            .collect()
    }

    pub fn embedding(&self, text: usize) -> &[f32] {
        &self.embeddings[text * self.dim..(text + 1) * self.dim]
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        for v in [self.dim, self.texts.len(), self.by_record.len()] {
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
        for t in &self.texts {
            out.extend_from_slice(&(t.len() as u32).to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        for v in &self.embeddings {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let mut records: Vec<(&u32, &usize)> = self.by_record.iter().collect();
        records.sort();
        for (id, i) in records {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&(*i as u32).to_le_bytes());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Dataset(format!("{}: {e}", dir.display())))?;
        }
        std::fs::write(path, out).map_err(|e| Error::Dataset(format!("{}: {e}", path.display())))
    }

    pub fn read(path: &Path) -> Result<Self> {
        let bad = |why: &str| {
            Error::Dataset(format!(
                "{}: {why}; rebuild it with `ecgmatch embed-texts`",
                path.display()
            ))
        };
        let bytes = std::fs::read(path).map_err(|e| bad(&e.to_string()))?;
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8]> {
            let s = bytes.get(at..at + n).ok_or_else(|| bad("truncated"))?;
            at += n;
            Ok(s)
        };
        if take(8)? != MAGIC {
            return Err(bad("not a text table"));
        }
        let mut word =
            || -> Result<usize> { Ok(u32::from_le_bytes(take(4)?.try_into().unwrap()) as usize) };
        let (dim, n_texts, n_records) = (word()?, word()?, word()?);
        let mut texts = Vec::with_capacity(n_texts);
        for _ in 0..n_texts {
            let len = u32::from_le_bytes(take(4)?.try_into().unwrap()) as usize;
            texts.push(String::from_utf8(take(len)?.to_vec()).map_err(|_| bad("bad text"))?);
        }
        let embeddings = take(4 * dim * n_texts)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let mut by_record = HashMap::with_capacity(n_records);
        for _ in 0..n_records {
            let id = u32::from_le_bytes(take(4)?.try_into().unwrap());
            let i = u32::from_le_bytes(take(4)?.try_into().unwrap()) as usize;
            by_record.insert(id, i);
        }
        Ok(Self {
            dim,
            texts,
            embeddings,
            by_record,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_share_an_entry_and_round_trip() {
        let db = crate::dataset::ptbxl::fixtures::database();
        // A stand-in embedding (text length and first byte) is enough to test the bookkeeping.
        let mut embed = |texts: &[&str]| {
            Ok(texts
                .iter()
                .map(|t| vec![t.len() as f32, t.as_bytes()[0] as f32])
                .collect())
        };
        let table = TextTable::build(&db, Default::default(), 2, &mut embed).unwrap();
        assert_eq!(table.by_record.len(), db.entries.len());
        assert!(
            table.texts.len() < db.entries.len(),
            "the fixture has repeated reports"
        );
        let path = std::env::temp_dir().join(format!("ecgmatch-texts-{}.bin", std::process::id()));
        table.write(&path).unwrap();
        let back = TextTable::read(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(back, table);
        let i = table.by_record[&1];
        assert_eq!(table.embedding(i)[0], table.texts[i].len() as f32);
    }
}
