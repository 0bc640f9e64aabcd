//! Large postfix mail.logs in postfix 3.7's format (the lines of the real one in
//! `tests/fixtures/postfix-mail.log`, as postlogd or syslog writes them): local
//! submissions by PHP (`pickup`'s `uid=`), SMTP AUTH submissions (`sasl_username=`),
//! deliveries, and the bounces and deferrals of an outbreak's mail.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::log_gen::{
    FAILURES, Failure, SYSLOG_START, Why, Written, compact_time, syslog_stamp, write_messages,
};

/// Local users whose PHP scripts send (www-data and two sites' users), by uid.
const LOCAL: &[(u32, &str)] = &[(33, "www-data"), (1001, "shopuser"), (1002, "bloguser")];
/// Mailboxes that send through the submission port with SMTP AUTH.
const LOGINS: &[&str] = &[
    "info@shop.example",
    "news@blog.example",
    "sales@shop.example",
];
/// Receivers of delivered mail: domain, MX, its address, its `250` reply.
const RECEIVERS: &[(&str, &str, &str, &str)] = &[
    (
        "gmail.com",
        "gmail-smtp-in.l.google.com",
        "142.250.27.26",
        "250 2.0.0 OK  1795132800 41be03b00d2f7-5e7a1b2c3d4si1234561a12.204 - gsmtp",
    ),
    (
        "mail.ru",
        "mxs.mail.ru",
        "94.100.180.31",
        "250 OK id=1tNx0C-00000000ABC-1xYz",
    ),
    (
        "hotmail.fr",
        "eur.olc.protection.outlook.com",
        "104.47.9.33",
        "250 2.6.0 <20261120000000.DF9CD164001@mail.example.com> [InternalId=123456789012, Hostname=AM0PR01MB1234.eurprd01.prod.exchangelabs.com] 9876 bytes in 0.120, 78.125 KB/sec Queued mail for delivery",
    ),
    (
        "yandex.ru",
        "mx.yandex.ru",
        "77.88.21.249",
        "250 2.0.0 Ok: queued on mail-nwsmtp-mxfront-production-main-12.sas.yp-c.yandex.net 1795132800-aBcDeFgH1-abcd",
    ),
    (
        "example.net",
        "mx.example.net",
        "192.0.2.25",
        "250 2.0.0 Ok: queued as 4Zx1Yv0Qk3z9tKm",
    ),
];

/// A postfix queue id (short form: five hex digits of microseconds, then the queue
/// file's inode number in hex).
fn queue_id(n: u64) -> String {
    format!(
        "{:05X}{:06X}",
        (n * 40_503) & 0xF_FFFF,
        0x10_0000 + n % 0xE0_0000
    )
}

/// Write a postfix mail.log of about `bytes` bytes; returns what it holds. Of every 20
/// messages one fails (a bounce or a deferral, each reply of [`FAILURES`] in turn);
/// two of three are submitted by a local user (`pickup`), one by an SMTP AUTH login.
pub fn mail_log(path: &Path, bytes: u64) -> io::Result<Written> {
    write_messages(path, bytes, message)
}

