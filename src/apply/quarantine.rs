//! Queue purges in a run. Each purge's messages move into `quarantine/SEQ/` of the run's
//! directory, laid out as the MTA's own queue (exim `input/` and `msglog/`, postfix
//! `hold/`, qmail's `mess/`, `info/`, ...), beside `manifest.json`: the messages as the
//! plan selected them, synced before the journal names the quarantine. Rollback puts
//! back whatever the quarantine holds, so a purge killed half-way is restored as far as
//! it got. What is particular to each MTA is behind `queue::QueueOps`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::hook;
use super::state_dir::Dir;
use crate::host::Host;
use crate::plan::queue::kind_of;
use crate::plan::types::{QueueWork, Skipped};
use crate::process::interrupted;
use crate::queue::{self, QueueOps, Queued, Requeued, Taken};

/// The quarantine of the action `seq`, relative to the run dir.
pub fn name(seq: u64) -> String {
    format!("quarantine/{seq}")
}

fn ops_of(work: &QueueWork) -> Result<&'static dyn QueueOps> {
    Ok(queue::ops(kind_of(work)?))
}

fn spool_of(host: &Host, work: &QueueWork) -> Result<PathBuf> {
    host.resolve(&work.spool)
        .with_context(|| format!("cannot reach the queue {}", work.spool))
}

/// What must hold before a purge journals anything (qmail-send can be stopped). The
/// command that starts the MTA again when the purge stops it, for the journal: a run
/// killed meanwhile leaves it to rollback to start.
pub fn preflight(host: &Host, work: &QueueWork) -> Result<Option<Vec<String>>> {
    ops_of(work)?.preflight(host)
}

/// After a rollback requeued a purge: start the MTA with `restart` (the journal's) when
/// the purge stopped it and it is still stopped (the run was killed). What was done.
pub fn restart_after_kill(host: &Host, mta: &str, restart: &[String]) -> Result<Option<String>> {
    if !stopped_by_kill(host, mta) {
        return Ok(None);
    }
    let out = crate::process::run(host, restart, std::time::Duration::from_secs(60))?;
    if !out.success() {
        bail!("`{}` {}", restart.join(" "), out.summary());
    }
    Ok(Some(format!(
        "started {mta} again with `{}`: the run had stopped it",
        restart.join(" ")
    )))
}

/// Whether the MTA a purge may have stopped is seen stopped now.
pub fn stopped_by_kill(host: &Host, mta: &str) -> bool {
    crate::facts::mta::by_name(mta).is_some_and(|m| queue::ops(m.kind()).is_stopped(host))
}

/// Create the quarantine of action `seq` with its manifest; its real path.
pub fn prepare(run_dir: &Dir, seq: u64, work: &QueueWork) -> Result<PathBuf> {
    let ops = ops_of(work)?;
    let all = run_dir
        .sub("quarantine", true)?
        .context("cannot create the quarantine directory")?;
    let dir = all
        .sub(&seq.to_string(), true)?
        .context("cannot create the quarantine directory")?;
    dir.create_new("manifest.json", &serde_json::to_vec(&work.messages)?)?;
    for sub in ops.dirs() {
        dir.sub(sub, true)?
            .with_context(|| format!("cannot create the quarantine's {sub}/"))?;
    }
    dir.sync()?;
    all.sync()?;
    Ok(dir.path().to_path_buf())
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
    let ops = ops_of(work)?;
    let spool = spool_of(host, work)?;
    let total = work.messages.len();
    let mut out = Purged::default();
    let taken = ops.take_all(host, &spool, dir, &work.messages, &mut |m, taken| {
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
        if interrupted() {
            bail!("interrupted after {} of {total} messages", out.moved);
        }
        Ok(())
    });
    // Durable as far as it got, failed or not.
    let synced = sync_dirs(ops, &spool, dir);
    taken?;
    synced?;
    Ok(out)
}

/// Make the renames durable: both sides' directories, and their split subdirectories.
fn sync_dirs(ops: &dyn QueueOps, spool: &Path, dir: &Path) -> Result<()> {
    for sub in ops.dirs() {
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

/// The ids of messages the quarantine of an MTA (`mta.kind`) still holds files of.
pub fn held(dir: &Path, mta: &str) -> Result<Vec<String>> {
    let ops = queue::ops(
        crate::facts::mta::by_name(mta)
            .with_context(|| format!("the journal names an unknown MTA `{mta}`"))?
            .kind(),
    );
    held_by(ops, dir)
}

fn held_by(ops: &dyn QueueOps, dir: &Path) -> Result<Vec<String>> {
    let mut ids = BTreeSet::new();
    for sub in ops.dirs() {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            ids.extend(ops.id_of(sub, &name));
        }
    }
    Ok(ids.into_iter().collect())
}

/// Put every message the quarantine at `dir` holds back into the queue.
pub fn restore(host: &Host, dir: &Path, work: &QueueWork) -> Result<Requeued> {
    let ops = ops_of(work)?;
    let spool = spool_of(host, work)?;
    let ids = held_by(ops, dir)?;
    let manifest = manifest(dir).unwrap_or_else(|_| work.messages.clone());
    let out = ops.restore_all(host, &spool, &work.binary, dir, &ids, &manifest)?;
    sync_dirs(ops, &spool, dir)?;
    Ok(out)
}
