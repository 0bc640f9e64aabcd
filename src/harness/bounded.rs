//! A command of a container run to its end, bounded: killed with its process group after
//! [`timeout`] (a step waiting forever must not hang CI) or at Ctrl-C.

use std::process::Command;

use anyhow::{Context, Result, bail};

use super::engine::Output;
use crate::process;

/// Run `cmd` to its end (process::run_command: its own process group, stdin fed from a
/// thread), or kill its group after [`timeout`] (a step waiting forever must not hang
/// CI): exit -1 and stderr saying so. Interruptible: Ctrl-C ends it with an error.
pub fn run(cmd: Command, stdin: Option<&str>, interruptible: bool) -> Result<Output> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let limit = timeout();
    let done = process::run_command(cmd, stdin, limit, interruptible).context(program)?;
    if interruptible && !done.timed_out && process::interrupted() {
        bail!("interrupted (Ctrl-C)");
    }
    let mut stderr = done.stderr;
    if done.timed_out {
        stderr.push_str(&format!(
            "\nkilled after {}s: the command did not end",
            limit.as_secs()
        ));
    }
    Ok(Output {
        code: if done.timed_out {
            -1
        } else {
            done.code.unwrap_or(-1)
        },
        stdout: done.stdout,
        stderr,
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
