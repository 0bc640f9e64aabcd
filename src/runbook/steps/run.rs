//! Step `run`: a program run with argv, no shell.

use anyhow::Result;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::inputs;
use super::{Command, Planning};
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// Program and arguments; each element is a template rendered on its own, never via a shell.
    pub argv: Vec<String>,
    /// Whether the command changes the host. Non-mutating commands also run in `--dry-run`.
    pub mutating: bool,
    /// Command that reverses this one, run by rollback and when a later step fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<Vec<String>>,
    /// Kill the command's process group after this long, e.g. `30s` (default 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Text fed to the program's standard input (template). The way to hand it a
    /// secret: argv is world-readable in `/proc/PID/cmdline`, stdin is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Environment variables set for the program, `NAME: value` (values are templates),
    /// added to the engine's minimal `PATH` and `LANG`. The other way to pass a secret.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
}

/// For `runbook show`.
pub fn describe(a: &Run) -> String {
    let undo = a
        .undo
        .as_ref()
        .map(|u| format!(" (undo: `{}`)", u.join(" ")))
        .unwrap_or_default();
    let kind = if a.mutating { "run" } else { "run (read-only)" };
    let input = inputs(a.stdin.as_deref(), &a.env);
    format!("{kind} `{}`{undo}{input}", a.argv.join(" "))
}

/// Lint: argv and undo, the timeout (`stdin` and `env` are linted with every command's).
pub(crate) fn lint(a: &Run, v: &mut Validator, p: &str, scope: &Scope) {
    v.argv(&format!("{p}.argv"), &a.argv, scope);
    if let Some(undo) = &a.undo {
        v.argv(&format!("{p}.undo"), undo, scope);
    }
    v.duration(&format!("{p}.timeout"), a.timeout.as_deref());
}

/// Planning: the command, every argv element rendered on its own.
pub fn plan<P: Planning>(a: &Run, p: &mut P) -> Result<P::Out> {
    let render_argv = |argv: &[String]| -> Result<Vec<String>> {
        argv.iter().map(|t| p.render(t)).collect()
    };
    let argv = render_argv(&a.argv)?;
    let undo = a.undo.as_deref().map(render_argv).transpose()?;
    p.command(Command {
        argv,
        undo,
        timeout: a.timeout.as_deref(),
        mutating: a.mutating,
        stdin: a.stdin.as_deref(),
        env: &a.env,
    })
}
