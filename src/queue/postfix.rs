//! postfix's queue acted on through postfix's own tools, so a running qmgr stays
//! consistent: `postsuper -h` first moves the messages to `hold`, which qmgr never
//! touches, and only from there do they leave for the quarantine. A message in
//! `active` is being delivered and is left alone, as one in `maildrop` that pickup has
//! not queued yet. Restore puts the files back into `hold`, `postsuper -s` repairs
//! their names and places (a copy across filesystems has a new inode, which a postfix
//! queue id encodes), and `postsuper -H` releases those that were not on hold before.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::{
    Keep, Listing, QueueOps, Queued, Requeued, Restored, RetryCommand, Taken, create_dir_like,
    id_commands, move_file, read_all, take_each,
};
use crate::facts::postfix_queue;
use crate::host::Host;

pub struct Postfix;

impl QueueOps for Postfix {
    fn list(&self, spool: &Path, keep: Keep) -> Result<Listing> {
        list(spool, keep)
    }

    fn dirs(&self) -> &'static [&'static str] {
        &["hold"]
    }

    /// Into hold first, where qmgr leaves them alone (those on hold already stay), then
    /// out of it.
    fn take_all(
        &self,
        host: &Host,
        spool: &Path,
        dir: &Path,
        messages: &[Queued],
        each: &mut dyn FnMut(&Queued, Taken) -> Result<()>,
    ) -> Result<()> {
        let ids: Vec<String> = messages
            .iter()
            .filter(|m| !m.frozen)
            .map(|m| m.id.clone())
            .collect();
        hold(host, &ids)?;
        take_each(messages, each, |id| take(spool, id, dir))
    }

    fn restore_all(
        &self,
        host: &Host,
        spool: &Path,
        _binary: &str,
        dir: &Path,
        ids: &[String],
        manifest: &[Queued],
    ) -> Result<Requeued> {
        let was_frozen = |id: &str| manifest.iter().any(|m| m.id == id && m.frozen);
        let mut out = Requeued::default();
        let mut release = Vec::new();
        for id in ids {
            let (r, inode) =
                put_back(spool, id, dir).with_context(|| format!("cannot requeue message {id}"))?;
            if r == Restored::Restored && !was_frozen(id) {
                release.push(inode);
            }
            out.add(id, r);
        }
        // Put on hold by the purge but never moved (it stopped half-way): released too.
        for m in manifest
            .iter()
            .filter(|m| !m.frozen && !ids.contains(&m.id))
        {
            if let Some(inode) = held_inode(spool, &m.id) {
                release.push(inode);
            }
        }
        if out.restored > 0 || !release.is_empty() {
            repair_and_release(host, spool, &release)?;
        }
        Ok(out)
    }

    /// Release the held ones (`postsuper -H`, undone by `postsuper -h`), then flush.
    fn retry_commands(&self, _binary: &str, messages: &[Queued]) -> Vec<RetryCommand> {
        let held: Vec<&Queued> = messages.iter().filter(|m| m.frozen).collect();
        let release = id_commands(&["postsuper"], Some("-H"), &held);
        let hold = id_commands(&["postsuper"], Some("-h"), &held);
        let mut out: Vec<RetryCommand> = release
            .into_iter()
            .zip(hold)
            .map(|(argv, undo)| RetryCommand {
                argv,
                undo: Some(undo),
            })
            .collect();
        out.push(RetryCommand {
            argv: vec!["postqueue".into(), "-f".into()],
            undo: None,
        });
        out
    }

    fn is_queued(&self, spool: &Path, id: &str) -> bool {
        is_queued(spool, id)
    }
}

/// Every message in the queue directories (hashed or not).
pub fn list(spool: &Path, keep: Keep) -> Result<Listing> {
    if !spool.join("hold").is_dir() && !spool.join("deferred").is_dir() {
        bail!("{} holds no postfix queue directories", spool.display());
    }
    let files = postfix_queue::queue_files(spool);
    Ok(read_all(&files, keep, postfix_queue::read))
}

/// The longest a postsuper run may take (it renames each message once).
const POSTSUPER_TIMEOUT: Duration = Duration::from_secs(600);

