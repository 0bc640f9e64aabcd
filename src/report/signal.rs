//! `kill_sessions` in the plan for people: each process to end, one line each, and that
//! it cannot be undone. A process's command line and name are the user's to write
//! (newlines, terminal escapes, megabytes): escaped and cut to one short line.

use std::fmt::Write;

use super::escape::escape;
use super::style::Style;
use crate::plan::types::{Plan, PlannedStep};

/// The most of a command line shown per process (the JSON has what was read).
const SHOWN_MAX: usize = 160;

pub fn lines(out: &mut String, step: &PlannedStep, dry_run: bool, style: Style) {
    for signal in &step.signals {
        let n = signal.processes.len();
        if n == 0 {
            let _ = writeln!(
                out,
                "      nothing of {} (uid {}) to end: runbook runs under each of its processes",
                escape(&signal.user),
                signal.uid
            );
        } else {
            let _ = writeln!(
                out,
                "      {} {n} process{} of {} (uid {}): TERM, then KILL to those still running after {}s",
                if dry_run { "would end" } else { "ends" },
                if n == 1 { "" } else { "es" },
                escape(&signal.user),
                signal.uid,
                signal.wait_secs
            );
        }
        for p in &signal.processes {
            let result = p
                .result
                .as_deref()
                .map(|r| format!(" -> {}", escape(r)))
                .unwrap_or_default();
            let ssh = if p.ssh { " [ssh session]" } else { "" };
            let _ = writeln!(
                out,
                "        PID {} tty {} started {}: {}{ssh}{result}",
                p.pid,
                escape(p.tty.as_deref().unwrap_or("-")),
                escape(p.started.as_deref().unwrap_or("?")),
                short(&p.cmdline, &p.comm)
            );
        }
        for p in &signal.spared {
            let _ = writeln!(
                out,
                "        spares PID {} tty {}: {} (runbook runs under it)",
                p.pid,
                escape(p.tty.as_deref().unwrap_or("-")),
                short(&p.cmdline, &p.comm)
            );
        }
        let _ = writeln!(
            out,
            "      {}",
            style.yellow(
                "not reversible: ended processes cannot be brought back, and rollback does not restart them"
            )
        );
    }
}

/// The command line (the name in brackets when it is empty, as `ps` shows a process
/// that cleared it), escaped and cut.
fn short(cmdline: &str, comm: &str) -> String {
    let text = if cmdline.is_empty() {
        format!("[{comm}]")
    } else {
        cmdline.to_string()
    };
    let mut shown = escape(&text);
    if shown.chars().count() > SHOWN_MAX {
        shown = shown.chars().take(SHOWN_MAX).collect::<String>() + "...";
    }
    shown
}

/// `, N processes to end` for the plan's summary, or nothing.
pub fn count(plan: &Plan) -> String {
    let n: usize = plan
        .steps
        .iter()
        .filter(|s| s.chosen)
        .flat_map(|s| &s.signals)
        .map(|s| s.processes.len())
        .sum();
    match n {
        0 => String::new(),
        1 => ", 1 process to end".into(),
        n => format!(", {n} processes to end"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_command_line_is_one_short_escaped_line() {
        let evil = format!("x\n\x1b[2J\rAll clear\u{202e}{}", "A".repeat(100_000));
        let shown = short(&evil, "x");
        assert!(!shown.contains('\n') && !shown.contains('\x1b') && !shown.contains('\r'));
        assert!(
            shown.starts_with("x\\n\\x1b[2J\\rAll clear\\u{202e}AAA"),
            "{shown}"
        );
        assert!(shown.chars().count() <= SHOWN_MAX + 3);
        assert_eq!(short("", "kworker\x1b"), "[kworker\\x1b]");
    }
}
