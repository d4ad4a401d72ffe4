//! One representation of an ECG, whatever file it came from.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The twelve standard leads, in the order in which they are usually listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Lead {
    I,
    II,
    III,
    AVR,
    AVL,
    AVF,
    V1,
    V2,
    V3,
    V4,
    V5,
    V6,
}

impl Lead {
    pub const STANDARD: [Lead; 12] = [
        Lead::I,
        Lead::II,
        Lead::III,
        Lead::AVR,
        Lead::AVL,
        Lead::AVF,
        Lead::V1,
        Lead::V2,
        Lead::V3,
        Lead::V4,
        Lead::V5,
        Lead::V6,
    ];

    /// The standard 3×4 print layout: rows (I, aVR, V1, V4), (II, aVL, V2, V5), (III, aVF,
    /// V3, V6). The seed paper tiles its encodings in this order too.
    pub const PRINT_GRID: [[Lead; 4]; 3] = [
        [Lead::I, Lead::AVR, Lead::V1, Lead::V4],
        [Lead::II, Lead::AVL, Lead::V2, Lead::V5],
        [Lead::III, Lead::AVF, Lead::V3, Lead::V6],
    ];

    /// The printed label: `I`, `aVR`, `V1`, …
    pub fn label(self) -> &'static str {
        match self {
            Lead::I => "I",
            Lead::II => "II",
            Lead::III => "III",
            Lead::AVR => "aVR",
            Lead::AVL => "aVL",
            Lead::AVF => "aVF",
            Lead::V1 => "V1",
            Lead::V2 => "V2",
            Lead::V3 => "V3",
            Lead::V4 => "V4",
            Lead::V5 => "V5",
            Lead::V6 => "V6",
        }
    }

    /// Position in [`Lead::STANDARD`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Recognises the names that carts and databases write for each lead,
    /// case-insensitively: `aVR`, `AVR`, `avr`, `Lead II`, `v1`, `MDC_ECG_LEAD_V1`, …
    pub fn from_name(name: &str) -> Option<Lead> {
        // DICOM writes notes in brackets: `Lead I (Einthoven)`.
        let name = name.split('(').next().unwrap_or(name);
        let mut key: String = name
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        // EDF+ writes `ECG I`, HL7 `MDC_ECG_LEAD_I`, others `Lead I`.
        for prefix in ["MDCECGLEAD", "LEAD", "ECG"] {
            if let Some(rest) = key.strip_prefix(prefix) {
                key = rest.to_string();
            }
        }
        Some(match key.as_str() {
            "I" | "1" => Lead::I,
            "II" | "2" => Lead::II,
            "III" | "3" => Lead::III,
            "AVR" => Lead::AVR,
            "AVL" => Lead::AVL,
            "AVF" => Lead::AVF,
            "V1" => Lead::V1,
            "V2" => Lead::V2,
            "V3" => Lead::V3,
            "V4" => Lead::V4,
            "V5" => Lead::V5,
            "V6" => Lead::V6,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    Male,
    Female,
}

/// What the file says about the patient and the recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub age: Option<f32>,
    pub sex: Option<Sex>,
    /// As written in the file (for WFDB `DD/MM/YYYY` and/or `HH:MM:SS`).
    pub date: Option<String>,
    pub comments: Vec<String>,
    /// The file format the record was read from, e.g. `GE MUSE XML`.
    pub format: Option<String>,
    /// Diagnostic statements the file carries (a cart's interpretation, `# Dx:` lines).
    pub statements: Vec<String>,
    /// Set when the amplitude units were not stated in the file but guessed from the values,
    /// so that the user can confirm or correct them.
    pub guessed_units: Option<AmplitudeUnits>,
}

/// The amplitude unit of a file that does not state its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmplitudeUnits {
    Microvolts,
    Millivolts,
}

