//! The `queue` fact group: what sits in the mail queue and who put it there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use schemars::JsonSchema;
use serde::Serialize;

use super::UnreadableFile;
use super::exim_spool::Unreadable;
use super::logs::{Passwd, truncate_to};
use super::message::Message;
use super::script_class;

/// The `queue` fact group: what sits in the mail queue and who put it there. Every field
/// is null when no queue could be read, and `error` says why.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct QueueFacts {
    /// Messages in the queue
    pub total: Option<u64>,
    /// Frozen messages (exim) or messages on hold (postfix)
    pub frozen: Option<u64>,
    /// Arrival time of the oldest message (Unix seconds)
    pub oldest: Option<i64>,
    /// Arrival time of the newest message (Unix seconds)
    pub newest: Option<i64>,
    /// Envelope senders with the most messages (`<>` for bounces)
    pub top_senders: Option<Vec<SenderCount>>,
    /// Scripts named by X-PHP-Originating-Script, with their uid, message count, class (form, random, cron, unknown) and where files of that name are
    pub top_scripts: Option<Vec<ScriptCount>>,
    /// Who submitted the queued messages: user, uid and home from /etc/passwd ((network) for SMTP on postfix and qmail, (bounce) for bounces on qmail)
    pub top_local_users: Option<Vec<LocalUserCount>>,
    /// Messages a user of this host submitted: a uid or login the MTA recorded, not (network), (alias), (bounce) or none
    pub local_submitted: Option<u64>,
    /// Messages without an X-PHP-Originating-Script header
    pub without_script_header: Option<u64>,
    /// Recipient domains with the most messages
    pub top_recipient_domains: Option<Vec<DomainCount>>,
    /// Queue files that could not be parsed, with reasons
    pub unreadable: Option<Vec<UnreadableFile>>,
    /// Why no queue could be read (absent when one was)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl QueueFacts {
    /// No queue read, for this reason.
    pub fn error(reason: String) -> QueueFacts {
        QueueFacts {
            error: Some(reason),
            ..QueueFacts::default()
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SenderCount {
    pub sender: String,
    pub count: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ScriptCount {
    /// The script's name as the header gives it
    pub script: String,
    /// The uid the header gives; null when it gives none, or no number
    pub uid: Option<u32>,
    pub count: u64,
    /// Arrival time of its newest queued message (Unix seconds): verify tells a message
    /// queued after the plan from the ones it saw
    pub newest: Option<i64>,
    /// form, random, cron (empty name) or unknown
    pub class: String,
    /// Files of that name under the document roots, /var/www and /home (at most five)
    pub locations: Vec<Location>,
    /// The site the first of them belongs to: the ServerName of the virtual host whose DocumentRoot holds it, else the domain an ISPmanager or Plesk path names; null when unknown
    pub site: Option<String>,
}

/// A file found on the host.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Location {
    pub path: String,
    pub uid: u32,
    pub user: String,
    /// Modification time (Unix seconds)
    pub mtime: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LocalUserCount {
    pub user: String,
    pub uid: Option<u32>,
    pub home: Option<String>,
    pub count: u64,
    /// Arrival time of the user's newest queued message (Unix seconds)
    pub newest: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainCount {
    pub domain: String,
    pub count: u64,
}

/// How many entries the top lists keep.
const TOP: usize = 10;

/// Why a queue file gave no message.
pub(crate) enum Failed {
    /// Delivered (removed) while we read: it is no longer queued.
    Gone,
    Unreadable(String),
}

impl From<std::io::Error> for Failed {
    fn from(e: std::io::Error) -> Failed {
        if e.kind() == std::io::ErrorKind::NotFound {
            Failed::Gone
        } else {
            Failed::Unreadable(e.to_string())
        }
    }
}

impl From<String> for Failed {
    fn from(reason: String) -> Failed {
        Failed::Unreadable(reason)
    }
}

/// Reads one queue file (path, on hold, a buffer to reuse) into a message.
pub(crate) trait ReadMessage:
    Fn(&Path, bool, &mut Vec<u8>) -> Result<Message, Failed> + Sync
{
}
impl<F: Fn(&Path, bool, &mut Vec<u8>) -> Result<Message, Failed> + Sync> ReadMessage for F {}

/// Read and parse the files with [`threads`] threads taking the next file as they
/// finish one, then merge the counts.
pub(crate) fn summarize(
    files: &[(PathBuf, bool)],
    passwd: &Passwd,
    read: impl ReadMessage,
) -> QueueFacts {
    let next = AtomicUsize::new(0);
    let progress = crate::progress::bar(files.len() as u64, 5_000, "reading the queue", false);
    let mut summary = Summary::default();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads().min(files.len()).max(1))
            .map(|_| scope.spawn(|| read_all(files, &next, &read, &progress)))
            .collect();
        for worker in workers {
            if let Ok(part) = worker.join() {
                summary.merge(part);
            }
        }
    });
    progress.finish_and_clear();
    summary.unreadable.sort_by(|a, b| a.file.cmp(&b.file));
    summary.facts(passwd)
}

/// Queue reader threads at most: each holds at most one file's worth of the caps above
/// and its own counts (up to [`KEYS_MAX`] keys per list).
pub const THREADS_MAX: usize = 32;

/// Reader threads sized for I/O, not for the cores: on a cold spool each waits on the
/// disk for one small file, and more requests in flight finish sooner (100k messages
/// on 2 cores: 2 threads 7-10 s, 16 threads 3.5-4 s); on a warm one the extra threads
/// cost little.
fn threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * 8).clamp(8, THREADS_MAX)
}

