//! Hostile files, made here and run through the CLI (`make hostile`).
//!
//! Writes at least one damaged or malicious file of every format the engine reads (and of the
//! pictures and PDFs it digitizes) into `--dir`, each made from the real PTB-XL record 00009 by
//! the project's own writers and then damaged, or built byte by byte where a writer cannot make
//! the damage. Then runs each through `ecgmatch info` and `search` (pictures through
//! `digitize`), and prints per file and command the outcome, the wall time and the peak memory.
//! Fails when a command panics, aborts, hangs, answers a refusal without a message, or, for
//! files of at most 10 MB, takes over 2 s or 1 GB.
//!
//! Usage: hostile --cli target/release/ecgmatch --dir DIR [--bundle LIBRARY]
//! (without `--bundle`, `search` uses the CLI's default, the shipped library)

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ecgmatch_formats::write::OutputFormat;
use ecgmatch_formats::Record;
use ecgmatch_testkit::{jpeg_header, png_header};

/// What the issue asks of every file of at most this size.
const SMALL_FILE: u64 = 10_000_000;
const MAX_SECONDS: f64 = 2.0;
const MAX_PEAK_KB: u64 = 1_000_000;
/// A command still running after this is killed and reported as hanging.
const HANG: Duration = Duration::from_secs(20);

/// One hostile input: its files (the first is the one named on the command line) and what it
/// tries.
struct Hostile {
    name: &'static str,
    tries: &'static str,
    files: Vec<(String, Vec<u8>)>,
    picture: bool,
}

fn signal(name: &'static str, tries: &'static str, files: Vec<(String, Vec<u8>)>) -> Hostile {
    Hostile {
        name,
        tries,
        files,
        picture: false,
    }
}

fn picture(name: &'static str, tries: &'static str, file: (String, Vec<u8>)) -> Hostile {
    Hostile {
        name,
        tries,
        files: vec![file],
        picture: true,
    }
}

/// Deterministic bytes (xorshift), so that every run makes the same files.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// Replaces the first `from` in `bytes` by `to` (which the caller knows is there).
fn replace(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("{from:?} is not in the written file"));
    [&bytes[..at], to.as_bytes(), &bytes[at + from.len()..]].concat()
}

/// Overwrites `bytes[at..]` with `with`.
fn overwrite(mut bytes: Vec<u8>, at: usize, with: &[u8]) -> Vec<u8> {
    bytes[at..at + with.len()].copy_from_slice(with);
    bytes
}

/// An EDF header field (`width` bytes at `at`) set to `value`, space-padded.
fn edf_field(bytes: Vec<u8>, at: usize, width: usize, value: &str) -> Vec<u8> {
    let mut field = value.as_bytes().to_vec();
    field.resize(width, b' ');
    overwrite(bytes, at, &field)
}

/// A WFDB record `h`: a header with `lines` after the record line, and its signal file.
fn wfdb(
    record_line: &str,
    signal_line: &str,
    signals: usize,
    dat: Vec<u8>,
) -> Vec<(String, Vec<u8>)> {
    let mut header = format!("{record_line}\n");
    for lead in [
        "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
    ]
    .iter()
    .cycle()
    .take(signals)
    {
        header.push_str(&format!("{signal_line} {lead}\n"));
    }
    vec![("h.hea".into(), header.into_bytes()), ("h.dat".into(), dat)]
}

/// The record's samples in WFDB format 16 (1 µV steps), frame after frame.
fn format16(record: &Record) -> Vec<u8> {
    let n = record.num_samples();
    (0..n)
        .flat_map(|i| {
            record
                .channels
                .iter()
                .flat_map(move |c| ((c.samples[i] * 1000.0).round() as i16).to_le_bytes())
        })
        .collect()
}

