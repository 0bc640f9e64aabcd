//! The typed runbook format. The JSON Schema in `schemas/` is generated from these types,
//! so every field documented here is what editors complete and `runbook lint` accepts.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::Param;
use super::steps::service_reload::ServiceReload;
pub use super::steps::{ACTION_NAMES, Action, Step};
use crate::with_comparison;

/// A remediation runbook: read-only checks, then steps chosen by conditions, then handlers.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "runbook")]
pub struct Runbook {
    /// Unique id, used on the command line: `runbook apply ID`.
    pub id: String,
    /// One line saying what the runbook does, for people.
    pub title: String,
    /// Why and when to use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Typed parameters, set with `-p KEY=VALUE`, `--param-file KEY=PATH` or
    /// `RUNBOOK_PARAM_KEY` (secrets never with `-p`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, Param>,
    /// Read-only checks: always evaluated, also in `--dry-run`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Steps in order; each has exactly one action.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// Actions run once after all steps, when some step that changed something notified them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub handlers: IndexMap<String, Handler>,
}

with_comparison! {
    /// A read-only check: the value of one fact, judged by at most one comparison.
    #[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Check {
        /// Id, unique within the runbook; conditions refer to it with `check: ID`.
        pub id: String,
        pub title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Dotted fact name whose value this check reports, e.g. `php.add_x_header`.
        pub fact: String,
    }
}

/// Iterate over a list-valued fact.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    /// Dotted name of a fact holding a list, e.g. `php.ini_files`.
    pub fact: String,
}

/// A handler: one action run after the steps, at most once.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Handler {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_reload: Option<ServiceReload>,
}
