//! The `queue` fact group: what sits in the mail queue and who put it there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use schemars::JsonSchema;
use serde::Serialize;

use super::UnreadableFile;
use super::exim_spool::Unreadable;
use super::logs::Passwd;
use super::message::Message;
pub(crate) use super::queue_file::{Longer, QueueFileReader, READ_SIZE};
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
    /// Queue files that could not be parsed, with reasons: the first 100 by path
    pub unreadable: Option<Vec<UnreadableFile>>,
    /// Unreadable queue files past those listed in unreadable (absent when none)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable_omitted: Option<u64>,
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
#[derive(Debug)]
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

/// Reads one queue file (path, on hold, the thread's reader) into a message.
pub(crate) trait ReadMessage:
    Fn(&Path, bool, &mut QueueFileReader) -> Result<Message, Failed> + Sync
{
}
impl<F: Fn(&Path, bool, &mut QueueFileReader) -> Result<Message, Failed> + Sync> ReadMessage for F {}

/// Where reader threads take their next files from: a list made before reading, or a
/// directory read as the readers go (a million-message spool is never listed whole).
pub(crate) trait Listing: Sync {
    /// The next files to read (`batch` is emptied first); false when none are left.
    fn next_batch(&self, batch: &mut Vec<(PathBuf, bool)>) -> bool;
    /// How many files in all, when known before reading (for the progress bar).
    fn len(&self) -> Option<usize>;
}

/// A list made before reading, taken one file at a time.
struct Listed<'a> {
    files: &'a [(PathBuf, bool)],
    next: AtomicUsize,
}

impl Listing for Listed<'_> {
    fn next_batch(&self, batch: &mut Vec<(PathBuf, bool)>) -> bool {
        batch.clear();
        match self.files.get(self.next.fetch_add(1, Ordering::Relaxed)) {
            Some(file) => batch.push(file.clone()),
            None => return false,
        }
        true
    }

    fn len(&self) -> Option<usize> {
        Some(self.files.len())
    }
}

/// Read and parse the files with [`threads`] threads taking the next file as they
/// finish one, then merge the counts.
pub(crate) fn summarize(
    files: &[(PathBuf, bool)],
    passwd: &Passwd,
    read: impl ReadMessage,
) -> QueueFacts {
    let listed = Listed {
        files,
        next: AtomicUsize::new(0),
    };
    summarize_listing(&listed, passwd, read)
}

/// The same for files listed as they are read.
pub(crate) fn summarize_listing(
    listing: &impl Listing,
    passwd: &Passwd,
    read: impl ReadMessage,
) -> QueueFacts {
    use crate::progress::{Progress, bar, counter};
    let what = "reading the queue";
    let progress = match listing.len() {
        Some(len) => Progress::Bar(bar(len as u64, PROGRESS_WORTH, what, false)),
        None => Progress::Counter(counter(PROGRESS_WORTH, what, "messages")),
    };
    let threads = threads().min(listing.len().unwrap_or(usize::MAX)).max(1);
    let mut summary = Summary::default();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| read_all(listing, &read, &progress)))
            .collect();
        for worker in workers {
            if let Ok(part) = worker.join() {
                summary.merge(part);
            }
        }
    });
    progress.finish_and_clear();
    summary.keep_first_unreadable(UNREADABLE_LISTED);
    summary.facts(passwd)
}

/// Queues smaller than this are read without a progress bar.
const PROGRESS_WORTH: u64 = 5_000;

/// Queue reader threads at most: each holds at most one file's worth of the caps above
/// and its own counts (up to [`KEYS_MAX`] keys per list).
pub const THREADS_MAX: usize = 32;

/// Reader threads sized for I/O, not for the cores: on a cold spool each waits on the
/// disk for one small file, and more requests in flight finish sooner (100k messages
/// on 2 cores: 2 threads 7-10 s, 16 threads 2.2-2.4 s, 32 threads 1.7-2.0 s, as the
/// floor program with 32); on a warm one the extra threads cost nothing measurable.
fn threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * 16).clamp(8, THREADS_MAX)
}

fn read_all(
    listing: &impl Listing,
    read: &impl ReadMessage,
    progress: &crate::progress::Progress,
) -> Summary {
    let mut summary = Summary::default();
    let mut reader = QueueFileReader::default();
    let mut batch = Vec::new();
    while listing.next_batch(&mut batch) {
        for (file, flag) in batch.drain(..) {
            progress.inc();
            match read(&file, flag, &mut reader) {
                Ok(message) => summary.add(&message),
                Err(Failed::Gone) => {}
                Err(Failed::Unreadable(reason)) => summary.add_unreadable(file, reason),
            }
        }
    }
    summary
}

#[derive(Default)]
struct Summary {
    total: u64,
    frozen: u64,
    without_script_header: u64,
    local_submitted: u64,
    oldest: Option<i64>,
    newest: Option<i64>,
    senders: Map<String, u64>,
    /// Who submitted: the login the MTA recorded, or the uid to look up.
    submitters: Map<(String, Option<u32>), Tally>,
    scripts: Map<(String, Option<u32>), Tally>,
    domains: Map<String, u64>,
    /// The unreadable files with the first paths (at most twice
    /// [`UNREADABLE_LISTED`] between compactions), and how many there were in all: a
    /// spool of a million broken files is not held in memory.
    unreadable: Vec<Unreadable>,
    unreadable_total: u64,
}

