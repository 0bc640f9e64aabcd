//! Fault-injection points for the crash and race tests (debug builds only).
//!
//! `RUNBOOK_TEST_HOOK=POINT[:N]=ACTION[,...]`: the N-th time (default 1st) the apply
//! passes POINT, do ACTION: `kill` (SIGKILL ourselves, as a crash would) or `run:PATH`
//! (run the program PATH and wait, as an attacker racing us would). Points:
//! `after-journal` (an action's journal line is synced), `after-temp` (the new file is
//! written beside the old one), `after-rename` (it replaced the old one), `after-install` (a file's own program
//! installed the new content), `after-message` (a queued message moved into the quarantine),
//! `after-term` (`kill_sessions` sent TERM), `after-done`
//! (the action is journaled done), `rollback-after-restore`.

#[cfg(debug_assertions)]
pub fn point(name: &str) {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static SEEN: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);
    let Ok(spec) = std::env::var("RUNBOOK_TEST_HOOK") else {
        return;
    };
    let count = {
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        let n = seen.get_or_insert_default().entry(name.into()).or_insert(0);
        *n += 1;
        *n
    };
    for hook in spec.split(',') {
        let Some((at, action)) = hook.split_once('=') else {
            continue;
        };
        let (point, nth) = match at.split_once(':') {
            Some((p, n)) => (p, n.parse().unwrap_or(1)),
            None => (at, 1),
        };
        if point != name || nth != count {
            continue;
        }
        if action == "kill" {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        } else if let Some(program) = action.strip_prefix("run:") {
            let _ = std::process::Command::new(program).status();
        }
    }
}

#[cfg(not(debug_assertions))]
pub fn point(_name: &str) {}
