//! Step `include`: the checks and steps of another runbook.

use anyhow::{Result, bail};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Include {
    /// Id of the runbook whose checks and steps run here.
    pub runbook: String,
    /// Params passed to it (values are templates).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, String>,
}

/// For `runbook show`.
pub fn describe(a: &Include) -> String {
    format!("the steps of runbook `{}`", a.runbook)
}

/// Lint: the params' templates (the included runbook is checked with every include's).
pub(crate) fn lint(a: &Include, v: &mut Validator, p: &str, scope: &Scope) {
    for (key, value) in &a.params {
        v.template(&format!("{p}.params.{key}"), value, scope);
    }
}

/// Planning: none here; the planner expands an include into the included steps.
pub fn plan<P: Planning>(_: &Include, _: &mut P) -> Result<P::Out> {
    bail!("include is expanded by the planner")
}