/// The lines of the `n`th message, and what they count.
fn message(n: u64, out: &mut String, written: &mut Written) {
    let time = SYSLOG_START + n / 4;
    let stamp = syslog_stamp(time);
    let host = "mail";
    let id = queue_id(n);
    let size = 900 + n % 4000;
    let cleanup = 1031 + n / 50_000 % 7;
    // Who submitted it: its envelope sender.
    let sender = if n % 3 == 2 {
        let login = LOGINS[(n / 3 % LOGINS.len() as u64) as usize];
        let (smtpd, client) = (3000 + n % 97, n % 250 + 2);
        let line = |out: &mut String, text: &str| {
            let _ = writeln!(
                out,
                "{stamp} {host} postfix/submission/smtpd[{smtpd}]: {text}"
            );
        };
        line(out, &format!("connect from unknown[203.0.113.{client}]"));
        line(
            out,
            &format!(
                "{id}: client=unknown[203.0.113.{client}], sasl_method=LOGIN, sasl_username={login}"
            ),
        );
        *written.by_login.entry(login.to_string()).or_default() += 1;
        let _ = writeln!(
            out,
            "{stamp} {host} postfix/cleanup[{cleanup}]: {id}: message-id=<{}.{id}@shop.example>",
            compact_time(time)
        );
        let _ = writeln!(
            out,
            "{stamp} {host} postfix/qmgr[1021]: {id}: from=<{login}>, size={size}, nrcpt=1 (queue active)"
        );
        line(
            out,
            &format!(
                "disconnect from unknown[203.0.113.{client}] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8"
            ),
        );
        login.to_string()
    } else {
        let (uid, user) = LOCAL[(n / 3 % LOCAL.len() as u64) as usize];
        let _ = writeln!(
            out,
            "{stamp} {host} postfix/pickup[1020]: {id}: uid={uid} from=<{user}>"
        );
        *written.by_uid.entry(uid).or_default() += 1;
        let _ = writeln!(
            out,
            "{stamp} {host} postfix/cleanup[{cleanup}]: {id}: message-id=<{}.{id}@mail.example.com>",
            compact_time(time)
        );
        let sender = format!("{user}@mail.example.com");
        let _ = writeln!(
            out,
            "{stamp} {host} postfix/qmgr[1021]: {id}: from=<{sender}>, size={size}, nrcpt=1 (queue active)"
        );
        sender
    };
    let smtp = 2000 + n % 40;
    let user = n % 9973;
    if n % 20 == 7 {
        let failure = &FAILURES[(n / 20 % FAILURES.len() as u64) as usize];
        *written.failures.entry(failure.class).or_default() += 1;
        let _ = writeln!(
            out,
            "{stamp} {host} postfix/smtp[{smtp}]: {id}: to=<user{user}@{}>, {}",
            failure.domain,
            outcome(failure)
        );
        if failure.permanent {
            bounce(n, &stamp, &id, &sender, out);
        }
    } else {
        let (domain, mx, ip, reply) = RECEIVERS[(n % RECEIVERS.len() as u64) as usize];
        let _ = writeln!(
            out,
            "{stamp} {host} postfix/smtp[{smtp}]: {id}: to=<user{user}@{domain}>, relay={mx}[{ip}]:25, delay=1.1, delays=0.05/0.01/0.52/0.52, dsn=2.0.0, status=sent ({reply})"
        );
        let _ = writeln!(out, "{stamp} {host} postfix/qmgr[1021]: {id}: removed");
    }
}

/// The relay, delays, status code and reason of a failed delivery, as smtp(8) logs them.
fn outcome(failure: &Failure) -> String {
    let status = if failure.permanent {
        "bounced"
    } else {
        "deferred"
    };
    let dsn = failure.dsn;
    match &failure.why {
        Why::Said {
            host,
            ip,
            after,
            lines,
        } => format!(
            "relay={host}[{ip}]:25, delay=0.9, delays=0.05/0.01/0.4/0.44, dsn={dsn}, status={status} (host {host}[{ip}] said: {} (in reply to {after} command))",
            lines.join(" ")
        ),
        Why::Unreachable(host, ip) => format!(
            "relay=none, delay=30, delays=0.05/0.01/30/0, dsn={dsn}, status={status} (connect to {host}[{ip}]:25: Connection timed out)"
        ),
        Why::LookupFailed(domain) => format!(
            "relay=none, delay=0.05, delays=0.05/0/0/0, dsn={dsn}, status={status} (Host or domain name not found. Name service error for name={domain} type=MX: Host not found, try again)"
        ),
    }
}

/// The non-delivery notification to `sender` of a bounced message, delivered here.
fn bounce(n: u64, stamp: &str, id: &str, sender: &str, out: &mut String) {
    let host = "mail";
    let notice = queue_id(n + 0x80_0000);
    let _ = writeln!(
        out,
        "{stamp} {host} postfix/bounce[1050]: {id}: sender non-delivery notification: {notice}"
    );
    let _ = writeln!(
        out,
        "{stamp} {host} postfix/cleanup[1031]: {notice}: message-id=<{}.{notice}@mail.example.com>",
        compact_time(SYSLOG_START + n / 4)
    );
    let _ = writeln!(
        out,
        "{stamp} {host} postfix/qmgr[1021]: {notice}: from=<>, size={}, nrcpt=1 (queue active)",
        3000 + n % 2000
    );
    let _ = writeln!(out, "{stamp} {host} postfix/qmgr[1021]: {id}: removed");
    let (agent, box_) = if sender.ends_with("@mail.example.com") {
        ("local", "mailbox")
    } else {
        ("virtual", "maildir")
    };
    let _ = writeln!(
        out,
        "{stamp} {host} postfix/{agent}[1060]: {notice}: to=<{sender}>, relay={agent}, delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (delivered to {box_})"
    );
    let _ = writeln!(out, "{stamp} {host} postfix/qmgr[1021]: {notice}: removed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_mail_log_scans_to_what_was_written() {
        let text = super::super::log_gen::assert_scans_as_written("postfix", mail_log);
        assert!(text.lines().all(|l| l.contains(" mail postfix/")));
    }
}