impl AmplitudeUnits {
    pub fn label(self) -> &'static str {
        match self {
            AmplitudeUnits::Microvolts => "\u{b5}V",
            AmplitudeUnits::Millivolts => "mV",
        }
    }

    pub fn millivolts_per_unit(self) -> f32 {
        match self {
            AmplitudeUnits::Microvolts => 0.001,
            AmplitudeUnits::Millivolts => 1.0,
        }
    }
}

/// One recorded signal. ECG leads are in millivolts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// The name as the file writes it.
    pub name: String,
    /// The standard lead this channel is, if it is one.
    pub lead: Option<Lead>,
    /// Physical units of `samples`: `mV` for every ECG lead.
    pub units: String,
    pub samples: Vec<f32>,
    /// Computed from other leads rather than recorded.
    pub derived: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub name: String,
    /// Samples per second, shared by every channel.
    pub sampling_rate: f64,
    pub channels: Vec<Channel>,
    pub metadata: Metadata,
    /// Problems that did not stop the read (a checksum mismatch, say).
    pub warnings: Vec<String>,
}

/// A limb lead computed from leads I and II.
pub type FromIAndII = fn(f32, f32) -> f32;

/// The limb leads a cart computes from I and II (Einthoven: III = II − I; Goldberger:
/// aVR = −(I+II)/2, aVL = I − II/2, aVF = II − I/2).
pub const LIMB_LEADS_FROM_I_AND_II: [(Lead, FromIAndII); 4] = [
    (Lead::III, |i, ii| ii - i),
    (Lead::AVR, |i, ii| -(i + ii) / 2.0),
    (Lead::AVL, |i, ii| i - ii / 2.0),
    (Lead::AVF, |i, ii| ii - i / 2.0),
];

impl Record {
    pub fn num_samples(&self) -> usize {
        self.channels
            .iter()
            .map(|c| c.samples.len())
            .max()
            .unwrap_or(0)
    }

    pub fn duration_s(&self) -> f64 {
        if self.sampling_rate > 0.0 {
            self.num_samples() as f64 / self.sampling_rate
        } else {
            0.0
        }
    }

    pub fn lead(&self, lead: Lead) -> Option<&Channel> {
        self.channels.iter().find(|c| c.lead == Some(lead))
    }

    /// The standard leads present, in standard order.
    pub fn standard_leads(&self) -> Vec<Lead> {
        Lead::STANDARD
            .into_iter()
            .filter(|l| self.lead(*l).is_some())
            .collect()
    }

    /// Derives III, aVR, aVL and aVF from I and II where they are missing
    /// ([`LIMB_LEADS_FROM_I_AND_II`]).
    /// The first `seconds` of the record, for small examples and fuzz seeds.
    pub fn excerpt(&self, seconds: f64) -> Record {
        let keep = (seconds * self.sampling_rate).round().max(1.0) as usize;
        let mut out = self.clone();
        for channel in &mut out.channels {
            channel.samples.truncate(keep);
        }
        out
    }

    /// The record's channels that carry a standard lead, in its order: what a writer of a format
    /// that names every lead stores. An error where there is none, rather than an empty document.
    pub fn standard_channels(&self) -> Result<Vec<&Channel>> {
        let leads: Vec<&Channel> = self.channels.iter().filter(|c| c.lead.is_some()).collect();
        if leads.is_empty() {
            return Err(Error::NothingToWrite {
                record: self.name.clone(),
                message: "the record has no standard ECG lead to write".into(),
            });
        }
        Ok(leads)
    }

    /// A digest of the record's name, rate and samples: writers derive their document ids from it,
    /// so that writing the same record twice gives the same file (fixtures stay stable) and
    /// different records differ.
    pub fn content_digest(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(self.name.as_bytes());
        hash.update(self.sampling_rate.to_le_bytes());
        for channel in &self.channels {
            hash.update(channel.name.as_bytes());
            for sample in &channel.samples {
                hash.update(sample.to_le_bytes());
            }
        }
        hash.finalize().into()
    }

