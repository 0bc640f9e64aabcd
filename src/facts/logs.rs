//! The `log` fact group: delivery failures by class and arrivals by local user, from the
//! MTA's log: exim's mainlog (plain, or relayed through syslog as
//! `Jun 25 01:23:45 vh84 splogger[19943]: <exim line>`), postfix's mail.log, qmail-send
//! and Plesk `smtp_auth` lines. Lines are bytes: non-UTF-8 text never stops the scan.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};

use schemars::JsonSchema;
use serde::Serialize;

use super::failure_class::{self, ByClass};
use super::journal::Journal;
use super::mta::{LogEvent, Mta};
use crate::chase::open_regular;
use crate::host::Host;

/// The `log` fact group: what the MTA's log says of deliveries and arrivals. Every field
/// is null when no log was read, and `error` says why.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct LogFacts {
    /// The MTA's log file that was read
    pub file: Option<String>,
    /// The systemd journal read instead, where no log file exists (`/var/log/journal` under --root)
    pub journal: Option<String>,
    /// Lines read
    pub lines: Option<u64>,
    /// Lines longer than 64 KiB, passed over unread
    pub skipped_lines: Option<u64>,
    /// Delivery failures by class: spam, dmarc, unknown_user, blacklisted, other
    pub failures: Option<ByClass<u64>>,
    /// A few failure lines per class
    pub samples: Option<ByClass<Vec<String>>>,
    /// Messages submitted per local (or SMTP AUTH) user
    pub arrivals_by_user: Option<Vec<UserCount>>,
    /// Working directories local submissions were made from, with the directory's owner (exim with log_selector +arguments: names the sending site when the script header is off)
    pub submission_dirs: Option<Vec<DirCount>>,
    /// Scripts named by X-PHP-Originating-Script lines of the log (as a hosting provider's splogger logs them), with their class (form, random, cron, unknown), most first
    pub scripts: Option<Vec<LogScript>>,
    /// Whether the log records submissions' directories (exim's +arguments); null for an MTA that cannot
    pub arguments_logged: Option<bool>,
    /// Why no log was read (absent when one was)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DirCount {
    /// Host path of the directory
    pub dir: String,
    /// Its owner on the host (null where it is gone)
    pub user: Option<String>,
    pub count: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LogScript {
    /// The script's name as the header gives it (empty: a cron job)
    pub script: String,
    /// form, random, cron (empty name) or unknown
    pub class: String,
    pub count: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UserCount {
    pub user: String,
    pub count: u64,
}

impl LogFacts {
    fn error(file: Option<&str>, reason: String) -> LogFacts {
        LogFacts {
            file: file.map(str::to_string),
            error: Some(reason),
            ..LogFacts::default()
        }
    }
}

/// Sample lines kept per failure class.
const SAMPLES: usize = 3;
const TOP: usize = 10;

/// Where the MTA's log is: a file, or (no file, an MTA that logs through syslog) the
/// journal.
pub enum LogSource {
    File(String),
    Journal(Journal),
}

impl LogSource {
    pub fn find(host: &Host, mta: &dyn Mta) -> Option<LogSource> {
        if let Some(file) = log_file(host, mta) {
            return Some(LogSource::File(file));
        }
        mta.logs_to_journal()
            .then(|| Journal::find(host))
            .flatten()
            .map(LogSource::Journal)
    }

    /// The file, or the journal's lines, and their size in bytes where known (for
    /// progress).
    fn open(&self, host: &Host) -> std::io::Result<(Opened, Option<u64>)> {
        match self {
            LogSource::File(file) => {
                let f = open_regular(&host.resolve(file)?)?;
                let size = f.metadata().map(|m| m.len()).ok();
                Ok((Opened::File(f), size))
            }
            LogSource::Journal(journal) => {
                Ok((Opened::Lines(Box::new(journal.mail_lines(None)?)), None))
            }
        }
    }
}

/// An opened log: a file (read in ranges at once) or a stream of lines.
enum Opened {
    File(std::fs::File),
    Lines(Box<dyn BufRead>),
}

/// The `log` group for the host's MTA (none when the host has no MTA runbook knows),
/// or from `given`, a log file named by a runbook's `facts_from` (the one a provider's
/// block notice attaches), read as the MTA whose lines it holds.
pub fn gather(host: &Host, mta: Option<&'static dyn Mta>, given: Option<&str>) -> LogFacts {
    if let Some(file) = given {
        let Some(mta) = mta_of_file(host, file).or(mta) else {
            return LogFacts::error(
                Some(file),
                "no line of it is one of exim, postfix or qmail".into(),
            );
        };
        return read_source(host, mta, LogSource::File(file.to_string()));
    }
    let Some(mta) = mta else {
        return LogFacts::error(None, "no mail server found".into());
    };
    let Some(source) = LogSource::find(host, mta) else {
        let looked = mta.log_files().join(", ");
        let kind = mta.name();
        let journal = if mta.logs_to_journal() {
            " or a systemd journal"
        } else {
            ""
        };
        return LogFacts::error(
            None,
            format!("no {kind} log found (looked in {looked}{journal})"),
        );
    };
    read_source(host, mta, source)
}

/// Lines read of a log to tell whose it is.
const SNIFF_LINES: usize = 2_000;

/// The MTA most of the first lines of a log file belong to (a notice's log may come
/// from another server than this host's own).
pub fn mta_of_file(host: &Host, file: &str) -> Option<&'static dyn Mta> {
    let f = open_regular(&host.resolve(file).ok()?).ok()?;
    let mut counts = vec![0usize; crate::facts::mta::ALL.len()];
    let mut seen = 0;
    let _ = for_each_line(BufReader::new(std::io::Read::take(f, 16 << 20)), |raw| {
        if seen >= SNIFF_LINES {
            return;
        }
        seen += 1;
        let body = strip_syslog(raw);
        for (i, m) in crate::facts::mta::ALL.iter().enumerate() {
            if m.log_line(body, raw).is_some() {
                counts[i] += 1;
            }
        }
    });
    let (best, n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    (*n > 0).then(|| crate::facts::mta::ALL[best])
}

fn read_source(host: &Host, mta: &'static dyn Mta, source: LogSource) -> LogFacts {
    let passwd = Passwd::read(host);
    let file = match &source {
        LogSource::File(file) => Some(file.clone()),
        LogSource::Journal(_) => None,
    };
    let file = file.as_deref();
    match source.open(host) {
        Ok((opened, size)) => {
            let progress =
                crate::progress::bar(size.unwrap_or(0), 50_000_000, "reading the mail log", true);
            let mut scan = Scan::new(Some(mta), passwd);
            match opened {
                Opened::File(file) => scan.read_file(&file, &progress),
                // Counting every line costs a clock read each: only when someone watches.
                Opened::Lines(reader) if progress.is_hidden() => scan.read(reader),
                Opened::Lines(reader) => scan.read(progress.wrap_read(reader)),
            }
            progress.finish_and_clear();
            let mut facts = scan.facts(file);
            facts.submission_dirs = Some(scan.submission_dirs(host));
            if let LogSource::Journal(journal) = &source {
                facts.journal = Some(journal.describe());
            }
            facts
        }
        Err(e) => LogFacts::error(file, e.to_string()),
    }
}

/// /etc/passwd is not read past this (100,000 users fit); a larger one is taken as empty.
pub const PASSWD_MAX: u64 = 16 << 20;

/// uid → (user name, home), from the host's /etc/passwd.
#[derive(Default, Clone)]
pub struct Passwd(HashMap<String, (String, String)>);

impl Passwd {
    pub fn read(host: &Host) -> Passwd {
        let text = host
            .read_max("/etc/passwd", PASSWD_MAX)
            .ok()
            .flatten()
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        Passwd(
            text.lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    Some((
                        f.get(2)?.to_string(),
                        (f.first()?.to_string(), f.get(5)?.to_string()),
                    ))
                })
                .collect(),
        )
    }

    pub fn user(&self, uid: &str) -> String {
        self.0
            .get(uid)
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| format!("uid {uid}"))
    }

    /// The user name of a uid, when the host's passwd has it.
    pub fn name(&self, uid: &str) -> Option<&str> {
        self.0.get(uid).map(|(name, _)| name.as_str())
    }

    /// The home directory (on Plesk and ISPmanager it names the site).
    pub fn home(&self, uid: &str) -> Option<String> {
        self.0.get(uid).map(|(_, home)| home.clone())
    }
}

