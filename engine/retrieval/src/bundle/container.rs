//! The `.ecgb` container: a fixed preamble, a JSON header naming the sections, and the
//! sections' bytes, with a SHA-256 over header and payload so that a damaged download
//! is caught before anything is parsed.
//!
//! ```text
//! magic "ECGB\r\n\x1a\n" | version u32 | header length u32 | payload length u64 | sha256 [32]
//! header (JSON) | payload (sections back to back)
//! ```

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The CR-LF and ^Z catch a file mangled by a text-mode transfer, as PNG's magic does.
pub const MAGIC: &[u8; 8] = b"ECGB\r\n\x1a\n";
pub const VERSION: u32 = 1;
const PREAMBLE: usize = 8 + 4 + 4 + 8 + 32;
/// Larger than any library we ship by far; refuses absurd lengths before allocating.
const MAX_HEADER: usize = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub name: String,
    pub offset: u64,
    pub len: u64,
}

/// A parsed container: the header's JSON `manifest` and the named sections.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    pub manifest: serde_json::Value,
    sections: Vec<(Section, &'a [u8])>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    manifest: serde_json::Value,
    sections: Vec<Section>,
}

fn bad(why: impl std::fmt::Display) -> Error {
    Error::InvalidBundle(why.to_string())
}

impl<'a> Container<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < PREAMBLE || &bytes[..8] != MAGIC {
            return Err(bad(
                "this is not an ECGMatch case library (.ecgb): its first bytes are wrong",
            ));
        }
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        let version = u32_at(8);
        if version != VERSION {
            return Err(bad(format!("the library has format version {version}, this build reads version {VERSION}; rebuild it with `ecgmatch bundle` or update the app")));
        }
        let header_len = u32_at(12) as usize;
        let payload_len = u64::from_le_bytes(bytes[16..24].try_into().unwrap());
        let expected = (PREAMBLE as u64)
            .saturating_add(header_len as u64)
            .saturating_add(payload_len);
        if header_len > MAX_HEADER || bytes.len() as u64 != expected {
            return Err(bad(format!("the file is {} bytes but its header promises {expected}: it is truncated or has extra bytes; download it again", bytes.len())));
        }
        let body = &bytes[PREAMBLE..];
        if Sha256::digest(body).as_slice() != &bytes[24..56] {
            return Err(bad(
                "the SHA-256 checksum does not match: the file is damaged; download it again",
            ));
        }
        let header: Header = serde_json::from_slice(&body[..header_len])
            .map_err(|e| bad(format!("unreadable header: {e}")))?;
        let payload = &body[header_len..];
        let mut sections = Vec::with_capacity(header.sections.len());
        for s in header.sections {
            let end = s
                .offset
                .checked_add(s.len)
                .filter(|e| *e <= payload.len() as u64)
                .ok_or_else(|| bad(format!("section '{}' lies outside the file", s.name)))?;
            let data = &payload[s.offset as usize..end as usize];
            sections.push((s, data));
        }
        Ok(Self {
            manifest: header.manifest,
            sections,
        })
    }

    pub fn section(&self, name: &str) -> Result<&'a [u8]> {
        self.sections
            .iter()
            .find(|(s, _)| s.name == name)
            .map(|(_, d)| *d)
            .ok_or_else(|| bad(format!("the library has no '{name}' section")))
    }

    /// The sections' names, in the order they were written.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|(s, _)| s.name.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.sections.iter().any(|(s, _)| s.name == name)
    }

    /// The SHA-256 stored in a container's preamble, hex (what the page shows and checks).
    pub fn checksum_hex(bytes: &[u8]) -> Option<String> {
        (bytes.len() >= PREAMBLE && &bytes[..8] == MAGIC)
            .then(|| bytes[24..56].iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// Assembles a container section by section.
#[derive(Default)]
pub struct ContainerWriter {
    sections: Vec<Section>,
    payload: Vec<u8>,
}

impl ContainerWriter {
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        self.sections.push(Section {
            name: name.to_string(),
            offset: self.payload.len() as u64,
            len: bytes.len() as u64,
        });
        self.payload.extend_from_slice(bytes);
        self
    }

    pub fn finish(self, manifest: serde_json::Value) -> Vec<u8> {
        let header = serde_json::to_vec(&Header {
            manifest,
            sections: self.sections,
        })
        .expect("a JSON value serialises");
        let mut body = header.clone();
        body.extend_from_slice(&self.payload);
        let mut out = Vec::with_capacity(PREAMBLE + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&(self.payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&body));
        out.extend_from_slice(&body);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<u8> {
        let mut w = ContainerWriter::default();
        w.add("a", b"hello").add("b", &[1, 2, 3]);
        w.finish(serde_json::json!({"cases": 2}))
    }

    #[test]
    fn round_trips_sections_and_manifest() {
        let bytes = sample();
        let c = Container::parse(&bytes).unwrap();
        assert_eq!(c.section("a").unwrap(), b"hello");
        assert_eq!(c.section("b").unwrap(), &[1, 2, 3]);
        assert_eq!(c.manifest["cases"], 2);
        assert!(c
            .section("c")
            .unwrap_err()
            .to_string()
            .contains("no 'c' section"));
        assert_eq!(Container::checksum_hex(&bytes).unwrap().len(), 64);
    }

    #[test]
    fn damage_is_named() {
        let good = sample();
        let msg = |b: &[u8]| Container::parse(b).unwrap_err().to_string();
        assert!(msg(b"PK\x03\x04 a zip file").contains("not an ECGMatch case library"));
        assert!(msg(&good[..good.len() - 1]).contains("truncated"));
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(msg(&flipped).contains("checksum does not match"));
        let mut newer = good.clone();
        newer[8] = 2;
        assert!(msg(&newer).contains("format version 2"));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..400) {
            let _ = Container::parse(&bytes);
            let good = sample();
            let _ = Container::parse(&good[..cut.min(good.len())]);
            let mut spliced = good.clone();
            for (i, b) in bytes.iter().enumerate() {
                if let Some(slot) = spliced.get_mut(8 + i) { *slot = *b; }
            }
            let _ = Container::parse(&spliced);
        }
    }
}
