//! The journal: one JSON line per event, written and synced before each action acts, so
//! that rollback knows exactly what was done even after a crash.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::atomic::Ownership;
use super::state_dir::Dir;
use crate::chase::FileId;

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
    /// What the command of action `seq` printed: the last lines of each stream
    /// (`apply::command::TAIL_LINES`), redacted with the run's secrets; before its
    /// `done` or `failed` line.
    Output {
        seq: u64,
        at: String,
        /// The exit status; `None` when killed by a signal or timed out.
        status: Option<i32>,
        stdout: String,
        stderr: String,
    },
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
    /// What became of each process `kill_sessions` action `seq` was to end; before its
    /// `done` line.
    Signalled {
        seq: u64,
        at: String,
        processes: Vec<super::signal::Ended>,
    },
    /// A rollback of the run began (the undone entries that follow are its work).
    RollbackBegin { at: String, forced: bool },
    /// The run was rolled back.
    RolledBack { at: String, forced: bool },
    /// A verify of the run ended (`passed`, `failed`, `interrupted`), naming the checks
    /// that failed; its numbers are in the run's `verify.json`.
    Verified {
        at: String,
        outcome: String,
        failed: Vec<String>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum JournalAction {
    Write {
        /// Host path (symlinks resolved).
        file: String,
        /// The directory written in: rollback restores only into this same one.
        dir: FileId,
        /// The site user the step allowed to own the file.
        #[serde(default)]
        owner: Option<u32>,
        /// The temp file's name beside it, removed by rollback if a crash left it.
        temp: String,
        /// Backup of the old bytes, relative to the run dir; `None` when the file was new.
        backup: Option<String>,
        ownership: Option<Ownership>,
        before_sha256: Option<String>,
        after_sha256: String,
    },
    /// A file changed through the program that owns it, given the new content on stdin;
    /// undone by giving it the backup.
    Install {
        file: String,
        installer: crate::edit::installer::Installer,
        /// The content as the program listed it before, relative to the run dir.
        backup: String,
        before_sha256: String,
        after_sha256: String,
    },
    /// Queued messages moved into the run's quarantine; undone by putting back what
    /// it holds.
    Quarantine {
        /// The MTA's name (`mta.kind`).
        mta: String,
        /// Host path of its queue.
        spool: String,
        /// Its binary (exim's says where restored messages go).
        binary: String,
        /// The quarantine, relative to the run dir (`quarantine/SEQ`).
        quarantine: String,
        /// How many messages the plan selected.
        count: usize,
        /// The command that starts the MTA again when the purge stops it (qmail): a
        /// rollback after a kill starts it if it is not running.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restart: Option<Vec<String>>,
    },
    /// Frozen (exim) or held (postfix) messages released; undone by holding again
    /// those still queued.
    Release {
        mta: String,
        spool: String,
        binary: String,
        ids: Vec<String>,
    },
    Command {
        /// As shown (secrets redacted).
        argv: Vec<String>,
        /// The undo command; `None` when there is none or it holds a secret.
        undo: Option<Vec<String>>,
        mutating: bool,
    },
    /// `kill_sessions`: the processes about to get TERM (then KILL), journaled before
    /// the first signal. Not reversible: rollback warns and does nothing.
    Signal {
        user: String,
        uid: u32,
        processes: Vec<super::signal::Target>,
    },
}

impl JournalAction {
    /// The host file the action changes, if it changes one.
    pub fn file(&self) -> Option<&String> {
        match self {
            JournalAction::Write { file, .. } | JournalAction::Install { file, .. } => Some(file),
            JournalAction::Command { .. }
            | JournalAction::Quarantine { .. }
            | JournalAction::Release { .. }
            | JournalAction::Signal { .. } => None,
        }
    }
}

pub struct Journal {
    file: File,
    path: PathBuf,
    next: u64,
}

impl Journal {
    pub fn create(run_dir: &Dir) -> Result<Journal> {
        let next = read(run_dir).map(|e| e.len() as u64 + 1).unwrap_or(1);
        Ok(Journal {
            file: run_dir.append("journal.jsonl")?,
            path: run_dir.path().join("journal.jsonl"),
            next,
        })
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
pub fn read(run_dir: &Dir) -> Result<Vec<Entry>> {
    let Some(bytes) = run_dir.read("journal.jsonl")? else {
        return Ok(Vec::new());
    };
    Ok(bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect())
}

/// Save the old bytes of a file before it changes (synced before the journal names it).
pub fn backup(run_dir: &Dir, seq: u64, bytes: &[u8]) -> Result<String> {
    let dir = run_dir
        .sub("backups", true)?
        .context("cannot create the backups directory")?;
    dir.create_new(&seq.to_string(), bytes)?;
    Ok(format!("backups/{seq}"))
}

/// The bytes of a backup named by the journal, checked against the checksum journaled.
pub fn read_backup(run_dir: &Dir, name: &str, sha256: Option<&str>) -> Result<Vec<u8>> {
    let seq = name
        .strip_prefix("backups/")
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
        .with_context(|| format!("the journal names a backup `{name}` runbook never writes"))?;
    let bytes = run_dir
        .sub("backups", false)?
        .and_then(|d| d.read(seq).transpose())
        .transpose()?
        .with_context(|| format!("backup {name} is missing"))?;
    if sha256 != Some(crate::digest::sha256(&bytes).as_str()) {
        anyhow::bail!(
            "backup {} does not match the checksum the journal recorded; refusing to restore it",
            run_dir.path().join(name).display()
        );
    }
    Ok(bytes)
}

pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// An action the journal says began and that was neither undone nor failed: what a
/// rollback must reverse. `done`: whether it was also journaled complete (a kill can
/// fall between the act and that line, so rollback checks the host, not this flag).
#[derive(Debug, Clone)]
pub struct Pending {
    pub seq: u64,
    pub action: JournalAction,
    pub done: bool,
}

/// The actions to reverse, in journal order.
pub fn pending(entries: &[Entry]) -> Vec<(u64, JournalAction)> {
    pending_actions(entries)
        .into_iter()
        .map(|p| (p.seq, p.action))
        .collect()
}

pub fn pending_actions(entries: &[Entry]) -> Vec<Pending> {
    use std::collections::HashSet;
    let mut done = HashSet::new();
    let mut closed = HashSet::new();
    for entry in entries {
        match entry {
            Entry::Done { seq, .. } => {
                done.insert(*seq);
            }
            Entry::Undone { seq, .. } | Entry::Failed { seq, .. } => {
                closed.insert(*seq);
            }
            _ => {}
        }
    }
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Begin { seq, action, .. } if !closed.contains(seq) => Some(Pending {
                seq: *seq,
                action: action.clone(),
                done: done.contains(seq),
            }),
            _ => None,
        })
        .collect()
}
