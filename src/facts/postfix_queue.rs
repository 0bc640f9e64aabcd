//! Postfix's queue, read natively: every file under `maildrop`, `incoming`, `active`,
//! `deferred` and `hold` (flat, or hashed by the id's first characters), in postfix's
//! record format (`src/global/rec_type.h`; what `postcat` prints): a type byte, a length
//! in 7-bit groups (low first, high bit set when more follow), then that many bytes.
//! Envelope records come first (`T` time, `S` sender, `R` recipient, `D` done), then `M`
//! and the message as `N` (line) and `L` (line continues) records, `X` and the extracted
//! recipients, `E` the end.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::message::{Headers, Message, Mta};
use super::queue::{Failed, Longer, QueueFileReader, READ_SIZE};

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

/// Envelope and header records longer than this make the file unreadable (postfix's
/// own `line_length_limit` is 2048; addresses are far shorter). Longer records of the
/// body are passed over unread.
pub const RECORD_MAX: usize = 1 << 20;
/// The sender's, recipients' and done records kept from one file, together.
pub const ENVELOPE_MAX: usize = 4 << 20;
/// Of one header line (its `N` and `L` records) this much is kept.
pub const HEADER_MAX: usize = 1 << 20;

/// Parse one queue file's bytes.
pub fn parse(bytes: &[u8], id: &str, hold: bool) -> Result<Message, String> {
    parse_reader(bytes, id, hold)
}

/// Read and parse one queue file through the thread's reader. Most are one read and
/// parsed from its buffer; a longer one (a message may be large) is streamed, its body
/// read past, never held.
pub(crate) fn read(
    path: &Path,
    hold: bool,
    reader: &mut QueueFileReader,
) -> Result<Message, Failed> {
    let id = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if reader.read_head(path, READ_SIZE as u64, Longer::Refuse)? {
        return Ok(parse(reader.bytes(), &id, hold)?);
    }
    let file = reader.open(path)?;
    let lines = io::BufReader::with_capacity(READ_SIZE, file);
    Ok(parse_reader(lines, &id, hold)?)
}

