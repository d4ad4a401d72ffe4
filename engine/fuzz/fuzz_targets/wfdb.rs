//! A WFDB drop from arbitrary bytes: a header and up to two signal files, separated by
//! `SEPARATOR`. The signal files take the names the header gives, so that the fuzzer reaches
//! the decoders instead of stopping at "missing file".
#![no_main]

use ecgmatch_formats::{wfdb::WfdbReader, RecordReader};
use ecgmatch_formats::{read_records, InputFile};
use ecgmatch_engine_fuzz::check;
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"\n--dat--\n";

fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    while parts.len() < 2 {
        let Some(at) = data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) else { break };
        parts.push(&data[..at]);
        data = &data[at + SEPARATOR.len()..];
    }
    parts.push(data);
    parts
}

fuzz_target!(|data: &[u8]| {
    let parts = split(data);
    let header = InputFile::new("r.hea", parts[0].to_vec());
    let names = WfdbReader.companions(&header);
    let mut files = vec![header];
    for (k, part) in parts[1..].iter().enumerate() {
        let name = names.get(k).cloned().unwrap_or_else(|| format!("r{k}.dat"));
        files.push(InputFile::new(name, part.to_vec()));
    }
    check(read_records(&files));
});
