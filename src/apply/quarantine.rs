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
use crate::queue::{self, Queued, Restored, Taken, exim, postfix};

/// The quarantine of the action `seq`, relative to the run dir.
pub fn name(seq: u64) -> String {
    format!("quarantine/{seq}")
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
        MtaKind::Qmail => bail!("qmail queues cannot be purged yet"),
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
    let mut out = Purged::default();
    for m in &work.messages {
        if interrupted() {
            bail!(
                "interrupted after {} of {} messages",
                out.moved,
                work.messages.len()
            );
        }
        let taken = match kind {
            MtaKind::Exim => exim::take(&spool, &m.id, dir),
            MtaKind::Postfix => postfix::take(&spool, &m.id, dir),
            MtaKind::Qmail => bail!("qmail queues cannot be purged yet"),
        }
        .with_context(|| format!("cannot quarantine message {}", m.id))?;
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
    sync_dirs(&spool, dir, kind)?;
    Ok(out)
}

/// Make the renames durable: both sides' directories.
fn sync_dirs(spool: &Path, dir: &Path, kind: MtaKind) -> Result<()> {
    let subdirs: &[&str] = match kind {
        MtaKind::Exim => &["input", "msglog"],
        _ => &["hold"],
    };
    for sub in subdirs {
        for base in [spool, dir] {
            let d = base.join(sub);
            if d.is_dir() {
                queue::sync_dir(&d).with_context(|| format!("cannot sync {}", d.display()))?;
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
    let subdirs: &[&str] = match kind {
        MtaKind::Exim => &["input", "msglog"],
        _ => &["hold"],
    };
    for sub in subdirs {
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
        MtaKind::Qmail => bail!("qmail queues cannot be restored yet"),
    }
    sync_dirs(&spool, dir, kind)?;
    Ok(out)
}
