//! Whether the fix held: the run's last verify, worded in the report's language from
//! each check's measured `value` (the verify's own `detail` is English; it is used only
//! for records from before checks kept their kind).

use serde_json::Value;

use super::{Measures, Section};
use crate::i18n::Messages;
use crate::report::escape::escape;
use crate::verify::Verified;
use crate::verify::check::CheckOutcome;

/// The section, when the run was verified.
pub fn section(m: &Measures, t: &Messages) -> Option<Section> {
    let last = m.verified.last()?;
    let mut items = vec![outcome(last, t)];
    items.extend(last.checks.iter().map(|c| check(c, t)));
    Some(Section {
        heading: t.get("report-section-verify", &[]),
        items,
    })
}

fn outcome(v: &Verified, t: &Messages) -> String {
    let over = if v.within_secs == 0 {
        t.get("report-verify-once", &[])
    } else {
        t.get(
            "report-verify-window",
            &[
                ("seconds", v.elapsed_secs.into()),
                ("samples", u64::from(v.samples).into()),
            ],
        )
    };
    let at = super::document::time(&v.finished);
    let failed = || -> [(&str, crate::i18n::Arg); 3] {
        [
            ("at", at.clone().into()),
            ("failed", v.failures().count().into()),
            ("checks", v.checks.len().into()),
        ]
    };
    match (v.outcome.as_str(), v.action.as_deref()) {
        ("passed", _) => t.get(
            "report-verify-passed",
            &[("over", over.into()), ("at", at.into())],
        ),
        ("failed", Some("rollback")) => t.get("report-verify-failed-rolled-back", &failed()),
        ("failed", _) => t.get("report-verify-failed", &failed()),
        _ => t.get(
            "report-verify-interrupted",
            &[("over", over.into()), ("at", at.into())],
        ),
    }
}

fn check(c: &CheckOutcome, t: &Messages) -> String {
    let id = if c.ok {
        "report-verify-check-held"
    } else {
        "report-verify-check-failed"
    };
    let title = super::translated::title(&c.title, &c.i18n, t.lang().code());
    t.get(
        id,
        &[
            ("title", escape(title).into()),
            ("numbers", numbers(c, t).into()),
        ],
    )
}

/// What the check measured, in words of the language.
fn numbers(c: &CheckOutcome, t: &Messages) -> String {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    // Records from before `checked` was kept: at least one.
    let checked = c.checked.unwrap_or(1);
    match (c.kind.as_str(), &c.value) {
        ("fact", Value::Null) if c.ok => t.get("report-verify-unknown", &[]),
        ("fact", value) if c.ok => escape(&crate::plan::eval::short(value)),
        ("fact", value) => t.get(
            "report-verify-fact-wanted",
            &[
                ("value", escape(&crate::plan::eval::short(value)).into()),
                ("want", escape(&c.expected).into()),
            ],
        ),
        ("no_new_mail", Value::Null) => t.get("report-verify-no-queue", &[]),
        ("no_new_mail", value) if c.ok || list(value).is_empty() => {
            t.get("report-verify-quiet", &[("checked", checked.into())])
        }
        ("no_new_mail", value) => joined(list(value).iter().map(|s| {
            let source = s["script"].as_str().or(s["user"].as_str()).unwrap_or("?");
            t.get(
                "report-verify-still-sending",
                &[
                    ("source", escape(source).into()),
                    ("count", s["count"].as_u64().unwrap_or(0).into()),
                    ("newest", unix_time(&s["newest"]).into()),
                ],
            )
        })),
        ("sites_answer", value) if list(value).is_empty() => {
            t.get("report-verify-sites-same", &[("checked", checked.into())])
        }
        ("sites_answer", value) => joined(list(value).iter().map(|s| {
            t.get(
                "report-verify-site-changed",
                &[
                    ("site", escape(s["site"].as_str().unwrap_or("?")).into()),
                    ("now", status(&s["status"], t).into()),
                    ("before", status(&s["before"], t).into()),
                ],
            )
        })),
        ("arrival_rate", Value::Null) => t.get("report-verify-no-log", &[]),
        ("arrival_rate", value) => t.get(
            "report-verify-rate",
            &[
                ("submitted", value["submitted"].as_u64().unwrap_or(0).into()),
                ("seconds", value["seconds"].as_u64().unwrap_or(0).into()),
                ("rate", per_minute(&value["per_minute"]).into()),
                ("allowed", escape(&c.expected).into()),
            ],
        ),
        ("config_tests", value) if list(value).is_empty() => {
            t.get("report-verify-configs-pass", &[("checked", checked.into())])
        }
        ("config_tests", value) => {
            let complaints: Vec<String> = list(value)
                .iter()
                .map(|v| escape(v.as_str().unwrap_or_default()))
                .collect();
            t.get(
                "report-verify-configs-fail",
                &[("complaints", complaints.join("; ").into())],
            )
        }
        _ => escape(&c.detail),
    }
}

fn joined(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("; ")
}

/// An HTTP status, or the language's "no answer".
fn status(v: &Value, t: &Messages) -> String {
    match v.as_u64() {
        Some(code) => code.to_string(),
        None => t.get("report-verify-no-answer", &[]),
    }
}

fn per_minute(v: &Value) -> String {
    let rate = v.as_f64().unwrap_or(0.0);
    if rate.fract() == 0.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.1}")
    }
}

/// Unix seconds as the report's other times are written.
fn unix_time(v: &Value) -> String {
    v.as_i64()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| super::document::time(&t.to_string()))
        .unwrap_or_else(|| "?".to_string())
}
