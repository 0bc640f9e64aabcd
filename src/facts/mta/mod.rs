//! Which mail server the host runs, and where its pieces are; which panel manages it.
//!
//! Every MTA sits behind [`Mta`], one file each ([`exim`], [`postfix`], [`qmail`]):
//! where it is installed, how its queue is read, what its log lines mean, and its
//! service. [`ALL`] is the registry; a kind it does not name is no MTA at all, never
//! read as another one. The low-level readers (`exim_spool`, `postfix_queue`,
//! `qmail_queue`, `message`) stay in `facts/` and are called from the MTA files.

pub mod exim;
pub mod postfix;
pub mod qmail;

use std::path::Path;
use std::sync::LazyLock;

use memchr::memmem::Finder;
use schemars::JsonSchema;
use serde::Serialize;

use super::logs::Passwd;
use super::queue::QueueFacts;
use crate::host::Host;

/// The MTAs runbook reads natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MtaKind {
    Exim,
    Postfix,
    Qmail,
}

/// Where an MTA is installed: the binaries, configs and spools it may have.
#[derive(Debug)]
pub struct Layout {
    pub binaries: &'static [&'static str],
    pub configs: &'static [&'static str],
    pub spools: &'static [&'static str],
    /// Debian package whose version is the MTA's.
    pub package: &'static str,
    /// Process names of a running instance.
    pub processes: &'static [&'static str],
}

/// A service an MTA runs under, and how to test its config, reload it and tell whether
/// it runs (`runbook/services.rs` turns it into the `reload` step's commands).
#[derive(Debug)]
pub struct Service {
    pub name: &'static str,
    pub test: &'static [&'static str],
    pub reload: &'static [&'static str],
    pub running: &'static [&'static str],
}

/// What one log line tells the `log` group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent<'a> {
    /// A delivery failed with this reply.
    Failure(&'a [u8]),
    /// A message arrived from this user.
    Arrival(String),
    /// A message was submitted on the host by this uid.
    ArrivalUid(String),
    /// A local submission was made from this working directory (exim's
    /// `log_selector = +arguments`: `cwd=/home/USER/public_html 3 args: ...`).
    SubmittedFrom(&'a [u8]),
}

/// What one `Received:` header of a queued message says of who submitted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitter {
    /// Not the MTA's own submission header: read on.
    NotSaid,
    /// This uid submitted the message; later headers are not read.
    Uid(u32),
    /// No local user but this (`(network)`, `(alias)`, `(bounce)`); later headers are not read.
    Login(&'static str),
    /// The MTA's submission header, naming nobody; later headers are not read.
    Nobody,
}

/// Finders of byte strings, built once (for the line parsers).
pub type Finders = LazyLock<Vec<Finder<'static>>>;

/// Build finders of `needles`.
pub fn finders(needles: &[&'static str]) -> Vec<Finder<'static>> {
    needles.iter().map(|n| Finder::new(n.as_bytes())).collect()
}

/// One search for any of `needles` or the script header (for [`Mta::log_needles`]):
/// the regex crate finds an alternation of literals with one SIMD pass (Teddy), where
/// a finder per needle made as many passes, each slowed by bytes common in log lines.
pub fn any_of(needles: &[&str]) -> regex::bytes::Regex {
    let alternation: Vec<String> = needles
        .iter()
        .chain([&crate::facts::logs::SCRIPT_HEADER])
        .map(|n| regex::escape(n))
        .collect();
    regex::bytes::RegexBuilder::new(&alternation.join("|"))
        .unicode(false)
        .build()
        .expect("literals")
}

/// One MTA: everything runbook knows of it.
pub trait Mta: Sync {
    fn kind(&self) -> MtaKind;
    /// Its name in facts (`mta.kind`) and everywhere else.
    fn name(&self) -> &'static str;
    fn layout(&self) -> &'static Layout;
    /// The spool the running MTA says it uses, when it can say (`binary` is the one found).
    fn configured_spool(&self, _host: &Host, _binary: &str) -> Option<String> {
        None
    }
    /// The `queue` group from the queue at `spool` (its real path).
    fn read_queue(&self, spool: &Path, passwd: &Passwd) -> QueueFacts;
    /// What a `Received:` header value (unfolded) says of the submitter; headers are
    /// read in order until one says something. By default nothing: exim's spool
    /// envelope names the user.
    fn received(&self, _value: &str) -> Submitter {
        Submitter::NotSaid
    }
    /// Whether [`Mta::received`] can say anything: if not, `Received:` headers are not
    /// read at all (every message has a few, folded, and on exim reading them was a
    /// fifth of the queue scan).
    fn names_submitter_in_received(&self) -> bool {
        false
    }
    /// Where it logs, most usual first.
    fn log_files(&self) -> &'static [&'static str];
    /// A log file its own configuration names (postfix's `maillog_file`), looked for
    /// before [`Mta::log_files`].
    fn configured_log(&self, _host: &Host) -> Option<String> {
        None
    }
    /// Whether it can log the working directory of local submissions (and does when
    /// its log shows any): exim's `+arguments`.
    fn logs_submission_dirs(&self) -> bool {
        false
    }
    /// Whether its log may be in the systemd journal when no log file exists (it logs
    /// through syslog). exim writes its own mainlog.
    fn logs_to_journal(&self) -> bool {
        true
    }
    /// What a log line means; `body` is `raw` without a syslog prefix.
    fn log_line<'a>(&self, body: &'a [u8], raw: &'a [u8]) -> Option<LogEvent<'a>>;
    /// A search for byte strings one of which is in every line [`Mta::log_line`] reads
    /// something from, or the script header ([`any_of`]): a log read in chunks reads
    /// only the lines that hold one. None: every line.
    fn log_needles(&self) -> Option<&'static regex::bytes::Regex> {
        None
    }
    /// Process names whose connections to remote port 25 are its own deliveries.
    fn smtp_processes(&self) -> &'static [&'static str];
    /// The services it runs under.
    fn services(&self) -> &'static [Service];
}

