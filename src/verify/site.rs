//! `sites_answer`: the sites whose scripts the plan found still answer on loopback as
//! they did before the apply (an HTTP request with the site's `Host` header).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long one request may take: a site that does not answer in this time does not.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The status line is in the first bytes of the answer.
const HEAD_MAX: u64 = 1024;

/// A site's answer: its HTTP status, or why there was none.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Answer {
    pub site: String,
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The sites of the scripts in the queue group as planned (`top_scripts[].site`).
pub fn planned_sites(queue: &Value) -> Vec<String> {
    let mut sites: Vec<String> = queue
        .get("top_scripts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("site").and_then(Value::as_str).map(str::to_string))
        .collect();
    sites.sort();
    sites.dedup();
    sites
}

/// `GET /` on 127.0.0.1:`port` with `Host: site`.
pub fn ask(site: &str, port: u16) -> Answer {
    let (status, error) = match status(site, port) {
        Ok(code) => (Some(code), None),
        Err(e) => (None, Some(e)),
    };
    Answer {
        site: site.to_string(),
        status,
        error,
    }
}

fn status(site: &str, port: u16) -> Result<u16, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    let request = format!("GET / HTTP/1.0\r\nHost: {site}\r\nUser-Agent: runbook-verify\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    stream
        .take(HEAD_MAX)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or("");
    line.strip_prefix("HTTP/")
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no HTTP status line in the answer ({line:?})"))
}

/// Each site's answer now against before: the ones that changed, and the numbers in words.
pub fn compare(before: &[Answer], port: u16) -> (Value, String) {
    let mut changed = Vec::new();
    let mut words = Vec::new();
    for then in before {
        let now = ask(&then.site, port);
        if now.status != then.status {
            words.push(format!(
                "{}: {} (before the apply: {})",
                then.site,
                shown(&now),
                shown(then)
            ));
            changed.push(serde_json::json!({ "site": then.site, "status": now.status, "before": then.status, "error": now.error }));
        }
    }
    let detail = if before.is_empty() {
        "no site of the scripts found is known".to_string()
    } else if words.is_empty() {
        format!("{} site(s) answer as before", before.len())
    } else {
        words.join("; ")
    };
    (Value::Array(changed), detail)
}

fn shown(a: &Answer) -> String {
    match (a.status, &a.error) {
        (Some(code), _) => code.to_string(),
        (None, Some(e)) => format!("no answer: {e}"),
        (None, None) => "no answer".to_string(),
    }
}
