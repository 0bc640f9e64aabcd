//! Step `shell`: a script run by `/bin/sh -e -c`, its values shell-quoted.

use anyhow::Result;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::inputs;
use super::{Command, Planning};
use crate::runbook::template::Escape;
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shell {
    /// Script for `/bin/sh -e -c`: it stops at the first command that fails. Every
    /// `{{value}}` is inserted shell-quoted.
    pub script: String,
    pub mutating: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Text fed to the script's standard input (template, inserted as it is). Secrets go
    /// here or in `env`, never in `script`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Environment variables for the script, `NAME: value` (values are templates,
    /// inserted as they are: read them as `"$NAME"`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
}

/// For `runbook show`.
pub fn describe(a: &Shell) -> String {
    format!(
        "run shell script `{}`{}",
        a.script.trim(),
        inputs(a.stdin.as_deref(), &a.env)
    )
}

/// Lint: script and undo, the timeout (`stdin` and `env` are linted with every command's).
pub(crate) fn lint(a: &Shell, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.script"), &a.script, scope);
    v.opt_template(&format!("{p}.undo"), a.undo.as_deref(), scope);
    v.duration(&format!("{p}.timeout"), a.timeout.as_deref());
}

/// Planning: `/bin/sh -e -c` with the script, its values shell-quoted.
pub fn plan<P: Planning>(a: &Shell, p: &mut P) -> Result<P::Out> {
    let script = p.render_with(&a.script, Escape::Shell)?;
    let undo = match &a.undo {
        Some(u) => Some(sh(p.render_with(u, Escape::Shell)?)),
        None => None,
    };
    p.command(Command {
        argv: sh(script),
        undo,
        timeout: a.timeout.as_deref(),
        mutating: a.mutating,
        stdin: a.stdin.as_deref(),
        env: &a.env,
    })
}

/// `-e`: a script whose middle line fails must fail the step, not be reported as changed
/// because its last line happened to succeed.
fn sh(script: String) -> Vec<String> {
    vec!["/bin/sh".into(), "-e".into(), "-c".into(), script]
}