/// A one-page PDF showing one picture, as a scanner writes it.
fn pdf(dictionary: &str, data: &[u8]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
    out.extend_from_slice(
        format!(
            "2 0 obj\n<< /Type /XObject /Subtype /Image {dictionary} /Length {} >>\nstream\n",
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

fn written(format: OutputFormat, record: &Record) -> Vec<u8> {
    format
        .write(record)
        .unwrap_or_else(|e| panic!("writing {}: {e}", format.name()))
}

fn hostile_files(record: &Record) -> Vec<Hostile> {
    let one = |name: &str, bytes: Vec<u8>| vec![(name.to_string(), bytes)];
    let dat = format16(record);
    let line = "h.dat 16 1000/mV 16 0 0 0 0";
    let edf = written(OutputFormat::Edf, record);
    let csv = written(OutputFormat::Csv, record);
    let muse = written(OutputFormat::Muse, record);
    let hl7 = written(OutputFormat::Hl7Aecg, record);
    let philips = written(OutputFormat::Philips, record);
    let dicom = written(OutputFormat::Dicom, record);
    let scp = written(OutputFormat::Scp, record);
    let xml_body = |xml: &[u8]| {
        let text = String::from_utf8_lossy(xml).into_owned();
        let start = text.find("?>").map_or(0, |i| i + 2);
        text[start..].to_string()
    };
    // The entity bomb that once slipped past the DTD scan: a `]` inside a comment.
    let laughs = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE AnnotatedECG [<!-- ] --><!ENTITY a \"{}\">{}]>{}",
        "lol".repeat(10),
        (1..10)
            .map(|i| format!(
                "<!ENTITY {} \"{}\">",
                (b'a' + i) as char,
                format!("&{};", (b'a' + i - 1) as char).repeat(10)
            ))
            .collect::<String>(),
        xml_body(&hl7).replacen("<", "<!-- &j; -->\n<", 1)
    );
    let deep = format!(
        "<?xml version=\"1.0\"?>\n<AnnotatedECG>{}{}</AnnotatedECG>",
        "<component>".repeat(500_000),
        "</component>".repeat(500_000)
    );
    let external = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE AnnotatedECG SYSTEM \"file:///etc/passwd\">{}",
        xml_body(&hl7)
    );
    let long_rows: String = std::iter::once("time_s,I,II\n".to_string())
        .chain((0..600_000).map(|i| format!("{:.3},0.1,0.2\n", i as f64 * 1e-9)))
        .collect();
    let wide_line = format!("I,II\n{}\n", "0.1,".repeat(2_500_000));
    let nan_csv = format!(
        "time_s,I,II,III\n{}",
        (0..1000)
            .map(|i| format!("{:.2},NaN,inf,-inf\n", i as f64 / 100.0))
            .collect::<String>()
    );
    // DICOM Patient's Age (0010,1010) whose last character is not ASCII, after the dataset.
    let mut dicom_age = dicom.clone();
    dicom_age.extend_from_slice(b"\x10\x00\x10\x10AS\x06\x00005\xe2\x82\xac");
    let mut dicom_length = dicom.clone();
    dicom_length.extend_from_slice(b"\x10\x00\x20\x00LO\xff\xff");
    dicom_length.extend_from_slice(b"\x09\x00\x10\x00UN\x00\x00\xf0\xff\xff\xff");
    // An EDF+D whose last record is stamped at the start, over the first (the writer's
    // time-keeping slots hold no longer stamp; a long gap is a unit test of the reader).
    let last_stamp = edf
        .windows(3)
        .position(|w| w == b"+9\x14")
        .expect("the EDF writer stamps record 9");
    let edf_overlap = overwrite(edf_field(edf.clone(), 192, 44, "EDF+D"), last_stamp, b"+0");
    // 4 MB of `>> stream` (the scan once searched 64 KB back for each).
    let streams = [b"%PDF-1.4\n".as_slice(), &b">> stream\n".repeat(400_000)].concat();
    let flate_zeros = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 7000 * 7000 * 3], 9);
    vec![
        // WFDB
        signal("wfdb-rate-0.0004hz", "a sampling rate that once divided by zero", wfdb("h 12 0.0004 1000", line, 12, dat.clone())),
        signal("wfdb-rate-1e300hz", "an absurd sampling rate", wfdb("h 12 1e300 1000", line, 12, dat.clone())),
        signal("wfdb-gain-1e-300", "a gain under which samples overflow to infinity", wfdb("h 12 100 1000", "h.dat 16 1e-300/mV 16 0 0 0 0", 12, dat.clone())),
        signal("wfdb-skew-past-end", "a skew beyond the record's end", wfdb("h 12 100 1000", "h.dat 16:5000 1000/mV 16 0 0 0 0", 12, dat.clone())),
        signal("wfdb-truncated", "a signal file half as long as the header says", wfdb("h 12 100 1000", line, 12, dat[..dat.len() / 2].to_vec())),
        signal("wfdb-all-invalid", "every sample WFDB's invalid value", wfdb("h 12 100 1000", line, 12, [0x00, 0x80].repeat(12_000))),
        signal("wfdb-zeros", "a flat record", wfdb("h 12 100 1000", line, 12, vec![0; 24_000])),
        signal("wfdb-trillion-samples", "a header promising 10^12 samples", wfdb("h 12 100 1000000000000", line, 12, dat.clone())),
        signal("wfdb-50000-files", "a header naming 50,000 signal files", {
            let mut header = "h 50000 100 1000\n".to_string();
            for i in 0..50_000 {
                header.push_str(&format!("f{i}.dat 16 1000/mV 16 0 0 0 0 x{i}\n"));
            }
            one("h.hea", header.into_bytes())
        }),
        signal("wfdb-10mb-format80", "10 MB of noise in format 80, 12 leads at 500 Hz", wfdb("h 12 500 833333", "h.dat 80 100/mV 8 0 0 0 0", 12, noise(12 * 833_333, 80))),
        // EDF
        signal("edf-duration-1e8s", "a record duration that gives a rate near zero", one("h.edf", edf_field(edf.clone(), 244, 8, "99999999"))),
        signal("edf-records-huge", "a header promising 99,999,999 records", one("h.edf", edf_field(edf.clone(), 236, 8, "99999999"))),
        signal("edf-records-negative", "a record count of -1 (unknown) over a truncated file", one("h.edf", edf_field(edf[..edf.len() - 500].to_vec(), 236, 8, "-1"))),
        signal("edf-signals-9999", "a header claiming 9,999 signals", one("h.edf", edf_field(edf.clone(), 252, 4, "9999"))),
        signal("edf+d-overlap", "an EDF+D record stamped over the first", one("h.edf", edf_overlap)),
        signal("edf-garbage-body", "a valid header over 10 MB of noise", one("h.edf", [&edf[..3584], noise(10_000_000, 3).as_slice()].concat())),
        // CSV
        signal("csv-time-step-1ns", "a time column stepping 1 ns (a 1 GHz rate), 600,000 rows", one("h.csv", long_rows.into_bytes())),
        signal("csv-5-million-cells", "one line of 2.5 million cells", one("h.csv", wide_line.into_bytes())),
        signal("csv-nan-inf", "columns of NaN and infinities", one("h.csv", nan_csv.into_bytes())),
        signal("csv-binary", "10 MB of noise named .csv", one("h.csv", noise(10_000_000, 4))),
        signal("csv-header-only", "a header and no rows", one("h.csv", csv[..csv.iter().position(|&b| b == b'\n').unwrap_or(0) + 1].to_vec())),
        // XML formats
        signal("hl7-entity-bomb", "a billion-laughs DTD hidden behind a `]` in a comment", one("h.xml", laughs.into_bytes())),
        signal("hl7-external-entity", "an external DTD (file:///etc/passwd)", one("h.xml", external.into_bytes())),
        signal("hl7-deep-nesting", "500,000 nested elements", one("h.xml", deep.into_bytes())),
        signal("hl7-rate-tiny", "a sample increment of 10^6 s", one("h.xml", replace(&hl7, "<increment value=\"0.01\" unit=\"s\"/>", "<increment value=\"1000000\" unit=\"s\"/>"))),
        signal("muse-rate-zero", "a sample base of 0", one("h.xml", replace(&muse, "<SampleBase>100</SampleBase>", "<SampleBase>0</SampleBase>"))),
        signal("muse-base64-garbage", "waveform data that is not Base64", one("h.xml", String::from_utf8_lossy(&muse).replace("<WaveFormData>", "<WaveFormData>!!!*** ").into_bytes())),
        signal("philips-rate-huge", "a sampling rate of 10^12 Hz", one("h.xml", replace(&philips, "samplespersecond=\"100\"", "samplespersecond=\"1000000000000\""))),
        signal("xml-truncated", "an HL7 aECG cut in the middle", one("h.xml", hl7[..hl7.len() / 2].to_vec())),
        // DICOM
        signal("dicom-age-non-ascii", "a Patient's Age ending in a multi-byte character", one("h.dcm", dicom_age)),
        signal("dicom-length-4gb", "elements declaring 64 KB and 4 GB lengths", one("h.dcm", dicom_length)),
        signal("dicom-truncated", "a DICOM file cut in the middle", one("h.dcm", dicom[..dicom.len() / 2].to_vec())),
        signal("dicom-noise-body", "a DICOM preamble over noise", one("h.dcm", [&dicom[..132], noise(1_000_000, 5).as_slice()].concat())),
        // SCP-ECG
        signal("scp-truncated", "an SCP-ECG file cut in the middle", one("h.scp", scp[..scp.len() / 2].to_vec())),
        signal("scp-length-huge", "a record length field of 4 GB", one("h.scp", overwrite(scp.clone(), 2, &u32::MAX.to_le_bytes()))),
        signal("scp-bit-flips", "every 50th byte inverted", one("h.scp", scp.iter().enumerate().map(|(i, b)| if i % 50 == 7 { !b } else { *b }).collect())),
        // Any format
        signal("empty", "an empty file", one("h.dat", Vec::new())),
        signal("noise-10mb", "10 MB of noise", one("h.bin", noise(10_000_000, 6))),
        signal("zeros-10mb", "10 MB of zeros", one("h.bin", vec![0; 10_000_000])),
        // Pictures and PDFs
        picture("png-65535-square", "a PNG header asking for 4.3 gigapixels", ("h.png".into(), png_header(65_535, 65_535))),
        picture("png-truncated", "a PNG header and no pixels", ("h.png".into(), png_header(1200, 900))),
        picture("jpeg-60000x50000", "a JPEG header asking for 3 gigapixels", ("h.jpg".into(), jpeg_header(60_000, 50_000, b"\xff\xd9"))),
        picture("bmp-noise", "a picture of noise, no ECG", ("h.bmp".into(), {
            let (w, h) = (800u32, 600u32);
            let mut bmp = b"BM".to_vec();
            bmp.extend_from_slice(&(54 + w * h * 3).to_le_bytes());
            bmp.extend_from_slice(&[0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0]);
            bmp.extend_from_slice(&w.to_le_bytes());
            bmp.extend_from_slice(&h.to_le_bytes());
            bmp.extend_from_slice(&[1, 0, 24, 0, 0, 0, 0, 0]);
            bmp.extend_from_slice(&(w * h * 3).to_le_bytes());
            bmp.extend_from_slice(&[0; 16]);
            bmp.extend(noise((w * h * 3) as usize, 7));
            bmp
        })),
        picture("pdf-stream-keywords", "4 MB of repeated `>> stream`", ("h.pdf".into(), streams)),
        picture("pdf-jpeg-bomb", "a 2000 × 1400 PDF image holding a 60000 × 50000 JPEG", ("h.pdf".into(), pdf("/Width 2000 /Height 1400 /Filter /DCTDecode", &jpeg_header(60_000, 50_000, b"\xff\xd9")))),
        picture("pdf-flate-49mp", "147 MB of pixels deflated into the largest accepted page", ("h.pdf".into(), pdf("/Width 7000 /Height 7000 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", &flate_zeros))),
        picture("pdf-encrypted", "an encrypted PDF", ("h.pdf".into(), [b"%PDF-1.4\n/Encrypt 5 0 R\n".as_slice(), &pdf("/Width 10 /Height 10", b"x")].concat())),
    ]
}

