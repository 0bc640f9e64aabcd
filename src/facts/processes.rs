//! One user's processes, from the host's `/proc` (article 003's `ps axu | grep ssh`), for
//! `kill_sessions`: what the plan lists (PID, tty, start time, command line) and what
//! apply checks again through a descriptor of each process's `/proc/PID` directory.
//!
//! Everything in `/proc/PID` of a user's process is the user's to shape: `comm` and
//! `cmdline` hold any bytes (newlines, escapes, a `)` to confuse a parser of `stat`),
//! `cmdline` can be megabytes. They are read bounded and kept as text to be escaped by
//! the report, never parsed for anything but display; the identity of a process is its
//! PID, its start time (field 22 of `stat`, read after the last `)`) and its real uid.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use anyhow::{Result, bail};
use nix::fcntl::{OFlag, openat};
use nix::sys::stat::Mode;
use serde::{Deserialize, Serialize};

use super::activity::{processes, read_head, sshd_session_user};
use crate::host::Host;

/// Of a command line only this much is kept: enough to tell what runs.
pub const CMDLINE_MAX: u64 = 4096;
/// `comm` is 16 bytes from the kernel; a bound all the same.
const COMM_MAX: u64 = 256;
/// `stat` and `status` are a few hundred bytes; the bound is for a fake `/proc`.
const STAT_MAX: u64 = 16 << 10;

/// A process of the user as the plan saw it: what identifies it and what is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: u32,
    /// Field 22 of `/proc/PID/stat`: clock ticks after boot. With the PID, it names one
    /// process: a PID reused by another has another start time.
    pub start_time: u64,
    /// The real uid (first field of `Uid:` in `/proc/PID/status`).
    pub uid: u32,
    /// The controlling terminal (`pts/0`), `null` for none.
    pub tty: Option<String>,
    /// When it started, RFC 3339 in UTC (`null` when the boot time is unknown).
    pub started: Option<String>,
    /// The command line, arguments joined by spaces (at most 4096 bytes read; bytes
    /// that are not UTF-8 shown as U+FFFD). The user's to write: shown escaped.
    pub cmdline: String,
    /// The process name (`comm`), as the user may have set it too.
    pub comm: String,
    /// Whether it is an sshd session process of the user (`sshd: USER@pts/0`).
    pub ssh: bool,
    /// After an apply: `ended by TERM`, `ended by KILL`, `already gone`, `skipped: ...`
    /// (the process at that PID is not the one planned), or `still running after KILL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

/// What `/proc/PID/stat` says past the command name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Field 3: `R`, `S`, `D`, `Z` (exited, not reaped), `X` (dead), ...
    pub state: char,
    pub ppid: u32,
    /// Field 7: the controlling terminal's device number.
    pub tty_nr: u32,
    pub start_time: u64,
}

