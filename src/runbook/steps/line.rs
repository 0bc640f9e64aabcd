//! Step `line`: a line present or absent, or replaced by regex.

use anyhow::{Result, anyhow};
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::edit::line;
use crate::runbook::diagnostic::Code;
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// `line` is present (replacing the last line matching `regex`, if given).
    #[default]
    Present,
    /// No line matches `regex`.
    Absent,
    /// Every match of `regex` is replaced by `with`.
    Replace,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineEdit {
    /// Host path of the file (template).
    pub file: String,
    /// The site user (name or uid, template such as `{{item.user}}`) who may own this
    /// file and the directories leading to it. Without it, every directory on the way and
    /// the file itself must belong to root: a site user's file is edited only where the
    /// step says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default)]
    pub state: LineState,
    /// The line to ensure (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Replacement for `state: replace` (`$1` expands groups; template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
}

/// For `runbook show`.
pub fn describe(a: &LineEdit) -> String {
    match a.state {
        LineState::Present => format!(
            "ensure line `{}` in `{}`",
            a.line.as_deref().unwrap_or(""),
            a.file
        ),
        LineState::Absent => format!(
            "remove lines matching `{}` from `{}`",
            a.regex.as_deref().unwrap_or(""),
            a.file
        ),
        LineState::Replace => {
            format!(
                "replace `{}` with `{}` in `{}`",
                a.regex.as_deref().unwrap_or(""),
                a.with.as_deref().unwrap_or(""),
                a.file
            )
        }
    }
}

/// Lint: templates, the regex, and the fields each `state` needs.
pub(crate) fn lint(a: &LineEdit, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.file"), &a.file, scope);
    v.opt_template(&format!("{p}.owner"), a.owner.as_deref(), scope);
    v.opt_template(&format!("{p}.line"), a.line.as_deref(), scope);
    v.opt_template(&format!("{p}.with"), a.with.as_deref(), scope);
    v.regex(&format!("{p}.regex"), a.regex.as_deref());
    let missing = match a.state {
        LineState::Present if a.line.is_none() => Some("`state: present` needs `line`"),
        LineState::Absent if a.regex.is_none() => Some("`state: absent` needs `regex`"),
        LineState::Replace if a.regex.is_none() || a.with.is_none() => {
            Some("`state: replace` needs `regex` and `with`")
        }
        _ => None,
    };
    if let Some(message) = missing {
        v.key(p, Code::StepFields, message.into());
    }
}

/// Planning: the edit of the file.
pub fn plan<P: Planning>(a: &LineEdit, p: &mut P) -> Result<P::Out> {
    let regex = a.regex.as_deref().map(Regex::new).transpose()?;
    let text_line = a.line.as_deref().map(|l| p.render(l)).transpose()?;
    let with = a.with.as_deref().map(|w| p.render(w)).transpose()?;
    p.edit(&a.file, a.owner.as_deref(), |text| {
        Ok(match a.state {
            LineState::Present => {
                line::ensure_present(text, text_line.as_deref().unwrap_or(""), regex.as_ref())?
            }
            LineState::Absent => {
                line::ensure_absent(text, regex.as_ref().ok_or_else(|| anyhow!("no regex"))?)
            }
            LineState::Replace => line::replace(
                text,
                regex.as_ref().ok_or_else(|| anyhow!("no regex"))?,
                with.as_deref().unwrap_or(""),
            )?,
        })
    })
}