/// Counts gathered while reading a log.
pub struct Scan {
    /// The MTA whose lines these are; lines of a kind no MTA has are counted, not read.
    mta: Option<&'static dyn Mta>,
    passwd: Passwd,
    pub lines: u64,
    /// Lines longer than [`LOG_LINE_MAX`], passed over unread.
    pub skipped_lines: u64,
    pub failures: HashMap<&'static str, u64>,
    samples: HashMap<&'static str, Vec<String>>,
    pub arrivals: HashMap<String, u64>,
    /// Directories of local submissions (`cwd=` lines), bounded as arrivals are.
    pub submission_dirs: HashMap<String, u64>,
    /// Minutes of the year (see [`minute_of_year`]) in which deliveries failed.
    pub failure_minutes: std::collections::BTreeSet<u32>,
    /// Scripts named by `X-PHP-Originating-Script` lines, bounded as arrivals are.
    pub scripts: HashMap<String, u64>,
    /// Whether the lines read now may hold the script header (see [`Lines::chunk`]).
    headers_in_chunk: bool,
    /// Where the MTA's needles are in the bytes read now (see [`Mta::log_needles`]):
    /// a line without one is counted, not read. None: every line is read.
    needles: Option<Needles>,
}

/// The offsets of the MTA's needles in a chunk of the log, in order, and the first
/// of them not behind the lines read so far.
#[derive(Default)]
struct Needles {
    /// The chunk's address: a line's offset in it is its address less this one.
    base: usize,
    at: Vec<usize>,
    next: usize,
}

