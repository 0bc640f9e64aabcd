//! qmail (Plesk's psa-qmail): its layout, its queue (read by `facts/qmail_queue.rs`),
//! its qmail-send and Plesk `smtp_auth` log lines, its processes.

use std::path::{Path, PathBuf};

use super::{Finders, Layout, LogEvent, Mta, MtaKind, Service, Submitter, any_of, finders};
use crate::facts::logs::Passwd;
use crate::facts::qmail_queue;
use crate::facts::queue::{QueueFacts, summarize};

pub struct Qmail;

/// In every line [`Qmail::log_line`] reads: qmail-send's `delivery N: failure: ` and
/// `deferral: `, Plesk's `smtp_auth: SMTP user `.
const MARKERS: [&str; 3] = [": failure: ", ": deferral: ", "smtp_auth: SMTP user "];
static NEEDLES: Finders = Finders::new(|| finders(&MARKERS));

const LAYOUT: Layout = Layout {
    binaries: &["/var/qmail/bin/qmail-send"],
    configs: &["/var/qmail/control/me"],
    spools: &["/var/qmail/queue"],
    package: "psa-qmail",
    processes: &["qmail-send"],
};

impl Mta for Qmail {
    fn kind(&self) -> MtaKind {
        MtaKind::Qmail
    }

    fn name(&self) -> &'static str {
        "qmail"
    }

    fn layout(&self) -> &'static Layout {
        &LAYOUT
    }

    fn read_queue(&self, spool: &Path, passwd: &Passwd) -> QueueFacts {
        read_queue(spool, passwd)
    }

    /// The first `Received: (qmail N ...)`: `invoked by uid U`, `invoked from network`,
    /// `invoked by alias`, `invoked for bounce` (qmail-queue's `receivedfmt`: qmail-send
    /// itself queued a bounce, as qmails); the ones after it are relays.
    fn names_submitter_in_received(&self) -> bool {
        true
    }

    fn received(&self, value: &str) -> Submitter {
        if !value.trim_start().starts_with("(qmail ") {
            return Submitter::NotSaid;
        }
        if let Some(uid) = crate::facts::message::after(value, "invoked by uid ") {
            uid.parse().map_or(Submitter::Nobody, Submitter::Uid)
        } else if value.contains("invoked from network") {
            Submitter::Login("(network)")
        } else if value.contains("invoked by alias") {
            Submitter::Login("(alias)")
        } else if value.contains("invoked for bounce") {
            Submitter::Login("(bounce)")
        } else {
            Submitter::Nobody
        }
    }

    fn log_files(&self) -> &'static [&'static str] {
        &[
            "/usr/local/psa/var/log/maillog",
            "/var/log/maillog",
            "/var/log/mail.log",
        ]
    }

    fn log_line<'a>(&self, body: &'a [u8], _raw: &'a [u8]) -> Option<LogEvent<'a>> {
        let [failure, deferral, smtp_auth] = &NEEDLES[..] else {
            unreachable!("three needles")
        };
        for marker in [failure, deferral] {
            if let Some(i) = marker.find(body) {
                return Some(LogEvent::Failure(&body[i + marker.needle().len()..]));
            }
        }
        // Plesk: `smtp_auth: SMTP user NAME : /var/qmail/mailnames/DOMAIN/NAME logged in from ...`
        let i = smtp_auth.find(body)?;
        let text = String::from_utf8_lossy(&body[i..]);
        let path = text.split(" : ").nth(1)?;
        let mut parts = path.split('/').skip_while(|p| *p != "mailnames").skip(1);
        let (domain, name) = (parts.next()?, parts.next()?.split_whitespace().next()?);
        Some(LogEvent::Arrival(format!("{name}@{domain}")))
    }

    /// qmail-send's failures and deferrals, Plesk's SMTP logins.
    fn log_needles(&self) -> Option<&'static regex::bytes::Regex> {
        static ANY: std::sync::LazyLock<regex::bytes::Regex> =
            std::sync::LazyLock::new(|| any_of(&MARKERS));
        Some(&ANY)
    }

    fn smtp_processes(&self) -> &'static [&'static str] {
        &["qmail-remote", "qmail-send"]
    }

    /// None built in: a runbook that reloads qmail gives its commands.
    fn services(&self) -> &'static [Service] {
        &[]
    }
}

