//! The measures worded in one language: a title, a few lines about the run, then
//! sections of items. Host data (paths, commands, checklist texts) has its control
//! characters made visible here, once, for every layout.

use super::Measures;
use super::translated;
use crate::i18n::{Arg, Messages};
use crate::report::escape::{escape, escape_text};

pub struct Document {
    pub lang: &'static str,
    pub title: String,
    pub lines: Vec<String>,
    pub sections: Vec<Section>,
}

/// A heading and its items; items may hold `code` in backticks.
pub struct Section {
    pub heading: String,
    pub items: Vec<String>,
}

pub fn document(m: &Measures, t: &Messages) -> Document {
    let mut lines = vec![t.get(
        "report-run",
        &[
            ("id", escape(&m.run_id).into()),
            ("runbook", runbook(m, t.lang().code()).into()),
        ],
    )];
    lines.push(match &m.finished {
        Some(finished) => t.get(
            "report-when",
            &[
                ("started", time(&m.started).into()),
                ("finished", time(finished).into()),
            ],
        ),
        None => t.get(
            "report-when-unfinished",
            &[("started", time(&m.started).into())],
        ),
    });
    lines.push(outcome(m, t));
    if !m.params.is_empty() {
        let params: Vec<String> = m
            .params
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{}={}", escape(k), escape(s)),
                other => format!("{}={other}", escape(k)),
            })
            .collect();
        lines.push(t.get("report-params", &[("params", params.join(", ").into())]));
    }
    let mut sections = Vec::new();
    let found = found(m, t);
    if !found.is_empty() {
        sections.push(Section {
            heading: t.get("report-section-found", &[]),
            items: found,
        });
    }
    sections.push(Section {
        heading: t.get("report-section-changes", &[]),
        items: changes(m, t),
    });
    sections.extend(super::held::section(m, t));
    sections.push(Section {
        heading: t.get("report-section-manual", &[]),
        items: if m.manual.is_empty() {
            vec![t.get("report-no-manual", &[])]
        } else {
            m.manual
                .iter()
                .map(|i| escape_text(translated::text(&i.text, &i.i18n, t.lang().code())))
                .collect()
        },
    });
    sections.push(Section {
        heading: t.get("report-section-undo", &[]),
        items: vec![undo(m, t)],
    });
    Document {
        lang: t.lang().code(),
        title: t.get("report-title", &[("host", escape(&m.host).into())]),
        lines,
        sections,
    }
}

fn runbook(m: &Measures, lang: &str) -> String {
    let title = translated::title(&m.title, &m.i18n, lang);
    format!("{} ({})", escape(&m.runbook), escape(title))
}

/// RFC 3339 as people read it, in UTC: `2026-12-03 16:51:22 UTC`.
pub(super) fn time(rfc3339: &str) -> String {
    rfc3339
        .parse::<jiff::Timestamp>()
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| escape(rfc3339))
}

fn outcome(m: &Measures, t: &Messages) -> String {
    if let Some(at) = &m.rolled_back {
        return t.get("report-outcome-rolled-back", &[("at", time(at).into())]);
    }
    match m.outcome.as_str() {
        "applied" => t.get("report-outcome-applied", &[]),
        "failed" => t.get(
            "report-outcome-failed",
            &[("error", escape(m.error.as_deref().unwrap_or("?")).into())],
        ),
        other => t.get("report-outcome-other", &[("outcome", escape(other).into())]),
    }
}

/// Shown values are bounded: a fact can be a list of thousands.
const VALUE_MAX: usize = 200;
const PATHS_SHOWN: usize = 5;

fn found(m: &Measures, t: &Messages) -> Vec<String> {
    let mut items: Vec<String> = m
        .found
        .iter()
        .filter(|f| !f.value.is_null() && f.fact != "queue.top_scripts")
        .map(|f| {
            let args = [
                (
                    "title",
                    escape(translated::title(&f.title, &f.i18n, t.lang().code())).into(),
                ),
                ("value", value(&f.value).into()),
            ];
            if f.ok || f.expected.is_empty() {
                t.get("report-found-fact", &args)
            } else {
                let [title, value] = args;
                t.get(
                    "report-found-fact-not-as-wanted",
                    &[title, value, ("want", escape(&f.expected).into())],
                )
            }
        })
        .collect();
    for s in &m.scripts {
        let class = match s.class.as_str() {
            "form" | "random" | "cron" => format!("report-class-{}", s.class),
            _ => "report-class-unknown".to_string(),
        };
        let site = match &s.site {
            Some(site) => t.get("report-found-site", &[("site", escape(site).into())]),
            None => String::new(),
        };
        let mut item = t.get(
            "report-found-script",
            &[
                ("script", escape(&s.script).into()),
                ("class", t.get(&class, &[]).into()),
                (
                    "uid",
                    s.uid.map_or("?".to_string(), |u| u.to_string()).into(),
                ),
                ("count", s.count.into()),
                ("site", site.into()),
            ],
        );
        if !s.locations.is_empty() {
            let mut paths: Vec<String> = s
                .locations
                .iter()
                .take(PATHS_SHOWN)
                .map(|l| escape(&l.path))
                .collect();
            if s.locations.len() > PATHS_SHOWN {
                paths.push(format!("+{}", s.locations.len() - PATHS_SHOWN));
            }
            item.push('\n');
            item.push_str(&t.get("report-found-files", &[("paths", paths.join(", ").into())]));
        }
        items.push(item);
    }
    items
}

