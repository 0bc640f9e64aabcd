//! Applying `kill_sessions`: TERM, a bounded wait, then KILL to the processes of one user
//! the plan listed, each opened as `/proc/PID` first and checked through that
//! descriptor to be the process planned (same start time, same real uid), then
//! signalled through the same descriptor (`pidfd_send_signal`), so a PID reused by
//! another process between the plan and the signal is skipped and reported, never
//! signalled. Journaled before the first signal (what will be signalled) and after
//! (what ended by TERM, by KILL, or was already gone). Not reversible.

use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};

use super::hook;
use super::journal::{Entry, Journal, JournalAction, now};
use crate::facts::processes::{self, Opened, Process};
use crate::host::Host;
use crate::plan::types::SignalWork;

/// How long a process gets to exit after KILL before it is reported still running.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How often a signalled process is looked at.
const POLL: Duration = Duration::from_millis(20);

/// A process the journal says is about to be signalled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub pid: u32,
    pub start_time: u64,
    pub uid: u32,
    /// As the plan showed it (bounded, lossy UTF-8).
    pub cmdline: String,
}

/// What became of one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ended {
    pub pid: u32,
    pub start_time: u64,
    /// `ended by TERM`, `ended by KILL`, `already gone`, `skipped: ...`, `still running
    /// after KILL`, or `error: ...`.
    pub result: String,
}

pub const BY_TERM: &str = "ended by TERM";
pub const BY_KILL: &str = "ended by KILL";
pub const GONE: &str = "already gone";
pub const STILL_RUNNING: &str = "still running after KILL";

/// One planned process, opened and checked.
enum Checked {
    /// The process planned, held open: the one to signal.
    Same(Opened),
    /// Nothing to signal, and why (`already gone`, `skipped: ...`, `error: ...`).
    Not(String),
}

/// Open `/proc/PID` of a planned process and check, through that descriptor, that it is
/// still the process the plan saw.
fn check(proc_dir: &std::path::Path, protected: &[u32], work: &SignalWork, p: &Process) -> Checked {
    if protected.contains(&p.pid) || p.uid == 0 || p.uid != work.uid {
        return Checked::Not(format!(
            "skipped: PID {} is never signalled (init, runbook or a process it runs under, or not the user's)",
            p.pid
        ));
    }
    let opened = match Opened::open(&proc_dir.join(p.pid.to_string())) {
        Ok(opened) => opened,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Checked::Not(GONE.into()),
        Err(e) => return Checked::Not(format!("error: cannot open /proc/{}: {e}", p.pid)),
    };
    match opened.identity() {
        Ok(None) => Checked::Not(GONE.into()),
        Ok(Some((stat, uid))) => {
            if stat.start_time != p.start_time {
                Checked::Not(format!(
                    "skipped: PID {} is another process now (started at tick {}, the plan saw {})",
                    p.pid, stat.start_time, p.start_time
                ))
            } else if uid != work.uid {
                Checked::Not(format!(
                    "skipped: PID {} runs as uid {uid} now, not {} as planned",
                    p.pid, work.uid
                ))
            } else if stat.exited() {
                Checked::Not(GONE.into())
            } else {
                Checked::Same(opened)
            }
        }
        Err(e) => Checked::Not(format!("error: cannot read /proc/{}: {e}", p.pid)),
    }
}

/// Wait until none of `open` runs or `limit` passed; the indexes of those still running.
fn wait_for(open: &[(usize, Opened)], limit: Duration) -> Vec<usize> {
    let start = Instant::now();
    loop {
        let running: Vec<usize> = open
            .iter()
            .filter(|(_, o)| o.alive())
            .map(|(i, _)| *i)
            .collect();
        if running.is_empty() || start.elapsed() >= limit {
            return running;
        }
        thread::sleep(POLL);
    }
}

