//! qmail's queue acted on only while qmail-send is stopped (it keeps the queue's state
//! in memory and owns every file there): stopped through the host's service manager
//! (a systemd unit, `/etc/init.d/qmail` as on Plesk, daemontools' `svc`) and started
//! again afterwards, after an error too. A message's files (notqmail `INTERNALS`)
//! leave together, `mess` last, since qmail names a message by its `mess` file's inode;
//! restore puts `mess` back first and names every file after the inode it has then, so
//! a message copied across filesystems can never collide with one qmail-queue makes.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{
    Keep, Listing, QueueOps, Queued, Requeued, Restored, RetryCommand, Taken, create_dir_like,
    move_file, read_all, take_each,
};
use crate::facts::qmail_queue;
use crate::host::Host;

pub struct Qmail;

impl QueueOps for Qmail {
    fn list(&self, spool: &Path, keep: Keep) -> Result<Listing> {
        list(spool, keep)
    }

    fn dirs(&self) -> &'static [&'static str] {
        LEAVE_ORDER
    }

    fn preflight(&self, host: &Host) -> Result<Option<Vec<String>>> {
        Ok(runner(host)?.start_command())
    }

    fn take_all(
        &self,
        host: &Host,
        spool: &Path,
        dir: &Path,
        messages: &[Queued],
        each: &mut dyn FnMut(&Queued, Taken) -> Result<()>,
    ) -> Result<()> {
        with_qmail_stopped(host, || {
            let split = split(spool)?;
            take_each(messages, each, |id| take(spool, id, dir, split))
        })
    }

    fn restore_all(
        &self,
        host: &Host,
        spool: &Path,
        _binary: &str,
        dir: &Path,
        ids: &[String],
        _manifest: &[Queued],
    ) -> Result<Requeued> {
        if ids.is_empty() {
            return Ok(Requeued::default());
        }
        with_qmail_stopped(host, || {
            let split = split(spool)?;
            let mut out = Requeued::default();
            for id in ids {
                let r = put_back(spool, id, dir, split)
                    .with_context(|| format!("cannot requeue message {id}"))?;
                out.add(id, r);
            }
            Ok(out)
        })
    }

    /// qmail-send retries every message at ALRM; its deferrals are not per message.
    fn retry_commands(&self, _binary: &str, _messages: &[Queued]) -> Vec<RetryCommand> {
        vec![RetryCommand {
            argv: ["pkill", "-ALRM", "-x", "qmail-send"]
                .map(String::from)
                .to_vec(),
            undo: None,
        }]
    }

    /// qmail has no frozen state: a release has nothing to undo.
    fn is_queued(&self, _spool: &Path, _id: &str) -> bool {
        false
    }

    fn is_stopped(&self, host: &Host) -> bool {
        is_running(host) == Some(false)
    }
}

/// qmail-send stopped around `f`, and started again whatever `f` did.
fn with_qmail_stopped<T>(host: &Host, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let runner = runner(host)?;
    stop(host, &runner)?;
    let result = f();
    let started = start(host, &runner);
    match (result, started) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(e), Ok(())) => Err(e),
        (Ok(_), Err(e)) => Err(e.context("the messages moved, but qmail-send did not start again")),
        (Err(e), Err(s)) => Err(e.context(format!("and qmail-send did not start again: {s:#}"))),
    }
}

/// Every message in the queue.
pub fn list(queue: &Path, keep: Keep) -> Result<Listing> {
    if !queue.join("mess").is_dir() {
        bail!("{} holds no qmail queue (no mess/)", queue.display());
    }
    let files: Vec<(PathBuf, bool)> = qmail_queue::messages(queue)
        .into_iter()
        .map(|f| (f, false))
        .collect();
    let todo = qmail_queue::todo(queue);
    Ok(read_all(&files, keep, |path, _, reader| {
        qmail_queue::read(queue, &todo, path, reader)
    }))
}

/// The directories of a message's files, in the order they leave: the envelope first,
/// `mess` last. `info`, `local` and `remote` are split like `mess`; `todo`, `intd` and
/// `bounce` are split only where the queue was built so (its directory has subdirs).
const LEAVE_ORDER: &[&str] = &["local", "remote", "bounce", "todo", "intd", "info", "mess"];
const ALWAYS_SPLIT: &[&str] = &["info", "local", "remote", "mess"];