/// Parse one queue file as a stream: what is kept is bounded by [`RECORD_MAX`],
/// [`ENVELOPE_MAX`] and [`HEADER_MAX`], however large the message; its body is read
/// past, not held.
pub fn parse_reader(reader: impl Read, id: &str, hold: bool) -> Result<Message, String> {
    let mut records = Records {
        reader,
        data: Vec::new(),
    };
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
    let mut done = HashSet::new();
    let mut from_network = false;
    let mut in_content = false;
    let mut in_headers = false;
    let mut headers = Headers::new(Mta::Postfix);
    // The header line being read, and whether a record of it was too long to read
    // (then `line` holds the line's first byte only).
    let mut line = Vec::new();
    let mut unreadable = false;
    let mut envelope = 0usize;
    let mut ended = false;
    while let Some((kind, mut len)) = records.next_header()? {
        let envelope_record = (matches!(kind, b'T' | b'F' | b'S' | b'R' | b'D')
            && (!in_content || !in_headers))
            || (kind == b'A' && !in_content);
        let header_record = in_content && in_headers && matches!(kind, b'N' | b'L');
        if !(envelope_record || header_record) || len > RECORD_MAX {
            if envelope_record {
                return Err(format!(
                    "a {} record of {len} bytes (over {RECORD_MAX}): not read",
                    char::from(kind)
                ));
            }
            if header_record && !unreadable {
                // An absurd header line: dropped whole, its header with it. Its first
                // byte says whether it starts a header or continues one.
                if line.is_empty() {
                    records.read(1)?;
                    line.extend_from_slice(&records.data);
                    len -= 1;
                }
                line.truncate(1);
                unreadable = true;
            }
            records.skip(len)?;
        } else {
            records.read(len)?;
        }
        if envelope_record {
            envelope += len;
            if envelope > ENVELOPE_MAX {
                return Err(format!(
                    "envelope larger than {ENVELOPE_MAX} bytes: not read"
                ));
            }
        }
        let data = &records.data[..];
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
            // `A` named attributes: smtpd records the SMTP client (`client_address=IP`);
            // pickup's local submissions have none.
            (b'A', false) if data.starts_with(b"client_address=") => from_network = true,
            (b'R', _) if !in_content || !in_headers => message.recipients.push(text(data)),
            (b'D', _) if !in_content || !in_headers => {
                done.insert(text(data));
            }
            (b'M', false) => {
                in_content = true;
                in_headers = true;
            }
            (b'L', true) if in_headers && !unreadable => extend_header(&mut line, data),
            (b'N', true) if in_headers => {
                if unreadable {
                    headers.unreadable_line(line[0]);
                } else {
                    extend_header(&mut line, data);
                    in_headers = headers.line(&line);
                }
                line.clear();
                unreadable = false;
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
    let found = headers.finish();
    message.uid = found.uid;
    message.php_script = found.php_script;
    // Received over SMTP and no `from userid N` below smtpd's own Received (a content
    // filter's reinjection keeps the local submitter's): no local user, as qmail's
    // `invoked from network`.
    if message.uid.is_none() && from_network {
        message.login = "(network)".into();
    }
    // Recipients marked done were delivered; the rest are still queued.
    message.recipients.retain(|r| !done.contains(r));
    Ok(message)
}

/// Add a header record's data to the line, keeping at most [`HEADER_MAX`] bytes.
fn extend_header(line: &mut Vec<u8>, data: &[u8]) {
    let room = HEADER_MAX.saturating_sub(line.len());
    line.extend_from_slice(&data[..data.len().min(room)]);
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The record stream: each record's type and length, then its data read or skipped.
struct Records<R> {
    reader: R,
    /// The data of the last record read (empty when it was skipped).
    data: Vec<u8>,
}

const TRUNCATED: &str = "truncated: a record is shorter than its length says";

impl<R: Read> Records<R> {
    /// The next record's type and data length; `None` at the end of the file.
    fn next_header(&mut self) -> Result<Option<(u8, usize)>, String> {
        self.data.clear();
        let Some(kind) = self.byte()? else {
            return Ok(None);
        };
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = self.byte()?.ok_or("truncated record length")?;
            if shift > 28 {
                return Err("record length too large".into());
            }
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                return Ok(Some((kind, len)));
            }
        }
    }

    fn byte(&mut self) -> Result<Option<u8>, String> {
        let mut b = [0u8];
        loop {
            return match self.reader.read(&mut b) {
                Ok(0) => Ok(None),
                Ok(_) => Ok(Some(b[0])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e.to_string()),
            };
        }
    }

    /// Read `len` bytes of data into `self.data`.
    fn read(&mut self, len: usize) -> Result<(), String> {
        self.data.clear();
        let got = (&mut self.reader)
            .take(len as u64)
            .read_to_end(&mut self.data)
            .map_err(|e| e.to_string())?;
        if got < len {
            return Err(TRUNCATED.into());
        }
        Ok(())
    }

    /// Read past `len` bytes of data without keeping them.
    fn skip(&mut self, len: usize) -> Result<(), String> {
        let got = io::copy(&mut (&mut self.reader).take(len as u64), &mut io::sink())
            .map_err(|e| e.to_string())?;
        if got < len as u64 {
            return Err(TRUNCATED.into());
        }
        Ok(())
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

    /// A record: type, length in 7-bit groups, data.
    fn record(kind: u8, data: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        let mut len = data.len();
        loop {
            let low = (len & 0x7f) as u8;
            len >>= 7;
            out.push(if len > 0 { low | 0x80 } else { low });
            if len == 0 {
                break;
            }
        }
        out.extend_from_slice(data);
        out
    }

    /// What smtpd of postfix 3.7.11 writes for a message relayed over SMTP (`postcat`
    /// of one: its `A` attributes name the client), and for a local submission
    /// reinjected by a content filter (smtpd's Received over pickup's).
    fn smtp_file(received: &[&[u8]]) -> Vec<u8> {
        let mut file = Vec::new();
        file.extend(record(b'T', b"1796298383 0"));
        file.extend(record(b'A', b"rewrite_context=local"));
        file.extend(record(b'S', b"promo@spam-client.example"));
        file.extend(record(b'A', b"log_client_address=192.0.2.10"));
        file.extend(record(b'A', b"client_address=192.0.2.10"));
        file.extend(record(b'A', b"protocol_name=ESMTP"));
        file.extend(record(b'R', b"someone@example.net"));
        file.extend(record(b'M', b""));
        for line in received {
            file.extend(record(b'N', line));
        }
        file.extend(record(b'N', b"Subject: Cheap pills"));
        file.extend(record(b'N', b""));
        file.extend(record(b'N', b"Buy now."));
        file.extend(record(b'X', b""));
        file.extend(record(b'E', b""));
        file
    }

    #[test]
    fn smtp_clients_are_no_local_users() {
        let relayed = smtp_file(&[
            b"Received: from spam-client.example (spam-client.example [192.0.2.10])",
            b"\tby vm (Postfix) with ESMTP id E71CD15876B",
            b"\tfor <someone@example.net>; Thu,  3 Dec 2026 11:46:23 +0000 (UTC)",
        ]);
        let m = parse(&relayed, "E71CD15876B", false).unwrap();
        assert_eq!((m.login.as_str(), m.uid), ("(network)", None));
        assert_eq!(m.recipients, ["someone@example.net"]);
        let reinjected = smtp_file(&[
            b"Received: from localhost (localhost [127.0.0.1])",
            b"\tby vm (Postfix) with ESMTP id 4669E25D9D",
            b"Received: by vm (Postfix, from userid 33)",
            b"\tid 3B16E54807C; Mon, 24 Mar 2014 14:19:59 +0100 (CET)",
        ]);
        let m = parse(&reinjected, "4669E25D9D", false).unwrap();
        assert_eq!((m.login.as_str(), m.uid), ("", Some(33)));
        // pickup's files have no client.
        let local = parse(DEFERRED_EVAL, "F0020164004", false).unwrap();
        assert_ne!(local.login, "(network)");
    }

    #[test]
    fn huge_body_and_header_records_are_read_past() {
        let mut file = Vec::new();
        file.extend(record(b'T', b"1795393242 0"));
        file.extend(record(b'S', b"www-data@vm"));
        file.extend(record(b'R', b"a@b.example"));
        file.extend(record(b'M', b""));
        file.extend(record(b'N', &vec![b'h'; RECORD_MAX + 1]));
        file.extend(record(b'N', b"X-PHP-Originating-Script: 33:form.php"));
        file.extend(record(b'N', b""));
        file.extend(record(b'N', &vec![b'b'; 3 * RECORD_MAX]));
        file.extend(record(b'X', b""));
        file.extend(record(b'E', b""));
        let m = parse(&file, "Q", false).unwrap();
        assert_eq!(m.recipients, ["a@b.example"]);
        assert_eq!(m.php_script, Some(("33".into(), "form.php".into())));
        let mut big = record(b'R', &vec![b'r'; RECORD_MAX + 1]);
        big.extend(record(b'E', b""));
        let err = parse(&big, "Q", false).unwrap_err();
        assert!(err.contains("R record of"), "{err}");
        let mut many = Vec::new();
        for _ in 0..=ENVELOPE_MAX / 1000 {
            many.extend(record(b'R', &[b'r'; 1000]));
        }
        let err = parse(&many, "Q", false).unwrap_err();
        assert!(err.contains("envelope larger"), "{err}");
    }

    #[test]
    fn folded_headers_are_read_whole_and_dropped_whole() {
        let file = |headers: &[Vec<u8>]| {
            let mut file = record(b'T', b"1795393242 0");
            file.extend(record(b'M', b""));
            for h in headers {
                file.extend(record(b'N', h));
            }
            file.extend(record(b'N', b""));
            file.extend(record(b'E', b""));
            file
        };
        let folded = file(&[
            b"Received: by a-long-host-name.example".to_vec(),
            b"\t(Postfix, from userid 33)".to_vec(),
            b"X-PHP-Originating-Script: 33:x.php(2) :".to_vec(),
            b" eval()'d code".to_vec(),
        ]);
        let m = parse(&folded, "Q", false).unwrap();
        assert_eq!(m.uid, Some(33), "the uid is on a continuation line");
        assert_eq!(
            m.php_script,
            Some(("33".into(), "x.php(2) : eval()'d code".into()))
        );
        let mut huge = vec![b' '; RECORD_MAX + 1];
        huge[1] = b'x';
        let cut = file(&[
            b"X-PHP-Originating-Script: 33:form.php".to_vec(),
            huge,
            b"Received: by vm (Postfix, from userid 34)".to_vec(),
        ]);
        let m = parse(&cut, "Q", false).unwrap();
        assert_eq!(m.php_script, None, "its continuation could not be read");
        assert_eq!(m.uid, Some(34));
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
