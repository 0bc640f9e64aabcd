//! Step `apache_directive`: set or remove a directive inside matching `<VirtualHost>` blocks.

use anyhow::Result;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::edit::apache;
use crate::runbook::diagnostic::Code;
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApacheDirective {
    /// Host path of the Apache config file holding the virtual hosts (template).
    pub file: String,
    /// The site user (name or uid, template such as `{{item.user}}`) who may own this
    /// file and the directories leading to it. Without it, every directory on the way and
    /// the file itself must belong to root: a site user's file is edited only where the
    /// step says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Directive name, e.g. `php_admin_value`.
    pub directive: String,
    /// First argument naming the setting, e.g. `sendmail_path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arg: Option<String>,
    /// Raw value, e.g. `""` (template). Required when `state: present`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Only virtual hosts whose ServerName or ServerAlias matches (template); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(default)]
    pub state: Presence,
}

/// For `runbook show`.
pub fn describe(a: &ApacheDirective) -> String {
    let scope = a
        .server_name
        .as_deref()
        .map(|s| format!("the VirtualHost of `{s}`"))
        .unwrap_or("every VirtualHost".into());
    let directive = format!("{} {}", a.directive, a.arg.as_deref().unwrap_or(""))
        .trim()
        .to_string();
    match a.state {
        Presence::Present => format!(
            "set `{directive} {}` in {scope} of `{}`",
            a.value.as_deref().unwrap_or(""),
            a.file
        ),
        Presence::Absent => format!("remove `{directive}` from {scope} of `{}`", a.file),
    }
}

/// Lint: templates, and `value` when the directive is to be present.
pub(crate) fn lint(a: &ApacheDirective, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.file"), &a.file, scope);
    v.opt_template(&format!("{p}.owner"), a.owner.as_deref(), scope);
    v.opt_template(&format!("{p}.value"), a.value.as_deref(), scope);
    v.opt_template(&format!("{p}.server_name"), a.server_name.as_deref(), scope);
    if a.state == Presence::Present && a.value.is_none() {
        v.key(
            p,
            Code::StepFields,
            "`apache_directive` with `state: present` needs `value`".into(),
        );
    }
}

/// Planning: the edit of the file.
pub fn plan<P: Planning>(a: &ApacheDirective, p: &mut P) -> Result<P::Out> {
    let server_name = a.server_name.as_deref().map(|s| p.render(s)).transpose()?;
    let value = a
        .value
        .as_deref()
        .map(|v| p.render(v))
        .transpose()?
        .unwrap_or_default();
    let arg = a.arg.as_deref();
    p.edit(&a.file, a.owner.as_deref(), |text| {
        Ok(match a.state {
            Presence::Present => apache::set_directive(
                text,
                &a.directive,
                arg,
                &value,
                server_name.as_deref(),
            )?,
            Presence::Absent => {
                apache::remove_directive(text, &a.directive, arg, server_name.as_deref())?
            }
        })
    })
}
