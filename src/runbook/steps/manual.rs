//! Step `manual`: a checklist item for a person.

use anyhow::Result;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::runbook::validate::{Scope, Validator};

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

/// Lint: the text, and the evidence facts exist.
pub(crate) fn lint(a: &Manual, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.text"), &a.text, scope);
    for (i, fact) in a.facts.iter().enumerate() {
        v.fact(&format!("{p}.facts.{i}"), fact);
    }
}

/// Planning: the checklist item, with its facts as evidence.
pub fn plan<P: Planning>(a: &Manual, p: &mut P) -> Result<P::Out> {
    let text = p.render(&a.text)?;
    p.manual(text, &a.facts)
}