fn read_all(
    files: &[(PathBuf, bool)],
    next: &AtomicUsize,
    read: &impl ReadMessage,
    progress: &indicatif::ProgressBar,
) -> Summary {
    let mut summary = Summary::default();
    let mut buf = Vec::with_capacity(READ_SIZE);
    while let Some((file, flag)) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
        progress.inc(1);
        match read(file, *flag, &mut buf) {
            Ok(message) => summary.add(&message),
            Err(Failed::Gone) => {}
            Err(Failed::Unreadable(reason)) => summary.unreadable.push(Unreadable {
                file: file.clone(),
                reason,
            }),
        }
    }
    summary
}

/// Most queue files are under 4 KiB; one read of this size usually takes the whole file.
pub(crate) const READ_SIZE: usize = 16 * 1024;

/// What [`read_head`] does with a file longer than its cap.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Longer {
    /// Read the first `max` bytes (a qmail message's headers).
    Cut,
    /// Read no further: the caller needs whole files (an exim `-H` file).
    Refuse,
}

/// Read at most `max` bytes of a file into `buf` with as few system calls as possible:
/// open, read, close (`fs::read` adds a stat and a second read to find the end).
/// Whether that was the whole file.
pub(crate) fn read_head(
    path: &Path,
    max: u64,
    longer: Longer,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    use std::io::Read;
    let mut file = crate::chase::open_regular(path)?;
    buf.clear();
    buf.resize(READ_SIZE, 0);
    let n = file.read(buf)?;
    buf.truncate(n);
    // A short read of a regular file is its end; a full one may have more behind it.
    if n == READ_SIZE {
        let len = file.metadata().map_or(0, |m| m.len());
        if len > max && longer == Longer::Refuse {
            return Ok(false);
        }
        // Size the buffer once: doubling would cost twice the cap, and in a thread's
        // heap the copies stay resident.
        buf.reserve_exact((len.min(max) as usize + 1).saturating_sub(n));
        file.take(max.saturating_sub(n as u64) + 1)
            .read_to_end(buf)?;
    }
    let whole = buf.len() as u64 <= max;
    buf.truncate(buf.len().min(max as usize));
    Ok(whole)
}

#[derive(Default)]
struct Summary {
    total: u64,
    frozen: u64,
    without_script_header: u64,
    local_submitted: u64,
    oldest: Option<i64>,
    newest: Option<i64>,
    senders: HashMap<String, u64>,
    /// Who submitted: the login the MTA recorded, or the uid to look up.
    submitters: HashMap<(String, Option<u32>), u64>,
    /// The newest arrival per key of `submitters`.
    submitter_newest: HashMap<(String, Option<u32>), i64>,
    scripts: HashMap<(String, Option<u32>), u64>,
    /// The newest arrival per key of `scripts`.
    script_newest: HashMap<(String, Option<u32>), i64>,
    domains: HashMap<String, u64>,
    unreadable: Vec<Unreadable>,
}

/// Distinct keys (senders, recipient domains, scripts, submitters) counted per list;
/// messages past that count under [`OTHER`]. A real outbreak has a handful; spam to
/// many domains a few thousand.
pub const KEYS_MAX: usize = 50_000;
/// Keys are cut to this many bytes: an address is at most 320 (RFC 5321), a script
/// name a file name and `(NN) : eval()'d code`.
pub const KEY_MAX: usize = 320;
pub const OTHER: &str = "(other)";

