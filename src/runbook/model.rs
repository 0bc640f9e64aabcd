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
    /// The hosts it is written for (mail servers, panels); absent: any host. Applying
    /// it to another host is refused, naming the runbooks that fit that host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<AppliesTo>,
    /// Files the facts read instead of the host's own, such as the logs a provider's
    /// block notice attaches (templates of params: `{{params.mail_log}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts_from: Option<FactsFrom>,
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
    /// Read-only checks after a successful apply, once or over a window: did the fix hold?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<super::verify::Verify>,
    /// Translations of the runbook's texts, by language (`ru`, `ja`): what the report
    /// shows in that language instead of the English.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "enum": super::i18n::LANGUAGES }))]
    pub i18n: IndexMap<String, super::i18n::Translation>,
}

/// Where facts come from instead of the host's own files. A template that renders
/// empty (an unset param) leaves the host's own.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FactsFrom {
    /// A mail log (host path) the `log` group reads, and `posts` takes failure times
    /// from; read as the MTA whose lines it holds (exim, postfix, qmail; syslog
    /// prefixes allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_log: Option<String>,
    /// Access logs (host paths, Apache or nginx combined format) `posts` reads instead
    /// of the web server's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_logs: Vec<String>,
}

/// Which hosts a runbook fits: every list given must name the host's.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// The mail servers (`mta.kind`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mta: Vec<MtaName>,
    /// The hosting panels (`panel`); `none` for a host without one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub panel: Vec<PanelName>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MtaName {
    Exim,
    Postfix,
    Qmail,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PanelName {
    Plesk,
    Ispmanager,
    None,
}

impl MtaName {
    pub fn as_str(self) -> &'static str {
        match self {
            MtaName::Exim => "exim",
            MtaName::Postfix => "postfix",
            MtaName::Qmail => "qmail",
        }
    }
}

impl PanelName {
    pub fn as_str(self) -> &'static str {
        match self {
            PanelName::Plesk => "plesk",
            PanelName::Ispmanager => "ispmanager",
            PanelName::None => "none",
        }
    }
}

impl AppliesTo {
    /// Why a host with this MTA and panel (`None`: none found) is not one it fits.
    pub fn misfit(&self, mta: Option<&str>, panel: Option<&str>) -> Option<String> {
        if !self.mta.is_empty() && !self.mta.iter().any(|m| Some(m.as_str()) == mta) {
            let wanted: Vec<&str> = self.mta.iter().map(|m| m.as_str()).collect();
            return Some(format!(
                "it is written for {}, and {}",
                wanted.join(" or "),
                match mta {
                    Some(m) => format!("this host runs {m}"),
                    None => "no mail server was found on this host".to_string(),
                }
            ));
        }
        let panel = panel.unwrap_or("none");
        if !self.panel.is_empty() && !self.panel.iter().any(|p| p.as_str() == panel) {
            let wanted: Vec<&str> = self.panel.iter().map(|p| p.as_str()).collect();
            return Some(format!(
                "it is written for hosts with panel {}, and this host has {}",
                wanted.join(" or "),
                if panel == "none" {
                    "none".to_string()
                } else {
                    panel.to_string()
                }
            ));
        }
        None
    }

    /// In words, for `runbook list`: `exim`, `qmail on plesk`; empty for any host.
    pub fn describe(&self) -> String {
        let mta: Vec<&str> = self.mta.iter().map(|m| m.as_str()).collect();
        let panel: Vec<&str> = self.panel.iter().map(|p| p.as_str()).collect();
        match (mta.is_empty(), panel.is_empty()) {
            (true, true) => String::new(),
            (false, true) => mta.join(", "),
            (true, false) => format!("panel {}", panel.join(", ")),
            (false, false) => format!("{} on {}", mta.join(", "), panel.join(", ")),
        }
    }
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