impl Needles {
    /// Whether a needle starts in `line`, a slice of the chunk; lines are asked in order.
    fn in_line(&mut self, line: &[u8]) -> bool {
        let start = (line.as_ptr() as usize).wrapping_sub(self.base);
        while self.at.get(self.next).is_some_and(|&at| at < start) {
            self.next += 1;
        }
        self.at
            .get(self.next)
            .is_some_and(|&at| at < start + line.len())
    }
}

/// The script header in a log line (any MTA's: a provider's splogger logs it).
pub const SCRIPT_HEADER: &str = "X-PHP-Originating-Script:";

/// The script header's finder. One for every line: building it per line cost the
/// scan a third.
static HEADER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(SCRIPT_HEADER.as_bytes()));

impl super::log_ranges::Lines for Scan {
    fn chunk(&mut self, bytes: &[u8]) {
        // Lines that may mean something, found in the chunk at once, as grep finds
        // them: searching each line cost the postfix and qmail scans most of their time.
        let Some(any) = self.mta.and_then(|m| m.log_needles()) else {
            self.headers_in_chunk = HEADER.find(bytes).is_some();
            return;
        };
        let needles = self.needles.get_or_insert_with(Needles::default);
        needles.base = bytes.as_ptr() as usize;
        needles.at.clear();
        needles.next = 0;
        // In order; a line with a needle has a match that starts in it (needles hold
        // no newline). The script header is one of them.
        self.headers_in_chunk = false;
        for found in any.find_iter(bytes) {
            self.headers_in_chunk |= found.as_bytes() == SCRIPT_HEADER.as_bytes();
            needles.at.push(found.start());
        }
    }

    fn line(&mut self, line: &[u8]) {
        Scan::line(self, line);
    }
}

impl Scan {
    pub fn new(mta: Option<&'static dyn Mta>, passwd: Passwd) -> Scan {
        Scan {
            mta,
            passwd,
            lines: 0,
            skipped_lines: 0,
            failures: HashMap::new(),
            samples: HashMap::new(),
            arrivals: HashMap::new(),
            submission_dirs: HashMap::new(),
            failure_minutes: Default::default(),
            scripts: HashMap::new(),
            headers_in_chunk: true,
            needles: None,
        }
    }

    pub fn read(&mut self, reader: impl BufRead) {
        self.headers_in_chunk = true;
        self.needles = None;
        self.skipped_lines += for_each_line(reader, |line| self.line(line));
    }

    /// Read a log file on every core, in byte ranges (see `log_ranges`), each into a
    /// scan of its own, merged in file order; `progress` counts the bytes.
    pub fn read_file(&mut self, file: &std::fs::File, progress: &indicatif::ProgressBar) {
        use super::log_ranges::{RangeFile, for_each_line_in, ranges};
        let len = file.metadata().map_or(0, |m| m.len());
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let parts: Vec<Scan> = std::thread::scope(|scope| {
            let ranges = ranges(len, threads);
            let count = ranges.len();
            let workers: Vec<_> = ranges
                .into_iter()
                .map(|range| {
                    let mut part = Scan::new(self.mta, self.passwd.clone());
                    let source = RangeFile::new(file, count);
                    scope.spawn(move || {
                        part.skipped_lines +=
                            for_each_line_in(&source, range, &mut part, |n| progress.inc(n));
                        part
                    })
                })
                .collect();
            workers.into_iter().filter_map(|w| w.join().ok()).collect()
        });
        for part in parts {
            self.merge(part);
        }
    }

    /// Add the counts of `later`, a scan of the lines after this one's.
    fn merge(&mut self, later: Scan) {
        self.lines += later.lines;
        self.skipped_lines += later.skipped_lines;
        for (class, n) in later.failures {
            *self.failures.entry(class).or_default() += n;
        }
        for (class, lines) in later.samples {
            let kept = self.samples.entry(class).or_default();
            let room = SAMPLES.saturating_sub(kept.len());
            kept.extend(lines.into_iter().take(room));
        }
        for (map, from) in [
            (&mut self.arrivals, later.arrivals),
            (&mut self.submission_dirs, later.submission_dirs),
            (&mut self.scripts, later.scripts),
        ] {
            for (key, n) in from {
                add_bounded(map, key, n);
            }
        }
        self.failure_minutes.extend(later.failure_minutes);
    }

