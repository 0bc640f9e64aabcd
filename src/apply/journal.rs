//! The journal: one JSON line per event, written and synced before each action acts, so
//! that rollback knows exactly what was done even after a crash.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::atomic::Ownership;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Entry {
    /// About to act.
    Begin {
        seq: u64,
        at: String,
        step: String,
        action: JournalAction,
    },
    /// The action with this `seq` completed.
    Done { seq: u64, at: String },
    /// The action with this `seq` failed.
    Failed { seq: u64, at: String, error: String },
    /// The action with this `seq` was reversed (after a failure, or by rollback).
    Undone { seq: u64, at: String },
    /// A handler ran (`reloaded`) or was `skipped`.
    Handler {
        at: String,
        name: String,
        service: String,
        result: String,
        test: Vec<String>,
        reload: Vec<String>,
        #[serde(default)]
        running: Vec<String>,
    },
    /// A checklist item was shown to the person applying.
    Manual {
        at: String,
        step: String,
        text: String,
    },
    /// The run was rolled back.
    RolledBack { at: String, forced: bool },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum JournalAction {
    Write {
        /// Host path.
        file: String,
        /// Real path (under `--root`).
        real: PathBuf,
        /// Backup of the old bytes, relative to the run dir; `None` when the file was new.
        backup: Option<String>,
        ownership: Option<Ownership>,
        before_sha256: Option<String>,
        after_sha256: String,
    },
    Command {
        /// As shown (secrets redacted).
        argv: Vec<String>,
        /// The undo command; `None` when there is none or it holds a secret.
        undo: Option<Vec<String>>,
        mutating: bool,
    },
}

pub struct Journal {
    file: File,
    path: PathBuf,
    next: u64,
}

impl Journal {
    pub fn create(run_dir: &Path) -> Result<Journal> {
        let path = run_dir.join("journal.jsonl");
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let next = read(run_dir).map(|e| e.len() as u64 + 1).unwrap_or(1);
        Ok(Journal { file, path, next })
    }

    /// A fresh sequence number for a `Begin`.
    pub fn seq(&mut self) -> u64 {
        let seq = self.next;
        self.next += 1;
        seq
    }

    /// Append and sync one entry.
    pub fn write(&mut self, entry: &Entry) -> Result<()> {
        let mut line = serde_json::to_string(entry)?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("cannot write journal {}", self.path.display()))
    }
}

/// Every entry of a run's journal (a torn last line from a crash is ignored).
pub fn read(run_dir: &Path) -> Result<Vec<Entry>> {
    let path = run_dir.join("journal.jsonl");
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut entries = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        if let Ok(entry) = serde_json::from_str(&line) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// Save the old bytes of a file before it changes.
pub fn backup(run_dir: &Path, seq: u64, bytes: &[u8]) -> Result<String> {
    let dir = run_dir.join("backups");
    fs::create_dir_all(&dir)?;
    let name = format!("backups/{seq}");
    let mut file = File::create(run_dir.join(&name))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(name)
}

pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}
