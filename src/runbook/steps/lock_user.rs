//! Step `lock_user`: article 003's "change the password" made safe to do first: the
//! password is locked (`usermod -L`) and expired (`chage -d 0`), so nobody logs in with
//! it and its owner must set a new one; rollback unlocks and restores its age.

use anyhow::Result;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Command, Planning};
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LockUser {
    /// The user (template, e.g. `{{params.user}}`). Root and system users (below
    /// `UID_MIN` of `/etc/login.defs`) are refused.
    pub user: String,
}

/// For `runbook show`.
pub fn describe(a: &LockUser) -> String {
    format!(
        "lock the password of `{}` and expire it (`usermod -L`, `chage -d 0`)",
        a.user
    )
}

pub(crate) fn lint(a: &LockUser, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.user"), &a.user, scope);
}

/// Planning: the commands still needed (none when the password is already locked and
/// expired), each with the undo that puts back what the account had.
pub fn plan<P: Planning>(a: &LockUser, p: &mut P) -> Result<P::Out> {
    let user = p.render(&a.user)?;
    let account = p.account(&user)?;
    account.refuse_system("lock")?;
    let argv = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let mut commands = Vec::new();
    if !account.locked {
        commands.push((argv(&["usermod", "-L", &user]), argv(&["usermod", "-U", &user])));
    }
    if account.last_change != Some(0) {
        // `-1` clears the date again where the account had none (no password aging).
        let old = account.last_change.unwrap_or(-1).to_string();
        commands.push((
            argv(&["chage", "-d", "0", &user]),
            argv(&["chage", "-d", &old, &user]),
        ));
    }
    let env = IndexMap::new();
    p.commands(
        commands
            .into_iter()
            .map(|(argv, undo)| Command {
                argv,
                undo: Some(undo),
                timeout: None,
                mutating: true,
                stdin: None,
                env: &env,
            })
            .collect(),
    )
}