    pub fn line(&mut self, raw: &[u8]) {
        self.lines += 1;
        // A line of the chunk without a needle (the script header is one) says nothing.
        if let Some(needles) = &mut self.needles
            && !needles.in_line(raw)
        {
            return;
        }
        let body = strip_syslog(raw);
        // `ID X-PHP-Originating-Script: "2157:class-phpmailer.php"` (article 002's logs),
        // looked for in lines only where their chunk has one.
        if let Some(at) = self.headers_in_chunk.then(|| HEADER.find(body)).flatten() {
            let value = String::from_utf8_lossy(&body[at + 25..]);
            let (_, mut name) = crate::facts::message::php_script(&value);
            truncate_name(&mut name);
            count_bounded(&mut self.scripts, name);
            return;
        }
        let Some(mta) = self.mta else {
            return;
        };
        match mta.log_line(body, raw) {
            Some(LogEvent::Failure(reply)) => self.failure(reply, raw),
            Some(LogEvent::Arrival(user)) => self.arrival(user),
            Some(LogEvent::ArrivalUid(uid)) => self.arrival(self.passwd.user(&uid)),
            Some(LogEvent::SubmittedFrom(dir)) => {
                let mut dir = String::from_utf8_lossy(dir).into_owned();
                truncate_name(&mut dir);
                count_bounded(&mut self.submission_dirs, dir);
            }
            None => {}
        }
    }

    /// The scripts counted, most first, each with its class.
    fn top_scripts(&self) -> Vec<LogScript> {
        let mut list: Vec<(&String, &u64)> = self.scripts.iter().collect();
        list.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        list.truncate(TOP);
        list.into_iter()
            .map(|(script, count)| LogScript {
                class: crate::facts::script_class::classify(script).to_string(),
                script: script.clone(),
                count: *count,
            })
            .collect()
    }

    /// Count an arrival. Syslog takes lines from any local user (`logger`), so the
    /// names are bounded: at most [`NAME_MAX`] bytes each and [`USERS_MAX`] distinct
    /// ones; arrivals past that count under [`OTHER_USERS`].
    fn arrival(&mut self, mut user: String) {
        truncate_name(&mut user);
        count_bounded(&mut self.arrivals, user);
    }

    fn failure(&mut self, reply: &[u8], raw: &[u8]) {
        let class = failure_class::classify_bytes(reply);
        *self.failures.entry(class).or_default() += 1;
        if let Some(minute) = minute_of_year(raw) {
            self.failure_minutes.insert(minute);
        }
        let samples = self.samples.entry(class).or_default();
        if samples.len() < SAMPLES {
            samples.push(String::from_utf8_lossy(raw).trim_end().to_string());
        }
    }

    pub fn facts(&self, file: Option<&str>) -> LogFacts {
        let mut failures = ByClass::default();
        let mut samples: ByClass<Vec<String>> = ByClass::default();
        for (class, n) in &self.failures {
            *failures.get_mut(class) = *n;
        }
        for (class, lines) in &self.samples {
            *samples.get_mut(class) = lines.clone();
        }
        let mut arrivals: Vec<(&String, &u64)> = self.arrivals.iter().collect();
        arrivals.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        arrivals.truncate(TOP);
        LogFacts {
            file: file.map(str::to_string),
            journal: None,
            lines: Some(self.lines),
            skipped_lines: Some(self.skipped_lines),
            failures: Some(failures),
            samples: Some(samples),
            arrivals_by_user: Some(
                arrivals
                    .into_iter()
                    .map(|(user, count)| UserCount {
                        user: user.clone(),
                        count: *count,
                    })
                    .collect(),
            ),
            submission_dirs: Some(Vec::new()),
            scripts: Some(self.top_scripts()),
            arguments_logged: self
                .mta
                .filter(|m| m.logs_submission_dirs())
                .map(|_| !self.submission_dirs.is_empty()),
            error: None,
        }
    }

    /// The submission directories, most first, with their owners on the host.
    pub fn submission_dirs(&self, host: &Host) -> Vec<DirCount> {
        use std::os::unix::fs::MetadataExt;
        let mut dirs: Vec<(&String, &u64)> = self.submission_dirs.iter().collect();
        dirs.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        dirs.truncate(TOP);
        dirs.into_iter()
            .map(|(dir, count)| DirCount {
                user: host
                    .resolve(dir)
                    .and_then(std::fs::symlink_metadata)
                    .ok()
                    .map(|m| self.passwd.user(&m.uid().to_string())),
                dir: dir.clone(),
                count: *count,
            })
            .collect()
    }
}

/// Add one to `key`, or to [`OTHER_USERS`] when the map already holds [`USERS_MAX`] others.
fn count_bounded(map: &mut HashMap<String, u64>, key: String) {
    add_bounded(map, key, 1);
}

