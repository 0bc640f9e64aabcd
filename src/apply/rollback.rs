//! Rollback: restore every file a run wrote, byte for byte with mode and owner, run the
//! undo commands in reverse, then reload the services the run reloaded.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::atomic;
use super::command;
use super::execute::{self, restore, test_config};
use super::journal::{self, Entry, Journal, JournalAction, now};
use super::lock;
use super::state;
use crate::host::Host;
use crate::plan::actions::DEFAULT_TIMEOUT;
use crate::plan::types::ReloadWork;

/// What a rollback did.
#[derive(Debug, serde::Serialize)]
pub struct RolledBack {
    pub run_id: String,
    pub runbook: String,
    pub restored: Vec<String>,
    pub commands: Vec<Vec<String>>,
    pub reloaded: Vec<String>,
    /// Things that could not be reversed (a command without undo).
    pub warnings: Vec<String>,
}

/// Roll back a run (the last that changed something when `id` is `None`).
pub fn rollback(
    host: &Host,
    state_dir: &Path,
    id: Option<&str>,
    force: bool,
) -> Result<RolledBack> {
    let _lock = lock::acquire(state_dir, "rollback")?;
    let mut record = state::find(state_dir, id)?;
    match record.outcome.as_str() {
        "applied" => {}
        "rolled-back" => bail!("run {} was already rolled back", record.id),
        "failed" | "interrupted" => bail!(
            "run {} {} and was undone at the time; nothing to roll back",
            record.id,
            record.outcome
        ),
        other => bail!(
            "run {} is `{other}`; only applied runs can be rolled back",
            record.id
        ),
    }
    let run_dir = state::runs_dir(state_dir).join(&record.id);
    let entries = journal::read(&run_dir)?;
    let actions = completed_actions(&entries);
    check_drift(&actions, force)?;

    let mut journal = Journal::create(&run_dir)?;
    let mut out = RolledBack {
        run_id: record.id.clone(),
        runbook: record.runbook.clone(),
        restored: Vec::new(),
        commands: Vec::new(),
        reloaded: Vec::new(),
        warnings: Vec::new(),
    };
    for (seq, action) in actions.iter().rev() {
        match action {
            JournalAction::Write {
                file,
                real,
                backup,
                ownership,
                ..
            } => {
                let old = backup
                    .as_ref()
                    .map(|b| {
                        std::fs::read(run_dir.join(b))
                            .with_context(|| format!("backup of {file} is missing"))
                    })
                    .transpose()?;
                restore(real, old.as_deref(), *ownership)?;
                if !out.restored.contains(file) {
                    out.restored.push(file.clone());
                }
            }
            JournalAction::Command {
                argv,
                undo,
                mutating,
            } => match undo {
                Some(undo) => {
                    let finished = command::run(host, undo, DEFAULT_TIMEOUT)?;
                    if !finished.success() {
                        bail!("undo `{}` {}", undo.join(" "), finished.summary());
                    }
                    out.commands.push(undo.clone());
                }
                None if *mutating => out.warnings.push(format!(
                    "`{}` has no undo command; reverse it by hand",
                    argv.join(" ")
                )),
                None => {}
            },
        }
        journal.write(&Entry::Undone {
            seq: *seq,
            at: now(),
        })?;
    }
    reload_again(host, &entries, &mut out)?;
    journal.write(&Entry::RolledBack {
        at: now(),
        forced: force,
    })?;
    record.outcome = "rolled-back".into();
    record.finished = Some(now());
    state::save(state_dir, &record)?;
    Ok(out)
}

/// Actions that began and completed and were not undone, in journal order.
fn completed_actions(entries: &[Entry]) -> Vec<(u64, JournalAction)> {
    let seqs =
        |pick: fn(&Entry) -> Option<u64>| entries.iter().filter_map(pick).collect::<HashSet<u64>>();
    let done = seqs(|e| {
        if let Entry::Done { seq, .. } = e {
            Some(*seq)
        } else {
            None
        }
    });
    let undone = seqs(|e| {
        if let Entry::Undone { seq, .. } = e {
            Some(*seq)
        } else {
            None
        }
    });
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Begin { seq, action, .. } if done.contains(seq) && !undone.contains(seq) => {
                Some((*seq, action.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Every file must still hold what the run last wrote to it, unless `--force`.
fn check_drift(actions: &[(u64, JournalAction)], force: bool) -> Result<()> {
    let mut last: HashMap<&Path, (&str, &str)> = HashMap::new();
    for (_, action) in actions {
        if let JournalAction::Write {
            file,
            real,
            after_sha256,
            ..
        } = action
        {
            last.insert(real.as_path(), (file.as_str(), after_sha256.as_str()));
        }
    }
    let mut drifted: Vec<&str> = last
        .iter()
        .filter(|(real, (_, sha))| {
            std::fs::read(real)
                .map(|b| atomic::sha256(&b))
                .ok()
                .as_deref()
                != Some(*sha)
        })
        .map(|(_, (file, _))| *file)
        .collect();
    drifted.sort();
    if !drifted.is_empty() && !force {
        bail!(
            "{} changed since the run wrote {}: refusing to overwrite; use --force to restore anyway",
            drifted.join(", "),
            if drifted.len() == 1 { "it" } else { "them" }
        );
    }
    Ok(())
}

/// Services reloaded by the run get the restored config the same way: test, then reload
/// if still running. A failing test is reported; the files are restored regardless.
fn reload_again(host: &Host, entries: &[Entry], out: &mut RolledBack) -> Result<()> {
    let mut seen = HashSet::new();
    for entry in entries {
        if let Entry::Handler {
            service,
            result,
            test,
            reload,
            running,
            ..
        } = entry
            && result == "reloaded"
            && seen.insert(service.clone())
        {
            let work = ReloadWork {
                service: service.clone(),
                test: test.clone(),
                reload: reload.clone(),
                running: running.clone(),
                installed: true,
            };
            if let Err(e) = test_config(host, &work) {
                out.warnings.push(format!("{e:#} after restoring"));
                continue;
            }
            if !execute::running(host, &work) {
                continue;
            }
            let done = command::run(host, reload, DEFAULT_TIMEOUT)?;
            if done.success() {
                out.reloaded.push(service.clone());
            } else {
                out.warnings
                    .push(format!("`{}` {}", reload.join(" "), done.summary()));
            }
        }
    }
    Ok(())
}
