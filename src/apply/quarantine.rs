//! Queue purges in a run. Each purge's messages move into `quarantine/SEQ/` of the run's
//! directory, laid out as the MTA's own queue (exim `input/` and `msglog/`, postfix
//! `hold/`), beside `manifest.json`: the messages as the plan selected them, synced
//! before the journal names the quarantine. Rollback puts back whatever the quarantine
//! holds, so a purge killed half-way is restored as far as it got.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::hook;
use super::state_dir::Dir;
use crate::facts::mta::MtaKind;
use crate::host::Host;
use crate::plan::queue::kind_of;
use crate::plan::types::{QueueWork, Skipped};
use crate::process::interrupted;
use crate::queue::{self, Queued, Restored, Taken, exim, postfix, qmail};

/// The quarantine of the action `seq`, relative to the run dir.
pub fn name(seq: u64) -> String {
    format!("quarantine/{seq}")
}

/// What must hold before a purge journals anything: qmail-send can be stopped. The
/// command that starts it again when it runs, for the journal: a run killed while it
/// is stopped leaves it to rollback to start.
pub fn preflight(host: &Host, work: &QueueWork) -> Result<Option<Vec<String>>> {
    if kind_of(work)? == MtaKind::Qmail {
        return Ok(qmail::runner(host)?.start_command());
    }
    Ok(None)
}

/// After a rollback requeued a purge: start qmail-send with `restart` (the journal's)
/// when the purge stopped it and it is not running now (the run was killed). What was
/// done, in words.
pub fn restart_after_kill(host: &Host, restart: &[String]) -> Result<Option<String>> {
    if qmail::is_running(host) != Some(false) {
        return Ok(None);
    }
    let out = crate::process::run(host, restart, std::time::Duration::from_secs(60))?;
    if !out.success() {
        bail!("`{}` {}", restart.join(" "), out.summary());
    }
    Ok(Some(format!(
        "started qmail-send again with `{}`: the run had stopped it",
        restart.join(" ")
    )))
}

/// Create the quarantine of action `seq` with its manifest; its real path.
pub fn prepare(run_dir: &Dir, seq: u64, work: &QueueWork) -> Result<PathBuf> {
    let all = run_dir
        .sub("quarantine", true)?
        .context("cannot create the quarantine directory")?;
    let dir = all
        .sub(&seq.to_string(), true)?
        .context("cannot create the quarantine directory")?;
    dir.create_new("manifest.json", &serde_json::to_vec(&work.messages)?)?;
    let path = dir.path().to_path_buf();
    match kind_of(work)? {
        MtaKind::Exim => exim::quarantine_dirs(&path)?,
        MtaKind::Postfix => postfix::quarantine_dirs(&path)?,
        MtaKind::Qmail => qmail::quarantine_dirs(&path)?,
    }
    all.sync()?;
    Ok(path)
}

/// What a purge did.
#[derive(Debug, Default)]
pub struct Purged {
    pub moved: usize,
    pub skipped: Vec<Skipped>,
}

/// Move the work's messages into the quarantine at `dir`. A failure or an interrupt
/// stops it where it is; what moved stays in the quarantine for the undo.
pub fn purge(host: &Host, dir: &Path, work: &QueueWork) -> Result<Purged> {
    let spool = host
        .resolve(&work.spool)
        .with_context(|| format!("cannot reach the queue {}", work.spool))?;
    let kind = kind_of(work)?;
    if kind == MtaKind::Qmail {
        return with_qmail_stopped(host, || {
            let split = qmail::split(&spool)?;
            take_all(&spool, dir, work, |id| qmail::take(&spool, id, dir, split))
        });
    }
    if kind == MtaKind::Postfix {
        // Into hold first, where qmgr leaves them alone; those on hold already stay.
        let ids: Vec<String> = work
            .messages
            .iter()
            .filter(|m| !m.frozen)
            .map(|m| m.id.clone())
            .collect();
        postfix::hold(host, &ids)?;
    }
    take_all(&spool, dir, work, |id| match kind {
        MtaKind::Exim => exim::take(&spool, id, dir),
        _ => postfix::take(&spool, id, dir),
    })
}

/// qmail-send stopped around `f`, and started again whatever `f` did.
fn with_qmail_stopped<T>(host: &Host, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let runner = qmail::runner(host)?;
    qmail::stop(host, &runner)?;
    let result = f();
    let started = qmail::start(host, &runner);
    match (result, started) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(e), Ok(())) => Err(e),
        (Ok(_), Err(e)) => Err(e.context("the messages moved, but qmail-send did not start again")),
        (Err(e), Err(s)) => Err(e.context(format!("and qmail-send did not start again: {s:#}"))),
    }
}

/// Take each message with `take`, in order; then make the renames durable.
fn take_all(
    spool: &Path,
    dir: &Path,
    work: &QueueWork,
    take: impl Fn(&str) -> std::io::Result<Taken>,
) -> Result<Purged> {
    let kind = kind_of(work)?;
    let mut out = Purged::default();
    for m in &work.messages {
        if interrupted() {
            bail!(
                "interrupted after {} of {} messages",
                out.moved,
                work.messages.len()
            );
        }
        let taken = take(&m.id).with_context(|| format!("cannot quarantine message {}", m.id))?;
        match taken {
            Taken::Moved => {
                out.moved += 1;
                hook::point("after-message");
            }
            Taken::Busy(reason) => out.skipped.push(Skipped {
                id: m.id.clone(),
                reason: reason.to_string(),
            }),
            Taken::Gone => out.skipped.push(Skipped {
                id: m.id.clone(),
                reason: "no longer queued (delivered or removed meanwhile)".into(),
            }),
        }
    }
    sync_dirs(spool, dir, kind)?;
    Ok(out)
}