/// End the processes of `work`; journal action `seq` of `step`. The result of each, in
/// the plan's order. An error only when the journal cannot be written: a process that
/// could not be ended is in the results, and [`unended`] makes the step fail on it.
pub fn end(
    journal: &mut Journal,
    host: &Host,
    seq: u64,
    step: &str,
    work: &SignalWork,
) -> Result<Vec<Ended>> {
    if work.uid == 0 {
        bail!("refusing to end the processes of `{}`: uid 0", work.user);
    }
    let proc_dir = processes::proc_dir(host)?;
    let protected = processes::protected(&proc_dir);
    journal.write(&Entry::Begin {
        seq,
        at: now(),
        step: step.to_string(),
        action: JournalAction::Signal {
            user: work.user.clone(),
            uid: work.uid,
            processes: work
                .processes
                .iter()
                .map(|p| Target {
                    pid: p.pid,
                    start_time: p.start_time,
                    uid: p.uid,
                    cmdline: p.cmdline.clone(),
                })
                .collect(),
        },
    })?;
    hook::point("after-journal");
    let mut results: Vec<Option<String>> = vec![None; work.processes.len()];
    let mut open = Vec::new();
    for (i, p) in work.processes.iter().enumerate() {
        match check(&proc_dir, &protected, work, p) {
            Checked::Same(opened) => match opened.signal(Signal::SIGTERM) {
                Ok(true) => open.push((i, opened)),
                Ok(false) => results[i] = Some(GONE.into()),
                Err(e) => results[i] = Some(format!("error: TERM: {e}")),
            },
            Checked::Not(why) => results[i] = Some(why),
        }
    }
    hook::point("after-term");
    let wait = Duration::from_secs(work.wait_secs);
    let running = wait_for(&open, wait);
    let mut killed = Vec::new();
    for (i, opened) in open {
        if !running.contains(&i) {
            results[i] = Some(BY_TERM.into());
            continue;
        }
        match opened.signal(Signal::SIGKILL) {
            Ok(true) => killed.push((i, opened)),
            // It ended between the look and the KILL: TERM ended it.
            Ok(false) => results[i] = Some(BY_TERM.into()),
            Err(e) => results[i] = Some(format!("error: KILL: {e}")),
        }
    }
    let still = wait_for(&killed, KILL_WAIT);
    for (i, _) in killed {
        results[i] = Some(
            if still.contains(&i) {
                STILL_RUNNING
            } else {
                BY_KILL
            }
            .into(),
        );
    }
    let ended: Vec<Ended> = work
        .processes
        .iter()
        .zip(results)
        .map(|(p, r)| Ended {
            pid: p.pid,
            start_time: p.start_time,
            result: r.unwrap_or_else(|| GONE.into()),
        })
        .collect();
    journal.write(&Entry::Signalled {
        seq,
        at: now(),
        processes: ended.clone(),
    })?;
    journal.write(&Entry::Done { seq, at: now() })?;
    Ok(ended)
}

/// Whether `step` is a `kill_sessions` step whose every planned process was gone or
/// skipped at apply: it changed nothing.
pub fn nothing_signalled(step: &crate::plan::types::PlannedStep) -> bool {
    !step.signals.is_empty()
        && step
            .work
            .iter()
            .all(|w| matches!(w, crate::plan::types::Work::Signal(_)))
        && step.signals.iter().flat_map(|s| &s.processes).all(|p| {
            !p.result
                .as_deref()
                .is_some_and(|r| [BY_TERM, BY_KILL, STILL_RUNNING].contains(&r))
        })
}

/// The processes that could not be ended (still running after KILL, or an error).
pub fn unended(ended: &[Ended]) -> Vec<&Ended> {
    ended
        .iter()
        .filter(|e| e.result == STILL_RUNNING || e.result.starts_with("error:"))
        .collect()
}

/// Rollback's words for the journaled `kill_sessions` action `seq`: which processes were
/// signalled, by its `signalled` event (without one, the run died between the journal
/// line and the end: any planned process may have been).
pub fn not_reversible(user: &str, planned: &[Target], entries: &[Entry], seq: u64) -> String {
    let signalled = entries.iter().find_map(|e| match e {
        Entry::Signalled {
            seq: s, processes, ..
        } if *s == seq => Some(processes),
        _ => None,
    });
    let pids = |pids: Vec<u32>| {
        pids.iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (which, pids) = match signalled {
        Some(ended) => {
            let hit: Vec<u32> = ended
                .iter()
                .filter(|e| [BY_TERM, BY_KILL, STILL_RUNNING].contains(&e.result.as_str()))
                .map(|e| e.pid)
                .collect();
            if hit.is_empty() {
                return format!(
                    "no process of `{user}` was signalled (each was gone or skipped): nothing to reverse"
                );
            }
            ("", pids(hit))
        }
        None => (
            ", any of them signalled before the run was interrupted",
            pids(planned.iter().map(|p| p.pid).collect()),
        ),
    };
    format!(
        "ending the processes of `{user}` (PID {pids}{which}) is not reversible: rollback cannot bring them back; \
         the user can log in again unless the account is locked"
    )
}

/// The action as the run's record lists it (`runbook history`): `kill -TERM` and the PIDs
/// that were signalled; `None` when none was (all gone or skipped).
pub fn record(ended: &[Ended]) -> Option<Vec<String>> {
    let signalled: Vec<String> = ended
        .iter()
        .filter(|e| [BY_TERM, BY_KILL, STILL_RUNNING].contains(&e.result.as_str()))
        .map(|e| e.pid.to_string())
        .collect();
    if signalled.is_empty() {
        return None;
    }
    let mut argv = vec!["kill".to_string(), "-TERM".to_string()];
    argv.extend(signalled);
    Some(argv)
}