/// Add `n` to `key`'s count, the key cut to [`KEY_MAX`] bytes, or to [`OTHER`] when
/// the map already holds [`KEYS_MAX`] others.
fn count(map: &mut HashMap<String, u64>, mut key: String, n: u64) {
    truncate_to(&mut key, KEY_MAX);
    if map.len() >= KEYS_MAX && !map.contains_key(&key) {
        key = OTHER.to_string();
    }
    *map.entry(key).or_default() += n;
}

/// The same for keys of a name and something else (an uid): the name is cut, and the
/// pair becomes `(OTHER, default)` past [`KEYS_MAX`].
fn count_pair<T: std::hash::Hash + Eq + Default + Clone>(
    map: &mut HashMap<(String, T), u64>,
    mut key: (String, T),
    n: u64,
) -> (String, T) {
    truncate_to(&mut key.0, KEY_MAX);
    if map.len() >= KEYS_MAX && !map.contains_key(&key) {
        key = (OTHER.to_string(), T::default());
    }
    *map.entry(key.clone()).or_default() += n;
    key
}

/// Keep the later of `time` and the time `key` has.
fn latest<K: std::hash::Hash + Eq>(map: &mut HashMap<K, i64>, key: K, time: i64) {
    let t = map.entry(key).or_insert(time);
    *t = (*t).max(time);
}

impl Summary {
    fn add(&mut self, m: &Message) {
        self.total += 1;
        self.frozen += u64::from(m.frozen);
        self.oldest = Some(self.oldest.map_or(m.received, |o| o.min(m.received)));
        self.newest = Some(self.newest.map_or(m.received, |n| n.max(m.received)));
        let key = count_pair(&mut self.submitters, (m.login.clone(), m.uid), 1);
        latest(&mut self.submitter_newest, key, m.received);
        if m.uid.is_some() || !(m.login.is_empty() || m.login.starts_with('(')) {
            self.local_submitted += 1;
        }
        let sender = if m.sender.is_empty() {
            "<>".to_string()
        } else {
            m.sender.to_ascii_lowercase()
        };
        count(&mut self.senders, sender, 1);
        match &m.php_script {
            Some((uid, name)) => {
                // A number, as every other uid fact: the header is the sender's text,
                // and a uid that is none is no uid.
                let uid = uid.trim().parse().ok();
                let key = count_pair(&mut self.scripts, (name.clone(), uid), 1);
                latest(&mut self.script_newest, key, m.received);
            }
            None => self.without_script_header += 1,
        }
        for rcpt in &m.recipients {
            let domain = rcpt
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .unwrap_or_default();
            count(&mut self.domains, domain, 1);
        }
    }

    fn merge(&mut self, other: Summary) {
        self.total += other.total;
        self.frozen += other.frozen;
        self.without_script_header += other.without_script_header;
        self.local_submitted += other.local_submitted;
        self.oldest = [self.oldest, other.oldest].into_iter().flatten().min();
        self.newest = [self.newest, other.newest].into_iter().flatten().max();
        for (map, from) in [
            (&mut self.senders, other.senders),
            (&mut self.domains, other.domains),
        ] {
            for (k, v) in from {
                count(map, k, v);
            }
        }
        for (counts, newest, from, from_newest) in [
            (
                &mut self.submitters,
                &mut self.submitter_newest,
                other.submitters,
                other.submitter_newest,
            ),
            (
                &mut self.scripts,
                &mut self.script_newest,
                other.scripts,
                other.script_newest,
            ),
        ] {
            for (k, v) in from {
                let time = from_newest.get(&k).copied();
                let key = count_pair(counts, k, v);
                if let Some(t) = time {
                    latest(newest, key, t);
                }
            }
        }
        self.unreadable.extend(other.unreadable);
    }

    /// Submitters by user name (a login the MTA recorded, else the uid's name), so the
    /// same user counts once whether or not its uid was recorded; most first.
    fn local_users(&self, passwd: &Passwd) -> Vec<(String, Submitted)> {
        let mut by_user: HashMap<String, Submitted> = HashMap::new();
        for (key, count) in &self.submitters {
            let (login, uid) = key;
            let user = match (uid, login.is_empty()) {
                (_, false) => login.clone(),
                (Some(u), true) => passwd.user(&u.to_string()),
                (None, true) => "(unknown)".to_string(),
            };
            let entry = by_user.entry(user).or_default();
            entry.uid = entry.uid.or(*uid);
            entry.count += count;
            entry.newest = entry.newest.max(self.submitter_newest.get(key).copied());
        }
        let mut users: Vec<_> = by_user.into_iter().collect();
        users.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        users.truncate(TOP);
        users
    }