/// Every MTA, in the order detection tries them.
pub const ALL: &[&dyn Mta] = &[&exim::Exim, &postfix::Postfix, &qmail::Qmail];

/// The MTA of a kind.
pub fn get(kind: MtaKind) -> &'static dyn Mta {
    match kind {
        MtaKind::Exim => &exim::Exim,
        MtaKind::Postfix => &postfix::Postfix,
        MtaKind::Qmail => &qmail::Qmail,
    }
}

/// The MTA of a name (`mta.kind`); `None` for a name no MTA has.
pub fn by_name(name: &str) -> Option<&'static dyn Mta> {
    ALL.iter().copied().find(|m| m.name() == name)
}

/// The `mta` fact group: which mail server the host runs, and where its pieces are.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct MtaFacts {
    /// The mail server: exim, postfix, qmail, or null
    pub kind: Option<String>,
    /// Its main binary (/usr/sbin/exim4 on Debian)
    pub binary: Option<String>,
    /// Its main config file
    pub config: Option<String>,
    /// Its queue directory
    pub spool: Option<String>,
    /// Whether it runs (null under --root: no processes to see)
    pub running: Option<bool>,
    /// Its package version, from dpkg
    pub version: Option<String>,
}

/// The `mta` fact group.
pub fn gather(host: &Host) -> MtaFacts {
    let exists = |p: &str| host.resolve(p).is_ok_and(|r| r.exists());
    let first = |paths: &[&'static str]| paths.iter().copied().find(|p| exists(p));
    let Some((mta, binary)) = ALL
        .iter()
        .find_map(|m| Some((*m, first(m.layout().binaries)?)))
    else {
        return MtaFacts::default();
    };
    let layout = mta.layout();
    MtaFacts {
        kind: Some(mta.name().to_string()),
        binary: Some(binary.to_string()),
        config: first(layout.configs).map(str::to_string),
        spool: mta
            .configured_spool(host, binary)
            .or_else(|| first(layout.spools).map(str::to_string)),
        running: running(host, layout.processes),
        version: package_version(host, layout.package),
    }
}

/// The hosting panel that manages the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Panel {
    Plesk,
    Ispmanager,
}