/// A fact's value in a line: scalars as they are, lists joined with `; `, an object by
/// its scalar fields (`user=bob count=3`); bounded.
fn value(v: &serde_json::Value) -> String {
    use serde_json::Value;
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(escape(s)),
            Value::Array(_) | Value::Object(_) | Value::Null => None,
            other => Some(other.to_string()),
        }
    }
    fn one(v: &Value) -> String {
        match v {
            Value::Object(o) => o
                .iter()
                .filter_map(|(k, v)| Some(format!("{}={}", escape(k), scalar(v)?)))
                .collect::<Vec<_>>()
                .join(" "),
            Value::Array(a) => format!("[{}]", a.len()),
            other => scalar(other).unwrap_or_default(),
        }
    }
    let text = match v {
        Value::Array(a) => a.iter().map(one).collect::<Vec<_>>().join("; "),
        other => one(other),
    };
    if text.chars().count() > VALUE_MAX {
        format!("{}...", text.chars().take(VALUE_MAX).collect::<String>())
    } else {
        text
    }
}

fn counts(counts: &[crate::plan::types::Count]) -> String {
    counts
        .iter()
        .map(|c| format!("{} ({})", escape(&c.name), c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

fn changes(m: &Measures, t: &Messages) -> Vec<String> {
    let mut items = Vec::new();
    for f in &m.files {
        let path: Arg = escape(&f.path).into();
        items.push(match (f.state.as_str(), f.added, f.removed) {
            ("in-place", Some(added), Some(removed)) => t.get(
                "report-file-edited",
                &[
                    ("path", path),
                    ("added", added.into()),
                    ("removed", removed.into()),
                ],
            ),
            ("restored", ..) => t.get("report-file-restored", &[("path", path)]),
            ("gone", ..) => t.get("report-file-gone", &[("path", path)]),
            _ => t.get("report-file-changed-since", &[("path", path)]),
        });
    }
    for c in &m.cron {
        if c.restored {
            items.push(t.get("report-file-restored", &[("path", escape(&c.file).into())]));
            continue;
        }
        let jobs: Vec<String> = c.jobs.iter().map(|j| format!("`{}`", escape(j))).collect();
        items.push(t.get(
            "report-cron-disabled",
            &[
                ("count", c.jobs.len().into()),
                ("user", escape(&c.user).into()),
                ("jobs", jobs.join(", ").into()),
            ],
        ));
    }
    for q in &m.quarantined {
        let mut item = t.get(
            "report-quarantined",
            &[("count", q.count.into()), ("mta", escape(&q.mta).into())],
        );
        if !q.by_script.is_empty() {
            item.push('\n');
            item.push_str(&t.get(
                "report-by-script",
                &[("counts", counts(&q.by_script).into())],
            ));
        }
        if !q.by_sender.is_empty() {
            item.push('\n');
            item.push_str(&t.get(
                "report-by-sender",
                &[("counts", counts(&q.by_sender).into())],
            ));
        }
        items.push(item);
    }
    for r in &m.released {
        items.push(t.get(
            "report-released",
            &[("count", r.count.into()), ("mta", escape(&r.mta).into())],
        ));
    }
    for p in &m.processes {
        items.push(t.get(
            "report-processes-ended",
            &[
                ("count", p.ended.into()),
                ("user", escape(&p.user).into()),
                ("uid", u64::from(p.uid).into()),
            ],
        ));
    }
    for argv in &m.commands {
        let command = argv.iter().map(|a| escape(a)).collect::<Vec<_>>().join(" ");
        items.push(t.get("report-command-ran", &[("command", command.into())]));
    }
    for service in &m.reloaded {
        items.push(t.get(
            "report-service-reloaded",
            &[("service", escape(service).into())],
        ));
    }
    if items.is_empty() {
        items.push(t.get("report-nothing-changed", &[]));
    }
    items
}

fn undo(m: &Measures, t: &Messages) -> String {
    if let Some(command) = &m.undo {
        return t.get("report-undo", &[("command", escape(command).into())]);
    }
    let why = if m.rolled_back.is_some() {
        "report-undo-why-rolled-back"
    } else if m.outcome == "failed" {
        "report-undo-why-failed"
    } else {
        "report-undo-why-nothing"
    };
    t.get("report-undo-none", &[("why", t.get(why, &[]).into())])
}
