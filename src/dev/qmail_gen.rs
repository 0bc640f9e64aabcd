//! Large qmail maillogs as Plesk's qmail writes them (the lines of
//! `examples/hosts/plesk-qmail/usr/local/psa/var/log/maillog`): qmail-send's log through
//! splogger into syslog (`qmail: SECONDS.MICROS text`, notqmail's `qmail-send.c` and
//! `splogger.c`), qmail-remote's reports in it with `_` for spaces and `/` for line
//! ends (`qsutil.c`'s `logsafe`), and Plesk's `smtp_auth` logins.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::log_gen::{FAILURES, SYSLOG_START, Why, Written, syslog_stamp, write_messages};

/// Local users whose PHP scripts send (a site's user, Apache, another site's user):
/// uid and envelope sender.
const LOCAL: &[(u32, &str)] = &[
    (10003, "shopuser@plesk.example"),
    (48, "apache@plesk.example"),
    (10004, "bloguser@plesk.example"),
];
/// Mailboxes that log in over SMTP: name and domain.
const LOGINS: &[(&str, &str)] = &[
    ("info", "shop.example"),
    ("news", "blog.example"),
    ("sales", "shop.example"),
];
/// qmaild and qmails of a notqmail install: the uids qmail-smtpd and bounces queue as.
const QMAILD: u32 = 2101;
const QMAILS: u32 = 2106;
/// Receivers of delivered mail: domain, MX address, its `250` reply.
const RECEIVERS: &[(&str, &str, &str)] = &[
    (
        "gmail.com",
        "142.250.27.26",
        "250 2.0.0 OK  1795132800 41be03b00d2f7-5e7a1b2c3d4si1234561a12.204 - gsmtp",
    ),
    (
        "mail.ru",
        "94.100.180.31",
        "250 OK id=1tNx0C-00000000ABC-1xYz",
    ),
    (
        "hotmail.fr",
        "104.47.9.33",
        "250 2.6.0 <1795132800.2996950.plesk.example> [InternalId=123456789012, Hostname=AM0PR01MB1234.eurprd01.prod.exchangelabs.com] Queued mail for delivery",
    ),
    (
        "yandex.ru",
        "77.88.21.249",
        "250 2.0.0 Ok: queued on mail-nwsmtp-mxfront-production-main-12.sas.yp-c.yandex.net 1795132800-aBcDeFgH1-abcd",
    ),
    ("example.net", "192.0.2.25", "250 ok 1795132800 qp 4242"),
];

/// qmail-send's rendering of a report: a line end is `/`, a space or other unsafe
/// byte `_` (notqmail's `issafe`: below 33, above 126, and `%`).
fn logsafe(report: &str) -> String {
    report
        .bytes()
        .map(|b| match b {
            b'\n' => '/',
            b if !(33..=126).contains(&b) || b == b'%' => '_',
            b => b as char,
        })
        .collect()
}

/// qmail-remote's report of a failed delivery (`qmail-remote.c`), as qmail-send logs it.
fn report(why: &Why) -> String {
    let text = match why {
        Why::Said {
            ip, after, lines, ..
        } => {
            let said = format!("Remote host said: {}\n", lines.join("\n"));
            match *after {
                "RCPT TO" => format!("{ip} does not like recipient.\n{said}Giving up on {ip}.\n"),
                "MAIL FROM" => format!("Connected to {ip} but sender was rejected.\n{said}"),
                _ => format!("{ip} failed after I sent the message.\n{said}"),
            }
        }
        Why::Unreachable(..) => {
            "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n".to_string()
        }
        Why::LookupFailed(_) => {
            "Sorry, I couldn't find any host by that name. (#4.1.2)\n".to_string()
        }
    };
    logsafe(&text)
}

/// Write a Plesk qmail maillog of about `bytes` bytes; returns what it holds. Of every
/// 20 messages one fails (a failure, bounced to its sender, or a deferral; each reply
/// of [`FAILURES`] in turn); two of three are submitted by a local user, one by an
/// SMTP login. runbook reads no uid from `info msg` lines: only the logins count as
/// submissions.
pub fn maillog(path: &Path, bytes: u64) -> io::Result<Written> {
    write_messages(path, bytes, message)
}

