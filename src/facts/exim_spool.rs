//! Exim's spool, read natively: `input/<id>-H` files (flat, or split by the id's sixth
//! character with `split_spool_directory`), old 16-character and 4.97+ 23-character ids.
//!
//! A `-H` file holds, in order: its own name; `login uid gid`; `<sender>`;
//! `received_time warning_count`; option lines starting with `-` (`-frozen TIME`,
//! `-aclc NAME LEN` followed by LEN bytes of data, ...); the non-recipients tree (`XX`
//! when empty); the recipient count and one recipient a line; a blank line; then the
//! headers, each as `NNNc text` where NNN is the byte length of the text (continuation
//! lines and final newline included) and `c` a flag (`*` deleted, ` ` ordinary, ...).

use std::borrow::Cow;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use super::message::Message;
use super::message::{Headers, Mta};
use super::queue::Listing;

/// A `-H` file that could not be read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub file: PathBuf,
    pub reason: String,
}

/// The message ids' `-H` files in the spool's `input` directory, flat and split.
pub fn header_files(spool: &Path) -> io::Result<Vec<PathBuf>> {
    let listing = HeaderFiles::open(spool)?;
    let (mut files, mut batch) = (Vec::new(), Vec::new());
    while listing.next_batch(&mut batch) {
        files.extend(batch.drain(..).map(|(file, _)| file));
    }
    // No sort: the summary does not depend on order, and 100k paths take a while.
    Ok(files)
}

/// The `-H` files of a spool's `input` (flat, or split into one-character
/// subdirectories by `split_spool_directory`), listed as the readers go: a batch at a
/// time under a lock, so a million-message spool is never held as a list.
pub struct HeaderFiles {
    walk: Mutex<Walk>,
}

struct Walk {
    /// The directory being read, and whether it is `input` itself (whose
    /// one-character subdirectories are the split spool's).
    current: Option<(fs::ReadDir, bool)>,
    /// Split subdirectories found, still to be read.
    subdirs: Vec<PathBuf>,
}

/// Files handed to a reader thread at a time: enough to make the lock rare, few
/// enough that the threads stay evenly loaded.
const BATCH: usize = 64;

impl HeaderFiles {
    /// The listing of `spool`'s `input`; an error if it cannot be read at all.
    pub fn open(spool: &Path) -> io::Result<HeaderFiles> {
        let input = fs::read_dir(spool.join("input"))?;
        Ok(HeaderFiles {
            walk: Mutex::new(Walk {
                current: Some((input, true)),
                subdirs: Vec::new(),
            }),
        })
    }
}

impl Listing for HeaderFiles {
    fn next_batch(&self, batch: &mut Vec<(PathBuf, bool)>) -> bool {
        batch.clear();
        let mut walk = self.walk.lock().unwrap_or_else(|e| e.into_inner());
        while batch.len() < BATCH {
            let Some((entries, top)) = walk.current.as_mut() else {
                let Some(dir) = walk.subdirs.pop() else { break };
                // A subdirectory that cannot be read holds nothing we can count.
                walk.current = fs::read_dir(dir).ok().map(|entries| (entries, false));
                continue;
            };
            let top = *top;
            let Some(entry) = entries.next() else {
                walk.current = None;
                continue;
            };
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            if top && name.len() == 1 && entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk.subdirs.push(entry.path());
            } else if is_header_file(&name) {
                batch.push((entry.path(), false));
            }
        }
        !batch.is_empty()
    }

    fn len(&self) -> Option<usize> {
        None
    }
}

fn is_header_file(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .and_then(|n| n.strip_suffix("-H"))
        .is_some_and(is_message_id)
}

/// `TTTTTT-PPPPPP-FF` (16) or, from 4.97, `TTTTTT-PPPPPPPPPPP-FFFF` (23), base 62.
pub fn is_message_id(id: &str) -> bool {
    is_message_id_bytes(id.as_bytes())
}

/// [`is_message_id`] of bytes (a log line's), with no UTF-8 check first.
pub fn is_message_id_bytes(id: &[u8]) -> bool {
    // Called for every file in the spool and every log line: no allocation.
    let dashes: &[usize] = match id.len() {
        16 => &[6, 13],
        23 => &[6, 18],
        _ => return false,
    };
    id.iter().enumerate().all(|(i, &c)| {
        if dashes.contains(&i) {
            c == b'-'
        } else {
            c.is_ascii_alphanumeric()
        }
    })
}

