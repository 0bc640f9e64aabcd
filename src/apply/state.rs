//! Runs in the state dir: `runs/<id>/run.json`, `journal.jsonl`, `backups/`.

use anyhow::{Context, Result, bail};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::journal::{Entry, JournalAction};
use super::state_dir::Dir;

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
    /// Queues whose messages went into the run's quarantine (host paths).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<String>,
    /// `running`, `applied`, `failed`, `interrupted`, `rolling-back`,
    /// `rollback-interrupted`, `rolled-back`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RunRecord {
    pub fn changed_something(&self) -> bool {
        !self.changed_files.is_empty() || !self.commands.is_empty() || !self.queues.is_empty()
    }
}

pub fn runs_dir(state_dir: &Dir, create: bool) -> Result<Option<Dir>> {
    state_dir.sub("runs", create)
}

/// A new, unique run id that sorts by time: `20261122T231945Z-3f2a`, its directory made.
pub fn create_run(state_dir: &Dir) -> Result<(String, Dir)> {
    let runs = runs_dir(state_dir, true)?.context("cannot create the runs directory")?;
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let mut n = std::process::id() as u64 ^ jiff::Timestamp::now().subsec_nanosecond() as u64;
    loop {
        let id = format!("{stamp}-{:04x}", n & 0xffff);
        if runs.sub(&id, false)?.is_none() {
            let dir = runs
                .sub(&id, true)?
                .context("cannot create the run directory")?;
            runs.sync()?;
            return Ok((id, dir));
        }
        n = n.wrapping_add(1);
    }
}

/// The directory of an existing run.
pub fn run_dir(state_dir: &Dir, id: &str) -> Result<Dir> {
    let id = super::state_dir::check_name(id)?;
    runs_dir(state_dir, false)?
        .map(|runs| runs.sub(id, false))
        .transpose()?
        .flatten()
        .with_context(|| format!("no run `{id}` in {}", state_dir.path().display()))
}

pub fn save(state_dir: &Dir, record: &RunRecord) -> Result<()> {
    let dir = run_dir(state_dir, &record.id)?;
    dir.replace("run.json", &serde_json::to_vec_pretty(record)?)
}

/// Every run, oldest first, as its journal tells it: a run whose process is gone while
/// its record still says `running` was interrupted, and what it changed is what its
/// journal says it began. `live`: whether another process may still be running it.
pub fn list(state_dir: &Dir, live: bool) -> Result<Vec<RunRecord>> {
    let Some(runs) = runs_dir(state_dir, false)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for id in runs.entries()? {
        let Some(dir) = runs.sub(&id, false)? else {
            continue;
        };
        let Some(bytes) = dir.read("run.json")? else {
            continue;
        };
        let mut record: RunRecord = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a run record",
                dir.path().join("run.json").display()
            )
        })?;
        if !live {
            settle(&mut record, &super::journal::read(&dir)?);
        }
        out.push(record);
    }
    // By start time: two runs in the same second have ids that do not sort by time.
    out.sort_by_key(|r| (r.started.parse::<jiff::Timestamp>().ok(), r.id.clone()));
    Ok(out)
}

/// A record left `running` or `rolling-back` by a process that died: say so, and take
/// what changed from the journal.
fn settle(record: &mut RunRecord, entries: &[Entry]) {
    let outcome = match record.outcome.as_str() {
        "running" => "interrupted",
        "rolling-back" => "rollback-interrupted",
        _ => return,
    };
    record.outcome = outcome.into();
    for (_, action) in super::journal::pending(entries) {
        match action {
            JournalAction::Write { file, .. } | JournalAction::Install { file, .. }
                if !record.changed_files.contains(&file) =>
            {
                record.changed_files.push(file)
            }
            JournalAction::Quarantine { spool, .. } | JournalAction::Release { spool, .. }
                if !record.queues.contains(&spool) =>
            {
                record.queues.push(spool)
            }
            JournalAction::Command {
                argv,
                mutating: true,
                ..
            } => record.commands.push(argv),
            _ => {}
        }
    }
}

/// Whether a run still has changes on the host: not rolled back, and its journal holds
/// actions that began and were neither undone nor failed (a failed run that undid
/// itself has none).
pub fn still_applied(state_dir: &Dir, record: &RunRecord) -> Result<bool> {
    if record.outcome == "rolled-back" {
        return Ok(false);
    }
    let dir = run_dir(state_dir, &record.id)?;
    Ok(!super::journal::pending(&super::journal::read(&dir)?).is_empty())
}

/// A run after another that is still applied, with the files its journal says it
/// changed and did not undo.
pub struct Later {
    pub record: RunRecord,
    pub files: Vec<String>,
}

/// The runs started after `record` that are still applied, oldest first.
pub fn later_still_applied(state_dir: &Dir, record: &RunRecord, live: bool) -> Result<Vec<Later>> {
    let runs = list(state_dir, live)?;
    let Some(at) = runs.iter().position(|r| r.id == record.id) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for later in runs.into_iter().skip(at + 1) {
        if later.outcome == "rolled-back" {
            continue;
        }
        let dir = run_dir(state_dir, &later.id)?;
        let files: Vec<String> = super::journal::pending(&super::journal::read(&dir)?)
            .into_iter()
            .filter_map(|(_, a)| a.file().cloned())
            .collect();
        if !files.is_empty() {
            out.push(Later {
                record: later,
                files,
            });
        }
    }
    Ok(out)
}

/// A run by id, or the newest one still applied (see `still_applied`).
pub fn find(state_dir: &Dir, id: Option<&str>, live: bool) -> Result<RunRecord> {
    let runs = list(state_dir, live)?;
    match id {
        Some(id) => runs.into_iter().find(|r| r.id == id).with_context(|| {
            format!(
                "no run `{id}` in {}; see `runbook history`",
                state_dir.path().display()
            )
        }),
        None => {
            for run in runs.into_iter().rev() {
                if still_applied(state_dir, &run)? {
                    return Ok(run);
                }
            }
            bail!(
                "no run that changed something is still applied in {} (each was rolled back, \
                 or undid its changes when it failed); see `runbook history`",
                state_dir.path().display()
            );
        }
    }
}