/// The directories a quarantine and its queue have in common.
fn subdirs(kind: MtaKind) -> &'static [&'static str] {
    match kind {
        MtaKind::Exim => &["input", "msglog"],
        MtaKind::Postfix => &["hold"],
        MtaKind::Qmail => &["mess", "info", "local", "remote", "todo", "intd", "bounce"],
    }
}

/// Make the renames durable: both sides' directories (and a split queue's subdirs).
fn sync_dirs(spool: &Path, dir: &Path, kind: MtaKind) -> Result<()> {
    for sub in subdirs(kind) {
        for base in [spool, dir] {
            let d = base.join(sub);
            if !d.is_dir() {
                continue;
            }
            queue::sync_dir(&d).with_context(|| format!("cannot sync {}", d.display()))?;
            for inner in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if inner.file_type().is_ok_and(|t| t.is_dir()) {
                    queue::sync_dir(&inner.path())
                        .with_context(|| format!("cannot sync {}", inner.path().display()))?;
                }
            }
        }
    }
    Ok(())
}

/// The messages a purge's manifest lists.
pub fn manifest(dir: &Path) -> Result<Vec<Queued>> {
    let path = dir.join("manifest.json");
    let bytes = crate::chase::open_regular(&path)
        .and_then(|f| crate::host::read_capped(f, 1 << 30))
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is damaged", path.display()))
}

/// The ids of messages the quarantine still holds files of.
pub fn held(dir: &Path, kind: MtaKind) -> Result<Vec<String>> {
    let mut ids = BTreeSet::new();
    for sub in subdirs(kind) {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let id = match kind {
                MtaKind::Exim if *sub == "input" => name
                    .strip_suffix("-H")
                    .or_else(|| name.strip_suffix("-D"))
                    .or_else(|| name.strip_suffix("-J"))
                    .map(str::to_string),
                _ => Some(name),
            };
            ids.extend(id);
        }
    }
    Ok(ids.into_iter().collect())
}

/// What a restore did.
#[derive(Debug, Default)]
pub struct Requeued {
    pub restored: usize,
    /// Left in the quarantine: the queue holds a message of that name again.
    pub collisions: Vec<String>,
}

/// Put every message the quarantine at `dir` holds back into the queue.
pub fn restore(host: &Host, dir: &Path, work: &QueueWork) -> Result<Requeued> {
    let spool = host
        .resolve(&work.spool)
        .with_context(|| format!("cannot reach the queue {}", work.spool))?;
    let kind = kind_of(work)?;
    let ids = held(dir, kind)?;
    if ids.is_empty() && kind != MtaKind::Postfix {
        // Nothing moved: no reason to stop qmail or ask exim anything.
        return Ok(Requeued::default());
    }
    let manifest = manifest(dir).unwrap_or_else(|_| work.messages.clone());
    let was_frozen = |id: &str| manifest.iter().any(|m| m.id == id && m.frozen);
    let mut out = Requeued::default();
    match kind {
        MtaKind::Exim => {
            // Where `split_spool_directory` says; exim also finds them flat if unsure.
            let split = exim::split(host, &work.binary).unwrap_or(false);
            for id in &ids {
                match exim::put_back(&spool, id, dir, split)
                    .with_context(|| format!("cannot requeue message {id}"))?
                {
                    Restored::Restored => out.restored += 1,
                    Restored::Collides => out.collisions.push(id.clone()),
                    Restored::Absent => {}
                }
            }
        }
        MtaKind::Postfix => {
            let mut release = Vec::new();
            for id in &ids {
                match postfix::put_back(&spool, id, dir)
                    .with_context(|| format!("cannot requeue message {id}"))?
                {
                    (Restored::Restored, inode) => {
                        out.restored += 1;
                        if !was_frozen(id) {
                            release.push(inode);
                        }
                    }
                    (Restored::Collides, _) => out.collisions.push(id.clone()),
                    (Restored::Absent, _) => {}
                }
            }
            // Put on hold by the purge but never moved (it stopped half-way): released too.
            for m in manifest
                .iter()
                .filter(|m| !m.frozen && !ids.contains(&m.id))
            {
                if let Some(inode) = postfix::held_inode(&spool, &m.id) {
                    release.push(inode);
                }
            }
            postfix::repair_and_release(host, &spool, &release)?;
        }
        MtaKind::Qmail => {
            out = with_qmail_stopped(host, || {
                let split = qmail::split(&spool)?;
                let mut out = Requeued::default();
                for id in &ids {
                    match qmail::put_back(&spool, id, dir, split)
                        .with_context(|| format!("cannot requeue message {id}"))?
                    {
                        Restored::Restored => out.restored += 1,
                        Restored::Collides => out.collisions.push(id.clone()),
                        Restored::Absent => {}
                    }
                }
                Ok(out)
            })?;
        }
    }
    sync_dirs(&spool, dir, kind)?;
    Ok(out)
}