/// Run `postsuper ARGS` with queue ids on its stdin (`-` in ARGS), one a line.
pub fn postsuper(host: &Host, args: &[&str], ids: &[String]) -> Result<()> {
    let mut argv = vec!["postsuper".to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let stdin = (!ids.is_empty()).then(|| ids.join("\n") + "\n");
    let out = crate::process::spawn(host, &argv, POSTSUPER_TIMEOUT, stdin.as_deref(), &[])?;
    if !out.success() {
        bail!("`{}` {}", argv.join(" "), out.summary());
    }
    Ok(())
}

/// Put the messages on hold, from `incoming` and `deferred` only (never `active`).
pub fn hold(host: &Host, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    postsuper(host, &["-h", "-", "incoming", "deferred"], ids)
}

/// Where message `id` is in queue directory `queue`, hashed or not.
fn find(spool: &Path, queue: &str, id: &str) -> Option<PathBuf> {
    let mut dir = spool.join(queue);
    // hash_queue_depth: one directory level per leading character of the id.
    for depth in 0..=16 {
        let candidate = dir.join(id);
        if fs::symlink_metadata(&candidate).is_ok_and(|m| m.is_file()) {
            return Some(candidate);
        }
        let c = id.get(depth..=depth)?;
        dir = dir.join(c);
        if !dir.is_dir() {
            return None;
        }
    }
    None
}

/// Move message `id`, already put on hold, out of `hold` into the quarantine.
pub fn take(spool: &Path, id: &str, quarantine: &Path) -> io::Result<Taken> {
    if !is_queue_id(id) {
        return Err(io::Error::other(format!("`{id}` is no postfix queue id")));
    }
    if let Some(file) = find(spool, "hold", id) {
        return Ok(if move_file(&file, &quarantine.join("hold").join(id))? {
            Taken::Moved
        } else {
            Taken::Gone
        });
    }
    if find(spool, "active", id).is_some() {
        return Ok(Taken::Busy("being delivered (in postfix's active queue)"));
    }
    if find(spool, "maildrop", id).is_some() {
        return Ok(Taken::Busy("not queued yet (in postfix's maildrop)"));
    }
    Ok(Taken::Gone)
}

/// Put message `id` back into `hold` (flat: `postsuper -s` moves it where hashing
/// says). Its inode, to find the name `postsuper -s` gives it.
pub fn put_back(spool: &Path, id: &str, quarantine: &Path) -> io::Result<(Restored, u64)> {
    if !is_queue_id(id) {
        return Err(io::Error::other(format!("`{id}` is no postfix queue id")));
    }
    let from = quarantine.join("hold").join(id);
    if fs::symlink_metadata(&from).is_err() {
        return Ok((Restored::Absent, 0));
    }
    for queue in postfix_queue::QUEUES {
        if find(spool, queue, id).is_some() {
            return Ok((Restored::Collides, 0));
        }
    }
    let hold = spool.join("hold");
    create_dir_like(&hold, &spool.join("deferred"))?;
    let to = hold.join(id);
    move_file(&from, &to)?;
    Ok((Restored::Restored, fs::symlink_metadata(&to)?.ino()))
}

/// After messages were put back: `postsuper -s` repairs names and places, then the
/// messages that were not on hold before (their inodes) are released with
/// `postsuper -H`. Their queue ids now.
pub fn repair_and_release(host: &Host, spool: &Path, release: &[u64]) -> Result<Vec<String>> {
    postsuper(host, &["-s"], &[])?;
    let mut by_inode = HashMap::new();
    for (file, _) in postfix_queue::queue_files(spool) {
        if let (Ok(meta), Some(name)) = (fs::symlink_metadata(&file), file.file_name()) {
            by_inode.insert(meta.ino(), name.to_string_lossy().into_owned());
        }
    }
    let ids: Vec<String> = release
        .iter()
        .filter_map(|ino| by_inode.get(ino).cloned())
        .collect();
    if !ids.is_empty() {
        postsuper(host, &["-H", "-"], &ids)?;
    }
    Ok(ids)
}

/// A postfix queue id: short (hex) or long (base 52 with a `z`/`x` separator); never a
/// path.
pub fn is_queue_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The inode of message `id` when it is in `hold`.
pub fn held_inode(spool: &Path, id: &str) -> Option<u64> {
    if !is_queue_id(id) {
        return None;
    }
    find(spool, "hold", id).and_then(|f| fs::symlink_metadata(f).ok().map(|m| m.ino()))
}

/// Whether message `id` is in a queue directory postsuper can hold it from.
pub fn is_queued(spool: &Path, id: &str) -> bool {
    is_queue_id(id)
        && ["incoming", "active", "deferred"]
            .iter()
            .any(|q| find(spool, q, id).is_some())
}
