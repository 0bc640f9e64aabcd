//! What the log generators share: the loop that writes a log of about a given size one
//! message's lines at a time, syslog's time stamp, and the tally of what a generator
//! wrote (for tests that read the log back).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Write blocks of lines to `path` until about `bytes` are written: `block(n, out)`
/// appends the lines of the `n`th message (from 0) to the empty `out`.
pub fn write_log(
    path: &Path,
    bytes: u64,
    mut block: impl FnMut(u64, &mut String),
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
    let mut text = String::with_capacity(4096);
    let (mut written, mut n) = (0u64, 0u64);
    while written < bytes {
        text.clear();
        block(n, &mut text);
        out.write_all(text.as_bytes())?;
        written += text.len() as u64;
        n += 1;
    }
    out.flush()
}

/// Write messages to `path` until about `bytes` are written, as [`write_log`]:
/// `message(n, out, written)` appends the `n`th message's lines and counts what they
/// hold in `written` (their lines are counted here). Returns what was written.
pub fn write_messages(
    path: &Path,
    bytes: u64,
    mut message: impl FnMut(u64, &mut String, &mut Written),
) -> io::Result<Written> {
    let mut written = Written::default();
    write_log(path, bytes, |n, out| {
        message(n, out, &mut written);
        written.lines += out.bytes().filter(|b| *b == b'\n').count() as u64;
    })?;
    Ok(written)
}

/// Seconds (Unix time) of 2026-11-20 00:00:00 UTC, when the generated syslog logs start.
pub const SYSLOG_START: u64 = 1_795_132_800;

/// Month (11 or 12), day, hour, minute and second of a Unix time past
/// [`SYSLOG_START`], in November and December 2026 (UTC).
fn calendar(time: u64) -> (u64, u64, u64, u64, u64) {
    let secs = time.saturating_sub(SYSLOG_START);
    let (day, rest) = (19 + secs / 86_400, secs % 86_400);
    let (month, day) = if day < 30 {
        (11, day + 1)
    } else {
        (12, (day - 30) % 31 + 1)
    };
    (month, day, rest / 3600, rest / 60 % 60, rest % 60)
}

/// syslog's `Nov 20 00:00:00` for a Unix time past [`SYSLOG_START`] (the day padded
/// with a space as syslogd writes it).
pub fn syslog_stamp(time: u64) -> String {
    let (month, day, h, m, s) = calendar(time);
    let month = if month == 11 { "Nov" } else { "Dec" };
    format!("{month} {day:>2} {h:02}:{m:02}:{s:02}")
}

/// `20261120000000`, the time as postfix's cleanup puts it in a Message-ID.
pub fn compact_time(time: u64) -> String {
    let (month, day, h, m, s) = calendar(time);
    format!("2026{month:02}{day:02}{h:02}{m:02}{s:02}")
}

/// What a generator wrote: delivery failures by the class their reply is of (as
/// article 002 sorts them), submissions by uid and by SMTP login, and lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub failures: BTreeMap<&'static str, u64>,
    pub by_uid: BTreeMap<u32, u64>,
    pub by_login: BTreeMap<String, u64>,
    pub lines: u64,
}

/// Why a delivery failed: what the receiver said, or why nothing could be said.
pub enum Why {
    /// The receiving host (name, address) replied these lines (a multi-line reply has
    /// several) to this SMTP command (`RCPT TO`, `end of DATA`, `MAIL FROM`).
    Said {
        host: &'static str,
        ip: &'static str,
        after: &'static str,
        lines: &'static [&'static str],
    },
    /// The host (name, address) did not answer the connection.
    Unreachable(&'static str, &'static str),
    /// The recipient's domain could not be looked up for now.
    LookupFailed(&'static str),
}

/// A failed delivery: the reply, its enhanced status code (postfix's `dsn=`), whether
/// it is for good (a bounce) or for now (a deferral), and the class runbook must give it.
pub struct Failure {
    /// The recipient's domain
    pub domain: &'static str,
    pub dsn: &'static str,
    pub permanent: bool,
    pub why: Why,
    pub class: &'static str,
}

