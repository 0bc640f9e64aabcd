//! The last line of `runbook facts`: the built-in runbook that fits what the facts show.
//!
//! Runbooks declare no "applies when", so this is the one judgement spam-diagnose's own
//! checklist makes first: a script of a known site is blocked at that site
//! (php-blank-sendmail-path); everything else starts with the diagnosis.

use std::path::Path;

use serde_json::{Map, Value};

use crate::report::escape::escape;

/// `runbook apply ... --dry-run (why)`, or None when the groups it reads (mta, queue,
/// log, web) were not all gathered (`--only`).
pub fn next(tree: &Map<String, Value>, root: &Path) -> Option<String> {
    let [mta, queue, log, web] = ["mta", "queue", "log", "web"].map(|g| tree.get(g));
    let (mta, queue, log, web) = (mta?, queue?, log?, web?);
    let root = match root.to_str() {
        Some("/") => String::new(),
        _ => format!(" --root {}", quote(&root.display().to_string())),
    };
    if let Some((script, site, why)) = site_script(queue, web) {
        return Some(format!(
            "runbook apply php-blank-sendmail-path -p domain={site}{root} --dry-run ({}, {why} of {site}, queued {} of {} messages)",
            escape(script["script"].as_str().unwrap_or_default()),
            script["count"],
            queue["total"],
        ));
    }
    let why = match mta["kind"].as_str() {
        None => "no mail server found".to_string(),
        Some(kind) => {
            let total = queue["total"].as_u64().unwrap_or(0);
            let failed: u64 = log["failures"]
                .as_object()
                .map(|f| f.values().filter_map(Value::as_u64).sum())
                .unwrap_or(0);
            format!(
                "{}: {}, {}",
                escape(kind),
                count(total, "message queued", "messages queued"),
                count(
                    failed,
                    "failed delivery in the log",
                    "failed deliveries in the log"
                ),
            )
        }
    };
    Some(format!(
        "runbook apply spam-diagnose{root} --dry-run ({why})"
    ))
}

/// The queue's top script when it is a form or malware of a site the host serves, with
/// the site and what kind of script it is.
fn site_script<'a>(queue: &'a Value, web: &Value) -> Option<(&'a Value, &'a str, &'static str)> {
    let script = queue["top_scripts"].get(0)?;
    let why = match script["class"].as_str()? {
        "form" => "a form or mailer",
        "random" => "a random-named script (malware)",
        _ => return None,
    };
    let site = script["site"].as_str()?;
    // The name is pasted into a shell: a domain's characters only, and one that
    // php-blank-sendmail-path's `domain` param accepts (a server name of the host).
    let plain = site
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let served = web["server_names"]
        .as_array()?
        .iter()
        .any(|n| n.as_str().is_some_and(|n| n.eq_ignore_ascii_case(site)));
    (plain && served).then_some((script, site, why))
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A path as a shell would need it typed, control characters escaped.
fn quote(path: &str) -> String {
    escape(&shlex::try_quote(path).map_or_else(|_| path.to_string(), |q| q.into_owned()))
}
