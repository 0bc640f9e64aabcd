//! Rollback: restore every file a run wrote, byte for byte with mode and owner, run the
//! undo commands in reverse, then reload the services the run reloaded.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result, bail};

use super::atomic::{self, Ownership};
use super::execute::{self, test_config};
use super::hook;
use super::journal::{self, Entry, Journal, JournalAction, Pending, now};
use super::lock;
use super::quarantine;
use super::reinstall;
use super::state;
use super::state_dir::Dir;
use crate::chase::{self, Chased, Policy};
use crate::host::Host;
use crate::plan::actions::DEFAULT_TIMEOUT;
use crate::plan::types::ReloadWork;
use crate::process;

/// What a rollback did.
#[derive(Debug, serde::Serialize)]
pub struct RolledBack {
    pub run_id: String,
    pub runbook: String,
    pub restored: Vec<String>,
    pub commands: Vec<Vec<String>>,
    pub reloaded: Vec<String>,
    /// What was done to queued messages: `requeued N messages into SPOOL`, `held N
    /// messages again in SPOOL`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<String>,
    /// Things that could not be reversed (a command without undo).
    pub warnings: Vec<String>,
}

/// What a rollback would do, shown by `rollback --dry-run`.
#[derive(Debug, serde::Serialize)]
pub struct RollbackPlan {
    pub run_id: String,
    pub runbook: String,
    pub mode: &'static str,
    /// Each file to restore: `file`, and `diff` from what it holds now to the backup.
    pub restores: Vec<crate::plan::types::FileDiff>,
    /// Undo commands it would run, in order.
    pub commands: Vec<Vec<String>>,
    /// Services it would test and reload again if running.
    pub reloads: Vec<String>,
    /// What it would do to queued messages: `requeue N messages from DIR into SPOOL`,
    /// `hold again the N released messages still in SPOOL`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<String>,
    pub warnings: Vec<String>,
}

/// What `rollback` would do for run `id` (the newest still applied when `None`), checked
/// as rollback checks it, without the lock and without writing anything anywhere.
pub fn plan(host: &Host, state_dir: &Dir, id: Option<&str>, force: bool) -> Result<RollbackPlan> {
    let live = lock::held(state_dir)?;
    let record = state::find(state_dir, id, live)?;
    let (run_dir, pending) = checked(host, state_dir, &record, force, live)?;
    let restores = check_files(host, &run_dir, &pending, force)?;
    let reinstalls = reinstall::check(host, &run_dir, &pending, force)?;
    let mut out = RollbackPlan {
        run_id: record.id.clone(),
        runbook: record.runbook.clone(),
        mode: "dry-run",
        restores: Vec::new(),
        commands: Vec::new(),
        reloads: Vec::new(),
        queue: Vec::new(),
        warnings: Vec::new(),
    };
    // Newest first, as rollback goes; a file's final content is its oldest backup.
    let mut last: Vec<(String, &Restore)> = Vec::new();
    let mut last_installs: Vec<&reinstall::Reinstall> = Vec::new();
    for p in pending.iter().rev() {
        match &p.action {
            JournalAction::Install { file, .. } => {
                let r = reinstalls
                    .iter()
                    .find(|r| r.seq == p.seq)
                    .expect("every pending install was checked");
                // The newest install's "now" is the file's; its oldest backup is the end.
                let now = last_installs
                    .iter()
                    .find(|l| l.file == *file)
                    .map(|l| l.now.clone())
                    .unwrap_or_else(|| r.now.clone());
                last_installs.retain(|l| l.file != *file);
                if let Some(old) = &r.old
                    && *old != now
                {
                    out.restores.retain(|d| d.file != *file);
                    out.restores.push(crate::plan::types::FileDiff {
                        diff: crate::edit::diff::unified(
                            file,
                            Some(now.as_bytes()),
                            old.as_bytes(),
                        ),
                        file: file.clone(),
                    });
                }
                out.commands.push(r.installer.program());
                last_installs.push(r);
            }
            JournalAction::Write { file, .. } => {
                let restore = restores
                    .iter()
                    .find(|r| r.seq == p.seq)
                    .expect("every pending write was checked");
                last.retain(|(f, _)| f != file);
                last.push((file.clone(), restore));
            }
            JournalAction::Release { spool, ids, .. } => out.queue.push(format!(
                "hold again those of the {} released messages still queued in {spool}",
                ids.len()
            )),
            JournalAction::Quarantine {
                mta,
                spool,
                quarantine: name,
                restart,
                ..
            } => {
                if let Some(restart) = restart
                    && quarantine::stopped_by_kill(host, mta)
                {
                    out.queue.push(format!(
                        "start qmail-send again with `{}`: the run stopped it",
                        restart.join(" ")
                    ));
                }
                let dir = run_dir.path().join(name);
                let held = quarantine::held(&dir, mta)?;
                out.queue.push(format!(
                    "requeue {} messages from {} into {spool}",
                    held.len(),
                    dir.display()
                ));
            }
            JournalAction::Command {
                argv,
                undo,
                mutating,
            } => match undo {
                Some(undo) => out.commands.push(undo.clone()),
                None if *mutating => out.warnings.push(format!(
                    "`{}` has no undo command; reverse it by hand",
                    argv.join(" ")
                )),
                None => {}
            },
            JournalAction::Signal {
                user, processes, ..
            } => out.warnings.push(super::signal::not_reversible(
                user,
                processes,
                &journal::read(&run_dir)?,
                p.seq,
            )),
        }
    }
    for (file, restore) in last {
        let now = current_bytes(&restore.target)?;
        let back = match &restore.old {
            Some((bytes, _)) => bytes.as_slice(),
            None => continue,
        };
        if now.as_deref() == Some(back) {
            continue;
        }
        out.restores.push(crate::plan::types::FileDiff {
            diff: crate::edit::diff::unified(&file, now.as_deref(), back),
            file,
        });
    }
    let mut seen = HashSet::new();
    for entry in journal::read(&run_dir)? {
        if let Entry::Handler {
            service, result, ..
        } = entry
            && (result == "reloaded" || result == "started")
            && seen.insert(service.clone())
        {
            out.reloads.push(service);
        }
    }
    Ok(out)
}

