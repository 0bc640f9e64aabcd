//! Step `ini_list_add`: add an item to a comma-separated ini value (its fields, `IniList`, are shared with `ini_list_remove`).

use anyhow::Result;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::edit::ini;
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IniList {
    /// Host path of the ini file (template).
    pub file: String,
    /// The site user (name or uid, template such as `{{item.user}}`) who may own this
    /// file and the directories leading to it. Without it, every directory on the way and
    /// the file itself must belong to root: a site user's file is edited only where the
    /// step says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub key: String,
    /// The list item, e.g. `mail` (template).
    pub item: String,
}

/// For `runbook show`.
pub fn describe(a: &IniList) -> String {
    format!("add `{}` to `{}` in `{}`", a.item, a.key, a.file)
}

/// Lint (also `ini_list_remove`'s): every field a template.
pub(crate) fn lint(a: &IniList, v: &mut Validator, p: &str, scope: &Scope) {
    v.templates(
        p,
        &[("file", &a.file), ("key", &a.key), ("item", &a.item)],
        scope,
    );
    v.opt_template(&format!("{p}.owner"), a.owner.as_deref(), scope);
}

/// Planning: the edit of the file.
pub fn plan<P: Planning>(a: &IniList, p: &mut P) -> Result<P::Out> {
    let (key, item) = (p.render(&a.key)?, p.render(&a.item)?);
    p.edit(&a.file, a.owner.as_deref(), |text| {
        Ok(ini::list_add(text, &key, &item)?)
    })
}
