//! The PhysioNet Challenge stores WFDB signals in MATLAB v4 `.mat` files: a 20-byte matrix
//! header and the variable name `val`, then the int16 matrix (one row per signal, stored
//! column-major, which is exactly WFDB format 16's frame order). The WFDB header's byte offset
//! skips the MATLAB header; reading that header too catches a `.hea` that does not belong to its
//! `.mat` (other signal count, other length) before wrong samples reach a query.

use super::storage::Format;

/// What the WFDB header says the matrix must be.
pub struct Expected {
    pub rows: usize,
    pub columns: u64,
    pub offset: u64,
}

/// Warnings for every way the `.mat` file's own header disagrees with the WFDB header.
pub fn check(file: &str, bytes: &[u8], expected: Expected, format: Format) -> Vec<String> {
    let word = |k: usize| {
        bytes
            .get(4 * k..4 * k + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(kind), Some(rows), Some(columns), Some(_imaginary), Some(name_len)) =
        (word(0), word(1), word(2), word(3), word(4))
    else {
        return vec![format!("{file}: too short for a MATLAB v4 matrix header; samples are read at the header's byte offset")];
    };
    if !(0..=52).contains(&kind) || kind % 10 != 0 {
        return vec![format!(
            "{file}: not a little-endian MATLAB v4 numeric matrix (type code {kind}); samples are read at the header's byte offset"
        )];
    }
    let mut warnings = Vec::new();
    let precision = kind / 10;
    let matches_format = match precision {
        3 => format == Format::Int16,
        2 => format == Format::Int32,
        _ => false,
    };
    if !matches_format {
        warnings.push(format!(
            "{file}: the matrix holds {} values but the header gives storage format {format:?}",
            ["float64", "float32", "int32", "int16", "uint16", "uint8"]
                .get(precision as usize)
                .unwrap_or(&"unknown")
        ));
    }
    if usize::try_from(rows).ok() != Some(expected.rows)
        || u64::try_from(columns).ok() != Some(expected.columns)
    {
        warnings.push(format!(
            "{file}: the matrix is {rows}×{columns} but the header describes {} signals of {} samples; check that the .hea and .mat belong together",
            expected.rows, expected.columns
        ));
    }
    let data_start = u64::try_from(name_len).ok().map(|n| 20 + n);
    if data_start != Some(expected.offset) {
        warnings.push(format!(
            "{file}: the matrix data starts at byte {} but the header's byte offset is {}",
            data_start.map_or("?".to_string(), |s| s.to_string()),
            expected.offset
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: i32, rows: i32, cols: i32) -> Vec<u8> {
        let mut b: Vec<u8> = [kind, rows, cols, 0, 4]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        b.extend_from_slice(b"val\0");
        b
    }

    #[test]
    fn a_matching_challenge_header_gives_no_warning() {
        let bytes = header(30, 12, 5000);
        assert!(check(
            "r.mat",
            &bytes,
            Expected {
                rows: 12,
                columns: 5000,
                offset: 24
            },
            Format::Int16
        )
        .is_empty());
    }

    #[test]
    fn a_mismatched_header_is_named() {
        let bytes = header(30, 8, 5000);
        let w = check(
            "r.mat",
            &bytes,
            Expected {
                rows: 12,
                columns: 5000,
                offset: 24,
            },
            Format::Int16,
        );
        assert!(
            w.len() == 1 && w[0].contains("8×5000") && w[0].contains("12 signals"),
            "{w:?}"
        );
        let w = check(
            "r.mat",
            b"MATLAB 5.0 MAT-file, Platform: GLNXA64",
            Expected {
                rows: 12,
                columns: 5000,
                offset: 24,
            },
            Format::Int16,
        );
        assert!(w[0].contains("not a little-endian MATLAB v4"), "{w:?}");
    }
}