/// The checks before a rollback touches anything: not already rolled back, the same
/// root, something to reverse, and no later run still applied that changed one of its
/// files (unless `force`). The run's directory and its pending actions.
fn checked(
    host: &Host,
    state_dir: &Dir,
    record: &state::RunRecord,
    force: bool,
    live: bool,
) -> Result<(Dir, Vec<Pending>)> {
    if record.outcome == "rolled-back" {
        bail!("run {} was already rolled back", record.id);
    }
    let root = host.root().display().to_string();
    if record.root != root {
        bail!(
            "run {} was applied to the host at {}, not {root}; pass that --root",
            record.id,
            record.root
        );
    }
    let run_dir = state::run_dir(state_dir, &record.id)?;
    let pending = journal::pending_actions(&journal::read(&run_dir)?);
    if pending.is_empty() {
        bail!(
            "run {} ({}) has nothing to roll back: it changed nothing, or undid its changes when it {}",
            record.id,
            record.outcome,
            record.outcome
        );
    }
    if !force {
        let files: Vec<&String> = pending.iter().filter_map(|p| p.action.file()).collect();
        for later in state::later_still_applied(state_dir, record, live)? {
            let mut touched: Vec<&String> = files
                .iter()
                .copied()
                .filter(|f| later.files.contains(f))
                .collect();
            touched.dedup();
            if !touched.is_empty() {
                bail!(
                    "a later run, {} ({}), also changed {}: roll that run back first \
                     (`runbook rollback {}`), or use --force to restore this run's backups anyway",
                    later.record.id,
                    later.record.runbook,
                    touched
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    later.record.id
                );
            }
        }
    }
    Ok((run_dir, pending))
}

