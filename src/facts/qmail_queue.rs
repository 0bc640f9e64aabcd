//! qmail's queue (notqmail `INTERNALS`), read natively: `mess/<split>/<n>` holds message
//! `n` (named by its inode number), `info/<split>/<n>` its sender (`F<addr>\0`),
//! `local/` and `remote/` its recipients (`T<addr>\0` to do, `D<addr>\0` done), and
//! `todo/<n>` (or `todo/<split>/<n>`) the envelope of a message not yet preprocessed
//! (`u<uid>\0p<pid>\0F<sender>\0T<rcpt>\0...`). There is no frozen state.

use std::fs;
use std::path::{Path, PathBuf};

use super::message::{Message, php_script};

/// Every message: its `mess` file, numbered.
pub fn messages(queue: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(splits) = fs::read_dir(queue.join("mess")) else {
        return out;
    };
    for split in splits.flatten() {
        if let Ok(files) = fs::read_dir(split.path()) {
            out.extend(
                files
                    .flatten()
                    .map(|f| f.path())
                    .filter(|p| number(p).is_some()),
            );
        }
    }
    out
}

fn number(path: &Path) -> Option<u64> {
    path.file_name()?.to_str()?.parse().ok()
}

/// The envelope and headers of one message, from its `mess` file and the files beside it.
pub fn parse(queue: &Path, mess: &Path, content: &[u8]) -> Result<Message, String> {
    let n = number(mess).ok_or("not a message number")?;
    let split = mess
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_os_string())
        .unwrap_or_default();
    let beside = |dir: &str| queue.join(dir).join(&split).join(n.to_string());
    let mut message = Message {
        id: n.to_string(),
        login: String::new(),
        uid: None,
        sender: String::new(),
        recipients: Vec::new(),
        received: 0,
        frozen: false,
        php_script: None,
    };
    let todo = [queue.join("todo").join(n.to_string()), beside("todo")]
        .into_iter()
        .find(|p| p.is_file());
    if let Some(todo) = todo {
        // Queued but not yet preprocessed: the envelope is all in todo.
        for (kind, value) in fields(&read(&todo)?) {
            match kind {
                b'F' => message.sender = value,
                b'T' => message.recipients.push(value),
                _ => {}
            }
        }
    } else {
        let info = read(&beside("info")).map_err(|e| format!("no sender (info): {e}"))?;
        message.sender = fields(&info)
            .into_iter()
            .find(|(k, _)| *k == b'F')
            .map(|(_, v)| v)
            .unwrap_or_default();
        for dir in ["local", "remote"] {
            if let Some(list) = read_optional(&beside(dir))? {
                message.recipients.extend(
                    fields(&list)
                        .into_iter()
                        .filter(|(k, _)| *k == b'T')
                        .map(|(_, v)| v),
                );
            }
        }
    }
    let info_time = fs::metadata(beside("info"))
        .or_else(|_| fs::metadata(mess))
        .and_then(|m| m.modified());
    message.received = info_time
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    headers(&mut message, content);
    Ok(message)
}

/// Envelope files (`todo`, `info`, `local`, `remote`) larger than this make the message
/// unreadable: they hold addresses only (qmail-inject's recipients).
pub const ENVELOPE_FILE_MAX: u64 = 4 << 20;

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let file = fs::File::open(path).map_err(|e| e.to_string())?;
    capped(file, path)
}

/// An envelope file, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match fs::File::open(path) {
        Ok(file) => capped(file, path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn capped(file: fs::File, path: &Path) -> Result<Vec<u8>, String> {
    crate::host::read_capped(file, ENVELOPE_FILE_MAX)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `X\0`-terminated fields: kind byte and value.
fn fields(bytes: &[u8]) -> Vec<(u8, String)> {
    bytes
        .split(|b| *b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| (f[0], String::from_utf8_lossy(&f[1..]).into_owned()))
        .collect()
}

/// The first `Received: (qmail N invoked by uid U)` tells who submitted the message
/// (`invoked from network` for SMTP, `by alias` for forwards); X-PHP-Originating-Script
/// names the script.
fn headers(message: &mut Message, content: &[u8]) {
    let end = memchr::memmem::find(content, b"\n\n").unwrap_or(content.len());
    let head = String::from_utf8_lossy(&content[..end]);
    let mut seen_qmail = false;
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("X-PHP-Originating-Script") {
            message.php_script = Some(php_script(value));
        } else if name.eq_ignore_ascii_case("Received")
            && !seen_qmail
            && value.trim_start().starts_with("(qmail ")
        {
            seen_qmail = true;
            if let Some(uid) = value
                .split("invoked by uid ")
                .nth(1)
                .and_then(|r| r.split(')').next())
            {
                message.uid = uid.trim().parse().ok();
            } else if value.contains("invoked from network") {
                message.login = "(network)".into();
            } else if value.contains("invoked by alias") {
                message.login = "(alias)".into();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_on_nul() {
        assert_eq!(
            fields(b"u10003\0p19514\0Fuser@domain.com\0Ta@b.example\0Db@c.example\0\0"),
            vec![
                (b'u', "10003".to_string()),
                (b'p', "19514".to_string()),
                (b'F', "user@domain.com".to_string()),
                (b'T', "a@b.example".to_string()),
                (b'D', "b@c.example".to_string()),
            ]
        );
    }
}
