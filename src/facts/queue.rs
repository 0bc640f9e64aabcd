//! The `queue` fact group: what sits in the mail queue and who put it there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::exim_spool::{self, Unreadable};
use super::logs::Passwd;
use super::message::Message;
use super::script_class;
use super::{postfix_queue, qmail_queue};

/// How many entries the top lists keep.
const TOP: usize = 10;

/// Read every message of an exim spool (`spool` is its real path) and summarize.
pub fn exim(spool: &Path, passwd: &Passwd) -> Value {
    let files = match exim_spool::header_files(spool) {
        Ok(files) => files,
        Err(e) => {
            return json!({ "total": null, "error": format!("cannot read {}: {e}", spool.join("input").display()) });
        }
    };
    let files: Vec<(PathBuf, bool)> = files.into_iter().map(|f| (f, false)).collect();
    summarize(&files, passwd, |bytes, _, _| exim_spool::parse(bytes))
}

/// Read every message of a postfix queue (`spool` is `/var/spool/postfix`, real path).
pub fn postfix(spool: &Path, passwd: &Passwd) -> Value {
    let files = postfix_queue::queue_files(spool);
    summarize(&files, passwd, |bytes, path, hold| {
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        postfix_queue::parse(bytes, &id, hold)
    })
}

/// Read every message of a qmail queue (`/var/qmail/queue`, real path).
pub fn qmail(queue: &Path, passwd: &Passwd) -> Value {
    let files: Vec<(PathBuf, bool)> = qmail_queue::messages(queue)
        .into_iter()
        .map(|f| (f, false))
        .collect();
    summarize(&files, passwd, |bytes, path, _| {
        qmail_queue::parse(queue, path, bytes)
    })
}

/// Read and parse the files on every core, then merge the counts.
fn summarize(
    files: &[(PathBuf, bool)],
    passwd: &Passwd,
    parse: impl Fn(&[u8], &Path, bool) -> Result<Message, String> + Sync,
) -> Value {
    // Reading 100k small files is syscall-bound: one thread per core.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = files.len().div_ceil(threads).max(1);
    let progress =
        crate::report::progress::bar(files.len() as u64, 5_000, "reading the queue", false);
    let mut summary = Summary::default();
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(|| read_all(part, &parse, &progress)))
            .collect();
        for worker in workers {
            if let Ok(part) = worker.join() {
                summary.merge(part);
            }
        }
    });
    progress.finish_and_clear();
    summary.unreadable.sort_by(|a, b| a.file.cmp(&b.file));
    summary.to_json(passwd)
}

fn read_all(
    files: &[(PathBuf, bool)],
    parse: &(impl Fn(&[u8], &Path, bool) -> Result<Message, String> + Sync),
    progress: &indicatif::ProgressBar,
) -> Summary {
    let mut summary = Summary::default();
    let mut buf = Vec::with_capacity(READ_SIZE);
    for (file, flag) in files {
        progress.inc(1);
        match read_small(file, &mut buf) {
            Ok(()) => match parse(&buf, file, *flag) {
                Ok(message) => summary.add(&message),
                Err(reason) => summary.unreadable.push(Unreadable {
                    file: file.clone(),
                    reason,
                }),
            },
            // Delivered while we read: it is no longer queued.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => summary.unreadable.push(Unreadable {
                file: file.clone(),
                reason: e.to_string(),
            }),
        }
    }
    summary
}

/// Most queue files are under 4 KiB; one read of this size usually takes the whole file.
const READ_SIZE: usize = 16 * 1024;

/// Read a small file into `buf` with as few system calls as possible: open, read, close
/// (`fs::read` adds a stat and a second read to find the end).
fn read_small(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    buf.clear();
    buf.resize(READ_SIZE, 0);
    let n = file.read(buf)?;
    buf.truncate(n);
    // A short read of a regular file is its end; a full one may have more behind it.
    if n == READ_SIZE {
        file.read_to_end(buf)?;
    }
    Ok(())
}

#[derive(Default)]
struct Summary {
    total: u64,
    frozen: u64,
    without_script_header: u64,
    oldest: Option<i64>,
    newest: Option<i64>,
    senders: HashMap<String, u64>,
    /// Who submitted: the login the MTA recorded, or the uid to look up.
    submitters: HashMap<(String, Option<u32>), u64>,
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
        *self.submitters.entry((m.login.clone(), m.uid)).or_default() += 1;
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

    fn merge(&mut self, other: Summary) {
        self.total += other.total;
        self.frozen += other.frozen;
        self.without_script_header += other.without_script_header;
        self.oldest = [self.oldest, other.oldest].into_iter().flatten().min();
        self.newest = [self.newest, other.newest].into_iter().flatten().max();
        for (map, from) in [
            (&mut self.senders, other.senders),
            (&mut self.domains, other.domains),
        ] {
            for (k, v) in from {
                *map.entry(k).or_default() += v;
            }
        }
        for (k, v) in other.submitters {
            *self.submitters.entry(k).or_default() += v;
        }
        for (k, v) in other.scripts {
            *self.scripts.entry(k).or_default() += v;
        }
        self.unreadable.extend(other.unreadable);
    }

    /// Submitters by user name (a login the MTA recorded, else the uid's name), so the
    /// same user counts once whether or not its uid was recorded; most first.
    fn local_users(&self, passwd: &Passwd) -> Vec<(String, (Option<u32>, u64))> {
        let mut by_user: HashMap<String, (Option<u32>, u64)> = HashMap::new();
        for ((login, uid), count) in &self.submitters {
            let user = match (uid, login.is_empty()) {
                (_, false) => login.clone(),
                (Some(u), true) => passwd.user(&u.to_string()),
                (None, true) => "(unknown)".to_string(),
            };
            let entry = by_user.entry(user).or_default();
            entry.0 = entry.0.or(*uid);
            entry.1 += count;
        }
        let mut users: Vec<_> = by_user.into_iter().collect();
        users.sort_by(|a, b| b.1.1.cmp(&a.1.1).then_with(|| a.0.cmp(&b.0)));
        users.truncate(TOP);
        users
    }

    fn to_json(&self, passwd: &Passwd) -> Value {
        let users: Vec<Value> = self
            .local_users(passwd)
            .into_iter()
            .map(|(user, (uid, count))| {
                let home = uid.and_then(|u| passwd.home(&u.to_string()));
                json!({ "user": user, "uid": uid, "home": home, "count": count })
            })
            .collect();
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
            "top_local_users": users,
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
