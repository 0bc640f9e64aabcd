//! The `posts` fact group: which POSTed URIs of the web access logs fall in the minutes
//! around failed deliveries (articles 002 and 003: a form abused by bots shows up as the
//! POSTs just before the failures).

use std::collections::{BTreeSet, HashMap};
use std::io::BufReader;

use schemars::JsonSchema;
use serde::Serialize;

use super::logs::{self, minute};
use super::mta::Mta;
use crate::chase::open_regular;
use crate::host::Host;

/// The `posts` fact group. Every field but `window_minutes` is null when the MTA's log
/// could not be read, and `error` says why.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct PostsFacts {
    /// Minutes before and after a failed delivery that count as around it
    pub window_minutes: u32,
    /// Minutes with failed deliveries in the MTA log
    pub failure_minutes: Option<u64>,
    /// The access logs read
    pub access_logs: Option<Vec<String>>,
    /// POSTs within the window of a failure
    pub posts_near_failures: Option<u64>,
    /// Access-log lines longer than 64 KiB, passed over unread
    pub skipped_lines: Option<u64>,
    /// POSTed URIs in the minutes around failed deliveries, with counts and log
    pub top_uris: Option<Vec<UriCount>>,
    /// Why no POSTs were matched (absent when they were)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UriCount {
    pub uri: String,
    pub count: u64,
    /// The access log it was found in
    pub log: String,
}

/// Minutes before and after a failure that count as "around" it.
pub const WINDOW: u32 = 2;
const TOP: usize = 10;
/// Distinct (URI, log) pairs counted; POSTs to others count under [`OTHER_URIS`].
pub const URIS_MAX: usize = 50_000;
pub const OTHER_URIS: &str = "(other URIs)";

pub fn gather(
    host: &Host,
    mta: Option<&'static dyn Mta>,
    access_logs: &[String],
    mail_log: Option<&str>,
) -> PostsFacts {
    let Some(scan) = logs::scan(host, mta, mail_log) else {
        return PostsFacts {
            window_minutes: WINDOW,
            error: Some("no mail log to take failure times from".into()),
            ..PostsFacts::default()
        };
    };
    let near: BTreeSet<u32> = scan
        .failure_minutes
        .iter()
        .flat_map(|m| m.saturating_sub(WINDOW)..=m + WINDOW)
        .collect();
    let mut counts: HashMap<(String, String), u64> = HashMap::new();
    let mut posts = 0u64;
    let mut skipped_lines = 0u64;
    for log in access_logs {
        let Some(file) = host.resolve(log).ok().and_then(|p| open_regular(&p).ok()) else {
            continue;
        };
        let reader = BufReader::with_capacity(1 << 20, file);
        skipped_lines += logs::for_each_line(reader, |line| {
            if let Some((when, mut uri)) = post(line)
                && near.contains(&when)
            {
                posts += 1;
                // Anyone on the internet writes access-log lines: keys are bounded.
                logs::truncate_name(&mut uri);
                let mut key = (uri, log.clone());
                if counts.len() >= URIS_MAX && !counts.contains_key(&key) {
                    key.0 = OTHER_URIS.to_string();
                }
                *counts.entry(key).or_default() += 1;
            }
        });
    }
    let mut top: Vec<((String, String), u64)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(TOP);
    PostsFacts {
        window_minutes: WINDOW,
        failure_minutes: Some(scan.failure_minutes.len() as u64),
        access_logs: Some(access_logs.to_vec()),
        posts_near_failures: Some(posts),
        skipped_lines: Some(skipped_lines),
        top_uris: Some(
            top.into_iter()
                .map(|((uri, log), count)| UriCount { uri, count, log })
                .collect(),
        ),
        error: None,
    }
}

/// A POST in combined (Apache, nginx) format: its minute of the year and path (query
/// left out). `IP - - [25/Jun/2020:01:23:44 +0300] "POST /contact.php?x=1 HTTP/1.1" 200 ...`
pub fn post(line: &[u8]) -> Option<(u32, String)> {
    let open = memchr::memchr(b'[', line)?;
    let stamp = line.get(open + 1..open + 18)?; // 25/Jun/2020:01:23
    let request = &line[memchr::memmem::find(line, b"\"POST ")? + 6..];
    let num = |b: &[u8]| -> Option<u32> { std::str::from_utf8(b).ok()?.parse().ok() };
    let month = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ]
    .iter()
    .position(|m| &stamp[3..6] == *m)? as u32
        + 1;
    let when = minute(
        month,
        num(&stamp[0..2])?,
        num(&stamp[12..14])?,
        num(&stamp[15..17])?,
    )?;
    let end = request
        .iter()
        .position(|b| *b == b' ' || *b == b'"' || *b == b'?')
        .unwrap_or(request.len());
    Some((when, String::from_utf8_lossy(&request[..end]).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_format_posts() {
        let line = b"203.0.113.9 - - [25/Jun/2020:01:23:44 +0300] \"POST /contact.php?lang=en HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n";
        let (when, uri) = post(line).unwrap();
        assert_eq!(uri, "/contact.php");
        assert_eq!(
            Some(when),
            logs::minute_of_year(b"Jun 25 01:23:45 vh84 splogger[1]: x")
        );
        assert!(
            post(b"203.0.113.9 - - [25/Jun/2020:01:23:44 +0300] \"GET / HTTP/1.1\" 200 1\n")
                .is_none()
        );
    }
}
