//! Image encodings of a time series, each matching pyts 0.14.