/// Parse one `-H` file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Message, String> {
    let mut r = Reader { bytes, at: 0 };
    let name = r.line()?;
    let id = name
        .strip_suffix("-H")
        .filter(|id| is_message_id(id))
        .ok_or("first line is not <id>-H")?
        .to_string();
    let who = r.line()?;
    let mut who = who.split(' ');
    let login = who.next().unwrap_or_default().to_string();
    let uid = who
        .next()
        .and_then(|u| u.parse().ok())
        .ok_or("second line is not `login uid gid`")?;
    let sender = r.line()?;
    let sender = sender
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .ok_or("third line is not <sender>")?
        .to_string();
    let received = r
        .line()?
        .split(' ')
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or("fourth line is not `time warnings`")?;
    let mut frozen = false;
    // Options, until the non-recipients tree.
    let tree_start = loop {
        let line = r.line()?;
        let Some(option) = line.strip_prefix('-') else {
            break line;
        };
        let mut words = option.split(' ');
        match words.next() {
            Some("frozen") => frozen = true,
            // ACL variables carry LEN bytes of data on the following line(s).
            Some("aclc" | "aclm" | "acl") => {
                let len: usize = words
                    .nth(1)
                    .and_then(|l| l.parse().ok())
                    .ok_or("bad ACL variable line")?;
                r.skip(len.saturating_add(1))?;
            }
            _ => {}
        }
    };
    r.tree(tree_start)?;
    let count: usize = r.line()?.trim().parse().map_err(|_| "no recipient count")?;
    let mut recipients = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        recipients.push(recipient(&r.line()?));
    }
    if !r.line()?.is_empty() {
        return Err("no blank line before the headers".into());
    }
    let mut headers = Headers::new(Mta::Exim);
    while r.at < r.bytes.len() {
        let (flag, text) = r.header()?;
        if flag != '*' {
            headers.header(text);
        }
    }
    let php_script = headers.finish().php_script;
    Ok(Message {
        id,
        login,
        uid: Some(uid),
        sender,
        recipients,
        received,
        frozen,
        php_script,
    })
}

