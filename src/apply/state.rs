//! Runs in the state dir: `runs/<id>/run.json`, `journal.jsonl`, `backups/`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::atomic::{self, Ownership};

/// The summary of one run, shown by `runbook history`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    pub runbook: String,
    pub title: String,
    pub started: String,
    pub finished: Option<String>,
    pub mode: String,
    pub root: String,
    pub params: IndexMap<String, Value>,
    /// Host paths written.
    pub changed_files: Vec<String>,
    /// Mutating commands run.
    pub commands: Vec<Vec<String>>,
    /// `running`, `applied`, `failed`, `interrupted`, `rolled-back`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RunRecord {
    pub fn changed_something(&self) -> bool {
        !self.changed_files.is_empty() || !self.commands.is_empty()
    }
}

pub fn runs_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("runs")
}

/// A new, unique run id that sorts by time: `20261122T231945Z-3f2a`.
pub fn new_run_id(state_dir: &Path) -> String {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let mut n = std::process::id() as u64 ^ jiff::Timestamp::now().subsec_nanosecond() as u64;
    loop {
        let id = format!("{stamp}-{:04x}", n & 0xffff);
        if !runs_dir(state_dir).join(&id).exists() {
            return id;
        }
        n = n.wrapping_add(1);
    }
}

pub fn save(state_dir: &Path, record: &RunRecord) -> Result<()> {
    let dir = runs_dir(state_dir).join(&record.id);
    fs::create_dir_all(&dir)?;
    let path = dir.join("run.json");
    let json = serde_json::to_vec_pretty(record)?;
    let ownership = Ownership {
        mode: 0o600,
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
    };
    atomic::write(&path, &json, ownership)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Every run, oldest first.
pub fn list(state_dir: &Path) -> Result<Vec<RunRecord>> {
    let dir = runs_dir(state_dir);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut runs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path().join("run.json");
        if let Ok(bytes) = fs::read(&path) {
            let record: RunRecord = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a run record", path.display()))?;
            runs.push(record);
        }
    }
    // By start time: two runs in the same second have ids that do not sort by time.
    runs.sort_by_key(|r| (r.started.parse::<jiff::Timestamp>().ok(), r.id.clone()));
    Ok(runs)
}

/// A run by id, or the most recent one that changed something.
pub fn find(state_dir: &Path, id: Option<&str>) -> Result<RunRecord> {
    let runs = list(state_dir)?;
    match id {
        Some(id) => runs.into_iter().find(|r| r.id == id).with_context(|| {
            format!(
                "no run `{id}` in {}; see `runbook history`",
                state_dir.display()
            )
        }),
        None => {
            let Some(last) = runs.into_iter().rev().find(RunRecord::changed_something) else {
                bail!(
                    "no run that changed something in {}; see `runbook history`",
                    state_dir.display()
                );
            };
            Ok(last)
        }
    }
}
