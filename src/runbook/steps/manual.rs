//! Step `manual`: a checklist item for a person.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manual {
    /// What the person should do (template).
    pub text: String,
    /// Facts shown with the item, as evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<String>,
}

/// For `runbook show`.
pub fn describe(a: &Manual) -> String {
    format!("by hand: {}", a.text.trim())
}