/// The queue's split (`conf-split`): how many numbered subdirectories `mess` has.
pub fn split(queue: &Path) -> io::Result<u64> {
    let n = fs::read_dir(queue.join("mess"))?
        .flatten()
        .filter(|e| {
            e.file_type().is_ok_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| n.parse::<u64>().is_ok())
        })
        .count() as u64;
    if n == 0 {
        return Err(io::Error::other(
            "the queue's mess/ has no split subdirectories",
        ));
    }
    Ok(n)
}

/// Where a message's file of `dir` is, for message number `n`.
fn place(queue: &Path, dir: &str, n: u64, split: u64) -> PathBuf {
    let base = queue.join(dir);
    let splits = ALWAYS_SPLIT.contains(&dir) || base.join("0").is_dir();
    if splits {
        base.join((n % split).to_string()).join(n.to_string())
    } else {
        base.join(n.to_string())
    }
}

/// The quarantine's own directories: one per kind of file, flat.
pub fn quarantine_dirs(quarantine: &Path) -> io::Result<()> {
    for d in LEAVE_ORDER {
        fs::create_dir_all(quarantine.join(d))?;
    }
    Ok(())
}

/// Move message `id` (its number) out of the queue, qmail-send stopped.
pub fn take(queue: &Path, id: &str, quarantine: &Path, split: u64) -> io::Result<Taken> {
    let n: u64 = id
        .parse()
        .map_err(|_| io::Error::other(format!("`{id}` is no qmail message number")))?;
    if fs::symlink_metadata(place(queue, "mess", n, split)).is_err() {
        return Ok(Taken::Gone);
    }
    for dir in LEAVE_ORDER {
        move_file(&place(queue, dir, n, split), &quarantine.join(dir).join(id))?;
    }
    Ok(Taken::Moved)
}

/// Put message `id` back, qmail-send stopped: `mess` first, then every other file under
/// the number of the inode `mess` has in the queue now.
pub fn put_back(queue: &Path, id: &str, quarantine: &Path, split: u64) -> io::Result<Restored> {
    let old: u64 = id
        .parse()
        .map_err(|_| io::Error::other(format!("`{id}` is no qmail message number")))?;
    let mess = quarantine.join("mess").join(id);
    if fs::symlink_metadata(&mess).is_err() {
        return Ok(Restored::Absent);
    }
    // In the queue's own mess/ under a name no qmail program uses, then renamed to its
    // inode: across filesystems the copy has a new one.
    let landing = place(queue, "mess", old, split);
    create_dir_like(landing.parent().unwrap_or(queue), &queue.join("mess"))?;
    let temp = landing.with_file_name(format!("{old}.runbook-restore"));
    move_file(&mess, &temp)?;
    let n = fs::symlink_metadata(&temp)?.ino();
    let target = place(queue, "mess", n, split);
    if fs::symlink_metadata(&target).is_ok() {
        move_file(&temp, &mess)?;
        return Ok(Restored::Collides);
    }
    create_dir_like(target.parent().unwrap_or(queue), &queue.join("mess"))?;
    for dir in LEAVE_ORDER.iter().filter(|d| **d != "mess") {
        let from = quarantine.join(dir).join(id);
        if fs::symlink_metadata(&from).is_ok() {
            let to = place(queue, dir, n, split);
            create_dir_like(to.parent().unwrap_or(queue), &queue.join(dir))?;
            move_file(&from, &to)?;
        }
    }
    fs::rename(&temp, &target)?;
    Ok(Restored::Restored)
}

/// How the host runs qmail-send, to stop and start it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    Systemd(String),
    InitScript(String),
    Svc(String),
    /// Not running: nothing to stop or start.
    Stopped,
}

impl Runner {
    fn commands(&self) -> Option<(Vec<String>, Vec<String>)> {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Some(match self {
            Runner::Systemd(unit) => (
                words(&["systemctl", "stop", unit]),
                words(&["systemctl", "start", unit]),
            ),
            Runner::InitScript(path) => (words(&[path, "stop"]), words(&[path, "start"])),
            Runner::Svc(dir) => (words(&["svc", "-d", dir]), words(&["svc", "-u", dir])),
            Runner::Stopped => return None,
        })
    }
}