/// Unreadable queue files listed by name; the rest are counted.
pub const UNREADABLE_LISTED: usize = 100;

/// The counting maps: hashbrown for lookups by a borrowed key (no allocation for a key
/// already counted, which is nearly every message), foldhash for its speed. Its seed
/// is random per run and the keys' hashes are never shown, which is the resistance to
/// crafted collisions a run of seconds needs; [`KEYS_MAX`] bounds the rest.
type Map<K, V> = hashbrown::HashMap<K, V>;

/// A key's messages and the arrival of its newest.
#[derive(Clone, Copy, Default)]
struct Tally {
    count: u64,
    newest: Option<i64>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.count += other.count;
        self.newest = self.newest.max(other.newest);
    }
}

/// Distinct keys (senders, recipient domains, scripts, submitters) counted per list;
/// messages past that count under [`OTHER`]. A real outbreak has a handful; spam to
/// many domains a few thousand.
pub const KEYS_MAX: usize = 50_000;
/// Keys are cut to this many bytes: an address is at most 320 (RFC 5321), a script
/// name a file name and `(NN) : eval()'d code`.
pub const KEY_MAX: usize = 320;
pub const OTHER: &str = "(other)";

/// `key` cut to [`KEY_MAX`] bytes, at a character boundary.
fn cut(key: &str) -> &str {
    let mut end = key.len().min(KEY_MAX);
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    &key[..end]
}

/// Add `n` to `key`'s count, the key cut to [`KEY_MAX`] bytes, or to [`OTHER`] when
/// the map already holds [`KEYS_MAX`] others.
fn count(map: &mut Map<String, u64>, key: &str, n: u64) {
    let key = cut(key);
    if let Some(c) = map.get_mut(key) {
        *c += n;
        return;
    }
    let key = if map.len() >= KEYS_MAX { OTHER } else { key };
    *map.entry_ref(key).or_default() += n;
}

/// A pair key borrowed: a name and something else (an uid), hashed and compared as
/// the owned `(String, Option<u32>)` is.
#[derive(Hash)]
struct Pair<'a>(&'a str, Option<u32>);

impl hashbrown::Equivalent<(String, Option<u32>)> for Pair<'_> {
    fn equivalent(&self, key: &(String, Option<u32>)) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

/// The same for keys of a name and an uid: the name is cut, and the pair becomes
/// `(OTHER, None)` past [`KEYS_MAX`].
fn count_pair(
    map: &mut Map<(String, Option<u32>), Tally>,
    name: &str,
    uid: Option<u32>,
    tally: Tally,
) {
    let key = Pair(cut(name), uid);
    if let Some(t) = map.get_mut(&key) {
        t.add(tally);
        return;
    }
    let key = if map.len() >= KEYS_MAX {
        (OTHER.to_string(), None)
    } else {
        (key.0.to_string(), uid)
    };
    map.entry(key).or_default().add(tally);
}

/// `text` in ASCII lower case, borrowed when it is already (addresses nearly always).
fn lower(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        text.to_ascii_lowercase().into()
    } else {
        text.into()
    }
}

