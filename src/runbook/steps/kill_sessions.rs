//! Step `kill_sessions`: article 003's `killall -u USER`, made reviewable: the plan lists
//! each process of the user (PID, tty, start time, command line); apply sends TERM,
//! waits, then KILL to those still running, each checked to be the process planned.
//! Not reversible: an ended process cannot be brought back, and the plan says so.

use std::time::Duration;

use anyhow::{Result, anyhow};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::runbook::params::parse_duration;
use crate::runbook::validate::{Scope, Validator};

/// How long apply waits after TERM before it sends KILL, unless `wait` says.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);
/// The longest `wait` allowed: a step that ends sessions must not hang a run.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KillSessions {
    /// The user (template, e.g. `{{params.user}}`) whose SSH sessions and processes end.
    /// Root and system users (below `UID_MIN` of `/etc/login.defs`) are refused.
    pub user: String,
    /// How long to wait after TERM before KILL (a duration such as `5s`; default 5s, at
    /// most 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<String>,
}

/// For `runbook show`.
pub fn describe(a: &KillSessions) -> String {
    format!(
        "end the SSH sessions and processes of `{}` (TERM, then KILL after {}; not reversible)",
        a.user,
        a.wait.as_deref().unwrap_or("5s")
    )
}

pub(crate) fn lint(a: &KillSessions, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.user"), &a.user, scope);
    v.duration(&format!("{p}.wait"), a.wait.as_deref());
}

/// Planning: the user's live processes; none is nothing to do.
pub fn plan<P: Planning>(a: &KillSessions, p: &mut P) -> Result<P::Out> {
    let user = p.render(&a.user)?;
    let account = p.account(&user)?;
    account.refuse_system("end the sessions of")?;
    let wait = match &a.wait {
        Some(w) => Duration::from_secs(parse_duration(w).map_err(|e| anyhow!("wait `{w}`: {e}"))?),
        None => DEFAULT_WAIT,
    };
    p.end_processes(&account, wait.min(MAX_WAIT))
}
