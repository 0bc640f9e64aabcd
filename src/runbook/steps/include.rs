//! Step `include`: the checks and steps of another runbook.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