/// The lines of the `n`th message, and what they count.
fn message(n: u64, out: &mut String, written: &mut Written) {
    let time = SYSLOG_START + n / 4;
    let stamp = syslog_stamp(time);
    // splogger's stamp: the seconds and microseconds of each line.
    let mut micros = (n % 4) * 250_000;
    let mut line = |out: &mut String, text: std::fmt::Arguments| {
        let _ = writeln!(out, "{stamp} plesk qmail: {time}.{micros:06} {text}");
        micros += 1_013;
    };
    let msg = 2_996_950 + n * 3;
    let delivery = 1 + n % 100_000;
    let qp = 10_000 + n * 7 % 50_000;
    let (sender, uid) = if n % 3 == 2 {
        let (name, domain) = LOGINS[(n / 3 % LOGINS.len() as u64) as usize];
        let _ = writeln!(
            out,
            "{stamp} plesk smtp_auth: smtp_auth: SMTP user {name} : /var/qmail/mailnames/{domain}/{name} logged in from unknown [203.0.113.{}]",
            n % 250 + 2
        );
        *written
            .by_login
            .entry(format!("{name}@{domain}"))
            .or_default() += 1;
        (format!("{name}@{domain}"), QMAILD)
    } else {
        let (uid, sender) = LOCAL[(n / 3 % LOCAL.len() as u64) as usize];
        (sender.to_string(), uid)
    };
    line(out, format_args!("new msg {msg}"));
    line(
        out,
        format_args!(
            "info msg {msg}: bytes {} from <{sender}> qp {qp} uid {uid}",
            900 + n % 4000
        ),
    );
    let failure = (n % 20 == 7).then(|| &FAILURES[(n / 20 % FAILURES.len() as u64) as usize]);
    let user = n % 9973;
    let domain = match failure {
        Some(failure) => failure.domain,
        None => RECEIVERS[(n % RECEIVERS.len() as u64) as usize].0,
    };
    line(
        out,
        format_args!("starting delivery {delivery}: msg {msg} to remote user{user}@{domain}"),
    );
    line(out, format_args!("status: local 0/10 remote 1/20"));
    match failure {
        None => {
            let (_, ip, reply) = RECEIVERS[(n % RECEIVERS.len() as u64) as usize];
            let said = logsafe(&format!(
                "{ip} accepted message.\nRemote host said: {reply}\n"
            ));
            line(out, format_args!("delivery {delivery}: success: {said}"));
            line(out, format_args!("status: local 0/10 remote 0/20"));
            line(out, format_args!("end msg {msg}"));
        }
        Some(failure) => {
            *written.failures.entry(failure.class).or_default() += 1;
            let report = report(&failure.why);
            let kind = if failure.permanent {
                "failure"
            } else {
                "deferral"
            };
            line(out, format_args!("delivery {delivery}: {kind}: {report}"));
            line(out, format_args!("status: local 0/10 remote 0/20"));
            if failure.permanent {
                // qmail-send queues the bounce itself (as qmails) and delivers it here.
                let (notice, bounce_qp) = (msg + 1, qp + 1);
                line(out, format_args!("bounce msg {msg} qp {bounce_qp}"));
                line(out, format_args!("end msg {msg}"));
                line(out, format_args!("new msg {notice}"));
                line(
                    out,
                    format_args!(
                        "info msg {notice}: bytes {} from <> qp {bounce_qp} uid {QMAILS}",
                        2500 + n % 4000
                    ),
                );
                let local = delivery + 100_000;
                line(
                    out,
                    format_args!("starting delivery {local}: msg {notice} to local {sender}"),
                );
                line(out, format_args!("status: local 1/10 remote 0/20"));
                line(out, format_args!("delivery {local}: success: did_0+0+1/"));
                line(out, format_args!("status: local 0/10 remote 0/20"));
                line(out, format_args!("end msg {notice}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_maillog_scans_to_what_was_written() {
        let text = super::super::log_gen::assert_scans_as_written("qmail", maillog);
        assert!(
            text.lines()
                .all(|l| l.contains(" plesk qmail: ") || l.contains(" plesk smtp_auth: "))
        );
        // Reports are one word: qmail-send writes no space in them.
        for l in text.lines().filter(|l| l.contains(": failure: ")) {
            assert!(!l.split(": failure: ").nth(1).unwrap().contains(' '), "{l}");
        }
    }

    #[test]
    fn reports_as_notqmail_logs_them() {
        // As the example host's maillog has it (a real Plesk log's line).
        let why = Why::Said {
            host: "mxs.mail.ru",
            ip: "94.100.180.31",
            after: "RCPT TO",
            lines: &[
                "550 Message was not accepted -- invalid mailbox. Local mailbox someone@domain3.com is unavailable: user not found",
            ],
        };
        assert_eq!(
            report(&why),
            "94.100.180.31_does_not_like_recipient./Remote_host_said:_550_Message_was_not_accepted_--_invalid_mailbox._Local_mailbox_someone@domain3.com_is_unavailable:_user_not_found/Giving_up_on_94.100.180.31./"
        );
    }
}
