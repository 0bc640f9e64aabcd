//! Acting on a mail queue (`queue_purge`, `queue_retry`): which messages a selection
//! picks, and per MTA how a message leaves its queue for a quarantine and comes back.
//!
//! Every MTA sits behind [`QueueOps`], one file each ([`exim`], [`postfix`], [`qmail`]);
//! [`ops`] is the registry, the one place here that names a kind. Only the MTA's
//! knowledge lives here; the quarantine's place in a run (its directory, the journal,
//! rollback) is `apply::quarantine`'s.

pub mod exim;
pub mod postfix;
pub mod qmail;
pub mod select;

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use serde::{Deserialize, Serialize};

use crate::facts::message::Message;
use crate::facts::mta::MtaKind;
use crate::facts::queue::{Failed, Longer, QueueFileReader};
use crate::host::Host;

/// What a queue step does with the messages it selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueAction {
    /// Into the run's quarantine (`queue_purge`).
    Purge,
    /// Released and delivery tried again (`queue_retry`).
    Retry,
}

/// A queued message as a plan shows it and a quarantine's manifest keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub id: String,
    /// The envelope sender; empty for a bounce.
    pub sender: String,
    /// The script X-PHP-Originating-Script names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Arrival, Unix seconds.
    pub received: i64,
    /// Frozen (exim) or on hold (postfix) when the plan was made.
    pub frozen: bool,
}

impl From<&Message> for Queued {
    fn from(m: &Message) -> Queued {
        Queued {
            id: m.id.clone(),
            sender: m.sender.clone(),
            script: m.php_script.as_ref().map(|(_, name)| name.clone()),
            uid: m.uid,
            received: m.received,
            frozen: m.frozen,
        }
    }
}

/// What became of one message taken out of its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    Moved,
    /// Left in the queue, for this reason (a delivery is under way).
    Busy(&'static str),
    /// No longer queued (delivered or removed meanwhile).
    Gone,
}

/// What putting one message back did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    Restored,
    /// The quarantine holds nothing of it (restored before).
    Absent,
    /// The queue holds a message of that name again: left in the quarantine.
    Collides,
}

/// The messages of a queue a selection kept, and how many files could not be read.
/// Only the kept ones are held, as `Queued` (no recipient lists): a million-message
/// queue is read, not held.
pub struct Listing {
    pub messages: Vec<Queued>,
    pub unreadable: usize,
}

/// Which messages a listing keeps.
pub type Keep<'a> = &'a (dyn Fn(&Message) -> bool + Sync);

/// One MTA's queue, acted on. Paths are real (under the host root); `spool` is the
/// queue directory, `dir` a quarantine.
pub trait QueueOps: Sync {
    /// The messages `keep` keeps, of every one that could be read.
    fn list(&self, spool: &Path, keep: Keep) -> Result<Listing>;
    /// The directories of a quarantine, laid out as the queue's own.
    fn dirs(&self) -> &'static [&'static str];
    /// The message a quarantined file of directory `dir` belongs to.
    fn id_of(&self, _dir: &str, name: &str) -> Option<String> {
        Some(name.to_string())
    }
    /// What must hold before a purge journals anything. The command that starts the
    /// MTA again when a purge stops it (a rollback after a kill runs it).
    fn preflight(&self, _host: &Host) -> Result<Option<Vec<String>>> {
        Ok(None)
    }
    /// Move each message into `dir`, telling `each` what became of it (`each` failing,
    /// as on an interrupt, stops the purge there).
    fn take_all(
        &self,
        host: &Host,
        spool: &Path,
        dir: &Path,
        messages: &[Queued],
        each: &mut dyn FnMut(&Queued, Taken) -> Result<()>,
    ) -> Result<()>;
    /// Put back the messages `ids` whose files `dir` holds; `manifest` is what the plan
    /// selected (whether each was frozen).
    fn restore_all(
        &self,
        host: &Host,
        spool: &Path,
        binary: &str,
        dir: &Path,
        ids: &[String],
        manifest: &[Queued],
    ) -> Result<Requeued>;
    /// The commands that release and retry `messages`, in order; a command with an
    /// undo is a release (`RetryCommand`).
    fn retry_commands(&self, binary: &str, messages: &[Queued]) -> Vec<RetryCommand>;
    /// Whether message `id` is still queued where a release undo can hold it again.
    fn is_queued(&self, spool: &Path, id: &str) -> bool;
    /// Whether the MTA's queue runner is seen stopped (qmail-send): after a killed purge,
    /// rollback starts it again.
    fn is_stopped(&self, _host: &Host) -> bool {
        false
    }
}

