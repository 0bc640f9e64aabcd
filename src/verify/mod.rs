//! Verify: a runbook's `verify:` checks after apply, over a window, against the facts
//! the plan was made from (DESIGN.md §2). Read-only: it only gathers facts and runs
//! config tests; what to do on failure is the caller's (`on_fail`).

pub mod arrivals;
pub mod basis;
pub mod check;
mod new_mail;
pub mod record;
pub mod site;

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::facts::Facts;
use crate::host::Host;
use crate::plan::eval::Context;
use crate::runbook::params::parse_duration;
use crate::runbook::verify::Verify;
use basis::Basis;
use check::{CheckOutcome, judge_one};

/// How often facts are gathered again when the runbook does not say.
pub const EVERY_DEFAULT: u64 = 5;

/// One verify of a run: its outcome and the checks of the sample that decided it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Verified {
    pub run_id: String,
    pub runbook: String,
    pub started: String,
    pub finished: String,
    /// `passed`, `failed`, or `interrupted` (Ctrl-C ended the window early).
    pub outcome: String,
    /// The window asked for, in seconds (0: once).
    pub within_secs: u64,
    /// Samples taken.
    pub samples: u32,
    /// Seconds from the start to the sample that decided it.
    pub elapsed_secs: u64,
    /// The checks of the last sample (on failure: the failing one).
    pub checks: Vec<CheckOutcome>,
    /// `rollback` when the failure undid the run (`on_fail: rollback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

impl Verified {
    pub fn passed(&self) -> bool {
        self.outcome == "passed"
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckOutcome> {
        self.checks.iter().filter(|c| !c.ok)
    }
}

/// What a verify is of.
pub struct Subject<'a> {
    pub run_id: &'a str,
    pub runbook: &'a str,
    pub verify: &'a Verify,
    pub params: &'a IndexMap<String, Value>,
    pub basis: &'a Basis,
    /// The checks' translated titles, by check id (the runbook's `i18n`).
    pub titles: &'a IndexMap<String, crate::plan::i18n::Translations>,
}

/// Sample until a check fails, the window ends, or Ctrl-C.
pub fn run(host: &Host, subject: &Subject) -> Result<Verified> {
    let unread = Facts::new(host);
    let ctx = Context::bare(&unread, subject.params);
    let within = seconds(subject.verify.within.as_deref(), &ctx, 0).context("verify.within")?;
    let every = seconds(subject.verify.every.as_deref(), &ctx, EVERY_DEFAULT)
        .context("verify.every")?
        .max(1);
    let started = crate::apply::journal::now();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(within);
    let spinner = crate::progress::spinner("verifying");
    let mut samples = 0;
    let (outcome, checks) = loop {
        let facts = Facts::new(host);
        let checks: Vec<CheckOutcome> = subject
            .verify
            .checks
            .iter()
            .map(|c| judge_one(c, host, &facts, subject.basis, subject.params))
            .collect();
        samples += 1;
        if checks.iter().any(|c| !c.ok) {
            break ("failed", checks);
        }
        if Instant::now() >= deadline {
            break ("passed", checks);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        spinner.set_message(format!(
            "verifying: {samples} sample(s) held, {}s left (Ctrl-C stops)",
            left.as_secs()
        ));
        if !wait(Duration::from_secs(every).min(left)) {
            break ("interrupted", checks);
        }
    };
    spinner.finish_and_clear();
    let mut checks = checks;
    for check in &mut checks {
        check.i18n = subject.titles.get(&check.id).cloned().unwrap_or_default();
    }
    Ok(Verified {
        run_id: subject.run_id.to_string(),
        runbook: subject.runbook.to_string(),
        started,
        finished: crate::apply::journal::now(),
        outcome: outcome.to_string(),
        within_secs: within,
        samples,
        elapsed_secs: start.elapsed().as_secs(),
        checks,
        action: None,
    })
}

/// Sleep `span` in short steps; `false` when Ctrl-C came first.
fn wait(span: Duration) -> bool {
    let end = Instant::now() + span;
    while Instant::now() < end {
        if crate::process::interrupted() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100).min(end - Instant::now()));
    }
    !crate::process::interrupted()
}

/// A duration field (a template of params allowed) in seconds; absent: `default`.
fn seconds(text: Option<&str>, ctx: &Context, default: u64) -> Result<u64> {
    let Some(text) = text else {
        return Ok(default);
    };
    let rendered = crate::plan::builder::render(text, ctx)?;
    parse_duration(&rendered).map_err(|e| anyhow::anyhow!("`{rendered}` is not a duration: {e}"))
}
