//! A command of a container run to its end, bounded: killed with its process group after
//! [`TIMEOUT`] (a step waiting forever must not hang CI) or at Ctrl-C.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::engine::Output;

/// Run `cmd` to its end, or kill its process group after [`timeout`] (a step
/// waiting forever must not hang CI): exit -1 and stderr saying so.
pub fn run(mut cmd: Command, stdin: Option<&str>, interruptible: bool) -> Result<Output> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd.spawn().with_context(|| program.clone())?;
    if let Some(text) = stdin {
        let mut input = child.stdin.take().expect("piped");
        let text = text.to_string();
        std::thread::spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
    }
    let reader = |mut pipe: Box<dyn Read + Send>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = tx.send(bytes);
        });
        rx
    };
    let stdout = reader(Box::new(child.stdout.take().expect("piped")));
    let stderr = reader(Box::new(child.stderr.take().expect("piped")));
    let limit = timeout();
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if interruptible && crate::process::interrupted() {
            // SAFETY: as below.
            unsafe { libc::killpg(child.id() as libc::pid_t, libc::SIGKILL) };
            let _ = child.wait();
            bail!("interrupted (Ctrl-C)");
        }
        if Instant::now() >= deadline {
            // SAFETY: killpg has no memory preconditions; the group is the child's own.
            unsafe { libc::killpg(child.id() as libc::pid_t, libc::SIGKILL) };
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // A daemon started by the command may hold the pipes open: read what came.
    let text = |rx: mpsc::Receiver<Vec<u8>>| {
        String::from_utf8_lossy(&rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default())
            .into_owned()
    };
    let (out, mut err) = (text(stdout), text(stderr));
    let code = match status {
        Some(status) => status.code().unwrap_or(-1),
        None => {
            err.push_str(&format!(
                "\nkilled after {}s: the command did not end",
                limit.as_secs()
            ));
            -1
        }
    };
    Ok(Output {
        code,
        stdout: out,
        stderr: err,
    })
}

/// The longest a command in a container may run: RUNBOOK_TEST_TIMEOUT seconds, else
/// [`TIMEOUT`].
pub fn timeout() -> std::time::Duration {
    std::env::var("RUNBOOK_TEST_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map(std::time::Duration::from_secs)
        .unwrap_or(TIMEOUT)
}

/// The default bound of one command.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);
