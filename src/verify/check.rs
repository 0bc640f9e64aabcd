//! One verify check judged on the facts of one sample.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::basis::Basis;
use super::new_mail;
use crate::facts::Facts;
use crate::host::Host;
use crate::plan::eval::{Context, judge};
use crate::runbook::verify::{PerMinute, VerifyCheck};

/// A check's result in one sample, with its numbers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckOutcome {
    pub id: String,
    pub title: String,
    /// What the check measures: `fact`, `no_new_mail`, `sites_answer`, `arrival_rate` or
    /// `config_tests` (empty in records from before kinds were kept), so the report can
    /// word its `value` in each language.
    #[serde(default)]
    pub kind: String,
    pub ok: bool,
    /// How many things it looked at: the sources watched (`no_new_mail`), the config
    /// tests run, the sites asked; absent for `fact` and `arrival_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<usize>,
    /// What was measured: the fact's value, the scripts still sending, the failed tests.
    pub value: Value,
    /// The comparison it needed, in words (empty for `no_new_mail` and `config_tests`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expected: String,
    /// The numbers in words, for people.
    pub detail: String,
    /// Translations of the title (the runbook's `i18n`), by language.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub i18n: crate::plan::i18n::Translations,
}

pub fn judge_one(
    check: &VerifyCheck,
    host: &Host,
    facts: &Facts,
    basis: &Basis,
    params: &IndexMap<String, Value>,
) -> CheckOutcome {
    let mut checked = None;
    let (value, ok, expected, detail) = if let Some(fact) = &check.fact {
        let ctx = Context::bare(facts, params);
        let (value, ok, expected) = judge(fact, &check.comparisons(), &ctx);
        let shown = crate::plan::eval::short(&value);
        let detail = if ok {
            format!("{fact} = {shown}")
        } else {
            format!("{fact} = {shown}, not {expected}")
        };
        (value, ok, expected, detail)
    } else if let Some(from) = check.no_new_mail {
        let Some(planned) = basis.facts.get("queue") else {
            // Nothing to tell new mail from old by: no proof that it held.
            let why = "the run kept no queue as planned (applied before verify existed)";
            return outcome(check, Value::Null, false, String::new(), why.into(), None);
        };
        let now = facts.group(crate::facts::Group::Queue);
        let (sending, detail, watched) = new_mail::since_plan(from, planned, now);
        checked = Some(watched);
        let ok = sending.as_array().is_some_and(Vec::is_empty);
        (sending, ok, String::new(), detail)
    } else if let Some(sites) = &check.sites_answer {
        let (changed, detail) = super::site::compare(&basis.sites, sites.port());
        checked = Some(basis.sites.len());
        let ok = changed.as_array().is_some_and(Vec::is_empty);
        (changed, ok, String::new(), detail)
    } else if let Some(rate) = &check.arrival_rate {
        let max = match per_minute(&rate.max_per_minute, facts, params) {
            Ok(max) => max,
            Err(why) => return outcome(check, Value::Null, false, String::new(), why, None),
        };
        let (value, ok, detail) = super::arrivals::judge(host, basis.log.as_ref(), max);
        (value, ok, format!("<= {max}/min"), detail)
    } else {
        checked = Some(basis.config_tests.len());
        config_tests(host, basis)
    };
    outcome(check, value, ok, expected, detail, checked)
}

/// The rate bound, its template (of params) rendered.
fn per_minute(
    bound: &PerMinute,
    facts: &Facts,
    params: &IndexMap<String, Value>,
) -> Result<u64, String> {
    match bound {
        PerMinute::Number(n) => Ok(*n),
        PerMinute::Template(text) => {
            let ctx = Context::bare(facts, params);
            let rendered = crate::plan::builder::render(text, &ctx)
                .map_err(|e| format!("max_per_minute: {e:#}"))?;
            rendered
                .trim()
                .parse()
                .map_err(|_| format!("max_per_minute: `{rendered}` is not a number"))
        }
    }
}

fn outcome(
    check: &VerifyCheck,
    value: Value,
    ok: bool,
    expected: String,
    detail: String,
    checked: Option<usize>,
) -> CheckOutcome {
    CheckOutcome {
        id: check.id.clone(),
        title: check.title.clone(),
        kind: check.kind().to_string(),
        ok,
        checked,
        value,
        expected,
        detail,
        i18n: Default::default(),
    }
}

/// Each reloaded service's own config test, as apply gates reloads on it.
fn config_tests(host: &Host, basis: &Basis) -> (Value, bool, String, String) {
    let failed: Vec<String> = basis
        .config_tests
        .iter()
        .filter_map(|w| {
            crate::apply::execute::test_config(host, w)
                .err()
                .map(|e| format!("{e:#}"))
        })
        .collect();
    let detail = match (basis.config_tests.len(), failed.is_empty()) {
        (0, _) => "the run reloaded no service".to_string(),
        (n, true) => format!("{n} config test(s) pass"),
        (n, false) => format!(
            "{} of {n} config test(s) fail: {}",
            failed.len(),
            failed.join("; ")
        ),
    };
    let ok = failed.is_empty();
    (Value::from(failed), ok, String::new(), detail)
}
