//! Step `ini_set`: set `key = value` in an ini file.

use anyhow::Result;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::edit::ini;
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IniSet {
    /// Host path of the ini file (template).
    pub file: String,
    /// The site user (name or uid, template such as `{{item.user}}`) who may own this
    /// file and the directories leading to it. Without it, every directory on the way and
    /// the file itself must belong to root: a site user's file is edited only where the
    /// step says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub key: String,
    /// Raw value written after `=`, e.g. `On` or `""` (template).
    pub value: String,
}

/// For `runbook show`.
pub fn describe(a: &IniSet) -> String {
    format!("set `{} = {}` in `{}`", a.key, a.value, a.file)
}

/// Lint: every field a template.
pub(crate) fn lint(a: &IniSet, v: &mut Validator, p: &str, scope: &Scope) {
    v.templates(
        p,
        &[("file", &a.file), ("key", &a.key), ("value", &a.value)],
        scope,
    );
    v.opt_template(&format!("{p}.owner"), a.owner.as_deref(), scope);
}

/// Planning: the edit of the file.
pub fn plan<P: Planning>(a: &IniSet, p: &mut P) -> Result<P::Out> {
    let (key, value) = (p.render(&a.key)?, p.render(&a.value)?);
    p.edit(&a.file, a.owner.as_deref(), |text| {
        Ok(ini::set(text, &key, &value)?)
    })
}