/// The qmail-send processes of this host (its `/proc`; under `--root`, the root's own
/// `/proc` when it has one, as a container's): those whose root directory is the
/// host's, not another chroot's or container's on the same machine. `None`: no
/// processes to see.
fn qmail_send_pids(host: &Host) -> Option<Vec<u32>> {
    let proc_dir = host.root().join("proc");
    let entries = fs::read_dir(&proc_dir).ok()?;
    let root = fs::canonicalize(host.root()).unwrap_or_else(|_| host.root().to_path_buf());
    // A container's process on this machine reads its root as `/` too: it is another
    // host's unless it shares runbook's mount namespace.
    let own_mounts = fs::read_link("/proc/self/ns/mnt").ok();
    // Unreadable (not ours to see): counted, so a stop is never skipped for it.
    let of_this_host = |p: &Path| {
        fs::read_link(p.join("root")).map_or(true, |l| l == root)
            && match (&own_mounts, fs::read_link(p.join("ns/mnt"))) {
                (Some(own), Ok(theirs)) => *own == theirs,
                _ => true,
            }
    };
    let mut pids = Vec::new();
    let mut any = false;
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        any = true;
        if crate::facts::activity::read_head(&e.path().join("comm"), 64)
            .is_ok_and(|c| String::from_utf8_lossy(&c).trim() == "qmail-send")
            && of_this_host(&e.path())
        {
            pids.push(pid);
        }
    }
    any.then_some(pids)
}

/// How qmail-send runs here. A running qmail-send no service manager can stop is
/// refused: runbook never kills the MTA by hand.
pub fn runner(host: &Host) -> Result<Runner> {
    let running = qmail_send_pids(host);
    if running.as_ref().is_some_and(|p| p.is_empty()) {
        return Ok(Runner::Stopped);
    }
    let exists = |p: &str| host.resolve(p).is_ok_and(|r| r.exists());
    if host.is_live() && host.find_program("systemctl").is_some() {
        for unit in ["qmail", "qmail-send"] {
            let known = [
                "/etc/systemd/system",
                "/lib/systemd/system",
                "/usr/lib/systemd/system",
            ]
            .iter()
            .any(|d| exists(&format!("{d}/{unit}.service")));
            if known {
                return Ok(Runner::Systemd(unit.to_string()));
            }
        }
    }
    if exists("/etc/init.d/qmail") {
        return Ok(Runner::InitScript("/etc/init.d/qmail".into()));
    }
    if host.find_program("svc").is_some() {
        for dir in [
            "/service/qmail-send",
            "/var/service/qmail-send",
            "/etc/service/qmail-send",
        ] {
            if exists(dir) {
                return Ok(Runner::Svc(dir.into()));
            }
        }
    }
    match running {
        None => bail!(
            "cannot tell whether qmail-send runs (no /proc under {}) and no service manager for it was found; \
             stop qmail-send, then apply again",
            host.root().display()
        ),
        Some(_) => bail!(
            "qmail-send runs, and no systemd unit, /etc/init.d/qmail or daemontools service for it was found \
             to stop it with: stop it yourself, then apply again"
        ),
    }
}

impl Runner {
    /// The command that starts qmail-send again (`None`: it did not run).
    pub fn start_command(&self) -> Option<Vec<String>> {
        self.commands().map(|(_, start)| start)
    }
}

/// Whether qmail-send of this host runs (`None`: no processes to see).
pub fn is_running(host: &Host) -> Option<bool> {
    qmail_send_pids(host).map(|p| !p.is_empty())
}

/// How long qmail-send gets to exit after it is told to stop.
const STOP_WAIT: Duration = Duration::from_secs(60);

