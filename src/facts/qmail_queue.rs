//! qmail's queue (notqmail `INTERNALS`), read natively: `mess/<split>/<n>` holds message
//! `n` (named by its inode number), `info/<split>/<n>` its sender (`F<addr>\0`),
//! `local/` and `remote/` its recipients (`T<addr>\0` to do, `D<addr>\0` done), and
//! `todo/<n>` (or `todo/<split>/<n>`) the envelope of a message not yet preprocessed
//! (`u<uid>\0p<pid>\0F<sender>\0T<rcpt>\0...`). There is no frozen state.
//!
//! [`read`] reads a message's files; [`parse`] reads their bytes, with no I/O.

use std::fs;
use std::path::{Path, PathBuf};

use super::message::{Headers, Message, Mta};

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

/// The files of one message, read: its `mess` file (its start is enough: the headers)
/// and the envelope files beside it that exist.
#[derive(Debug, Clone, Copy, Default)]
pub struct Files<'a> {
    pub mess: &'a [u8],
    /// `todo/<n>`: the whole envelope while the message is not yet preprocessed; the
    /// other envelope files are not read then.
    pub todo: Option<&'a [u8]>,
    pub info: Option<&'a [u8]>,
    pub local: Option<&'a [u8]>,
    pub remote: Option<&'a [u8]>,
}

/// One message (`id` its number, `received` its arrival in Unix seconds) from its files'
/// bytes.
pub fn parse(id: u64, files: &Files, received: i64) -> Result<Message, String> {
    let mut message = Message {
        id: id.to_string(),
        login: String::new(),
        uid: None,
        sender: String::new(),
        recipients: Vec::new(),
        received,
        frozen: false,
        php_script: None,
    };
    if let Some(todo) = files.todo {
        // Queued but not yet preprocessed: the envelope is all in todo.
        for (kind, value) in fields(todo) {
            match kind {
                b'F' => message.sender = value,
                b'T' => message.recipients.push(value),
                _ => {}
            }
        }
    } else {
        let info = files.info.ok_or("no sender (info): no info file")?;
        message.sender = fields(info)
            .into_iter()
            .find(|(k, _)| *k == b'F')
            .map(|(_, v)| v)
            .unwrap_or_default();
        for list in [files.local, files.remote].into_iter().flatten() {
            message.recipients.extend(
                fields(list)
                    .into_iter()
                    .filter(|(k, _)| *k == b'T')
                    .map(|(_, v)| v),
            );
        }
    }
    // The first `Received: (qmail N invoked by uid U)` tells who submitted the message
    // (`invoked from network` for SMTP, `by alias` for forwards); X-PHP-Originating-Script
    // names the script.
    let found = Headers::block(Mta::Qmail, files.mess);
    message.uid = found.uid;
    message.login = found.login.unwrap_or_default().to_string();
    message.php_script = found.php_script;
    Ok(message)
}

/// Read the envelope files of the message whose `mess` file is `mess` (of which
/// `content` is the start) in `queue`, and parse them.
pub fn read(queue: &Path, mess: &Path, content: &[u8]) -> Result<Message, String> {
    let n = number(mess).ok_or("not a message number")?;
    let split = mess
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_os_string())
        .unwrap_or_default();
    let beside = |dir: &str| queue.join(dir).join(&split).join(n.to_string());
    let todo = [queue.join("todo").join(n.to_string()), beside("todo")]
        .into_iter()
        .find(|p| p.is_file());
    let (todo, info, local, remote, info_time) = match todo {
        Some(todo) => (Some(read_file(&todo)?), None, None, None, None),
        None => {
            let (info, time) =
                read_info(&beside("info")).map_err(|e| format!("no sender (info): {e}"))?;
            (
                None,
                Some(info),
                read_optional(&beside("local"))?,
                read_optional(&beside("remote"))?,
                time,
            )
        }
    };
    // The arrival: when qmail-send wrote info, taken from the open file (no second
    // lookup of its path); while the message is in todo, its mess file's time.
    let received = info_time
        .or_else(|| fs::metadata(mess).and_then(|m| m.modified()).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    let files = Files {
        mess: content,
        todo: todo.as_deref(),
        info: info.as_deref(),
        local: local.as_deref(),
        remote: remote.as_deref(),
    };
    parse(n, &files, received)
}

