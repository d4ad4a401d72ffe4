//! Checkpoints (model weights as safetensors after every epoch), the run log, and the
//! small formatting the progress line needs.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::store::{ModuleSnapshot, SafetensorsStore};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use ecgmatch_model::clip::Clip;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Last finished epoch, from 0.
    pub epoch: usize,
    /// The epoch (from 0) with the lowest fold-9 loss so far, and that loss.
    #[serde(default)]
    pub best: Option<(usize, f64)>,
}

impl State {
    pub fn model_path(&self, dir: &Path) -> PathBuf {
        epoch_path(dir, self.epoch)
    }

    /// The checkpoint to ship and evaluate: the best by validation, else the last.
    pub fn best_model_path(&self, dir: &Path) -> PathBuf {
        epoch_path(dir, self.best.map_or(self.epoch, |(e, _)| e))
    }
}

fn epoch_path(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!("epoch-{}.safetensors", epoch + 1))
}

fn err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Training(format!("{}: {e}", path.display()))
}

pub fn save(model: &Clip, dir: &Path, state: State) -> Result<()> {
    let path = state.model_path(dir);
    let mut store = SafetensorsStore::from_file(&path).overwrite(true);
    model.save_into(&mut store).map_err(|e| err(&path, e))?;
    let state_path = dir.join("state.json");
    std::fs::write(&state_path, serde_json::to_string(&state).unwrap())
        .map_err(|e| err(&state_path, e))
}

pub fn latest(dir: &Path) -> Result<Option<State>> {
    let path = dir.join("state.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| err(&path, e)),
        Err(_) => Ok(None),
    }
}

pub fn load_model(mut model: Clip, path: &Path) -> Result<Clip> {
    let mut store = SafetensorsStore::from_file(path);
    model.load_from(&mut store).map_err(|e| err(path, e))?;
    Ok(model)
}

/// One JSON object per line, appended as training goes.
pub struct Log(std::fs::File);

impl Log {
    pub fn open(path: &Path) -> Result<Self> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(Log)
            .map_err(|e| err(path, e))
    }

    pub fn write(&mut self, value: &serde_json::Value) -> Result<()> {
        writeln!(self.0, "{value}").map_err(|e| Error::Training(format!("training log: {e}")))
    }
}

pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}
