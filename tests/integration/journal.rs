//! A postfix server without a syslog daemon (Debian 12 and later install none): its log
//! is only in the systemd journal. The journal files here are written by systemd's own
//! writer (systemd-journal-remote) from entries as journald stores postfix's syslog
//! lines, and `runbook facts` reads them through journalctl with the same classes and
//! counts as from mail.log.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::Test;

const MACHINE: &str = "0123456789abcdef0123456789abcdef";

/// One journal entry of a syslog line (`facility` 2 is mail).
fn entry(seconds: u64, facility: u8, identifier: &str, pid: u32, message: &str) -> String {
    format!(
        "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=11111111111111111111111111111111\n\
         _HOSTNAME=vm\nPRIORITY=6\nSYSLOG_FACILITY={facility}\nSYSLOG_IDENTIFIER={identifier}\n\
         _PID={pid}\nMESSAGE={message}\n\n",
        seconds * 1_000_000,
        seconds * 1_000
    )
}

fn write_journal(test: &Test, entries: &str) {
    let dir = test.path(&format!("/var/log/journal/{MACHINE}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new("/lib/systemd/systemd-journal-remote")
        .arg("-o")
        .arg(dir.join("system.journal"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("systemd-journal-remote (apt-get install systemd-journal-remote)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(entries.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg_attr(
    no_journal_tools,
    ignore = "needs journalctl and systemd-journal-remote (apt-get install systemd-journal-remote)"
)]
fn a_postfix_log_only_in_the_journal_is_read() {
    let test = Test::new()
        .file("/usr/sbin/postfix", "")
        .file("/etc/postfix/main.cf", "")
        .file(
            "/etc/passwd",
            "root:x:0:0::/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n",
        );
    let t = 1_764_670_865;
    let entries = [
        entry(t, 2, "postfix/pickup", 2001, "4QX1Y2Z3ab3: uid=33 from=<www-data>"),
        entry(t + 1, 2, "postfix/smtp", 2005, "4QX1Y2Z3ab4: to=<e@shop.example>, relay=none, delay=0.06, delays=0.01/0.01/0.04/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=shop.example type=MX: Host not found, try again)"),
        entry(t + 2, 2, "postfix/smtp", 2005, "4QX1Y2Z3ab5: to=<c@example.org>, relay=mx.example.org[203.0.113.6]:25, delay=0.5, delays=0.01/0/0.2/0.3, dsn=5.1.1, status=bounced (host mx.example.org[203.0.113.6] said: 550 5.1.1 <c@example.org>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))"),
        // Not the mail facility: not the MTA's, whatever it says.
        entry(t + 3, 3, "cron", 7, "status=bounced (550 5.1.1 user unknown)"),
    ]
    .concat();
    write_journal(&test, &entries);
    let out = test.run_args(&["facts", "--only", "log", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let log = &out.json()["log"];
    assert_eq!(log["file"], serde_json::Value::Null, "{log}");
    assert_eq!(log["journal"], "/var/log/journal");
    assert_eq!(log["lines"], 3, "{log}");
    assert_eq!(log["failures"]["dns"], 1);
    assert_eq!(log["failures"]["unknown_user"], 1);
    assert_eq!(
        log["arrivals_by_user"],
        serde_json::json!([{ "user": "www-data", "count": 1 }])
    );
    crate::assert_contains!(
        log["samples"]["dns"][0].as_str().unwrap(),
        "postfix/smtp[2005]: 4QX1Y2Z3ab4"
    );
}

#[test]
fn no_log_file_and_no_journal_says_where_it_looked() {
    let test = Test::new()
        .file("/usr/sbin/postfix", "")
        .file("/etc/postfix/main.cf", "");
    let out = test.run_args(&["facts", "--only", "log", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = out.json();
    crate::assert_contains!(
        json["log"]["error"].as_str().unwrap(),
        "/var/log/mail.log, /var/log/maillog or a systemd journal)"
    );
}