/// Envelope files (`todo`, `info`, `local`, `remote`) larger than this make the message
/// unreadable: they hold addresses only (qmail-inject's recipients).
pub const ENVELOPE_FILE_MAX: u64 = 4 << 20;

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = crate::chase::open_regular(path).map_err(|e| e.to_string())?;
    capped(file, path)
}

/// The info file, with its modification time.
fn read_info(path: &Path) -> Result<(Vec<u8>, Option<std::time::SystemTime>), String> {
    let file = crate::chase::open_regular(path).map_err(|e| e.to_string())?;
    let time = file.metadata().and_then(|m| m.modified()).ok();
    Ok((capped(file, path)?, time))
}

/// An envelope file, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match crate::chase::open_regular(path) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The example Plesk host's queue: article 001's messages as a real qmail queued them
    /// (scripts/make-example-plesk-qmail).
    const MESS: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/mess/2/1006137");
    const INFO: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/info/2/1006137");
    const REMOTE: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/remote/2/1006137");
    const NETWORK: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/mess/0/999764");
    const TODO_MESS: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/mess/16/1003667");
    const TODO: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/todo/1003667");
    const BOUNCE: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/mess/3/1003746");
    const BOUNCE_INFO: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/info/3/1003746");
    const BOUNCE_REMOTE: &[u8] =
        include_bytes!("../../examples/hosts/plesk-qmail/var/qmail/queue/remote/3/1003746");

    #[test]
    fn parses_messages_from_their_bytes() {
        let files = Files {
            mess: MESS,
            info: Some(INFO),
            remote: Some(REMOTE),
            ..Files::default()
        };
        let m = parse(1006137, &files, 7).unwrap();
        assert_eq!((m.id.as_str(), m.received), ("1006137", 7));
        assert_eq!((m.login.as_str(), m.uid), ("", Some(10003)));
        assert_eq!(m.sender, "user@domain.com");
        // In the order qmail-send wrote them to remote/.
        assert_eq!(m.recipients, ["user3@domain3.com", "user1@domain1.com"]);
        assert_eq!(m.php_script, Some(("10003".into(), "sendmail.php".into())));
        let network = Files {
            mess: NETWORK,
            ..files
        };
        let m = parse(999764, &network, 0).unwrap();
        assert_eq!((m.login.as_str(), m.uid), ("(network)", None));
        assert_eq!(m.php_script, None);
        // qmail-send's bounce: sender <>, and the bounced message's own Received (in
        // its body) is not read.
        let bounce = Files {
            mess: BOUNCE,
            info: Some(BOUNCE_INFO),
            remote: Some(BOUNCE_REMOTE),
            ..files
        };
        let m = parse(1003746, &bounce, 0).unwrap();
        assert_eq!((m.login.as_str(), m.uid), ("(bounce)", None));
        assert_eq!((m.sender.as_str(), m.php_script), ("", None));
        assert_eq!(m.recipients, ["user@domain.com"]);
        // While a message is in todo/, the files beside it are not read.
        let todo = Files {
            mess: TODO_MESS,
            todo: Some(TODO),
            ..files
        };
        let m = parse(1003667, &todo, 0).unwrap();
        assert_eq!(m.sender, "apache@plesk.example");
        assert_eq!(m.recipients, ["victim@domain4.com"]);
        assert_eq!(m.uid, Some(48));
        let err = parse(
            1,
            &Files {
                mess: MESS,
                ..Files::default()
            },
            0,
        )
        .unwrap_err();
        assert!(err.contains("no sender (info)"), "{err}");
    }

    #[test]
    fn reads_the_files_beside_the_message() {
        let queue = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/hosts/plesk-qmail/var/qmail/queue"
        ));
        let mess = queue.join("mess/2/1006137");
        let read_one = read(queue, &mess, MESS).unwrap();
        let parsed = parse(
            1006137,
            &Files {
                mess: MESS,
                info: Some(INFO),
                remote: Some(REMOTE),
                ..Files::default()
            },
            read_one.received,
        )
        .unwrap();
        assert_eq!(read_one, parsed);
        let in_todo = read(queue, &queue.join("mess/16/1003667"), TODO_MESS).unwrap();
        assert_eq!(in_todo.sender, "apache@plesk.example");
    }

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