impl Stat {
    /// Exited: a zombie (waiting for its parent to reap it) runs nothing any more.
    pub fn exited(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Parse `/proc/PID/stat`. `comm`, field 2, is in parentheses and may itself hold `)`,
/// spaces and newlines: the fields are those after the last `)`.
pub fn parse_stat(bytes: &[u8]) -> Option<Stat> {
    let close = memchr::memrchr(b')', bytes)?;
    let rest = std::str::from_utf8(&bytes[close + 1..]).ok()?;
    // Fields from 3 on: state(3) ppid(4) pgrp(5) session(6) tty_nr(7) ... starttime(22).
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    let field = |n: usize| f.get(n - 3).copied();
    let mut state = field(3)?.chars();
    let (state, None) = (state.next()?, state.next()) else {
        return None;
    };
    Some(Stat {
        state,
        ppid: field(4)?.parse().ok()?,
        tty_nr: field(7)?.parse::<i64>().ok()? as u32,
        start_time: field(22)?.parse().ok()?,
    })
}

/// The real uid of `/proc/PID/status` (`Uid:` real, effective, saved, fs).
pub fn real_uid(status: &[u8]) -> Option<u32> {
    String::from_utf8_lossy(status)
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A terminal's name from its device number, as `ps` shows it: `pts/3`, `tty1`, `ttyS0`.
pub fn tty_name(tty_nr: u32) -> Option<String> {
    if tty_nr == 0 {
        return None;
    }
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    Some(match major {
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        _ => format!("{major}:{minor}"),
    })
}

/// The host's `/proc`, which must be a real proc file system (a copied root may hold a
/// directory of that name, with files in it anyone could have made).
pub fn proc_dir(host: &Host) -> Result<std::path::PathBuf> {
    let dir = host.lexical("/proc");
    let real = nix::sys::statfs::statfs(&dir)
        .is_ok_and(|fs| fs.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC);
    if !real {
        bail!(
            "{} is not a proc file system: the processes of this host cannot be seen (a copied root has none)",
            dir.display()
        );
    }
    Ok(dir)
}

/// PIDs never signalled: init, and runbook itself with every process it runs under (its
/// parent, the shell and the SSH session an operator started it from, up to init), as
/// this `/proc` numbers them. An operator who logged in as the user and became root
/// must not end the session runbook runs in. Through `ROOT/proc/self`: a `/proc` of
/// another PID namespace, where runbook has no PID, has none of its ancestors either.
pub fn protected(proc_dir: &Path) -> Vec<u32> {
    let mut pids = vec![1];
    let mut next = std::fs::read_link(proc_dir.join("self"))
        .ok()
        .and_then(|p| p.to_str()?.parse::<u32>().ok());
    while let Some(pid) = next.filter(|p| *p > 1 && !pids.contains(p)) {
        pids.push(pid);
        next = read_head(&proc_dir.join(format!("{pid}/stat")), STAT_MAX)
            .ok()
            .and_then(|s| parse_stat(&s))
            .map(|s| s.ppid);
    }
    pids
}

/// The user's live processes by PID: those to end, and those spared because runbook
/// runs under them (see [`protected`]).
#[derive(Debug, Default)]
pub struct OfUser {
    pub processes: Vec<Process>,
    pub spared: Vec<Process>,
}

/// The live processes whose real uid is `uid`.
pub fn of_user(host: &Host, uid: u32, user: &str) -> Result<OfUser> {
    let proc_dir = proc_dir(host)?;
    let protected = protected(&proc_dir);
    let boot = boot_time(&proc_dir);
    let mut out = OfUser::default();
    for (pid, dir) in processes(&proc_dir) {
        // A process that exits while it is read is no longer there to list.
        let Ok(opened) = Opened::open(&dir) else {
            continue;
        };
        let Ok(Some((stat, puid))) = opened.identity() else {
            continue;
        };
        if puid != uid || stat.exited() {
            continue;
        }
        let cmdline = opened.read("cmdline", CMDLINE_MAX).unwrap_or_default();
        let comm = opened.read("comm", COMM_MAX).unwrap_or_default();
        let comm = String::from_utf8_lossy(&comm);
        let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
        let process = Process {
            pid,
            start_time: stat.start_time,
            uid: puid,
            tty: tty_name(stat.tty_nr),
            started: boot.map(|b| started(b, stat.start_time)),
            ssh: sshd_session_user(&cmdline).as_deref() == Some(user),
            cmdline: shown_cmdline(&cmdline),
            comm: comm.strip_suffix('\n').unwrap_or(&comm).to_string(),
            result: None,
        };
        if protected.contains(&pid) {
            out.spared.push(process);
        } else {
            out.processes.push(process);
        }
    }
    out.processes.sort_by_key(|p| p.pid);
    out.spared.sort_by_key(|p| p.pid);
    Ok(out)
}

/// Arguments joined by spaces, the trailing NUL dropped (a process that rewrote its
/// title has one string, maybe with spaces and NULs after it).
fn shown_cmdline(raw: &str) -> String {
    raw.trim_end_matches('\0').replace('\0', " ")
}

/// `btime` of `/proc/stat`: the boot time, seconds since 1970.
fn boot_time(proc_dir: &Path) -> Option<i64> {
    let stat = read_head(&proc_dir.join("stat"), 1 << 20).ok()?;
    String::from_utf8_lossy(&stat)
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// A start time in ticks after boot as a UTC time.
fn started(boot: i64, ticks: u64) -> String {
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|h| *h > 0)
        .unwrap_or(100) as u64;
    jiff::Timestamp::from_second(boot + (ticks / hz) as i64)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// A process's `/proc/PID` directory, held open: everything read through it is of that
/// one process, and `pidfd_send_signal` accepts it as the process's pidfd, so a PID
/// reused after it was opened never gets the signal (the kernel answers ESRCH).
pub struct Opened {
    dir: OwnedFd,
}

impl Opened {
    pub fn open(dir: &Path) -> io::Result<Opened> {
        let fd = nix::fcntl::open(
            dir,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Opened { dir: fd })
    }

    /// The first `max` bytes of a file of the process (`stat`, `cmdline`).
    pub fn read(&self, name: &str, max: u64) -> io::Result<Vec<u8>> {
        let fd = openat(
            self.dir.as_fd(),
            name,
            OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK,
            Mode::empty(),
        )?;
        // As every reader of host data: a regular file, checked on the descriptor.
        let st = nix::sys::stat::fstat(&fd)?;
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("/proc/.../{name} is not a regular file"),
            ));
        }
        let mut bytes = Vec::new();
        File::from(fd).take(max).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Its `stat` and real uid now; `None` once it is gone (reaped).
    pub fn identity(&self) -> io::Result<Option<(Stat, u32)>> {
        let gone =
            |e: &io::Error| matches!(e.raw_os_error(), Some(libc::ESRCH) | Some(libc::ENOENT));
        let stat = match self.read("stat", STAT_MAX) {
            Ok(s) => s,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let status = match self.read("status", STAT_MAX) {
            Ok(s) => s,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        // An empty read: the process was reaped between open and read.
        if stat.is_empty() || status.is_empty() {
            return Ok(None);
        }
        match (parse_stat(&stat), real_uid(&status)) {
            (Some(stat), Some(uid)) => Ok(Some((stat, uid))),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "unreadable stat or status",
            )),
        }
    }

    /// Whether it still runs (not gone, not a zombie).
    pub fn alive(&self) -> bool {
        matches!(self.identity(), Ok(Some((stat, _))) if !stat.exited())
    }

    /// Send `signal` to this process (`pidfd_send_signal` on the directory's descriptor).
    /// `Ok(false)`: it is gone.
    pub fn signal(&self, signal: nix::sys::signal::Signal) -> io::Result<bool> {
        use std::os::fd::AsRawFd;
        // SAFETY: a syscall with a descriptor we own, a signal number and no siginfo.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.dir.as_raw_fd(),
                signal as libc::c_int,
                std::ptr::null::<libc::siginfo_t>(),
                0u32,
            )
        };
        if r == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ESRCH) {
            return Ok(false);
        }
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_the_last_parenthesis() {
        let line = b"4242 (evil) S 1 2 3 34816 5 6 7 8 9 10 11 12 13 14 15 16 17 0 9999 0 0\n";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 1);
        assert_eq!(stat.tty_nr, 34816);
        assert_eq!(stat.start_time, 9999);
        // A comm holding `) R 1 ...` and a newline cannot shift the fields.
        let hostile =
            b"4242 (x) R 7 7 7 0 7 7 7 7 7 7 7 7 7 7 7 7 7 1\n) S 1 2 3 0 5 6 7 8 9 10 11 12 13 14 15 16 17 0 555 0 0\n";
        let stat = parse_stat(hostile).unwrap();
        assert_eq!((stat.state, stat.ppid, stat.start_time), ('S', 1, 555));
        assert_eq!(parse_stat(b"4242 (no close paren S 1"), None);
        assert_eq!(parse_stat(b"4242 (x) S 1 2"), None);
    }

    #[test]
    fn real_uid_is_the_first_of_four() {
        assert_eq!(
            real_uid(b"Name:\tbash\nUid:\t1001\t0\t0\t0\nGid:\t1001\n"),
            Some(1001)
        );
        assert_eq!(real_uid(b"Name:\tUid: 0\n"), None);
    }

    #[test]
    fn terminals_are_named_as_ps_names_them() {
        assert_eq!(tty_name(0), None);
        assert_eq!(tty_name(34816).as_deref(), Some("pts/0"));
        assert_eq!(tty_name(34819).as_deref(), Some("pts/3"));
        assert_eq!(tty_name(1025).as_deref(), Some("tty1"));
        assert_eq!(tty_name(1088).as_deref(), Some("ttyS0"));
        // pts/256: major 137, minor 0.
        assert_eq!(tty_name(137 << 8).as_deref(), Some("pts/256"));
    }

    #[test]
    fn a_rewritten_title_is_one_line() {
        assert_eq!(shown_cmdline("sleep\0ten\0"), "sleep ten");
        assert_eq!(shown_cmdline("sshd: bob@pts/0\0\0\0"), "sshd: bob@pts/0");
    }
}
