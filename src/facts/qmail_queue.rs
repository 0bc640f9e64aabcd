//! qmail's queue (notqmail `INTERNALS`), read natively: `mess/<split>/<n>` holds message
//! `n` (named by its inode number), `info/<split>/<n>` its sender (`F<addr>\0`),
//! `local/` and `remote/` its recipients (`T<addr>\0` to do, `D<addr>\0` done), and
//! `todo/<n>` (or `todo/<split>/<n>`) the envelope of a message not yet preprocessed
//! (`u<uid>\0p<pid>\0F<sender>\0T<rcpt>\0...`). There is no frozen state.
//!
//! [`read`] reads a message's files; [`parse`] reads their bytes, with no I/O.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::message::{Headers, Message, Mta};
use super::queue::{Failed, Longer, QueueFileReader};

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

/// The numbers of the messages in `todo/` (flat or split) when it was listed: those
/// are read from there, the rest from `info`, `local` and `remote` without looking in
/// `todo` first (two lookups per message saved). List it after `mess`: a message listed
/// in `mess` whose `todo` is not listed was preprocessed, or arrived after; [`read`]
/// still looks in `todo` when it finds no `info`.
pub fn todo(queue: &Path) -> HashSet<u64> {
    let mut out = HashSet::new();
    let Ok(entries) = fs::read_dir(queue.join("todo")) else {
        return out;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if let Ok(files) = fs::read_dir(entry.path()) {
                out.extend(files.flatten().filter_map(|f| number(&f.path())));
            }
        } else if let Some(n) = number(&entry.path()) {
            out.insert(n);
        }
    }
    out
}

/// Of a `mess` file (the whole message) only this much is read: the headers; a longer
/// one is cut.
pub const QMAIL_HEAD_MAX: u64 = 1 << 20;

/// The reader's slots for a message's files: the `mess` file in slot 0.
const TODO: usize = 1;
const INFO: usize = 2;
const LOCAL: usize = 3;
const REMOTE: usize = 4;

/// Read the message whose `mess` file is `mess` in `queue` (its start: the headers) and
/// its envelope files through `reader`, and parse them. `todo` is [`todo`]'s list.
pub(crate) fn read(
    queue: &Path,
    todo: &HashSet<u64>,
    mess: &Path,
    reader: &mut QueueFileReader,
) -> Result<Message, Failed> {
    let n = number(mess).ok_or_else(|| Failed::Unreadable("not a message number".into()))?;
    reader.read_head(mess, QMAIL_HEAD_MAX, Longer::Cut)?;
    let split = mess
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_os_string())
        .unwrap_or_default();
    let name = n.to_string();
    let beside = |dir: &str| queue.join(dir).join(&split).join(&name);
    let read_todo = |reader: &mut QueueFileReader| -> Result<bool, Failed> {
        for path in [queue.join("todo").join(&name), beside("todo")] {
            if read_envelope(reader, TODO, &path)? {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let mut in_todo = todo.contains(&n) && read_todo(reader)?;
    if !in_todo {
        let info = read_envelope(reader, INFO, &beside("info"))
            .map_err(|e| Failed::Unreadable(format!("no sender (info): {e}")))?;
        if !info {
            // Not yet preprocessed when `todo` was listed, or it arrived after.
            in_todo = read_todo(reader)?;
            if !in_todo {
                // qmail-send removes a delivered message's envelope before its mess.
                if fs::symlink_metadata(mess)
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
                {
                    return Err(Failed::Gone);
                }
                return Err("no sender (info): no info file".to_string().into());
            }
        }
    }
    if !in_todo {
        for (slot, dir) in [(LOCAL, "local"), (REMOTE, "remote")] {
            read_envelope(reader, slot, &beside(dir))?;
        }
    }
    // The arrival: when qmail-send wrote info; while the message is in todo, its mess
    // file's time. Both from the status read when the file was opened.
    let received = reader
        .modified(if in_todo { 0 } else { INFO })
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    let files = if in_todo {
        Files {
            mess: reader.bytes(),
            todo: Some(reader.slot_bytes(TODO)),
            ..Files::default()
        }
    } else {
        Files {
            mess: reader.bytes(),
            todo: None,
            info: Some(reader.slot_bytes(INFO)),
            local: Some(reader.slot_bytes(LOCAL)),
            remote: Some(reader.slot_bytes(REMOTE)),
        }
    };
    Ok(parse(n, &files, received)?)
}

/// Envelope files (`todo`, `info`, `local`, `remote`) larger than this make the message
/// unreadable: they hold addresses only (qmail-inject's recipients).
pub const ENVELOPE_FILE_MAX: u64 = 4 << 20;

/// Read an envelope file into `slot`: false (and the slot empty) when it does not exist
/// (whether the message went is for the caller to tell, by its `mess` file).
fn read_envelope(reader: &mut QueueFileReader, slot: usize, path: &Path) -> Result<bool, String> {
    match reader.read_slot(slot, path, ENVELOPE_FILE_MAX, Longer::Refuse) {
        Ok(true) => Ok(true),
        Ok(false) => Err(format!(
            "{}: larger than {ENVELOPE_FILE_MAX} bytes: not read",
            path.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
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
        let todo = super::todo(queue);
        assert_eq!(todo, HashSet::from([1003667]));
        let mut reader = QueueFileReader::default();
        let mess = queue.join("mess/2/1006137");
        let read_one = read(queue, &todo, &mess, &mut reader).unwrap();
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
        let info_time = fs::metadata(queue.join("info/2/1006137")).unwrap();
        let info_time = info_time.modified().unwrap();
        let secs = info_time
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(
            read_one.received, secs as i64,
            "arrival: when info was written"
        );
        let mess = queue.join("mess/16/1003667");
        let in_todo = read(queue, &todo, &mess, &mut reader).unwrap();
        assert_eq!(in_todo.sender, "apache@plesk.example");
        // Not in the list made before (it arrived after): found in todo all the same.
        let late = read(queue, &HashSet::new(), &mess, &mut reader).unwrap();
        assert_eq!(late, in_todo);
        // In the list but preprocessed since: read from info.
        let listed = HashSet::from([1006137]);
        let preprocessed = read(queue, &listed, &queue.join("mess/2/1006137"), &mut reader);
        assert_eq!(preprocessed.unwrap(), read_one);
    }

    /// On a live queue a message's files go while it is read: delivered (info gone,
    /// then mess) is gone, not unreadable; info gone with mess still there is unreadable.
    #[test]
    fn a_message_delivered_while_read_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path();
        for sub in ["mess/0", "info/0"] {
            fs::create_dir_all(q.join(sub)).unwrap();
        }
        fs::write(q.join("mess/0/7"), b"\n").unwrap();
        let mut reader = QueueFileReader::default();
        let none = HashSet::new();
        match read(q, &none, &q.join("mess/0/7"), &mut reader) {
            Err(Failed::Unreadable(reason)) => assert!(reason.contains("no info file"), "{reason}"),
            other => panic!("{other:?}"),
        }
        fs::remove_file(q.join("mess/0/7")).unwrap();
        assert!(matches!(
            read(q, &none, &q.join("mess/0/7"), &mut reader),
            Err(Failed::Gone)
        ));
        // A symlink planted as info is refused, not followed.
        fs::write(q.join("mess/0/8"), b"\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", q.join("info/0/8")).unwrap();
        match read(q, &none, &q.join("mess/0/8"), &mut reader) {
            Err(Failed::Unreadable(reason)) => assert!(reason.contains("symlink"), "{reason}"),
            other => panic!("{other:?}"),
        }
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