/// A recipient line: the address, possibly followed by ` errors_to LEN,PNO#1`.
fn recipient(line: &str) -> String {
    match line.strip_suffix("#1").and_then(|l| l.rsplit_once(' ')) {
        Some((rest, _counts)) => rest
            .rsplit_once(' ')
            .map(|(addr, _errors_to)| addr)
            .unwrap_or(rest)
            .to_string(),
        None => line.to_string(),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// The next line, borrowed when it is UTF-8 (it nearly always is).
    fn line(&mut self) -> Result<Cow<'a, str>, String> {
        let rest = &self.bytes[self.at.min(self.bytes.len())..];
        let end = memchr::memchr(b'\n', rest).ok_or("truncated: a line has no end")?;
        self.at += end + 1;
        Ok(crate::text::lossy(&rest[..end]))
    }

    fn skip(&mut self, n: usize) -> Result<(), String> {
        if self.at.saturating_add(n) > self.bytes.len() {
            return Err("truncated ACL variable".into());
        }
        self.at += n;
        Ok(())
    }

    /// The non-recipients tree: `XX`, or a node `LR address` whose `L`/`R` say whether a
    /// left/right subtree follows.
    fn tree(&mut self, first: Cow<'a, str>) -> Result<(), String> {
        let mut pending = 1usize;
        let mut line = first;
        loop {
            let b = line.as_bytes();
            if b.len() < 2 {
                return Err("bad non-recipients tree".into());
            }
            pending -= 1;
            if b[..2] != *b"XX" {
                pending += usize::from(b[0] == b'Y') + usize::from(b[1] == b'Y');
            }
            if pending == 0 {
                return Ok(());
            }
            line = self.line()?;
        }
    }

    /// One `NNNc text` header.
    fn header(&mut self) -> Result<(char, &'a [u8]), String> {
        let rest = &self.bytes[self.at..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || rest.len() < digits + 2 {
            return Err(format!("bad header length at byte {}", self.at));
        }
        let len: usize = std::str::from_utf8(&rest[..digits])
            .unwrap_or("0")
            .parse()
            .map_err(|_| "bad header length")?;
        let flag = rest[digits] as char;
        let start = digits + 2;
        if rest.len() < start.saturating_add(len) {
            return Err("truncated: a header is shorter than its length says".into());
        }
        self.at += start + len;
        Ok((flag, &rest[start..start + len]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn message_ids_of_both_generations() {
        assert!(is_message_id("1joDo0-0005Bd-LB"));
        assert!(is_message_id("1rojOt-00000049dMj-0Abc"));
        assert!(!is_message_id("1joDo0-0005Bd"));
        assert!(!is_message_id("1joDo0-0005Bd-L!"));
    }

    /// Flat and split at once, more files than a batch, beside what is no `-H` file:
    /// every `-H` file listed once, nothing else.
    #[test]
    fn the_listing_gives_every_header_file_once() {
        let spool = tempfile::tempdir().unwrap();
        let input = spool.path().join("input");
        let mut expected = Vec::new();
        for i in 0..(3 * BATCH + 5) {
            let id = format!("1xVHSh-{i:06}-00");
            let dir = if i % 2 == 0 {
                input.clone()
            } else {
                input.join(&id[5..6])
            };
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join(format!("{id}-H")), b"").unwrap();
            fs::write(dir.join(format!("{id}-D")), b"").unwrap();
            expected.push(dir.join(format!("{id}-H")));
        }
        fs::write(input.join("notes-H"), b"").unwrap();
        fs::create_dir_all(input.join("ab/1xVHSh-000000-99-H")).unwrap();
        let mut listed = header_files(spool.path()).unwrap();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected);
        assert!(header_files(&spool.path().join("none")).is_err());
    }

    #[test]
    fn recipients_with_errors_to() {
        assert_eq!(recipient("a@b.example"), "a@b.example");
        assert_eq!(
            recipient("a@b.example owner@b.example 15,-1#1"),
            "a@b.example"
        );
    }

    /// Real files: exim 4.96 (Debian 12) queued them for PHP's mail() with
    /// mail.add_x_header on; the first was then frozen with `exim4 -Mf`.
    const FROZEN_FORM: &[u8] =
        include_bytes!("../../tests/fixtures/exim4-spool/input/1xVHSh-0001Xe-1g-H");
    const EVAL: &[u8] = include_bytes!("../../tests/fixtures/exim4-spool/input/1xVHSh-0001Xl-1q-H");
    const BOUNCE: &[u8] =
        include_bytes!("../../tests/fixtures/exim4-spool/input/1xVHSh-0001Xp-1v-H");

    #[test]
    fn truncated_files_are_errors_not_panics() {
        for len in 0..FROZEN_FORM.len() {
            let _ = parse(&FROZEN_FORM[..len]);
        }
        assert!(parse(&FROZEN_FORM[..FROZEN_FORM.len() - 10]).is_err());
        assert!(parse(b"garbage\n").is_err());
    }

    #[test]
    fn absurd_lengths_are_errors_not_overflows() {
        let text = String::from_utf8(FROZEN_FORM.to_vec()).unwrap();
        let huge = usize::MAX.to_string();
        let acl = text.replacen("-local\n", &format!("-aclc 0 {huge}\n"), 1);
        assert_ne!(acl, text, "the fixture has a -local line");
        assert!(parse(acl.as_bytes()).is_err());
        let (head, _) = text.split_once("\n\n").unwrap();
        let header = format!("{head}\n\n{huge}  X: y\n");
        assert!(parse(header.as_bytes()).is_err());
    }

    #[test]
    fn parses_real_exim_header_files() {
        let m = parse(FROZEN_FORM).unwrap();
        assert_eq!(m.id, "1xVHSh-0001Xe-1g");
        assert_eq!((m.login.as_str(), m.uid), ("www-data", Some(33)));
        assert_eq!(m.sender, "www-data@vm");
        assert_eq!(m.recipients, ["victim0@example.net"]);
        assert!(m.frozen);
        assert_eq!(m.php_script, Some(("1001".into(), "tools.php".into())));
        let eval = parse(EVAL).unwrap();
        assert!(!eval.frozen);
        assert_eq!(
            eval.php_script,
            Some(("1001".into(), "gsdjkjhkll.php(2) : eval()'d code".into()))
        );
        let bounce = parse(BOUNCE).unwrap();
        assert_eq!(bounce.sender, "");
        assert_eq!(bounce.php_script, None);
    }
}
