//! Running external commands for facts, applies and rollbacks alike: argv only, in their
//! own process group, with a timeout, chrooted into `--root`, killed as a group on
//! timeout or Ctrl-C.

use std::collections::HashSet;
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex, Once, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, killpg, pthread_sigmask};
use nix::unistd::Pid;

use crate::host::{Host, SEARCH_PATH};

/// Process groups of running commands, killed when the user presses Ctrl-C.
static RUNNING: LazyLock<Mutex<HashSet<i32>>> = LazyLock::new(|| Mutex::new(HashSet::new()));
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static HANDLER: Once = Once::new();

/// Whether Ctrl-C (or SIGTERM) arrived; an apply stops and undoes what it did.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Install the Ctrl-C handler that kills running command groups.
pub fn install_interrupt_handler() {
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            for pgid in RUNNING.lock().map(|r| r.clone()).unwrap_or_default() {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGTERM);
            }
        });
    });
}

/// How a command ended.
#[derive(Debug, Clone)]
pub struct Finished {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    /// One line saying how it ended, with the end of stderr.
    pub fn summary(&self) -> String {
        let how = if self.timed_out {
            "timed out and was killed".to_string()
        } else if let Some(code) = self.code {
            format!("exited with status {code}")
        } else {
            format!("was killed by signal {}", self.signal.unwrap_or(0))
        };
        let err = self.stderr.trim();
        let tail: String = err
            .lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        if tail.is_empty() {
            how
        } else {
            format!("{how}: {tail}")
        }
    }
}

/// Run argv on the host (chrooted unless the host is `/`), stdin empty.
pub fn run(host: &Host, argv: &[String], timeout: Duration) -> Result<Finished> {
    spawn(host, argv, timeout, None, &[])
}

/// Run argv on the host with `stdin` fed to it and `env` added to its environment.
pub fn spawn(
    host: &Host,
    argv: &[String],
    timeout: Duration,
    stdin: Option<&str>,
    env: &[(String, String)],
) -> Result<Finished> {
    let Some(program) = argv.first() else {
        bail!("empty command")
    };
    let resolved = host.find_program(program).with_context(|| {
        format!(
            "program `{program}` is not installed on the host (looked in {SEARCH_PATH} under {})",
            host.root().display()
        )
    })?;
    let mut cmd = Command::new(if host.is_live() {
        program.as_str()
    } else {
        resolved.as_str()
    });
    cmd.args(&argv[1..])
        .env_clear()
        .env("PATH", SEARCH_PATH)
        .env("LANG", "C.UTF-8")
        .envs(env.iter().map(|(k, v)| (k, v)));
    if !host.is_live() {
        let root =
            CString::new(host.root().as_os_str().as_bytes()).context("root path contains NUL")?;
        // SAFETY: only async-signal-safe calls (chroot, chdir) on memory prepared before fork.
        unsafe {
            cmd.pre_exec(move || {
                if libc::chroot(root.as_ptr()) != 0 || libc::chdir(c"/".as_ptr()) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    run_command(cmd, stdin, timeout, true).with_context(|| format!("cannot start `{program}`"))
}

/// How long output is still read after a command ended: a daemon it started may hold
/// its pipes open for ever.
const DRAIN: Duration = Duration::from_secs(5);

/// Run `cmd` in a process group of its own (its stdio set here), `stdin` fed to it, to
/// its end; after `timeout`, or at Ctrl-C when `interruptible`, the group is killed.
/// Not interruptible: a teardown that must finish although Ctrl-C was pressed.
pub fn run_command(
    mut cmd: Command,
    stdin: Option<&str>,
    timeout: Duration,
    interruptible: bool,
) -> Result<Finished> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    let mut child = cmd.spawn()?;
    let pgid = child.id() as i32;
    if interruptible {
        RUNNING.lock().map(|mut r| r.insert(pgid)).ok();
    }
    let input = writer(child.stdin.take(), stdin.map(|s| s.as_bytes().to_vec()));
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let stop = interruptible && interrupted();
        if started.elapsed() >= timeout || stop {
            timed_out = !stop;
            kill_group(pgid);
            break child.wait()?;
        }
        thread::sleep(Duration::from_millis(10));
    };
    RUNNING.lock().map(|mut r| r.remove(&pgid)).ok();
    // Not joined: a writer still blocked (a grandchild holds the pipe without reading)
    // must not hold up the apply; it ends with EPIPE once the pipe closes.
    drop(input);
    Ok(Finished {
        code: status.code(),
        signal: status.signal(),
        stdout: out.recv_timeout(DRAIN).unwrap_or_default(),
        stderr: err.recv_timeout(DRAIN).unwrap_or_default(),
        timed_out,
    })
}

/// TERM the group, then KILL whatever is left after a grace period.
fn kill_group(pgid: i32) {
    let pid = Pid::from_raw(pgid);
    let _ = killpg(pid, Signal::SIGTERM);
    for _ in 0..50 {
        if killpg(pid, None).is_err() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = killpg(pid, Signal::SIGKILL);
}

/// Feed `data` to the child's stdin from a thread, so a child that writes a lot before
/// reading cannot deadlock us; closing the pipe after it is the child's end of input.
/// SIGPIPE is blocked in this thread only: main restores its default disposition (for
/// `runbook history | head`), and a child that exits without reading its stdin must not
/// kill an apply half way. The write then fails with EPIPE, which is ignored.
fn writer(pipe: Option<ChildStdin>, data: Option<Vec<u8>>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let (Some(mut pipe), Some(data)) = (pipe, data) else {
            return;
        };
        let mut block = SigSet::empty();
        block.add(Signal::SIGPIPE);
        if pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&block), None).is_err() {
            return;
        }
        let _ = pipe.write_all(&data);
    })
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> Host {
        Host::new("/")
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn captures_output_and_status() {
        let done = run(
            &live(),
            &argv(&["sh", "-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(done.code, Some(3));
        assert_eq!(done.stdout, "out\n");
        assert_eq!(done.stderr, "err\n");
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survivor");
        // The grandchild would write the marker after 2s if it survived the group kill.
        let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let done = run(
            &live(),
            &argv(&["sh", "-c", &script]),
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(done.timed_out);
        thread::sleep(Duration::from_millis(2500));
        assert!(
            !marker.exists(),
            "a process of the group outlived the timeout"
        );
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let err = run(
            &live(),
            &argv(&["no-such-program-xyz"]),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`no-such-program-xyz` is not installed"),
            "{err}"
        );
    }
}
