//! Postfix: its layout, its queue files (read by `facts/postfix_queue.rs`), its mail.log
//! lines, its service.

use std::path::Path;

use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::{Finders, Layout, LogEvent, Mta, MtaKind, Service, Submitter, any_of, finders};
use crate::facts::logs::{Passwd, value};
use crate::facts::postfix_queue;
use crate::facts::queue::{QueueFacts, summarize};
use crate::host::Host;

pub struct Postfix;

const MAIN_CF: &str = "/etc/postfix/main.cf";

/// The log file main.cf's `maillog_file` names, where runbook can take it literally.
fn maillog_file(main_cf: &str) -> Option<String> {
    crate::edit::postfix::get(main_cf, "maillog_file")
        .filter(|f| f.starts_with('/') && !f.contains('$'))
}

/// What [`Postfix::log_line`] looks for: the statuses of failures, a pickup's uid, an
/// SMTP login, and a reply's status code.
static NEEDLES: Finders = Finders::new(|| {
    finders(&[
        "status=bounced (",
        "status=deferred (",
        " uid=",
        "sasl_username=",
        "/pickup[",
    ])
});
static DSN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"dsn="));

const LAYOUT: Layout = Layout {
    binaries: &["/usr/sbin/postfix"],
    configs: &["/etc/postfix/main.cf"],
    spools: &["/var/spool/postfix"],
    package: "postfix",
    processes: &["master", "qmgr"],
};

const SERVICES: &[Service] = &[Service {
    name: "postfix",
    test: &["postfix", "check"],
    reload: &["postfix", "reload"],
    running: &["postfix", "status"],
}];

impl Mta for Postfix {
    fn kind(&self) -> MtaKind {
        MtaKind::Postfix
    }

    fn name(&self) -> &'static str {
        "postfix"
    }

    fn layout(&self) -> &'static Layout {
        &LAYOUT
    }

    fn read_queue(&self, spool: &Path, passwd: &Passwd) -> QueueFacts {
        read_queue(spool, passwd)
    }

    /// The first `Received: by HOST (Postfix, from userid N)` with a number.
    fn names_submitter_in_received(&self) -> bool {
        true
    }

    fn received(&self, value: &str) -> Submitter {
        match crate::facts::message::after(value, "from userid ").and_then(|u| u.parse().ok()) {
            Some(uid) => Submitter::Uid(uid),
            None => Submitter::NotSaid,
        }
    }

    fn log_files(&self) -> &'static [&'static str] {
        &["/var/log/mail.log", "/var/log/maillog"]
    }

    /// `maillog_file` of main.cf (postfix 3.4+ logging through postlogd, without
    /// syslog), an absolute path without `$` expansions.
    fn configured_log(&self, host: &Host) -> Option<String> {
        let text = host
            .read_max(MAIN_CF, crate::facts::postfix_config::MAIN_CF_MAX)
            .ok()??;
        maillog_file(&String::from_utf8_lossy(&text))
    }

    fn log_line<'a>(&self, body: &'a [u8], raw: &'a [u8]) -> Option<LogEvent<'a>> {
        let [bounced, deferred, uid, sasl, pickup] = &NEEDLES[..] else {
            unreachable!("five needles")
        };
        // `to=<a@b>, relay=..., dsn=4.4.3, status=deferred (Host or domain name not
        // found...)`: the reply, with the enhanced status code postfix gives before it.
        for status in [bounced, deferred] {
            if let Some(i) = status.find(body) {
                let from = DSN.find(&body[..i]).unwrap_or(i);
                return Some(LogEvent::Failure(&body[from..]));
            }
        }
        // `postfix/pickup[N]: ID: uid=33 from=<www-data>`: mail submitted on the host.
        let uid = uid
            .find(body)
            .and_then(|at| value(&body[at..], b" uid="))
            .filter(|_| pickup.find(raw).is_some());
        match uid {
            Some(uid) => Some(LogEvent::ArrivalUid(uid)),
            None => sasl
                .find(body)
                .and_then(|at| value(&body[at..], b"sasl_username="))
                .map(LogEvent::Arrival),
        }
    }

    /// In every line [`Postfix::log_line`] reads: the statuses of failures (their
    /// tails: `status=` is in every delivery's line), pickup's name (a uid is read only
    /// from its lines), an SMTP login.
    fn log_needles(&self) -> Option<&'static regex::bytes::Regex> {
        static ANY: LazyLock<regex::bytes::Regex> =
            LazyLock::new(|| any_of(&["=bounced (", "=deferred (", "/pickup[", "sasl_username="]));
        Some(&ANY)
    }

    fn smtp_processes(&self) -> &'static [&'static str] {
        &["smtp", "master"]
    }

    fn services(&self) -> &'static [Service] {
        SERVICES
    }
}

/// Read every message of a postfix queue (`spool` is `/var/spool/postfix`, real path).
pub fn read_queue(spool: &Path, passwd: &Passwd) -> QueueFacts {
    let files = postfix_queue::queue_files(spool);
    summarize(&files, passwd, postfix_queue::read)
}

#[cfg(test)]
mod tests {
    use super::maillog_file;

    #[test]
    fn maillog_file_names_the_log_when_main_cf_sets_a_path() {
        let debian = include_str!("../../../tests/fixtures/postfix-main.cf-bookworm");
        assert_eq!(maillog_file(debian), None);
        let set = format!("{debian}maillog_file = /var/log/postfix.log\n");
        assert_eq!(maillog_file(&set).as_deref(), Some("/var/log/postfix.log"));
        // postlog's stdout, or a value runbook would have to expand: not a file to read.
        assert_eq!(
            maillog_file("maillog_file = /dev/stdout\nmaillog_file =\n"),
            None
        );
        assert_eq!(maillog_file("maillog_file = $queue_directory/log\n"), None);
    }
}
