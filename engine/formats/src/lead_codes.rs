//! The SCP-ECG lead numbers (EN 1064, section 3's lead identification), which DICOM's MDC lead
//! codes `2:n` share: one table for both formats' readers and writers.

use crate::Lead;

/// SCP-ECG lead numbers (section 3's lead identification) of the twelve standard leads, in
/// [`Lead::STANDARD`] order. DICOM's MDC codes `2:n` use the same numbers.
const STANDARD_NUMBERS: [u8; 12] = [1, 2, 61, 62, 63, 64, 3, 4, 5, 6, 7, 8];

/// The printed name of an SCP-ECG lead number; numbers of other leads keep the number, in a
/// form that no reader mistakes for a standard lead.
pub fn lead_name(number: u8) -> String {
    match STANDARD_NUMBERS.iter().position(|&n| n == number) {
        Some(index) => Lead::STANDARD[index].label().to_string(),
        None => format!("SCP lead {number}"),
    }
}

/// The SCP-ECG number of a standard lead.
pub fn lead_number(lead: Lead) -> u8 {
    STANDARD_NUMBERS[lead.index()]
}