    fn facts(&self, passwd: &Passwd) -> QueueFacts {
        let users = self
            .local_users(passwd)
            .into_iter()
            .map(|(user, s)| LocalUserCount {
                home: s.uid.and_then(|u| passwd.home(&u.to_string())),
                user,
                uid: s.uid,
                count: s.count,
                newest: s.newest,
            })
            .collect();
        let scripts = top(&self.scripts)
            .into_iter()
            .map(|((script, uid), count)| ScriptCount {
                newest: self.script_newest.get(&(script.clone(), uid)).copied(),
                class: script_class::classify(&script).to_string(),
                script,
                uid,
                count,
                locations: Vec::new(),
                site: None,
            })
            .collect();
        let senders = top(&self.senders)
            .into_iter()
            .map(|(sender, count)| SenderCount { sender, count })
            .collect();
        let domains = top(&self.domains)
            .into_iter()
            .map(|(domain, count)| DomainCount { domain, count })
            .collect();
        let unreadable = self
            .unreadable
            .iter()
            .map(|u| UnreadableFile {
                file: u.file.display().to_string(),
                reason: u.reason.clone(),
            })
            .collect();
        QueueFacts {
            total: Some(self.total),
            frozen: Some(self.frozen),
            oldest: self.oldest,
            newest: self.newest,
            top_senders: Some(senders),
            top_scripts: Some(scripts),
            top_local_users: Some(users),
            local_submitted: Some(self.local_submitted),
            without_script_header: Some(self.without_script_header),
            top_recipient_domains: Some(domains),
            unreadable: Some(unreadable),
            error: None,
        }
    }
}

/// One user's messages, over the logins and uids it submitted them as.
#[derive(Default)]
struct Submitted {
    uid: Option<u32>,
    count: u64,
    newest: Option<i64>,
}

/// The most frequent keys, most first (ties by key, so output is stable).
fn top<K: Ord + Clone>(counts: &HashMap<K, u64>) -> Vec<(K, u64)> {
    let mut all: Vec<(K, u64)> = counts.iter().map(|(k, c)| (k.clone(), *c)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(TOP);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn read_head_stops_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, vec![b'x'; 3 * READ_SIZE]).unwrap();
        let mut buf = Vec::new();
        let max = 2 * READ_SIZE as u64;
        assert!(!read_head(&path, max, Longer::Cut, &mut buf).unwrap());
        assert_eq!(buf.len(), 2 * READ_SIZE);
        assert!(!read_head(&path, max, Longer::Refuse, &mut buf).unwrap());
        assert!(buf.len() <= READ_SIZE, "not read past the first block");
        for longer in [Longer::Cut, Longer::Refuse] {
            assert!(read_head(&path, 3 * READ_SIZE as u64, longer, &mut buf).unwrap());
            assert_eq!(buf.len(), 3 * READ_SIZE);
        }
    }

    /// A message a.php sent, with the header's uid text, arrived at `received`.
    fn scripted(uid: &str, received: i64) -> Message {
        Message {
            received,
            php_script: Some((uid.into(), "a.php".into())),
            ..Message::default()
        }
    }

    #[test]
    fn a_script_uid_is_a_number_or_null() {
        let mut summary = Summary::default();
        for uid in ["1001", "", "www"] {
            summary.add(&scripted(uid, 0));
        }
        let scripts = summary.facts(&Passwd::default()).top_scripts.unwrap();
        let uids: Vec<_> = scripts.iter().map(|s| (s.uid, s.count)).collect();
        assert_eq!(uids, [(None, 2), (Some(1001), 1)]);
    }

    #[test]
    fn a_script_s_newest_is_its_latest_arrival_across_threads() {
        let message = |received| scripted("1001", received);
        let (mut one, mut two) = (Summary::default(), Summary::default());
        one.add(&message(30));
        one.add(&message(10));
        two.add(&message(20));
        one.merge(two);
        let scripts = one.facts(&Passwd::default()).top_scripts.unwrap();
        assert_eq!((scripts[0].count, scripts[0].newest), (3, Some(30)));
    }

    #[test]
    fn distinct_keys_are_bounded() {
        let mut map = HashMap::new();
        for i in 0..KEYS_MAX + 5 {
            count(&mut map, format!("s{i}"), 1);
        }
        count(&mut map, "x".repeat(2 * KEY_MAX), 1);
        assert_eq!(map.len(), KEYS_MAX + 1);
        assert_eq!(map[OTHER], 6);
        let mut pairs: HashMap<(String, Option<u32>), u64> = HashMap::new();
        count_pair(&mut pairs, ("y".repeat(2 * KEY_MAX), Some(1)), 2);
        assert_eq!(pairs[&("y".repeat(KEY_MAX), Some(1))], 2);
    }
}