fn add_bounded(map: &mut HashMap<String, u64>, mut key: String, n: u64) {
    if map.len() >= USERS_MAX && !map.contains_key(&key) {
        key = OTHER_USERS.to_string();
    }
    *map.entry(key).or_default() += n;
}

/// Distinct users counted in `arrivals_by_user`; more than a real server has.
pub const USERS_MAX: usize = 50_000;
/// Where arrivals of users past [`USERS_MAX`] are counted.
pub const OTHER_USERS: &str = "(other users)";
/// Names (users, URIs) kept from host data are cut to this many bytes.
pub const NAME_MAX: usize = 256;

/// Cut `name` to at most [`NAME_MAX`] bytes, on a character boundary.
pub fn truncate_name(name: &mut String) {
    truncate_to(name, NAME_MAX);
}

/// Cut `text` to at most `max` bytes, on a character boundary.
pub fn truncate_to(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// Log lines longer than this (newline included) are skipped and counted, never held
/// whole: exim, postfix and syslog lines stay under a few KiB.
pub const LOG_LINE_MAX: usize = 64 << 10;

/// Call `f` with every line of `reader` (newline included) of at most [`LOG_LINE_MAX`]
/// bytes, in memory bounded by that and the reader's buffer, however long the file or
/// its lines. Longer lines are passed over; their number is returned. An I/O error ends
/// the scan with what was read.
pub fn for_each_line(mut reader: impl BufRead, mut f: impl FnMut(&[u8])) -> u64 {
    let mut line = Vec::with_capacity(512);
    let mut overlong = false;
    let mut skipped = 0;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        if buf.is_empty() {
            // The end: a last line without a newline still counts.
            if overlong {
                skipped += 1;
            } else if !line.is_empty() {
                f(&line);
            }
            break;
        }
        let (len, ends) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if !overlong {
            if line.len() + len > LOG_LINE_MAX {
                overlong = true;
                line = Vec::with_capacity(512);
            } else {
                line.extend_from_slice(&buf[..len]);
            }
        }
        reader.consume(len);
        if ends {
            if overlong {
                skipped += 1;
                overlong = false;
            } else {
                f(&line);
            }
            line.clear();
        }
    }
    skipped
}

/// Find the MTA's log on the host.
pub fn log_file(host: &Host, mta: &dyn Mta) -> Option<String> {
    mta.configured_log(host)
        .into_iter()
        .chain(mta.log_files().iter().map(|p| p.to_string()))
        .find(|p| host.resolve(p).is_ok_and(|r| r.is_file()))
}

/// Read the whole log (for the minutes of its failures): the host's MTA's, or `given`.
pub fn scan(host: &Host, mta: Option<&'static dyn Mta>, given: Option<&str>) -> Option<Scan> {
    let (source, mta) = match given {
        Some(file) => (
            LogSource::File(file.to_string()),
            mta_of_file(host, file).or(mta)?,
        ),
        None => (LogSource::find(host, mta?)?, mta?),
    };
    let (opened, _) = source.open(host).ok()?;
    let mut scan = Scan::new(Some(mta), Passwd::default());
    match opened {
        Opened::File(file) => scan.read_file(&file, &indicatif::ProgressBar::hidden()),
        Opened::Lines(reader) => scan.read(reader),
    }
    Some(scan)
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Whether a line starts with an RFC 3339 time (`2026-11-23T00:11:01`).
fn rfc3339(line: &[u8]) -> bool {
    line.len() > 19 && line[4] == b'-' && line[7] == b'-' && line[10] == b'T' && line[13] == b':'
}

/// The minute of the year a log line was written, from exim's `2026-11-23 00:11:01`,
/// rsyslog's `2026-11-23T00:11:01.123+01:00` or syslog's `Nov 23 00:11:01` (local times
/// all, as the access logs are). Years are left out: syslog does not write them, and
/// the access logs they are matched against are read around the same days.
pub fn minute_of_year(line: &[u8]) -> Option<u32> {
    let num = |b: &[u8]| -> Option<u32> { std::str::from_utf8(b).ok()?.trim().parse().ok() };
    let (month, day, hms) = if line.len() >= 19
        && line[4] == b'-'
        && line[7] == b'-'
        && matches!(line[10], b' ' | b'T')
    {
        (num(&line[5..7])?, num(&line[8..10])?, &line[11..19])
    } else if line.len() >= 15 && line[3] == b' ' && line[6] == b' ' {
        let month = MONTHS.iter().position(|m| &line[..3] == *m)? as u32 + 1;
        (month, num(&line[4..6])?, &line[7..15])
    } else {
        return None;
    };
    minute(month, day, num(&hms[0..2])?, num(&hms[3..5])?)
}

/// Minutes since January 1st 00:00 of a (leap-agnostic, 31-day-month) calendar: only
/// distances of a few minutes matter.
pub fn minute(month: u32, day: u32, hour: u32, minute: u32) -> Option<u32> {
    (1..=12)
        .contains(&month)
        .then(|| (((month - 1) * 31 + day.saturating_sub(1)) * 24 + hour) * 60 + minute)
}

/// Drop a syslog prefix (`Jun 25 01:23:45 host program[pid]: `) if there is one.
fn strip_syslog(line: &[u8]) -> &[u8] {
    // `Nov 23 00:11:01 host program[pid]: text`, as syslogd and `journalctl -o short`
    // write it; or `2026-11-23T00:11:01.123456+01:00 host program[pid]: text`, rsyslog's
    // default since Debian 12 (RSYSLOG_FileFormat).
    let traditional = line.len() > 16
        && line[3] == b' '
        && line[6] == b' '
        && line[9] == b':'
        && line[12] == b':';
    let after_time = if traditional {
        &line[16..]
    } else if rfc3339(line) {
        match memchr::memchr(b' ', line) {
            Some(space) => &line[space + 1..],
            None => return line,
        }
    } else {
        return line;
    };
    // After the timestamp come the host and `program[pid]:`.
    static AFTER_TAG: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b": "));
    match AFTER_TAG.find(after_time) {
        Some(i) => &after_time[i + 2..],
        None => line,
    }
}