    pub fn derive_missing_limb_leads(&mut self) {
        let (Some(i), Some(ii)) = (self.lead(Lead::I), self.lead(Lead::II)) else {
            return;
        };
        let (i, ii) = (i.samples.clone(), ii.samples.clone());
        for (lead, f) in LIMB_LEADS_FROM_I_AND_II {
            if self.lead(lead).is_none() {
                self.channels.push(Channel {
                    name: lead.label().to_string(),
                    lead: Some(lead),
                    units: "mV".to_string(),
                    samples: i.iter().zip(&ii).map(|(a, b)| f(*a, *b)).collect(),
                    derived: true,
                });
            }
        }
    }

    /// The twelve standard leads as rows of equal length; missing leads are `None`.
    pub fn twelve_leads(&self) -> [Option<&[f32]>; 12] {
        Lead::STANDARD.map(|l| self.lead(l).map(|c| c.samples.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_aliases_are_recognised() {
        assert_eq!(Lead::from_name("AVR"), Some(Lead::AVR));
        assert_eq!(Lead::from_name("avl"), Some(Lead::AVL));
        assert_eq!(Lead::from_name("v1"), Some(Lead::V1));
        assert_eq!(Lead::from_name(" Lead II "), Some(Lead::II));
        assert_eq!(Lead::from_name("MDC_ECG_LEAD_V6"), Some(Lead::V6));
        assert_eq!(Lead::from_name("ECG aVF"), Some(Lead::AVF));
        assert_eq!(Lead::from_name("Lead I (Einthoven)"), Some(Lead::I));
        assert_eq!(Lead::from_name("MLII"), None);
        assert_eq!(Lead::from_name("ABP"), None);
        for l in Lead::STANDARD {
            assert_eq!(Lead::from_name(l.label()), Some(l));
        }
    }

    fn channel(lead: Lead, samples: Vec<f32>) -> Channel {
        Channel {
            name: lead.label().into(),
            lead: Some(lead),
            units: "mV".into(),
            samples,
            derived: false,
        }
    }

    #[test]
    fn limb_leads_follow_einthoven_and_goldberger() {
        let mut r = Record {
            name: "t".into(),
            sampling_rate: 100.0,
            channels: vec![
                channel(Lead::I, vec![1.0, 0.5]),
                channel(Lead::II, vec![2.0, -1.0]),
            ],
            metadata: Metadata::default(),
            warnings: vec![],
        };
        r.derive_missing_limb_leads();
        assert_eq!(r.lead(Lead::III).unwrap().samples, vec![1.0, -1.5]);
        assert_eq!(r.lead(Lead::AVR).unwrap().samples, vec![-1.5, 0.25]);
        assert_eq!(r.lead(Lead::AVL).unwrap().samples, vec![0.0, 1.0]);
        assert_eq!(r.lead(Lead::AVF).unwrap().samples, vec![1.5, -1.25]);
        assert!(r.lead(Lead::AVF).unwrap().derived);
        assert!(!r.lead(Lead::I).unwrap().derived);
        // Einthoven's law holds for the derived set: I + III = II.
        let iii = &r.lead(Lead::III).unwrap().samples;
        assert_eq!(1.0 + iii[0], 2.0);
    }

    #[test]
    fn recorded_leads_are_not_replaced() {
        let mut r = Record {
            name: "t".into(),
            sampling_rate: 100.0,
            channels: vec![
                channel(Lead::I, vec![1.0]),
                channel(Lead::II, vec![2.0]),
                channel(Lead::III, vec![7.0]),
            ],
            metadata: Metadata::default(),
            warnings: vec![],
        };
        r.derive_missing_limb_leads();
        assert_eq!(r.lead(Lead::III).unwrap().samples, vec![7.0]);
        assert_eq!(r.channels.len(), 6);
    }
}