/// Replies of the receivers an outbreak's mail meets, one or more per failure class
/// (the sending server is 198.51.100.7).
pub const FAILURES: &[Failure] = &[
    Failure {
        domain: "example.net",
        dsn: "5.7.1",
        permanent: true,
        why: Why::Said {
            host: "mx1.example.net",
            ip: "192.0.2.25",
            after: "RCPT TO",
            lines: &[
                "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7",
            ],
        },
        class: "blacklisted",
    },
    Failure {
        domain: "advancecnc.com",
        dsn: "5.7.606",
        permanent: true,
        why: Why::Said {
            host: "advancecnc-com.mail.protection.outlook.com",
            ip: "104.47.59.138",
            after: "RCPT TO",
            lines: &[
                "550 5.7.606 Access denied, banned sending IP [198.51.100.7]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) [AM4PEPF00027A5F.eurprd04.prod.outlook.com 2026-11-20T00:00:00.000Z 08DD0A1B2C3D4E5F]",
            ],
        },
        class: "blacklisted",
    },
    Failure {
        domain: "gmail.com",
        dsn: "5.7.1",
        permanent: true,
        why: Why::Said {
            host: "gmail-smtp-in.l.google.com",
            ip: "142.250.27.26",
            after: "end of DATA",
            lines: &[
                "550-5.7.1 [198.51.100.7      12] Our system has detected that this message is",
                "550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,",
                "550-5.7.1 this message has been blocked. For more information, go to",
                "550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError 41be03b00d2f7-5e7a1b2c3d4si1234561a12.200 - gsmtp",
            ],
        },
        class: "spam",
    },
    Failure {
        domain: "mail.ru",
        dsn: "5.0.0",
        permanent: true,
        why: Why::Said {
            host: "mxs.mail.ru",
            ip: "94.100.180.31",
            after: "end of DATA",
            lines: &[
                "550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c=Bj8cJrm3AQAA or report details to abuse@corp.mail.ru. Error code: 7C1D3F0E2B4A5968.",
            ],
        },
        class: "spam",
    },
    Failure {
        domain: "gmail.com",
        dsn: "5.7.26",
        permanent: true,
        why: Why::Said {
            host: "gmail-smtp-in.l.google.com",
            ip: "142.250.27.26",
            after: "end of DATA",
            lines: &[
                "550-5.7.26 Unauthenticated email from shop.example is not accepted due to",
                "550-5.7.26 domain's DMARC policy. Please contact the administrator of",
                "550-5.7.26 shop.example domain if this was a legitimate mail. To learn about",
                "550 5.7.26 the DMARC initiative, go to  https://support.google.com/mail/?p=DmarcRejection 41be03b00d2f7-5e7a1b2c3d4si1234561a12.201 - gsmtp",
            ],
        },
        class: "dmarc",
    },
    Failure {
        domain: "gmail.com",
        dsn: "5.1.1",
        permanent: true,
        why: Why::Said {
            host: "gmail-smtp-in.l.google.com",
            ip: "142.250.27.26",
            after: "RCPT TO",
            lines: &[
                "550-5.1.1 The email account that you tried to reach does not exist. Please try",
                "550-5.1.1 double-checking the recipient's email address for typos or",
                "550-5.1.1 unnecessary spaces. For more information, go to",
                "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-5e7a1b2c3d4si1234561a12.202 - gsmtp",
            ],
        },
        class: "unknown_user",
    },
    Failure {
        domain: "yahoo.com",
        dsn: "4.7.0",
        permanent: false,
        why: Why::Said {
            host: "mta5.am0.yahoodns.net",
            ip: "67.195.204.72",
            after: "MAIL FROM",
            lines: &[
                "421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
            ],
        },
        class: "other",
    },
    Failure {
        domain: "gmail.com",
        dsn: "4.7.28",
        permanent: false,
        why: Why::Said {
            host: "gmail-smtp-in.l.google.com",
            ip: "142.250.27.26",
            after: "end of DATA",
            lines: &[
                "421-4.7.28 [198.51.100.7      15] Our system has detected an unusual rate of",
                "421-4.7.28 unsolicited mail originating from your IP address. To protect our",
                "421-4.7.28 users from spam, mail sent from your IP address has been temporarily",
                "421 4.7.28 rate limited. For more information, go to  https://support.google.com/mail/?p=UnsolicitedRateLimitError 41be03b00d2f7-5e7a1b2c3d4si1234561a12.203 - gsmtp",
            ],
        },
        class: "spam",
    },
    Failure {
        domain: "example.org",
        dsn: "4.4.1",
        permanent: false,
        why: Why::Unreachable("mx.example.org", "203.0.113.9"),
        class: "connection",
    },
    Failure {
        domain: "example.org",
        dsn: "4.4.3",
        permanent: false,
        why: Why::LookupFailed("example.org"),
        class: "dns",
    },
];

/// A small log from `generate`, read as runbook's `log` facts read it (in ranges) as
/// `mta`'s, checked to hold what the generator wrote: its lines, its failures by class
/// and its submissions (a uid as runbook names one without a passwd). Returns its text.
#[cfg(test)]
pub fn assert_scans_as_written(
    mta: &str,
    generate: fn(&Path, u64) -> io::Result<Written>,
) -> String {
    use crate::facts::logs::{Passwd, Scan};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let written = generate(&path, 400_000).unwrap();
    assert!(written.failures.len() >= 6, "{:?}", written.failures);
    let mut scan = Scan::new(crate::facts::mta::by_name(mta), Passwd::default());
    scan.read_file(
        &fs::File::open(&path).unwrap(),
        &indicatif::ProgressBar::hidden(),
    );
    assert_eq!(scan.lines, written.lines, "lines");
    assert_eq!(scan.skipped_lines, 0);
    let failures: BTreeMap<&str, u64> = scan.failures.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(failures, written.failures, "failures by class");
    let expected: BTreeMap<String, u64> = written
        .by_uid
        .iter()
        .map(|(uid, n)| (format!("uid {uid}"), *n))
        .chain(written.by_login.iter().map(|(l, n)| (l.clone(), *n)))
        .collect();
    let got: BTreeMap<String, u64> = scan.arrivals.iter().map(|(k, v)| (k.clone(), *v)).collect();
    assert_eq!(got, expected, "submissions by user");
    fs::read_to_string(&path).unwrap()
}
