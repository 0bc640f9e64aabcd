//! Postfix's queue, read natively: every file under `maildrop`, `incoming`, `active`,
//! `deferred` and `hold` (flat, or hashed by the id's first characters), in postfix's
//! record format (`src/global/rec_type.h`; what `postcat` prints): a type byte, a length
//! in 7-bit groups (low first, high bit set when more follow), then that many bytes.
//! Envelope records come first (`T` time, `S` sender, `R` recipient, `D` done), then `M`
//! and the message as `N` (line) and `L` (line continues) records, `X` and the extracted
//! recipients, `E` the end.

use std::fs;
use std::path::{Path, PathBuf};

use super::message::{Message, php_script};

/// Queue directories holding messages; `hold` is postfix's frozen.
pub const QUEUES: &[&str] = &["maildrop", "incoming", "active", "deferred", "hold"];

/// Every queue file, with whether it is on hold.
pub fn queue_files(spool: &Path) -> Vec<(PathBuf, bool)> {
    let mut out = Vec::new();
    for queue in QUEUES {
        collect(&spool.join(queue), *queue == "hold", 0, &mut out);
    }
    out
}

/// Files in a queue directory and its hash subdirectories (depth up to 16, `hash_queue_depth`).
fn collect(dir: &Path, hold: bool, depth: usize, out: &mut Vec<(PathBuf, bool)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        match entry.file_type() {
            Ok(t) if t.is_dir() && depth < 16 => collect(&entry.path(), hold, depth + 1, out),
            Ok(t) if t.is_file() => out.push((entry.path(), hold)),
            _ => {}
        }
    }
}

/// Parse one queue file.
pub fn parse(bytes: &[u8], id: &str, hold: bool) -> Result<Message, String> {
    let records = Records { bytes, at: 0 };
    let mut message = Message {
        id: id.to_string(),
        login: String::new(),
        uid: None,
        sender: String::new(),
        recipients: Vec::new(),
        received: 0,
        frozen: hold,
        php_script: None,
    };
    let mut done = Vec::new();
    let mut in_content = false;
    let mut in_headers = false;
    let mut line = Vec::new();
    let mut ended = false;
    for record in records {
        let (kind, data) = record?;
        match (kind, in_content) {
            (b'T', false) => {
                message.received = text(data)
                    .split(' ')
                    .next()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
            }
            (b'F', false) => message.login = text(data),
            (b'S', false) => message.sender = text(data),
            (b'R', _) if !in_content || !in_headers => message.recipients.push(text(data)),
            (b'D', _) if !in_content || !in_headers => done.push(text(data)),
            (b'M', false) => {
                in_content = true;
                in_headers = true;
            }
            (b'L', true) if in_headers => line.extend_from_slice(data),
            (b'N', true) if in_headers => {
                line.extend_from_slice(data);
                if line.is_empty() {
                    in_headers = false;
                } else if line.first().is_some_and(|b| *b != b' ' && *b != b'\t') {
                    header(&mut message, &line);
                }
                line.clear();
            }
            (b'X', true) => {
                // Extracted envelope records follow the content (recipients of `sendmail -t`).
                in_headers = false;
                in_content = false;
            }
            (b'E', _) => {
                ended = true;
                break;
            }
            _ => {}
        }
    }
    if !ended {
        return Err("truncated: no end record".into());
    }
    // Recipients marked done were delivered; the rest are still queued.
    message.recipients.retain(|r| !done.contains(r));
    Ok(message)
}

fn header(message: &mut Message, line: &[u8]) {
    let line = String::from_utf8_lossy(line);
    let Some((name, value)) = line.split_once(':') else {
        return;
    };
    if name.eq_ignore_ascii_case("X-PHP-Originating-Script") {
        message.php_script = Some(php_script(value));
    } else if name.eq_ignore_ascii_case("Received") && message.uid.is_none() {
        // `Received: by host (Postfix, from userid 33)`: the submitting uid.
        if let Some(uid) = value
            .split("from userid ")
            .nth(1)
            .and_then(|r| r.split(')').next())
        {
            message.uid = uid.trim().parse().ok();
        }
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

struct Records<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<(u8, &'a [u8]), String>;

    fn next(&mut self) -> Option<Self::Item> {
        let kind = *self.bytes.get(self.at)?;
        self.at += 1;
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let Some(&b) = self.bytes.get(self.at) else {
                return Some(Err("truncated record length".into()));
            };
            self.at += 1;
            if shift > 28 {
                return Some(Err("record length too large".into()));
            }
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let Some(data) = self.bytes.get(self.at..self.at + len) else {
            return Some(Err(
                "truncated: a record is shorter than its length says".into()
            ));
        };
        self.at += len;
        Some(Ok((kind, data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real files written by postfix 3.7.11 (Debian 12) for PHP's mail(); see
    /// tests/fixtures/README.md.
    const DEFERRED_EVAL: &[u8] =
        include_bytes!("../../tests/fixtures/postfix-spool/deferred/F/F0020164004");
    const HELD: &[u8] = include_bytes!("../../tests/fixtures/postfix-spool/hold/DF9CD164001");
    const MAILDROP: &[u8] =
        include_bytes!("../../tests/fixtures/postfix-spool/maildrop/922F9F8D5A");

    #[test]
    fn parses_real_queue_files() {
        let m = parse(DEFERRED_EVAL, "F0020164004", false).unwrap();
        assert_eq!(m.sender, "www-data@vm");
        assert_eq!(m.recipients, ["target@example.org"]);
        assert_eq!(m.received, 1795393242);
        assert_eq!((m.login.as_str(), m.uid), ("www-data", Some(33)));
        assert_eq!(
            m.php_script,
            Some(("1001".into(), "gsdjkjhkll.php(2) : eval()'d code".into()))
        );
        let held = parse(HELD, "DF9CD164001", true).unwrap();
        assert!(held.frozen);
        assert_eq!(held.php_script, Some(("1001".into(), "tools.php".into())));
        let dropped = parse(MAILDROP, "922F9F8D5A", false).unwrap();
        assert_eq!(dropped.sender, "www-data");
        assert_eq!(dropped.recipients, ["admin2@example.com"]);
        assert_eq!(dropped.php_script, None);
    }

    #[test]
    fn truncated_files_are_errors() {
        for len in 0..DEFERRED_EVAL.len() {
            assert!(parse(&DEFERRED_EVAL[..len], "x", false).is_err(), "{len}");
        }
    }
}

#[cfg(test)]
mod cross_check {
    use super::*;

    /// `postqueue -j`, run by the live postfix 3.7.11 that wrote the fixture files
    /// (before DF9CD164001 was put on hold): our reader must agree with postfix itself.
    #[test]
    fn agrees_with_postqueue_json() {
        let spool = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/postfix-spool"
        ));
        let files = queue_files(spool);
        let expected = include_str!("../../tests/fixtures/postfix-postqueue-j.jsonl");
        for line in expected.lines() {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = entry["queue_id"].as_str().unwrap();
            let (path, hold) = files
                .iter()
                .find(|(p, _)| p.ends_with(id))
                .unwrap_or_else(|| panic!("{id} not found"));
            let m = parse(&fs::read(path).unwrap(), id, *hold).unwrap();
            assert_eq!(m.sender, entry["sender"], "{id}");
            assert_eq!(m.received, entry["arrival_time"].as_i64().unwrap(), "{id}");
            let rcpts: Vec<&str> = entry["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["address"].as_str().unwrap())
                .collect();
            assert_eq!(m.recipients, rcpts, "{id}");
        }
        assert_eq!(files.len(), 6, "five queued by the daemon, one in maildrop");
    }
}
