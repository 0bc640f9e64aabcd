//! Step `cron_disable`: comment out a user's cron jobs that match, through `crontab -u
//! USER -` so cron notices; rollback reinstalls the table as it was.

use anyhow::{Result, bail};
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::edit::crontab;
use crate::edit::installer::Installer;
use crate::runbook::diagnostic::Code;
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CronDisable {
    /// The user whose crontab it is (template, e.g. `{{params.user}}`).
    pub user: String,
    /// Jobs whose line matches this regular expression are disabled (a template, such
    /// as `{{params.pattern}}`, is the expression once rendered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Jobs whose line contains this text are disabled (template, e.g. the mailing
    /// script's name `{{item.script}}`; matched as it is, not as a pattern).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
}

/// For `runbook show`.
pub fn describe(a: &CronDisable) -> String {
    let what = match (&a.pattern, &a.script) {
        (Some(p), _) => format!("matching `{p}`"),
        (None, Some(s)) => format!("running `{s}`"),
        (None, None) => String::new(),
    };
    format!(
        "comment out the cron jobs of `{}` {what} (installed with `crontab -u`)",
        a.user
    )
}

/// Lint: the user and script templates, the pattern, and exactly one of the two.
pub(crate) fn lint(a: &CronDisable, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.user"), &a.user, scope);
    v.opt_template(&format!("{p}.script"), a.script.as_deref(), scope);
    match a.pattern.as_deref() {
        // A template (`{{params.pattern}}`) is a regular expression once rendered.
        Some(t) if t.contains("{{") => v.template(&format!("{p}.pattern"), t, scope),
        other => v.regex(&format!("{p}.pattern"), other),
    }
    if a.pattern.is_some() == a.script.is_some() {
        v.key(
            p,
            Code::StepFields,
            "`cron_disable` needs one of `pattern` (a regular expression) or `script` (text)"
                .into(),
        );
    }
}

/// Planning: the user's table as `crontab -l` lists it, with the matching jobs disabled.
pub fn plan<P: Planning>(a: &CronDisable, p: &mut P) -> Result<P::Out> {
    let user = p.render(&a.user)?;
    let pattern = match (&a.pattern, &a.script) {
        (Some(re), _) => {
            let re = p.render(re)?;
            if re.is_empty() {
                bail!("`pattern` is empty: it would match every job");
            }
            Regex::new(&re).map_err(|e| anyhow::anyhow!("pattern `{re}`: {e}"))?
        }
        (None, Some(script)) => {
            let script = p.render(script)?;
            if script.is_empty() {
                bail!("`script` is empty: it would match every job");
            }
            Regex::new(&regex::escape(&script))?
        }
        (None, None) => bail!("`cron_disable` needs `pattern` or `script`"),
    };
    p.install(Installer::Crontab { user }, |table| {
        Ok(crontab::disable(table, &pattern))
    })
}