/// The queue operations of an MTA.
pub fn ops(kind: MtaKind) -> &'static dyn QueueOps {
    match kind {
        MtaKind::Exim => &exim::Exim,
        MtaKind::Postfix => &postfix::Postfix,
        MtaKind::Qmail => &qmail::Qmail,
    }
}

/// Take each message with `take`, telling `each`.
fn take_each(
    messages: &[Queued],
    each: &mut dyn FnMut(&Queued, Taken) -> Result<()>,
    take: impl Fn(&str) -> io::Result<Taken>,
) -> Result<()> {
    use anyhow::Context;
    for m in messages {
        let taken = take(&m.id).with_context(|| format!("cannot quarantine message {}", m.id))?;
        each(m, taken)?;
    }
    Ok(())
}

/// What a restore did.
#[derive(Debug, Default)]
pub struct Requeued {
    pub restored: usize,
    /// Left in the quarantine: the queue holds a message of that name again.
    pub collisions: Vec<String>,
}

impl Requeued {
    /// Count what one message's restore did.
    pub fn add(&mut self, id: &str, r: Restored) {
        match r {
            Restored::Restored => self.restored += 1,
            Restored::Collides => self.collisions.push(id.to_string()),
            Restored::Absent => {}
        }
    }
}

/// Read the files on every core into messages (a file gone meanwhile was delivered).
fn read_all(
    files: &[(PathBuf, bool)],
    keep: Keep,
    read: impl Fn(&Path, bool, &mut QueueFileReader) -> Result<Message, Failed> + Sync,
) -> Listing {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = files.len().div_ceil(threads).max(1);
    let mut out = Listing {
        messages: Vec::with_capacity(files.len()),
        unreadable: 0,
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                let read = &read;
                scope.spawn(move || {
                    let mut reader = QueueFileReader::default();
                    let mut part_out = Listing {
                        messages: Vec::new(),
                        unreadable: 0,
                    };
                    for (file, flag) in part {
                        match read(file, *flag, &mut reader) {
                            Ok(m) if keep(&m) => part_out.messages.push(Queued::from(&m)),
                            Ok(_) => {}
                            Err(Failed::Gone) => {}
                            Err(Failed::Unreadable(_)) => part_out.unreadable += 1,
                        }
                    }
                    part_out
                })
            })
            .collect();
        for worker in workers {
            if let Ok(part) = worker.join() {
                out.messages.extend(part.messages);
                out.unreadable += part.unreadable;
            }
        }
    });
    // The same order on every run: plans compare, and the first ids shown stay the same.
    out.messages
        .sort_by(|a, b| (a.received, &a.id).cmp(&(b.received, &b.id)));
    out
}

/// Read at most `max` bytes of a queue file into `reader`, refusing a longer one.
fn read_whole(path: &Path, max: u64, reader: &mut QueueFileReader) -> Result<(), Failed> {
    if !reader.read_head(path, max, Longer::Refuse)? {
        return Err(Failed::Unreadable(format!("larger than {max} bytes")));
    }
    Ok(())
}

/// Move a file to `to` (which must not exist), keeping its inode where both sides are
/// on one filesystem; across filesystems a copy with the same owner, mode and times,
/// synced, then the original removed. `Ok(false)`: there was no file at `from`.
pub fn move_file(from: &Path, to: &Path) -> io::Result<bool> {
    // One system call: renameat2 refuses an existing target itself (no check-then-act).
    match rename_noreplace(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        )),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} already exists", to.display()),
                ));
            }
            copy_then_remove(from, to)
        }
        Err(e) => Err(e),
    }
}

/// `rename(2)` that never replaces an existing `to` (`RENAME_NOREPLACE`).
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::other(format!("{} holds a NUL byte", p.display())))
    };
    let (from_c, to_c) = (c(from)?, c(to)?);
    // SAFETY: two valid NUL-terminated paths, relative to the working directory.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from_c.as_ptr(),
            libc::AT_FDCWD,
            to_c.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn copy_then_remove(from: &Path, to: &Path) -> io::Result<bool> {
    let mut source = match crate::chase::open_regular(from) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let meta = source.metadata()?;
    let mut target = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(meta.mode() & 0o7777)
        .open(to)?;
    let copied = io::copy(&mut source, &mut target)
        .and_then(|_| std::os::unix::fs::fchown(&target, Some(meta.uid()), Some(meta.gid())))
        .and_then(|_| target.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777)))
        .and_then(|_| target.set_modified(meta.modified()?))
        .and_then(|_| target.sync_all());
    if let Err(e) = copied {
        // A full disk half-way: the original stays, and no torn copy is left to be
        // taken for it.
        let _ = fs::remove_file(to);
        return Err(e);
    }
    fs::remove_file(from)?;
    Ok(true)
}