/// Stop qmail-send and wait until it is gone.
pub fn stop(host: &Host, runner: &Runner) -> Result<()> {
    let Some((stop, _)) = runner.commands() else {
        return Ok(());
    };
    let out = crate::process::run(host, &stop, STOP_WAIT)?;
    if !out.success() {
        bail!("`{}` {}", stop.join(" "), out.summary());
    }
    let start = Instant::now();
    while qmail_send_pids(host).is_some_and(|p| !p.is_empty()) {
        if start.elapsed() > STOP_WAIT {
            bail!(
                "qmail-send still runs {}s after `{}`",
                STOP_WAIT.as_secs(),
                stop.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Start qmail-send again, as it ran before.
pub fn start(host: &Host, runner: &Runner) -> Result<()> {
    let Some((_, start)) = runner.commands() else {
        return Ok(());
    };
    let out = crate::process::run(host, &start, STOP_WAIT)?;
    if !out.success() {
        bail!("`{}` {}", start.join(" "), out.summary());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program named qmail-send (a copy of sleep) run in runbook's mount namespace is
    /// this host's; the same in a mount namespace of its own, as a container's, whose
    /// root reads as `/` as well, is not: stopping it would stop another host's MTA.
    #[test]
    #[cfg_attr(not_root, ignore = "needs root: unshare --mount")]
    fn a_qmail_send_in_another_mount_namespace_is_not_this_host_s() {
        use std::process::Command;
        let dir = tempfile::tempdir().unwrap();
        let decoy = dir.path().join("qmail-send");
        fs::copy("/bin/sleep", &decoy).unwrap();
        let mut ours = Command::new(&decoy).arg("60").spawn().unwrap();
        let mut theirs = Command::new("unshare")
            .args(["--mount", "--propagation", "private"])
            .arg(&decoy)
            .arg("60")
            .spawn()
            .unwrap();
        // unshare execs the program: its pid is the decoy's once it has.
        let started = std::time::Instant::now();
        while fs::read_to_string(format!("/proc/{}/comm", theirs.id()))
            .map_or(true, |c| c.trim() != "qmail-send")
        {
            assert!(started.elapsed().as_secs() < 10, "unshare never ran it");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let pids = qmail_send_pids(&Host::new("/")).unwrap();
        let _ = (ours.kill(), theirs.kill(), ours.wait(), theirs.wait());
        assert!(pids.contains(&ours.id()), "{pids:?}");
        assert!(!pids.contains(&theirs.id()), "{pids:?}");
    }

    /// A queue as notqmail's `make setup` makes it (split 23), with message `n`.
    fn queue(n: u64) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path().join("queue");
        for d in ["mess", "info", "local", "remote"] {
            for s in 0..23 {
                fs::create_dir_all(q.join(d).join(s.to_string())).unwrap();
            }
        }
        for d in ["todo", "intd", "bounce", "pid", "lock"] {
            fs::create_dir_all(q.join(d)).unwrap();
        }
        let s = (n % 23).to_string();
        fs::write(
            q.join("mess").join(&s).join(n.to_string()),
            "Subject: x\n\nbody\n",
        )
        .unwrap();
        fs::write(q.join("info").join(&s).join(n.to_string()), "Fshop@vm\0").unwrap();
        fs::write(
            q.join("remote").join(&s).join(n.to_string()),
            "Ta@example.net\0",
        )
        .unwrap();
        fs::write(q.join("bounce").join(n.to_string()), "").unwrap();
        (dir, q)
    }

    #[test]
    fn every_file_of_a_message_leaves_and_comes_back_under_its_mess_inode() {
        // Named 46 as a copied-in message is: not its inode, which restore names it by.
        let n = 46;
        let (_dir, q) = queue(n);
        let quarantine = q.with_file_name("quarantine");
        quarantine_dirs(&quarantine).unwrap();
        assert_eq!(split(&q).unwrap(), 23);
        let id = n.to_string();
        assert_eq!(take(&q, &id, &quarantine, 23).unwrap(), Taken::Moved);
        assert_eq!(qmail_queue::messages(&q).len(), 0);
        assert!(quarantine.join("bounce").join(&id).exists());
        assert_eq!(take(&q, &id, &quarantine, 23).unwrap(), Taken::Gone);

        assert_eq!(
            put_back(&q, &id, &quarantine, 23).unwrap(),
            Restored::Restored
        );
        let messages = qmail_queue::messages(&q);
        assert_eq!(messages.len(), 1);
        let mess = &messages[0];
        let ino = fs::metadata(mess).unwrap().ino();
        assert_eq!(mess.file_name().unwrap().to_str().unwrap(), ino.to_string());
        let s = (ino % 23).to_string();
        assert!(q.join("info").join(&s).join(ino.to_string()).is_file());
        assert!(q.join("remote").join(&s).join(ino.to_string()).is_file());
        assert!(q.join("bounce").join(ino.to_string()).is_file());
        assert_eq!(
            put_back(&q, &id, &quarantine, 23).unwrap(),
            Restored::Absent
        );
    }
}
