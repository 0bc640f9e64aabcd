//! Facts about the host, read without changing anything.

pub mod activity;
pub mod apache_files;
pub mod exim_spool;
pub mod failure_class;
pub mod locate;
pub mod logs;
pub mod message;
pub mod mta;
pub mod php;
pub mod php_paths;
pub mod postfix_queue;
pub mod posts;
pub mod qmail_queue;
pub mod queue;
pub mod script_class;
pub mod spec;
pub mod web;

use std::cell::OnceCell;

use serde_json::{Map, Value};

use crate::host::Host;

/// Fact groups. Each is gathered on first use, so a runbook pays only for what it reads.
pub const GROUPS: &[&str] = &[
    "mta", "panel", "queue", "log", "php", "web", "posts", "activity", "sessions",
];

/// The host's facts, gathered lazily by group.
#[derive(Debug)]
pub struct Facts {
    host: Host,
    groups: Vec<(&'static str, OnceCell<Value>)>,
}

impl Facts {
    pub fn new(host: &Host) -> Facts {
        Facts {
            host: host.clone(),
            groups: GROUPS.iter().map(|g| (*g, OnceCell::new())).collect(),
        }
    }

    /// The value of a dotted fact name (`php.add_x_header`).
    pub fn get(&self, name: &str) -> Option<&Value> {
        let mut parts = name.split('.');
        let group = self.group(parts.next()?)?;
        parts.try_fold(group, |v, k| v.get(k))
    }

    /// A whole group, gathered now if it was not yet.
    pub fn group(&self, name: &str) -> Option<&Value> {
        let (group, cell) = self.groups.iter().find(|(g, _)| *g == name)?;
        Some(cell.get_or_init(|| self.gather(group)))
    }

    /// The given groups (all when empty) as one JSON object.
    pub fn tree(&self, only: &[String]) -> Map<String, Value> {
        GROUPS
            .iter()
            .filter(|g| only.is_empty() || only.iter().any(|o| o == *g))
            .filter_map(|g| Some((g.to_string(), self.group(g)?.clone())))
            .collect()
    }
}

impl Facts {
    fn gather(&self, group: &str) -> Value {
        let host = &self.host;
        match group {
            "mta" => mta::gather(host),
            "panel" => mta::panel(host),
            "queue" => self.queue(),
            "log" => logs::gather(host, self.get("mta.kind").and_then(Value::as_str)),
            "php" => php::gather(host),
            "web" => web::gather(host),
            "posts" => {
                let logs: Vec<String> = self
                    .get("web.access_logs")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                posts::gather(host, self.get("mta.kind").and_then(Value::as_str), &logs)
            }
            "activity" => activity::activity(host),
            "sessions" => activity::sessions(host),
            _ => Value::Null,
        }
    }

    /// The queue of whichever MTA the host runs.
    fn queue(&self) -> Value {
        let kind = self
            .get("mta.kind")
            .and_then(Value::as_str)
            .map(str::to_string);
        let spool = self
            .get("mta.spool")
            .and_then(Value::as_str)
            .and_then(|s| self.host.resolve(s).ok());
        let passwd = logs::Passwd::read(&self.host);
        let mut queue = match (
            kind.as_deref(),
            kind.as_deref().and_then(mta::by_name),
            spool,
        ) {
            (_, Some(mta), Some(spool)) => mta.read_queue(&spool, &passwd),
            (None, _, _) => serde_json::json!({ "total": null, "error": "no mail server found" }),
            (Some(kind), _, _) => serde_json::json!({
                "total": null,
                "error": format!("no {kind} queue directory found"),
            }),
        };
        // Where the sending scripts are: under the sites' document roots and /var/www, /home.
        let roots: Vec<String> = self
            .get("web.vhosts")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|h| h["document_root"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(scripts) = queue.get_mut("top_scripts") {
            locate::add_locations(&self.host, scripts, &roots, &passwd);
        }
        queue
    }
}