/// How one command ended.
struct Outcome {
    summary: String,
    seconds: f64,
    peak_kb: u64,
    failure: Option<String>,
}

/// Runs `command` with a watchdog and measures its wall time and peak resident memory. A
/// refusal's reason is the first line of stderr, or of stdout where `reason_on_stdout` (the
/// digitizer prints each picture's reason there and only the count on stderr).
fn run(mut command: Command, reason_on_stdout: bool) -> Outcome {
    let started = Instant::now();
    // Reaped by wait4 below, which std's `Child::wait` cannot replace: it also gives the peak.
    #[allow(clippy::zombie_processes)]
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let pid = child.id() as libc::pid_t;
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            while started.elapsed() < HANG {
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // SAFETY: `pid` is our child, not yet reaped (wait4 below has not returned).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            true
        })
    };
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `status` and `usage` outlive the call.
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let hung = watchdog.join().unwrap_or(false);
    let (stdout, stderr) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    let peak_kb = usage.ru_maxrss as u64;
    let first_line = |s: &str| {
        let line = s
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string();
        if line.chars().count() > 110 {
            format!("{}…", line.chars().take(110).collect::<String>())
        } else {
            line
        }
    };
    let warnings = stdout.matches("warning").count() + stderr.matches("warning").count();
    let (summary, failure) = if hung {
        (
            "HANG (killed after 20 s)".to_string(),
            Some("hung".to_string()),
        )
    } else if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        (
            format!("ABORT (signal {signal})"),
            Some(format!(
                "killed by signal {signal}: {}",
                first_line(&stderr)
            )),
        )
    } else {
        match libc::WEXITSTATUS(status) {
            0 => (format!("result, {warnings} warning(s)"), None),
            101 => (
                "PANIC".to_string(),
                Some(format!("panicked: {}", first_line(&stderr))),
            ),
            code => {
                let (first, second) = if reason_on_stdout {
                    (&stdout, &stderr)
                } else {
                    (&stderr, &stdout)
                };
                let message = [first_line(first), first_line(second)]
                    .into_iter()
                    .find(|l| !l.is_empty())
                    .unwrap_or_default();
                if message.is_empty() {
                    (
                        format!("exit {code}, no message"),
                        Some("refused without a message".to_string()),
                    )
                } else {
                    (format!("refused: {message}"), None)
                }
            }
        }
    };
    Outcome {
        summary,
        seconds,
        peak_kb,
        failure,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut cli, mut bundle, mut dir) = (None, None, None);
    while let Some(flag) = args.next() {
        let value = args.next().map(PathBuf::from);
        match flag.as_str() {
            "--cli" => cli = value,
            "--bundle" => bundle = value,
            "--dir" => dir = value,
            other => {
                eprintln!("unknown argument {other}; usage: hostile --cli ECGMATCH --dir DIR [--bundle LIBRARY]");
                std::process::exit(2);
            }
        }
    }
    let (Some(cli), Some(dir)) = (cli, dir) else {
        eprintln!("usage: hostile --cli ECGMATCH --dir DIR [--bundle LIBRARY]");
        std::process::exit(2);
    };
    let record = ecgmatch_testkit::ptbxl_00009();
    let hostiles = hostile_files(&record);
    let mut failures = Vec::new();
    println!("| file | size | tries | command | outcome | time (s) | peak (MB) |");
    println!("|---|---|---|---|---|---|---|");
    for hostile in &hostiles {
        let folder = dir.join(hostile.name);
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).expect("the hostile folder can be written");
        for (name, bytes) in &hostile.files {
            std::fs::write(folder.join(name), bytes).expect("a hostile file can be written");
        }
        let primary: &Path = &folder.join(&hostile.files[0].0);
        let size: u64 = hostile.files.iter().map(|(_, b)| b.len() as u64).sum();
        let commands: Vec<(&str, Vec<&std::ffi::OsStr>)> = if hostile.picture {
            vec![("digitize", vec![primary.as_os_str()])]
        } else {
            vec![
                ("info", vec![primary.as_os_str()]),
                ("search", {
                    let mut a = vec![primary.as_os_str(), "-k".as_ref(), "3".as_ref()];
                    if let Some(bundle) = &bundle {
                        a.extend(["--bundle".as_ref(), bundle.as_os_str()]);
                    }
                    a
                }),
            ]
        };
        for (verb, arguments) in commands {
            let mut command = Command::new(&cli);
            command.arg(verb).args(arguments);
            let outcome = run(command, verb == "digitize");
            let mut failure = outcome.failure.clone();
            if failure.is_none() && size <= SMALL_FILE {
                if outcome.seconds > MAX_SECONDS {
                    failure = Some(format!(
                        "took {:.2} s (at most {MAX_SECONDS} s)",
                        outcome.seconds
                    ));
                } else if outcome.peak_kb > MAX_PEAK_KB {
                    failure = Some(format!(
                        "peaked at {} MB (at most 1 GB)",
                        outcome.peak_kb / 1000
                    ));
                }
            }
            println!(
                "| {} | {:.1} MB | {} | {verb} | {}{} | {:.2} | {} |",
                hostile.name,
                size as f64 / 1e6,
                hostile.tries,
                outcome.summary.replace('|', "\\|"),
                failure
                    .as_ref()
                    .map_or(String::new(), |f| format!(" **FAIL: {f}**")),
                outcome.seconds,
                outcome.peak_kb / 1000
            );
            if let Some(f) = failure {
                failures.push(format!("{} ({verb}): {f}", hostile.name));
            }
        }
    }
    let formats =
        "WFDB, EDF/EDF+, CSV, HL7 aECG, MUSE, Philips, DICOM, SCP-ECG, PNG, JPEG, BMP, PDF";
    println!(
        "\n{} hostile inputs ({formats}); {} failure(s)",
        hostiles.len(),
        failures.len()
    );
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("FAIL {f}");
        }
        std::process::exit(1);
    }
}