use std::os::unix::fs::PermissionsExt;

/// Sync a directory, so the renames into and out of it survive a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Create `dir` (and missing parents) with the owner and mode of `like`.
pub fn create_dir_like(dir: &Path, like: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let meta = fs::metadata(like)?;
    fs::create_dir_all(dir)?;
    std::os::unix::fs::chown(dir, Some(meta.uid()), Some(meta.gid()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(meta.mode() & 0o7777))
}

/// A command of a retry and the command that reverses it (`None`: nothing can, as
/// for a delivery attempt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryCommand {
    pub argv: Vec<String>,
    pub undo: Option<Vec<String>>,
}

/// Ids per command: well inside any argv limit (a 23-character exim id and its option
/// take under 30 bytes).
const IDS_PER_COMMAND: usize = 500;

/// `head` followed by the ids of `messages`, each after `each` when given
/// (`postsuper -H ID -H ID`), in commands of at most [`IDS_PER_COMMAND`] ids.
pub fn id_commands(head: &[&str], each: Option<&str>, messages: &[&Queued]) -> Vec<Vec<String>> {
    messages
        .chunks(IDS_PER_COMMAND)
        .map(|chunk| {
            let mut argv: Vec<String> = head.iter().map(|w| w.to_string()).collect();
            for m in chunk {
                argv.extend(each.map(str::to_string));
                argv.push(m.id.clone());
            }
            argv
        })
        .collect()
}

/// Put the messages of `ids` that are still queued back on hold (exim: frozen), the
/// undo of a release. Messages delivered since are gone, and cannot be.
pub fn hold_again(
    host: &Host,
    ops: &dyn QueueOps,
    spool: &Path,
    binary: &str,
    ids: &[String],
) -> Result<usize> {
    let still: Vec<Queued> = ids
        .iter()
        .filter(|id| ops.is_queued(spool, id))
        .map(|id| Queued {
            id: id.clone(),
            sender: String::new(),
            script: None,
            uid: None,
            received: 0,
            frozen: true,
        })
        .collect();
    for c in ops.retry_commands(binary, &still) {
        let Some(undo) = c.undo else { continue };
        let out = crate::process::run(host, &undo, std::time::Duration::from_secs(600))?;
        if !out.success() {
            bail!("`{}` {}", undo.join(" "), out.summary());
        }
    }
    Ok(still.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(id: &str, frozen: bool) -> Queued {
        Queued {
            id: id.into(),
            sender: String::new(),
            script: None,
            uid: None,
            received: 0,
            frozen,
        }
    }

    #[test]
    fn exim_thaws_only_the_frozen_and_tries_every_one() {
        let m = [queued("a", true), queued("b", false)];
        let c = ops(MtaKind::Exim).retry_commands("/usr/sbin/exim4", &m);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].argv, ["/usr/sbin/exim4", "-Mt", "a"]);
        assert_eq!(
            c[0].undo.as_deref().unwrap(),
            ["/usr/sbin/exim4", "-Mf", "a"]
        );
        assert_eq!(c[1].argv, ["/usr/sbin/exim4", "-M", "a", "b"]);
        assert_eq!(c[1].undo, None);
    }

    #[test]
    fn postfix_releases_the_held_then_flushes() {
        let m = [queued("A1", true), queued("B2", true), queued("C3", false)];
        let c = ops(MtaKind::Postfix).retry_commands("/usr/sbin/postfix", &m);
        assert_eq!(c[0].argv, ["postsuper", "-H", "A1", "-H", "B2"]);
        assert_eq!(
            c[0].undo.as_deref().unwrap(),
            ["postsuper", "-h", "A1", "-h", "B2"]
        );
        assert_eq!(c[1].argv, ["postqueue", "-f"]);
    }

    #[test]
    fn long_selections_are_split_into_commands() {
        let m: Vec<Queued> = (0..1001).map(|i| queued(&i.to_string(), false)).collect();
        let c = ops(MtaKind::Exim).retry_commands("exim", &m);
        assert_eq!(c.len(), 3);
        assert_eq!(c[2].argv.len(), 2 + 1);
    }
}