/// Roll back a run (the newest still applied when `id` is `None`).
///
/// The journal is the truth: every action it says began and was neither undone nor
/// failed is reversed, newest first, whether the run finished, failed half-way or was
/// killed. Each file is checked before anything changes: it must be reached by the same
/// safe walk into the same directory (device and inode) the run wrote to, its backup
/// must match the checksum journaled, and it must hold what the run wrote (or, after an
/// interrupted rollback, what it held before), unless `--force`.
pub fn rollback(host: &Host, state_dir: &Dir, id: Option<&str>, force: bool) -> Result<RolledBack> {
    let lock = lock::acquire(state_dir, "rollback")?;
    rollback_locked(&lock, host, state_dir, id, force)
}

/// [`rollback`] by a caller that already holds the host's lock (verify, over its window).
pub fn rollback_locked(
    _lock: &lock::HostLock,
    host: &Host,
    state_dir: &Dir,
    id: Option<&str>,
    force: bool,
) -> Result<RolledBack> {
    // We hold the lock: a record still saying `running` belongs to a dead process.
    let mut record = state::find(state_dir, id, false)?;
    let (run_dir, pending) = checked(host, state_dir, &record, force, false)?;
    let entries = journal::read(&run_dir)?;
    let restores = check_files(host, &run_dir, &pending, force)?;
    let reinstalls = reinstall::check(host, &run_dir, &pending, force)?;

    let mut journal = Journal::create(&run_dir)?;
    journal.write(&Entry::RollbackBegin {
        at: now(),
        forced: force,
    })?;
    record.outcome = "rolling-back".into();
    state::save(state_dir, &record)?;
    let mut out = RolledBack {
        run_id: record.id.clone(),
        runbook: record.runbook.clone(),
        restored: Vec::new(),
        commands: Vec::new(),
        reloaded: Vec::new(),
        queue: Vec::new(),
        warnings: Vec::new(),
    };
    for p in pending.iter().rev() {
        match &p.action {
            JournalAction::Write { file, .. } => {
                let restore = restores
                    .iter()
                    .find(|r| r.seq == p.seq)
                    .expect("every pending write was checked");
                restore.apply()?;
                hook::point("rollback-after-restore");
                if !out.restored.contains(file) {
                    out.restored.push(file.clone());
                }
            }
            JournalAction::Release {
                mta,
                spool,
                binary,
                ids,
            } => {
                let work = crate::plan::types::QueueWork {
                    action: crate::queue::QueueAction::Retry,
                    mta: mta.clone(),
                    spool: spool.clone(),
                    binary: binary.clone(),
                    messages: Vec::new(),
                    unreadable: 0,
                };
                let n = execute::hold_again(host, &work, ids)?;
                out.queue
                    .push(format!("held {n} messages again in {spool}"));
            }
            JournalAction::Quarantine {
                mta,
                spool,
                binary,
                quarantine: name,
                restart,
                ..
            } => {
                let work = crate::plan::types::QueueWork {
                    action: crate::queue::QueueAction::Purge,
                    mta: mta.clone(),
                    spool: spool.clone(),
                    binary: binary.clone(),
                    messages: Vec::new(),
                    unreadable: 0,
                };
                let done = quarantine::restore(host, &run_dir.path().join(name), &work)?;
                out.queue
                    .push(format!("requeued {} messages into {spool}", done.restored));
                if let Some(restart) = restart
                    && let Some(what) = quarantine::restart_after_kill(host, mta, restart)?
                {
                    out.queue.push(what);
                }
                for id in done.collisions {
                    out.warnings.push(format!(
                        "message {id} stays in {}: the queue holds a message of that id again",
                        run_dir.path().join(name).display()
                    ));
                }
            }
            JournalAction::Install { file, .. } => {
                let r = reinstalls
                    .iter()
                    .find(|r| r.seq == p.seq)
                    .expect("every pending install was checked");
                r.apply(host)?;
                out.commands.push(r.installer.program());
                if !out.restored.contains(file) {
                    out.restored.push(file.clone());
                }
            }
            JournalAction::Command {
                argv,
                undo,
                mutating,
            } => {
                if !p.done && *mutating {
                    out.warnings.push(format!(
                        "`{}` was interrupted while it ran; its undo runs anyway",
                        argv.join(" ")
                    ));
                }
                match undo {
                    Some(undo) => {
                        let finished = process::run(host, undo, DEFAULT_TIMEOUT)?;
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
                }
            }
            JournalAction::Signal {
                user, processes, ..
            } => out.warnings.push(super::signal::not_reversible(
                user, processes, &entries, p.seq,
            )),
        }
        journal.write(&Entry::Undone {
            seq: p.seq,
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

/// One file write to reverse, checked.
struct Restore {
    seq: u64,
    file: String,
    target: Chased,
    /// The apply's temp file, removed if a crash left it.
    temp: String,
    /// The old bytes and owner to put back; `None` when the file already holds them.
    old: Option<(Vec<u8>, Ownership)>,
}

impl Restore {
    fn apply(&self) -> Result<()> {
        atomic::remove_temp(&self.target.dir, &self.temp);
        if let Some((bytes, ownership)) = &self.old {
            let temp = atomic::temp_name(&self.target.name);
            atomic::write_at(
                &self.target.dir,
                &self.target.name,
                &temp,
                bytes,
                *ownership,
            )
            .with_context(|| format!("cannot restore {}", self.file))?;
        }
        Ok(())
    }
}

/// Check every pending write before anything changes, newest first, following each
/// file's content back through the run's chained edits.
fn check_files(
    host: &Host,
    run_dir: &Dir,
    pending: &[Pending],
    force: bool,
) -> Result<Vec<Restore>> {
    let mut now_holds: HashMap<String, Option<String>> = HashMap::new();
    let mut drifted = Vec::new();
    let mut out = Vec::new();
    for p in pending.iter().rev() {
        let JournalAction::Write {
            file,
            dir,
            owner,
            temp,
            backup,
            ownership,
            before_sha256,
            after_sha256,
        } = &p.action
        else {
            continue;
        };
        let policy = Policy::edit(*owner);
        let target = chase::chase_entry(host.root(), file, &policy)
            .with_context(|| format!("cannot roll back {file}"))?;
        if target.dir_id != *dir {
            bail!(
                "refusing to restore {file}: its directory is no longer the one the run wrote to \
                 (device {} inode {} then, device {} inode {} now)",
                dir.dev,
                dir.ino,
                target.dir_id.dev,
                target.dir_id.ino
            );
        }
        let holds = match now_holds.get(file) {
            Some(sha) => sha.clone(),
            None => current_sha(&target)?,
        };
        let old = match (backup, ownership) {
            (Some(name), Some(own)) => Some((
                journal::read_backup(run_dir, name, before_sha256.as_deref())?,
                *own,
            )),
            _ => bail!("the journal of {file} names no backup; cannot restore it"),
        };
        let already = holds.is_some() && holds == *before_sha256;
        if !already && holds.as_deref() != Some(after_sha256.as_str()) && !drifted.contains(file) {
            drifted.push(file.clone());
        }
        now_holds.insert(file.clone(), before_sha256.clone());
        out.push(Restore {
            seq: p.seq,
            file: file.clone(),
            target,
            temp: temp.clone(),
            old: if already { None } else { old },
        });
    }
    drifted.sort();
    if !drifted.is_empty() && !force {
        bail!(
            "{} changed since the run wrote {}: refusing to overwrite; use --force to restore anyway",
            drifted.join(", "),
            if drifted.len() == 1 { "it" } else { "them" }
        );
    }
    Ok(out)
}

/// The checksum of what the entry holds now: `None` when missing or not a regular file.
fn current_sha(target: &Chased) -> Result<Option<String>> {
    Ok(current_bytes(target)?.map(|b| crate::digest::sha256(&b)))
}

/// What the entry holds now: `None` when missing or not a regular file.
fn current_bytes(target: &Chased) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let regular = |st: &nix::sys::stat::FileStat| chase::kind(st) == nix::sys::stat::SFlag::S_IFREG;
    if !target.stat.as_ref().is_some_and(regular) {
        return Ok(None);
    }
    let Some(mut file) = target.open_read()? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
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
            && (result == "reloaded" || result == "started")
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
            let done = process::run(host, reload, DEFAULT_TIMEOUT)?;
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