/// The value after `key` (found by its finder, made once for every line) up to the
/// next space or comma.
pub(crate) fn field(line: &[u8], key: &memchr::memmem::Finder) -> Option<String> {
    let i = key.find(line)?;
    value(&line[i..], key.needle())
}

/// The value after `key`, which `text` starts with, up to the next space or comma.
pub(crate) fn value(text: &[u8], key: &[u8]) -> Option<String> {
    let rest = text.strip_prefix(key)?;
    let end = rest
        .iter()
        .position(|b| matches!(b, b' ' | b',' | b'\n' | b'\r'))
        .unwrap_or(rest.len());
    (end > 0).then(|| String::from_utf8_lossy(&rest[..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_read_in_ranges_at_once_counts_as_one_read_line_by_line() {
        // Real logs' lines, past the size below which one range is read; postfix and
        // qmail read in chunks only the lines with their needles.
        for (kind, lines) in [
            (
                "exim",
                include_str!("../../examples/hosts/exim-outbreak/var/log/exim4/mainlog"),
            ),
            (
                "postfix",
                include_str!("../../examples/hosts/postfix-mailserver/var/log/mail.log"),
            ),
            (
                "qmail",
                include_str!("../../examples/hosts/plesk-qmail/usr/local/psa/var/log/maillog"),
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("log");
            let copies = 20_000_000 / lines.len() + 1;
            std::fs::write(&path, lines.repeat(copies)).unwrap();
            let mta = crate::facts::mta::by_name(kind);
            let mut whole = Scan::new(mta, Passwd::default());
            whole.read(BufReader::new(std::fs::File::open(&path).unwrap()));
            let mut ranged = Scan::new(mta, Passwd::default());
            ranged.read_file(
                &std::fs::File::open(&path).unwrap(),
                &indicatif::ProgressBar::hidden(),
            );
            assert!(whole.lines > 100_000, "{kind}");
            assert!(
                whole.failures.values().sum::<u64>() >= copies as u64,
                "{kind}"
            );
            assert!(!whole.arrivals.is_empty(), "{kind}");
            let facts = |s: &Scan| serde_json::to_value(s.facts(None)).unwrap();
            assert_eq!(facts(&ranged), facts(&whole), "{kind}");
            assert_eq!(ranged.failure_minutes, whole.failure_minutes, "{kind}");
        }
    }

    #[test]
    fn lines_without_a_needle_are_counted_and_the_others_read() {
        // In one chunk: a script header makes every line of it read; without one, the
        // lines with a needle are, wherever the needle is in them.
        let log = b"Jun 25 01:23:40 vh84 smtp_auth: smtp_auth: SMTP user info : /var/qmail/mailnames/shop.example/info logged in from x [192.0.2.7]\n\
Jun 25 01:23:41 vh84 qmail: 1593037421.1 new msg 12\n\
Jun 25 01:23:45 vh84 qmail: 1593037425.1 delivery 12: failure: 1.2.3.4_does_not_like_recipient./Remote_host_said:_550_5.1.1_User_unknown/\n\
Jun 25 01:23:46 vh84 qmail: 1593037426.1 delivery 13: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/\n";
        let mut with_header = log.to_vec();
        with_header.extend_from_slice(
            b"Jun 25 01:23:47 vh84 x: X-PHP-Originating-Script: 10003:sendmail.php\n",
        );
        for text in [&log[..], &with_header] {
            let mut s = Scan::new(crate::facts::mta::by_name("qmail"), Passwd::default());
            super::super::log_ranges::Lines::chunk(&mut s, text);
            for line in text.split_inclusive(|b| *b == b'\n') {
                super::super::log_ranges::Lines::line(&mut s, line);
            }
            assert_eq!(
                s.lines as usize,
                text.split_inclusive(|b| *b == b'\n').count()
            );
            assert_eq!(s.failures.get("unknown_user"), Some(&1));
            assert_eq!(s.failures.get("connection"), Some(&1));
            assert_eq!(s.arrivals.get("info@shop.example"), Some(&1));
            assert_eq!(s.scripts.len(), usize::from(text.len() > log.len()));
        }
    }

    fn scan(kind: &str, text: &[u8]) -> Scan {
        let mut s = Scan::new(
            crate::facts::mta::by_name(kind),
            Passwd(HashMap::from([(
                "33".to_string(),
                ("www-data".to_string(), "/var/www".to_string()),
            )])),
        );
        s.read(text);
        s
    }

    #[test]
    fn exim_lines_plain_and_relayed_through_syslog() {
        let log = b"2020-06-25 01:23:44 1joDo0-0005Bd-LB <= user@server.timeweb.ru U=user P=local S=925\n\
Jun 25 01:24:53 vh256 splogger[10713]: 1joDp7-0002mn-2s <=user@server.timeweb.ru U=user P=local S=4666\n\
Jun 25 01:23:45 vh84 splogger[19943]: 1joDo0-0005Bd-LB ** mail@hotmail.fr R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<titus121@hotmail.fr>: host eur.olc.protection.outlook.com [104.47.9.33]: 550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).\n\
2020-06-25 01:24:53.123 1joDp7-0002mn-2s **name@mail.ru R=dnslookup T=remote_smtp H=mxs.mail.ru [94.100.180.31]: SMTP error from remote mail server after end of data: 550 spam message rejected.\n\
\xff\xfe not utf8 at all\n";
        let s = scan("exim", log);
        assert_eq!(s.lines, 5);
        assert_eq!(s.failures.get("unknown_user"), Some(&1));
        assert_eq!(s.failures.get("spam"), Some(&1));
        assert_eq!(s.arrivals.get("user"), Some(&2));
    }

    #[test]
    fn exim_498_ids_and_pids() {
        // Debian 13's exim 4.98: 23-character ids; `+pid` puts `[pid]` before the id.
        let log = b"2026-12-02 16:16:16 1xYn0C-000000007ED-0fxw <= shop@vm U=shop P=local S=358\n\
2026-12-02 16:16:16.123 +0100 [4242] 1xYn0C-000000007ED-0fxw <= shop@vm U=shop P=local S=358\n\
2026-12-02 16:16:17 [77] 1xYn0C-0005Bd-LB ** a@b.example R=dnslookup T=remote_smtp: 550 spam message rejected\n\
2026-12-02 16:16:17 1xYn0C-000000007ED-0fx! <= shop@vm U=nobody P=local S=358\n";
        let s = scan("exim", log);
        assert_eq!(s.arrivals.get("shop"), Some(&2));
        assert_eq!(s.arrivals.get("nobody"), None, "not an id");
        assert_eq!(s.failures.get("spam"), Some(&1));
    }

    #[test]
    fn an_exim_failure_is_classed_by_its_reason_not_its_address_or_host() {
        // A DMARC report mailbox that does not exist, and a mailbox refused through an
        // MX named like a blocklist: the reasons say unknown user, and spam.
        let log = b"2026-12-02 16:16:17 1xYn0C-0005Bd-LB ** dmarc-reports@shop.example R=dnslookup T=remote_smtp H=mx.shop.example [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<dmarc-reports@shop.example>: 550 5.1.1 <dmarc-reports@shop.example>: Recipient address rejected: User unknown\n\
2026-12-02 16:16:18 1xYn0D-0005Bd-LB ** info@b.example R=dnslookup T=remote_smtp H=b-example.spamhaus-filter.example [192.0.2.10] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: SMTP error from remote mail server after end of data: 550 message looks like spam\n\
2026-12-02 16:16:19 1xYn0E-0005Bd-LB ** nobody@nowhere.example: Unrouteable address\n";
        let s = scan("exim", log);
        assert_eq!(s.failures.get("unknown_user"), Some(&2), "{:?}", s.failures);
        assert_eq!(s.failures.get("spam"), Some(&1), "{:?}", s.failures);
        assert_eq!(s.failures.get("dmarc"), None);
        assert_eq!(s.failures.get("blacklisted"), None);
    }

    #[test]
    fn overlong_lines_are_skipped_and_counted() {
        let good = b"2020-06-25 01:23:44 1joDo0-0005Bd-LB <= a@b U=shop P=local S=925\n";
        let mut log = good.to_vec();
        log.extend(vec![b'x'; LOG_LINE_MAX]);
        log.push(b'\n');
        log.extend_from_slice(good);
        // Exactly the cap, newline included, is still read.
        log.extend(vec![b'y'; LOG_LINE_MAX - 1]);
        log.push(b'\n');
        log.extend(vec![b'z'; 3 * LOG_LINE_MAX]);
        log.push(b'\n');
        log.extend_from_slice(&good[..good.len() - 1]);
        // A small buffer, so lines span many fills.
        let s = {
            let mut s = Scan::new(crate::facts::mta::by_name("exim"), Passwd::default());
            s.read(std::io::BufReader::with_capacity(1000, &log[..]));
            s
        };
        assert_eq!(s.skipped_lines, 2);
        assert_eq!(s.lines, 4);
        assert_eq!(s.arrivals.get("shop"), Some(&3));
        // An overlong last line without a newline is skipped too.
        let mut lines = Vec::new();
        let skipped = for_each_line(&vec![b'q'; LOG_LINE_MAX + 1][..], |l| lines.push(l.len()));
        assert_eq!((skipped, lines.len()), (1, 0));
    }

    #[test]
    fn distinct_users_are_bounded() {
        let mut s = Scan::new(crate::facts::mta::by_name("postfix"), Passwd::default());
        for i in 0..USERS_MAX + 10 {
            s.line(
                format!(
                    "Mar 26 00:51:13 vigil postfix/smtpd[9120]: 3B: client=x, sasl_username=u{i}\n"
                )
                .as_bytes(),
            );
        }
        assert_eq!(s.arrivals.len(), USERS_MAX + 1);
        assert_eq!(s.arrivals.get(OTHER_USERS), Some(&10));
        let mut s = Scan::new(crate::facts::mta::by_name("postfix"), Passwd::default());
        let long = format!(
            "Mar 26 00:51:13 vigil postfix/smtpd[9120]: 3B: sasl_username={}é\n",
            "x".repeat(NAME_MAX - 1)
        );
        s.line(long.as_bytes());
        // Cut on a character boundary: the two-byte é does not fit.
        assert_eq!(s.arrivals.get(&"x".repeat(NAME_MAX - 1)), Some(&1));
    }

    #[test]
    fn postfix_bounces_deferrals_and_local_submissions() {
        let log = b"Mar 23 05:01:52 MyServer postfix/pickup[9000]: 4E81026038: uid=33 from=<www-data>\n\
Mar 23 05:02:01 MyServer postfix/smtp[9495]: 8278726077: to=<x@yahoo.com>, relay=mx-biz.mail.am0.yahoodns.net[98.139.171.245]:25, delay=0.88, delays=0.25/0/0.47/0.14, dsn=4.7.1, status=deferred (Host mx-biz.mail.am0.yahoodns.net[98.139.171.245] said: 421 4.7.1 [TS03] All messages from [IPADDRESS] will be permanently deferred; Retrying will NOT succeed. See http://postmaster.yahoo.com/421-ts03.html (in reply to MAIL FROM command))\n\
Mar 23 05:01:52 MyServer postfix/smtp[9494]: 4E81026038: to=<a@b.example>, relay=mail.suddenlinkmail.com[208.180.40.132]:25, delay=3, delays=0.07/0/2.4/0.5, dsn=2.0.0, status=sent (250 Message received)\n\
Mar 26 00:51:13 vigil postfix/smtpd[9120]: 3B7085E038D: client=foo.bar.com[1.2.3.4], sasl_method=LOGIN, sasl_username=info@shop.example\n";
        let s = scan("postfix", log);
        assert_eq!(s.failures.get("blacklisted"), Some(&1));
        assert_eq!(
            s.failures.values().sum::<u64>(),
            1,
            "status=sent is no failure"
        );
        assert_eq!(s.arrivals.get("www-data"), Some(&1));
        assert_eq!(s.arrivals.get("info@shop.example"), Some(&1));
    }

    #[test]
    fn qmail_failures_and_plesk_smtp_auth() {
        let log = b"Jun 25 01:23:45 vh84 qmail: 1593037425.123456 delivery 12: failure: 94.100.180.31_does_not_like_recipient./Remote_host_said:_550_Message_was_not_accepted_--_invalid_mailbox./Giving_up_on_94.100.180.31./\n\
Jun 25 01:23:40 vh84 smtp_auth: smtp_auth: SMTP user info : /var/qmail/mailnames/shop.example/info logged in from example.net [192.0.2.7]\n";
        let s = scan("qmail", log);
        assert_eq!(s.failures.get("unknown_user"), Some(&1));
        assert_eq!(s.arrivals.get("info@shop.example"), Some(&1));
    }
}