/// The `panel` fact: the hosting panel (plesk, ispmanager), or null.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(description = "The hosting panel: plesk, ispmanager, or null")]
pub struct PanelFact(pub Option<Panel>);

/// The `panel` fact: `plesk`, `ispmanager` or null.
pub fn panel(host: &Host) -> PanelFact {
    let exists = |p: &str| host.resolve(p).is_ok_and(|r| r.exists());
    PanelFact(if exists("/usr/local/psa") || exists("/opt/psa") {
        Some(Panel::Plesk)
    } else if exists("/usr/local/mgr5") || exists("/usr/local/ispmgr") {
        Some(Panel::Ispmanager)
    } else {
        None
    })
}

/// Whether a process of that name runs; only knowable on the live host (`/proc`).
pub fn running(host: &Host, names: &[&str]) -> Option<bool> {
    if !host.is_live() {
        return None;
    }
    let procs = std::fs::read_dir("/proc").ok()?;
    let found = procs.flatten().any(|p| {
        crate::facts::activity::read_head(&p.path().join("comm"), 256)
            .is_ok_and(|comm| names.contains(&String::from_utf8_lossy(&comm).trim()))
    });
    Some(found)
}

/// dpkg's status file is not read past this (a full desktop install's is about 5 MiB).
pub const DPKG_STATUS_MAX: u64 = 64 << 20;

/// The installed version from dpkg's status file (Debian, Ubuntu).
fn package_version(host: &Host, package: &str) -> Option<String> {
    let Ok(Some(status)) = host.read_max("/var/lib/dpkg/status", DPKG_STATUS_MAX) else {
        return None;
    };
    let status = String::from_utf8_lossy(&status);
    let header = format!("Package: {package}\n");
    status
        .split("\n\n")
        .find(|stanza| stanza.starts_with(&header) || stanza.contains(&format!("\n{header}")))
        .and_then(|stanza| stanza.lines().find_map(|l| l.strip_prefix("Version: ")))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::logs::Scan;

    #[test]
    fn every_mta_has_a_distinct_name_and_kind() {
        for (i, a) in ALL.iter().enumerate() {
            assert_eq!(get(a.kind()).name(), a.name(), "get() agrees with ALL");
            assert_eq!(by_name(a.name()).map(|m| m.kind()), Some(a.kind()));
            for b in &ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.kind(), b.kind());
            }
        }
    }

    #[test]
    fn an_unknown_kind_is_no_mta() {
        assert!(by_name("sendmail").is_none());
        assert!(by_name("").is_none());
        // Lines every MTA would read: an unknown kind counts them and reads none.
        let lines: &[&[u8]] = &[
            b"2020-06-25 01:23:44 1joDo0-0005Bd-LB <= user@vm U=user P=local S=925\n",
            b"Mar 26 00:51:13 vigil postfix/smtpd[9120]: 3B: client=x, sasl_username=u\n",
            b"Jun 25 01:23:45 vh84 qmail: 1593037425.1 delivery 12: failure: 550_no_such_user/\n",
        ];
        let mut scan = Scan::new(by_name("sendmail"), Passwd::default());
        for line in lines {
            scan.line(line);
        }
        assert_eq!(scan.lines, 3);
        assert!(scan.failures.is_empty(), "{:?}", scan.failures);
        assert!(scan.arrivals.is_empty(), "{:?}", scan.arrivals);
        // Each is read by its own MTA, and only by it.
        for (mta, line) in ALL.iter().zip(lines) {
            let reads: Vec<&str> = ALL
                .iter()
                .filter(|m| {
                    let mut scan = Scan::new(Some(**m), Passwd::default());
                    scan.line(line);
                    !scan.failures.is_empty() || !scan.arrivals.is_empty()
                })
                .map(|m| m.name())
                .collect();
            assert_eq!(reads, [mta.name()], "{}", String::from_utf8_lossy(line));
        }
    }
}
