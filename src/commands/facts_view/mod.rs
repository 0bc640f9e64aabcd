//! `runbook facts` for people: every fact on its own line, dates with their age, uids
//! with their user, `unknown (why)` for what could not be read, records as tables or
//! indented blocks, and a last line naming the runbook to run next. Every host string
//! goes through `escape` (queue headers, file names and log lines are attacker data).

mod next;
mod table;
mod time;

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::report::escape::escape;
use crate::report::style::Style;

pub use next::next;

/// What rendering needs besides the facts.
pub struct View<'a> {
    pub style: Style,
    pub now: Timestamp,
    /// The user name of a uid, from the host's /etc/passwd.
    pub names: &'a dyn Fn(u64) -> Option<String>,
}

/// Facts holding Unix times, by path (`[]` for a list's items).
const TIMES: &[&str] = &[
    "queue.oldest",
    "queue.newest",
    "queue.top_scripts[].locations[].mtime",
    "queue.top_scripts[].newest",
    "queue.top_local_users[].newest",
];

/// Lists whose items are lines of text: one a line, however short.
const LINES: &[&str] = &["log.samples."];

/// What null means where it is not "unknown", by fact (a path ending in `.` covers
/// the keys of a map).
const NULLS: &[(&str, &str)] = &[
    ("panel", "none found"),
    ("mta.kind", "none found"),
    ("mta.binary", "none found"),
    ("mta.config", "none found"),
    ("mta.spool", "none found"),
    ("mta.running", "unknown (no processes under --root)"),
    ("queue.oldest", "none (the queue is empty)"),
    ("queue.newest", "none (the queue is empty)"),
    ("log.file", "none (the journal was read)"),
    ("log.journal", "none (a log file was read)"),
    ("log.arguments_logged", "unknown (only exim logs it)"),
    (
        "php.sendmail_path.",
        "not set (PHP's default: sendmail -t -i)",
    ),
    ("web.server", "none found"),
    ("web.apache_config", "none found"),
    (
        "postfix.mynetworks",
        "not set (postfix's default, from mynetworks_style)",
    ),
    (
        "postfix.relay_restrictions",
        "not set (postfix's default: permit_mynetworks permit_sasl_authenticated defer_unauth_destination)",
    ),
    ("postfix.recipient_restrictions", "not set"),
    ("postfix.helo_name", "not set (the system's host name)"),
    (
        "postfix.dkim_signer",
        "none set (no milter, no amavis content_filter)",
    ),
];

/// Lines fit this many columns when a list of words is kept on one.
const WIDTH: usize = 80;

/// Every group, then the next step when the groups it reads are there.
pub fn render(tree: &Map<String, Value>, view: &View, next: Option<String>) -> String {
    let mut out = Vec::new();
    for (group, value) in tree {
        let name = view.style.bold(&escape(group));
        match value {
            Value::Object(map) => match reason(map) {
                // A group that could not be read at all: why, on one line.
                Some(why) => out.push(format!("{name}: unknown ({})", escape(why))),
                None => {
                    out.push(name);
                    for (key, v) in map {
                        field(&mut out, &format!("{group}.{key}"), key, v, 1, view);
                    }
                }
            },
            other => out.push(format!("{name}: {}", scalar(group, "", other, None, view))),
        }
    }
    if let Some(next) = next {
        out.push(String::new());
        out.push(format!("{} {next}", view.style.bold("next:")));
    }
    out.push(String::new());
    out.join("\n")
}

/// Why a group has no facts: its `error`, or the `note` of groups that cannot be read
/// under `--root` (the rest of the group is null then).
fn reason(group: &Map<String, Value>) -> Option<&str> {
    ["error", "note"]
        .iter()
        .find_map(|k| group.get(*k).and_then(Value::as_str))
}

/// One fact (`key: value`, or `key:` and what it holds below it) at `depth`.
fn field(out: &mut Vec<String>, path: &str, key: &str, v: &Value, depth: usize, view: &View) {
    let indent = "  ".repeat(depth);
    let key = escape(key);
    match v {
        Value::Array(items) if items.is_empty() => out.push(format!("{indent}{key}: none")),
        Value::Object(map) if map.is_empty() => out.push(format!("{indent}{key}: none")),
        Value::Array(items) if items.iter().all(Value::is_object) => {
            out.push(format!("{indent}{key}:"));
            let item = format!("{path}[]");
            if items.iter().all(table::flat) {
                table::render(out, &item, items, depth + 1, view);
            } else {
                for record in items.iter().filter_map(Value::as_object) {
                    block(out, &item, record, depth + 1, view);
                }
            }
        }
        Value::Array(items) => {
            let words: Vec<String> = items
                .iter()
                .map(|i| scalar(path, "", i, None, view))
                .collect();
            let line = format!("{indent}{key}: {}", words.join(", "));
            let lines = LINES.iter().any(|p| path.starts_with(p));
            if !lines && line.chars().count() <= WIDTH {
                out.push(line);
            } else {
                out.push(format!("{indent}{key}:"));
                out.extend(words.iter().map(|w| format!("{indent}  - {w}")));
            }
        }
        Value::Object(map) => {
            out.push(format!("{indent}{key}:"));
            for (k, v) in map {
                field(out, &format!("{path}.{k}"), k, v, depth + 1, view);
            }
        }
        other => out.push(format!(
            "{indent}{key}: {}",
            scalar(path, "", other, None, view)
        )),
    }
}

/// A record with lists or records inside: `- ` before its first field, the others
/// under it. Null fields are left out: in a record they mean "none" as often as
/// "unknown" (`error`, `site`, `user` of a php.ini).
fn block(
    out: &mut Vec<String>,
    path: &str,
    record: &Map<String, Value>,
    depth: usize,
    view: &View,
) {
    let start = out.len();
    for (k, v) in record.iter().filter(|(_, v)| !v.is_null()) {
        let here = format!("{path}.{k}");
        match v {
            Value::Array(_) | Value::Object(_) => field(out, &here, k, v, depth + 1, view),
            _ => out.push(format!(
                "{}{}: {}",
                "  ".repeat(depth + 1),
                escape(k),
                scalar(&here, k, v, Some(record), view)
            )),
        }
    }
    let indent = "  ".repeat(depth);
    match out.get_mut(start) {
        // Every line above starts with the field indentation, `indent` and two spaces.
        Some(first) => *first = format!("{indent}- {}", &first[indent.len() + 2..]),
        None => out.push(format!("{indent}- none")),
    }
}

/// A value on one line: times as dates with their age, uids with their user, host text
/// escaped. `key` and `record` are the field's name and the record holding it.
fn scalar(
    path: &str,
    key: &str,
    v: &Value,
    record: Option<&Map<String, Value>>,
    view: &View,
) -> String {
    match v {
        Value::Null => NULLS
            .iter()
            .find(|(p, _)| *p == path || (p.ends_with('.') && path.starts_with(p)))
            .map_or("unknown", |(_, means)| means)
            .to_string(),
        Value::String(s) => escape(s),
        Value::Number(n) if TIMES.contains(&path) && n.is_i64() => {
            time::when(n.as_i64().unwrap_or_default(), view.now)
        }
        Value::Number(n) if key == "uid" && n.is_u64() => {
            let uid = n.as_u64().unwrap_or_default();
            // Not twice where the record names the user itself (`top_local_users`).
            let named = record.and_then(|r| r.get("user")).and_then(Value::as_str);
            match (view.names)(uid) {
                Some(name) if named != Some(name.as_str()) => format!("{uid} ({})", escape(&name)),
                _ => uid.to_string(),
            }
        }
        other => other.to_string(),
    }
}
