//! The mail log in the systemd journal: since Debian 12 no syslog daemon is installed
//! by default, so a fresh postfix or qmail server has no `/var/log/mail.log` and its
//! lines are only in the journal. `journalctl` reads them (the journal's format is
//! systemd's to parse, and its reader is the one every host has), selected by the mail
//! facility and printed in the traditional syslog form the MTAs' line readers know
//! (`Dec 02 10:21:05 vm postfix/smtp[2005]: ...`), streamed, never held whole.

use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::host::Host;

/// Where journald keeps its files: persistent, then volatile.
const DIRECTORIES: &[&str] = &["/var/log/journal", "/run/log/journal"];

/// A host's journal: the live system's, or the files under `--root`.
#[derive(Debug, Clone)]
pub enum Journal {
    /// The running system's journal (no `--root`).
    System,
    /// The journal files of a root (its host path, and the real one).
    Directory { host_path: String, real: PathBuf },
}

impl Journal {
    /// The host's journal, if it has one.
    pub fn find(host: &Host) -> Option<Journal> {
        let (host_path, real) = DIRECTORIES.iter().find_map(|dir| {
            let real = host.resolve(dir).ok()?;
            real.is_dir().then(|| (dir.to_string(), real))
        })?;
        Some(if host.is_live() {
            Journal::System
        } else {
            Journal::Directory { host_path, real }
        })
    }

    /// What was read, for `log.journal`.
    pub fn describe(&self) -> String {
        match self {
            Journal::System => "the system journal".to_string(),
            Journal::Directory { host_path, .. } => host_path.clone(),
        }
    }

    /// Its mail-facility lines, as `journalctl -o short` prints them; with `since` (Unix
    /// seconds), only those logged from then on.
    pub fn mail_lines(&self, since: Option<i64>) -> io::Result<JournalReader> {
        let mut command = Command::new("journalctl");
        // Local times, as syslog files and the access logs they are matched with have.
        command.args(["--no-pager", "--quiet", "--output=short"]);
        if let Some(at) = since {
            command.arg(format!("--since=@{at}"));
        }
        if let Journal::Directory { real, .. } = self {
            command.arg("--directory").arg(real);
        }
        // Facility 2 is mail: postfix, qmail's splogger and exim all log there.
        command.arg("SYSLOG_FACILITY=2");
        let mut child = command
            .env_clear()
            .env("PATH", crate::host::SEARCH_PATH)
            .env("LANG", "C.UTF-8")
            .env("SYSTEMD_COLORS", "0")
            .envs(std::env::var_os("TZ").map(|tz| ("TZ", tz)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run journalctl: {e}")))?;
        let stdout = child.stdout.take().expect("piped");
        Ok(JournalReader {
            child,
            lines: BufReader::with_capacity(1 << 20, stdout),
        })
    }
}

/// journalctl's output, read as it comes; the process is ended and reaped when dropped.
pub struct JournalReader {
    child: Child,
    lines: BufReader<ChildStdout>,
}

impl Read for JournalReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.lines.read(buf)
    }
}

impl BufRead for JournalReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.lines.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.lines.consume(n)
    }
}

impl Drop for JournalReader {
    fn drop(&mut self) {
        // Read to the end, it has exited; stopped early, it is killed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