impl Summary {
    fn add(&mut self, m: &Message) {
        self.total += 1;
        self.frozen += u64::from(m.frozen);
        self.oldest = Some(self.oldest.map_or(m.received, |o| o.min(m.received)));
        self.newest = Some(self.newest.map_or(m.received, |n| n.max(m.received)));
        let one = Tally {
            count: 1,
            newest: Some(m.received),
        };
        count_pair(&mut self.submitters, &m.login, m.uid, one);
        if m.uid.is_some() || !(m.login.is_empty() || m.login.starts_with('(')) {
            self.local_submitted += 1;
        }
        let sender = if m.sender.is_empty() {
            "<>".into()
        } else {
            lower(&m.sender)
        };
        count(&mut self.senders, &sender, 1);
        match &m.php_script {
            Some((uid, name)) => {
                // A number, as every other uid fact: the header is the sender's text,
                // and a uid that is none is no uid.
                let uid = uid.trim().parse().ok();
                count_pair(&mut self.scripts, name, uid, one);
            }
            None => self.without_script_header += 1,
        }
        for rcpt in &m.recipients {
            let domain = rcpt.rsplit_once('@').map_or("".into(), |(_, d)| lower(d));
            count(&mut self.domains, &domain, 1);
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
                count(map, &k, v);
            }
        }
        for (map, from) in [
            (&mut self.submitters, other.submitters),
            (&mut self.scripts, other.scripts),
        ] {
            for ((name, uid), tally) in from {
                count_pair(map, &name, uid, tally);
            }
        }
        self.unreadable_total += other.unreadable_total;
        self.unreadable.extend(other.unreadable);
        if self.unreadable.len() > 2 * UNREADABLE_LISTED {
            self.keep_first_unreadable(UNREADABLE_LISTED);
        }
    }

    fn add_unreadable(&mut self, file: PathBuf, reason: String) {
        self.unreadable_total += 1;
        self.unreadable.push(Unreadable { file, reason });
        if self.unreadable.len() > 2 * UNREADABLE_LISTED {
            self.keep_first_unreadable(UNREADABLE_LISTED);
        }
    }

    /// Keep the `n` unreadable files first by path (the same ones however the files
    /// were shared among the threads), sorted.
    fn keep_first_unreadable(&mut self, n: usize) {
        self.unreadable.sort_unstable_by(|a, b| a.file.cmp(&b.file));
        self.unreadable.truncate(n);
    }

    /// Submitters by user name (a login the MTA recorded, else the uid's name), so the
    /// same user counts once whether or not its uid was recorded; most first.
    fn local_users(&self, passwd: &Passwd) -> Vec<(String, Submitted)> {
        let mut by_user: HashMap<String, Submitted> = HashMap::new();
        for ((login, uid), tally) in &self.submitters {
            let user = match (uid, login.is_empty()) {
                (_, false) => login.clone(),
                (Some(u), true) => passwd.user(&u.to_string()),
                (None, true) => "(unknown)".to_string(),
            };
            let entry = by_user.entry(user).or_default();
            entry.uid = entry.uid.or(*uid);
            entry.count += tally.count;
            entry.newest = entry.newest.max(tally.newest);
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
        let scripts = top(&self.scripts, |t| t.count)
            .into_iter()
            .map(|((script, uid), tally)| ScriptCount {
                newest: tally.newest,
                class: script_class::classify(&script).to_string(),
                script,
                uid,
                count: tally.count,
                locations: Vec::new(),
                site: None,
            })
            .collect();
        let senders = top(&self.senders, |c| *c)
            .into_iter()
            .map(|(sender, count)| SenderCount { sender, count })
            .collect();
        let domains = top(&self.domains, |c| *c)
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
            unreadable_omitted: Some(self.unreadable_total - self.unreadable.len() as u64)
                .filter(|n| *n > 0),
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
fn top<K: Ord + Clone, V: Copy>(counts: &Map<K, V>, count: impl Fn(&V) -> u64) -> Vec<(K, V)> {
    let mut all: Vec<(K, V)> = counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
    all.sort_by(|a, b| count(&b.1).cmp(&count(&a.1)).then_with(|| a.0.cmp(&b.0)));
    all.truncate(TOP);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut map = Map::new();
        for i in 0..KEYS_MAX + 5 {
            count(&mut map, &format!("s{i}"), 1);
        }
        count(&mut map, &"x".repeat(2 * KEY_MAX), 1);
        assert_eq!(map.len(), KEYS_MAX + 1);
        assert_eq!(map[OTHER], 6);
        count(&mut map, "s1", 2);
        assert_eq!(map["s1"], 3, "a key counted before the cap still counts");
        let mut pairs = Map::new();
        let tally = Tally {
            count: 2,
            newest: Some(5),
        };
        count_pair(&mut pairs, &"y".repeat(2 * KEY_MAX), Some(1), tally);
        count_pair(&mut pairs, &"y".repeat(KEY_MAX + 1), Some(1), tally);
        let key = ("y".repeat(KEY_MAX), Some(1));
        assert_eq!(pairs[&key].count, 4, "cut names count as one");
        for i in 0..KEYS_MAX {
            count_pair(&mut pairs, &format!("p{i}"), None, tally);
        }
        assert_eq!(pairs.len(), KEYS_MAX + 1);
        assert_eq!(pairs[&(OTHER.to_string(), None)].count, 2);
    }

    /// A spool of broken files is summarized, not listed: the first files by path
    /// (whichever threads read them), the rest counted; the messages still counted.
    #[test]
    fn unreadable_files_are_listed_up_to_a_cap() {
        let broken = 5 * UNREADABLE_LISTED + 7;
        let files: Vec<(PathBuf, bool)> = (0..broken + 3)
            .map(|i| (PathBuf::from(format!("/q/{i:05}")), false))
            .collect();
        let facts = summarize(&files, &Passwd::default(), |path, _, _| {
            let n: usize = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
            if n < broken {
                Err(Failed::Unreadable(format!("broken {n}")))
            } else {
                Ok(scripted("1001", 1))
            }
        });
        assert_eq!(facts.total, Some(3));
        let listed = facts.unreadable.unwrap();
        let names: Vec<_> = listed.iter().map(|u| u.file.as_str()).collect();
        let first: Vec<_> = (0..UNREADABLE_LISTED)
            .map(|i| format!("/q/{i:05}"))
            .collect();
        assert_eq!(names, first);
        assert_eq!(listed[7].reason, "broken 7");
        assert_eq!(
            facts.unreadable_omitted,
            Some((broken - UNREADABLE_LISTED) as u64)
        );
        let few = summarize(&files[..3], &Passwd::default(), |_, _, _| {
            Err(Failed::Unreadable("x".into()))
        });
        assert_eq!(
            (few.unreadable.unwrap().len(), few.unreadable_omitted),
            (3, None)
        );
    }
}
