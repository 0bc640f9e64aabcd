//! Long output for people (show, dry-run plans, facts, history) goes through a pager on a
//! terminal, as git does: `$RUNBOOK_PAGER`, else `$PAGER`, else `less`, with `LESS=FRX`
//! (quit when it fits one screen, keep colours, leave the text on screen) unless LESS is
//! set. Never when stdout is not a terminal, nor with `--no-pager`; an empty pager or
//! `cat` means none.
//!
//! The command's stdout goes to a temporary file, handed to the pager when the command is
//! done. The pager starts only then, so it never competes with a prompt on the terminal
//! (a param asked for, a confirmation), and what went to stderr meanwhile stays visible.

use std::fs::File;
use std::io::{Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

use crate::report::style::Style;

/// Stdout redirected into `buffer` until [`Pager::finish`].
pub struct Pager {
    /// The terminal stdout was, to put back.
    saved: OwnedFd,
    buffer: File,
    command: String,
}

/// The pager to run, if any: RUNBOOK_PAGER, else PAGER, else `less`.
fn command() -> Option<String> {
    let chosen = std::env::var("RUNBOOK_PAGER")
        .or_else(|_| std::env::var("PAGER"))
        .unwrap_or_else(|_| "less".to_string());
    let chosen = chosen.trim();
    (!chosen.is_empty() && chosen != "cat").then(|| chosen.to_string())
}

impl Pager {
    /// Redirect stdout when it is a terminal and a pager is wanted; `None` leaves it be.
    pub fn start() -> Option<Pager> {
        if !Style::stdout_is_terminal() {
            return None;
        }
        let command = command()?;
        std::io::stdout().flush().ok()?;
        let buffer = tempfile::tempfile().ok()?;
        // SAFETY: fd 1 is open (it is a terminal); F_DUPFD_CLOEXEC returns a new fd we own,
        // close-on-exec so programs run meanwhile do not hold the terminal.
        let saved = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_DUPFD_CLOEXEC, 3) };
        if saved < 0 {
            return None;
        }
        // SAFETY: `saved` was just returned by fcntl and is owned here alone.
        let saved = unsafe { OwnedFd::from_raw_fd(saved) };
        // SAFETY: both fds are open; dup2 replaces fd 1 atomically.
        if unsafe { libc::dup2(buffer.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
            return None;
        }
        Some(Pager {
            saved,
            buffer,
            command,
        })
    }

    /// Put the terminal back as stdout and show what was written, through the pager (or
    /// directly, if it cannot be started).
    pub fn finish(mut self) {
        let _ = std::io::stdout().flush();
        // SAFETY: `saved` is open and owned by self; fd 1 becomes the terminal again.
        unsafe { libc::dup2(self.saved.as_raw_fd(), libc::STDOUT_FILENO) };
        if self.buffer.rewind().is_err() || self.buffer.metadata().is_ok_and(|m| m.len() == 0) {
            return;
        }
        let Ok(input) = self.buffer.try_clone() else {
            return;
        };
        // The pager is a shell command line, as git runs `$PAGER` (`less -S` works).
        let mut pager = Command::new("/bin/sh");
        pager.arg("-c").arg(&self.command).stdin(Stdio::from(input));
        for (var, default) in [("LESS", "FRX"), ("LV", "-c")] {
            if std::env::var_os(var).is_none() {
                pager.env(var, default);
            }
        }
        match pager.spawn() {
            Ok(mut child) => {
                // Ctrl-C in the pager reaches runbook too (one process group): let the
                // pager handle it, and end after it, as git does. Ignored only after the
                // spawn: an ignored signal would stay ignored in the pager.
                // SAFETY: SIG_IGN is a valid disposition; the previous ones are put back.
                let (int, quit) = unsafe {
                    (
                        libc::signal(libc::SIGINT, libc::SIG_IGN),
                        libc::signal(libc::SIGQUIT, libc::SIG_IGN),
                    )
                };
                let _ = child.wait();
                // SAFETY: the dispositions signal() returned above.
                unsafe {
                    libc::signal(libc::SIGINT, int);
                    libc::signal(libc::SIGQUIT, quit);
                }
            }
            Err(_) => {
                let _ = std::io::copy(&mut self.buffer, &mut std::io::stdout());
            }
        }
    }
}
