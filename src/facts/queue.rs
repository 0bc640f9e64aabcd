//! The `queue` fact group: what sits in the mail queue and who put it there.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use super::exim_spool::{self, Message, Unreadable};
use super::script_class;

/// How many entries the top lists keep.
const TOP: usize = 10;

/// Read every message of an exim spool (`spool` is its real path) and summarize.
pub fn exim(spool: &Path) -> Value {
    let files = match exim_spool::header_files(spool) {
        Ok(files) => files,
        Err(e) => {
            return json!({ "total": null, "error": format!("cannot read {}: {e}", spool.join("input").display()) });
        }
    };
    let mut summary = Summary::default();
    for file in files {
        match std::fs::read(&file) {
            Ok(bytes) => match exim_spool::parse(&bytes) {
                Ok(message) => summary.add(&message),
                Err(reason) => summary.unreadable.push(Unreadable { file, reason }),
            },
            // Delivered while we read: it is no longer queued.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => summary.unreadable.push(Unreadable {
                file,
                reason: e.to_string(),
            }),
        }
    }
    summary.to_json()
}

#[derive(Default)]
struct Summary {
    total: u64,
    frozen: u64,
    without_script_header: u64,
    oldest: Option<i64>,
    newest: Option<i64>,
    senders: HashMap<String, u64>,
    scripts: HashMap<(String, String), u64>,
    domains: HashMap<String, u64>,
    unreadable: Vec<Unreadable>,
}

impl Summary {
    fn add(&mut self, m: &Message) {
        self.total += 1;
        self.frozen += u64::from(m.frozen);
        self.oldest = Some(self.oldest.map_or(m.received, |o| o.min(m.received)));
        self.newest = Some(self.newest.map_or(m.received, |n| n.max(m.received)));
        let sender = if m.sender.is_empty() {
            "<>".to_string()
        } else {
            m.sender.to_ascii_lowercase()
        };
        *self.senders.entry(sender).or_default() += 1;
        match &m.php_script {
            Some((uid, name)) => *self.scripts.entry((name.clone(), uid.clone())).or_default() += 1,
            None => self.without_script_header += 1,
        }
        for rcpt in &m.recipients {
            let domain = rcpt
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .unwrap_or_default();
            *self.domains.entry(domain).or_default() += 1;
        }
    }

    fn to_json(&self) -> Value {
        let scripts: Vec<Value> = top(&self.scripts)
            .into_iter()
            .map(|((script, uid), count)| {
                json!({ "script": script, "uid": uid, "count": count, "class": script_class::classify(&script) })
            })
            .collect();
        json!({
            "total": self.total,
            "frozen": self.frozen,
            "oldest": self.oldest,
            "newest": self.newest,
            "top_senders": top(&self.senders).into_iter().map(|(s, c)| json!({"sender": s, "count": c})).collect::<Vec<_>>(),
            "top_scripts": scripts,
            "without_script_header": self.without_script_header,
            "top_recipient_domains": top(&self.domains).into_iter().map(|(d, c)| json!({"domain": d, "count": c})).collect::<Vec<_>>(),
            "unreadable": self.unreadable.iter().map(|u| json!({"file": u.file.display().to_string(), "reason": u.reason})).collect::<Vec<_>>(),
        })
    }
}

/// The most frequent keys, most first (ties by key, so output is stable).
fn top<K: Ord + Clone>(counts: &HashMap<K, u64>) -> Vec<(K, u64)> {
    let mut all: Vec<(K, u64)> = counts.iter().map(|(k, c)| (k.clone(), *c)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(TOP);
    all
}
