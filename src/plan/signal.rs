//! Planning `kill_sessions`: the live processes of one user, read from the host's
//! `/proc`, as the work that ends them (`apply::signal`).

use std::time::Duration;

use anyhow::{Context as _, Result};

use super::types::{SignalWork, Work};
use crate::facts::account::Account;
use crate::facts::processes;
use crate::host::Host;

/// The work that ends `account`'s processes; none when it has none.
pub fn plan(host: &Host, account: &Account, wait: Duration) -> Result<Vec<Work>> {
    // Refused again here, whatever the step asked: a planner never ends root's processes.
    account.refuse_system("end the sessions of")?;
    let found = processes::of_user(host, account.uid, &account.user)
        .with_context(|| format!("cannot list the processes of `{}`", account.user))?;
    if found.processes.is_empty() && found.spared.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Work::Signal(SignalWork {
        user: account.user.clone(),
        uid: account.uid,
        wait_secs: wait.as_secs(),
        reversible: false,
        processes: found.processes,
        spared: found.spared,
    })])
}
