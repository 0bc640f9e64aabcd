//! The `verify:` section: read-only checks run after a successful apply (and again with
//! `runbook verify`), once or over a window, that say whether the fix held.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::diagnostic::Code;
use super::validate::{Scope, Validator};
use crate::with_comparison;

/// What "held" means for this runbook, checked after apply.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verify {
    /// Keep watching this long (`2m`; a template of a duration param allowed): every
    /// check must hold at every sample. Absent: the checks run once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// How often facts are gathered again within the window (default `5s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    /// What a failed verify does: `keep` the run applied (default), or `rollback` it.
    #[serde(default)]
    pub on_fail: OnFail,
    pub checks: Vec<VerifyCheck>,
}

#[derive(
    Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum OnFail {
    /// Leave the run applied.
    #[default]
    Keep,
    /// Undo the run, as `runbook rollback` does.
    Rollback,
}

/// Which sources found at plan time must not queue mail again.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NewMailFrom {
    /// The scripts of `queue.top_scripts`.
    Scripts,
    /// The submitters of `queue.top_local_users` (uids, logins).
    Users,
}

with_comparison! {
    /// One verify check: a fact judged as in `checks:`, or one of the checks that need
    /// the facts as planned (`no_new_mail`) or the services (`config_tests`).
    #[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct VerifyCheck {
        /// Id, unique within `verify`; a failed verify names it.
        pub id: String,
        pub title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Dotted fact name judged by one comparison, e.g. `activity.non_mta` with `le: 0`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub fact: Option<String>,
        /// No message queued after the plan by a source the plan found in the queue.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub no_new_mail: Option<NewMailFrom>,
        /// `true`: the config test of every service the run's handlers reload passes
        /// (`apache2ctl configtest`, `exim -bV`, `postfix check`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub config_tests: Option<bool>,
        /// Every site whose script the plan found still answers `GET /` on loopback (with
        /// its `Host` header) with the status it gave before the apply.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sites_answer: Option<SitesAnswer>,
        /// Messages submitted on the host (local users, SMTP logins), as the MTA's log
        /// records them from the start of the run on, stay at or under this rate.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub arrival_rate: Option<ArrivalRate>,
    }
}

/// The bound of `arrival_rate`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArrivalRate {
    /// At most this many submissions a minute (a window under a minute counts as one):
    /// a number, or a template of params (`"{{params.max_rate}}"`).
    pub max_per_minute: PerMinute,
}

/// A rate bound as written: a number, or a template giving one at verify time.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum PerMinute {
    Number(u64),
    Template(String),
}

/// Where the sites answer on this host.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SitesAnswer {
    /// The web server's port on 127.0.0.1 (default 80).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

impl SitesAnswer {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(80)
    }
}

impl Verify {
    /// The port of its `sites_answer` check, if it has one: then apply asks the sites
    /// before it changes anything.
    pub fn sites_port(&self) -> Option<u16> {
        self.checks
            .iter()
            .find_map(|c| c.sites_answer.as_ref().map(SitesAnswer::port))
    }

    /// Whether a check counts the log's arrivals: then apply marks the log's end first.
    pub fn counts_arrivals(&self) -> bool {
        self.checks.iter().any(|c| c.arrival_rate.is_some())
    }
}

/// The kinds of verify check, by the field that sets each.
pub const KINDS: [&str; 5] = [
    "fact",
    "no_new_mail",
    "config_tests",
    "sites_answer",
    "arrival_rate",
];

impl VerifyCheck {
    /// The kinds it sets, of [`KINDS`] (lint wants exactly one).
    fn kinds(&self) -> Vec<&'static str> {
        let set = [
            self.fact.is_some(),
            self.no_new_mail.is_some(),
            self.config_tests.is_some(),
            self.sites_answer.is_some(),
            self.arrival_rate.is_some(),
        ];
        KINDS
            .into_iter()
            .zip(set)
            .filter_map(|(kind, set)| set.then_some(kind))
            .collect()
    }

    /// What it measures: the first kind it sets (a linted check sets one).
    pub fn kind(&self) -> &'static str {
        self.kinds().first().copied().unwrap_or("config_tests")
    }
}

/// Lint of the section: durations, unique ids, one kind per check, facts and comparisons
/// as in `checks:`.
pub(crate) fn lint(v: &mut Validator, verify: &Verify) {
    let scope = Scope::top();
    for (field, text) in [("within", &verify.within), ("every", &verify.every)] {
        let path = format!("verify.{field}");
        match text {
            Some(t) if t.contains("{{") => v.template(&path, t, &scope),
            _ => v.duration(&path, text.as_deref()),
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, check) in verify.checks.iter().enumerate() {
        let path = format!("verify.checks.{i}");
        v.unique_id(&mut seen, &path, "verify check", &check.id);
        if check.kinds().len() != 1 {
            let kinds: Vec<String> = KINDS.iter().map(|k| format!("`{k}`")).collect();
            v.value(
                &path,
                Code::InvalidValue,
                format!("a verify check needs exactly one of {}", kinds.join(", ")),
            );
        }
        let comparisons = check.comparisons();
        match &check.fact {
            Some(fact) => {
                v.fact(&format!("{path}.fact"), fact);
                v.fact_comparisons(&path, fact, &comparisons);
                v.comparisons(&path, &comparisons, &scope);
            }
            None if !comparisons.is_empty() => v.key(
                &format!("{path}.{}", comparisons[0].key()),
                Code::InvalidValue,
                format!(
                    "`{}` compares a `fact`; this check has none",
                    comparisons[0].key()
                ),
            ),
            None => {}
        }
        match check.arrival_rate.as_ref().map(|r| &r.max_per_minute) {
            Some(PerMinute::Template(t)) if t.contains("{{") => {
                v.template(&format!("{path}.arrival_rate.max_per_minute"), t, &scope)
            }
            Some(PerMinute::Template(t)) => v.value(
                &format!("{path}.arrival_rate.max_per_minute"),
                Code::InvalidValue,
                format!("`{t}` is not a number of messages a minute"),
            ),
            _ => {}
        }
    }
}