/// Read every message of a qmail queue (`/var/qmail/queue`, real path).
pub fn read_queue(queue: &Path, passwd: &Passwd) -> QueueFacts {
    let files: Vec<(PathBuf, bool)> = qmail_queue::messages(queue)
        .into_iter()
        .map(|f| (f, false))
        .collect();
    let todo = qmail_queue::todo(queue);
    summarize(&files, passwd, |path, _, reader| {
        qmail_queue::read(queue, &todo, path, reader)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn the_first_qmail_received_names_the_submitter() {
        // As notqmail's qmail-queue.c `receivedfmt` writes them.
        for (value, expected) in [
            (
                "(qmail 2202 invoked by uid 1001); 3 Dec 2026 06:20:01 -0000",
                Submitter::Uid(1001),
            ),
            (
                "(qmail 2203 invoked from network); 3 Dec 2026 06:20:01 -0000",
                Submitter::Login("(network)"),
            ),
            (
                "(qmail 2204 invoked by alias); 3 Dec 2026 06:20:01 -0000",
                Submitter::Login("(alias)"),
            ),
            (
                "(qmail 2205 invoked for bounce); 3 Dec 2026 06:20:01 -0000",
                Submitter::Login("(bounce)"),
            ),
            (
                "(qmail 2206 invoked by uid x); 3 Dec 2026",
                Submitter::Nobody,
            ),
            (
                "from vm by vm (Postfix, from userid 33)",
                Submitter::NotSaid,
            ),
        ] {
            assert_eq!(Qmail.received(value), expected, "{value}");
        }
    }

    #[test]
    fn a_bounce_counts_as_bounce_not_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path();
        for sub in ["mess/1", "info/1", "remote/1"] {
            fs::create_dir_all(q.join(sub)).unwrap();
        }
        // qmail-send's bounce of a message to a missing local user: sender <>, to the
        // original sender.
        fs::write(
            q.join("mess/1/24"),
            b"Received: (qmail 2205 invoked for bounce); 3 Dec 2026 06:20:01 -0000\n\
              Date: 3 Dec 2026 06:20:01 -0000\n\
              From: MAILER-DAEMON@qmail.example\n\
              \n\
              Hi. This is the qmail-send program at qmail.example.\n",
        )
        .unwrap();
        fs::write(q.join("info/1/24"), b"F\0").unwrap();
        fs::write(q.join("remote/1/24"), b"Tsender@remote.example\0").unwrap();
        let out = serde_json::to_value(read_queue(q, &Passwd::default())).unwrap();
        assert_eq!(out["total"], 1, "{out}");
        let users = &out["top_local_users"];
        assert_eq!(users[0]["user"], "(bounce)", "{out}");
        assert_eq!(users[0]["uid"], serde_json::Value::Null);
        assert_eq!(users.as_array().unwrap().len(), 1, "{out}");
    }

    #[test]
    fn big_qmail_messages_count_by_their_headers() {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path();
        for sub in ["mess/0", "info/0", "remote/0"] {
            fs::create_dir_all(q.join(sub)).unwrap();
        }
        let mut mess =
            b"Received: (qmail 1 invoked by uid 48)\nX-PHP-Originating-Script: 48:big.php\n\n"
                .to_vec();
        mess.resize(3 * qmail_queue::QMAIL_HEAD_MAX as usize, b'b');
        fs::write(q.join("mess/0/23"), mess).unwrap();
        fs::write(q.join("info/0/23"), b"Fshop@vm\0").unwrap();
        fs::write(q.join("remote/0/23"), b"Ta@big.example\0").unwrap();
        // A recipient list past its cap makes its message unreadable, not the scan fail.
        fs::write(q.join("mess/0/46"), b"\n").unwrap();
        fs::write(q.join("info/0/46"), b"Fshop@vm\0").unwrap();
        let big = fs::File::create(q.join("remote/0/46")).unwrap();
        big.set_len(qmail_queue::ENVELOPE_FILE_MAX + 1).unwrap();
        let out = read_queue(q, &Passwd::default());
        let out = serde_json::to_value(out).unwrap();
        assert_eq!(out["total"], 1, "{out}");
        assert_eq!(out["top_scripts"][0]["script"], "big.php");
        assert_eq!(out["top_recipient_domains"][0]["domain"], "big.example");
        let reason = out["unreadable"][0]["reason"].as_str().unwrap();
        assert!(reason.contains("larger than"), "{reason}");
    }
}
