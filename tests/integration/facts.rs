//! `runbook facts` on host roots holding real queue files.

use std::fs;
use std::path::Path;

use crate::support::Test;

/// Real exim 4.96 spool files (see tests/fixtures/README.md): three messages from
/// tools.php (one frozen), one from eval'd code in gsdjkjhkll.php, one from a local user
/// without PHP, one bounce.
const SPOOL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/exim4-spool/input"
);

/// A Debian exim host whose spool holds the fixture files; `split` puts each message in
/// `input/<6th character of its id>/` as `split_spool_directory` does.
fn exim_host(split: bool) -> Test {
    let test = Test::new()
        .file("/usr/sbin/exim4", "")
        .file("/etc/exim4/exim4.conf.template", "");
    let input = test.path("/var/spool/exim4/input");
    fs::create_dir_all(&input).unwrap();
    for entry in fs::read_dir(SPOOL).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let dir = if split {
            input.join(&name[5..6])
        } else {
            input.clone()
        };
        fs::create_dir_all(&dir).unwrap();
        fs::copy(&path, dir.join(&name)).unwrap();
    }
    test
}

fn queue(test: &Test) -> serde_json::Value {
    let out = test.run_args(&["facts", "--only", "mta,queue", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.json()
}

#[test]
fn exim_queue_counts_senders_and_scripts() {
    for split in [false, true] {
        let facts = queue(&exim_host(split));
        assert_eq!(facts["mta"]["kind"], "exim");
        assert_eq!(facts["mta"]["spool"], "/var/spool/exim4");
        let q = &facts["queue"];
        assert_eq!(q["total"], 6, "split={split}");
        assert_eq!(q["frozen"], 1);
        assert_eq!(q["without_script_header"], 2);
        assert_eq!(
            q["top_scripts"],
            serde_json::json!([
                { "script": "tools.php", "uid": 1001, "count": 3, "newest": 1795391951, "class": "form", "locations": [], "site": null },
                { "script": "gsdjkjhkll.php(2) : eval()'d code", "uid": 1001, "count": 1, "newest": 1795391951, "class": "random", "locations": [], "site": null },
            ])
        );
        assert_eq!(
            q["top_senders"],
            serde_json::json!([
                { "sender": "www-data@vm", "count": 4 },
                { "sender": "<>", "count": 1 },
                { "sender": "siteuser@vm", "count": 1 },
            ])
        );
        assert_eq!(
            q["top_recipient_domains"][0],
            serde_json::json!({ "domain": "example.net", "count": 3 })
        );
        assert_eq!(q["unreadable"], serde_json::json!([]));
    }
}

#[test]
fn broken_queue_files_are_listed_and_the_rest_still_counted() {
    let test = exim_host(false);
    let input = test.path("/var/spool/exim4/input");
    let real = fs::read(Path::new(SPOOL).join("1xVHSh-0001Xg-1i-H")).unwrap();
    fs::write(input.join("1xVHSh-0001Xg-1i-H"), &real[..real.len() / 2]).unwrap();
    fs::write(
        input.join("1xVHSz-0001Zz-1z-H"),
        b"\x00\xff\xfe binary garbage\n",
    )
    .unwrap();
    fs::write(input.join("1xVHSy-0001Zy-1y-H"), b"").unwrap();
    let q = &queue(&test)["queue"];
    assert_eq!(q["total"], 5, "the intact messages are counted");
    let unreadable = q["unreadable"].as_array().unwrap();
    assert_eq!(unreadable.len(), 3, "{unreadable:?}");
    let reasons: Vec<&str> = unreadable
        .iter()
        .map(|u| u["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("truncated")),
        "{reasons:?}"
    );
    assert!(reasons.contains(&"first line is not <id>-H"), "{reasons:?}");
}

#[test]
fn a_host_without_a_mail_server_says_so() {
    let facts = queue(&Test::new());
    assert_eq!(facts["mta"]["kind"], serde_json::Value::Null);
    assert_eq!(facts["queue"]["error"], "no mail server found");
}

#[test]
fn unknown_fact_groups_are_refused() {
    let test = Test::new();
    let out = test.run_args(&["facts", "--only", "qeue"]);
    // A usage error (64), like every other bad flag value, naming every group there is.
    assert_eq!(out.code, 64);
    crate::assert_contains!(out.stderr, "invalid value 'qeue' for '--only <GROUP,...>'");
    crate::assert_contains!(
        out.stderr,
        "[possible values: mta, panel, queue, log, php, web, posts, activity, sessions, postfix]"
    );
}

#[test]
fn relayed_exim_log_failures_by_class() {
    // Article 002's log lines, as the provider's relay writes them through syslog.
    let log = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/exim-relay-mainlog"
    ))
    .unwrap();
    let test = Test::new()
        .file("/usr/sbin/exim", "")
        .file("/var/log/exim/mainlog", &log);
    let out = test.run_args(&["facts", "--only", "log", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let log = &out.json()["log"];
    assert_eq!(log["file"], "/var/log/exim/mainlog");
    assert_eq!(
        log["failures"],
        serde_json::json!({ "dmarc": 1, "blacklisted": 1, "unknown_user": 2, "spam": 1, "dns": 0, "connection": 0, "other": 0 })
    );
    assert_eq!(
        log["arrivals_by_user"],
        serde_json::json!([{ "user": "user", "count": 4 }, { "user": "co22556", "count": 1 }])
    );
    crate::assert_contains!(
        log["samples"]["blacklisted"][0].as_str().unwrap(),
        "banned sending IP"
    );
}

/// A `/proc` in the kernel's formats: a PHP process (uid 33) connected to a remote
/// port 25, exim's own delivery connection, and sshd sessions for alice (logged in, in
/// utmp) and bob (notty, no login: the article 003 sign of a hacked account).
fn host_with_processes() -> Test {
    let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
0: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n   \
1: 0A00020F:A1B2 1F0B6C5E:0019 01 00000000:00000000 00:00000000 00000000    33        0 2002 1 0000000000000000 20 4 30 10 -1\n   \
2: 0A00020F:A1B4 1F0B6C5E:0019 01 00000000:00000000 00:00000000 00000000   101        0 3003 1 0000000000000000 20 4 30 10 -1\n";
    let test = Test::new()
        .file("/etc/passwd", "root:x:0:0::/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nDebian-exim:x:101:109::/var/spool/exim4:/usr/sbin/nologin\nalice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/bash\n")
        .file("/proc/net/tcp", tcp)
        .file("/proc/net/tcp6", "  sl  local_address remote_address st\n")
        .file("/proc/4242/comm", "php-cgi\n")
        .file("/proc/5151/comm", "exim4\n")
        .file("/proc/600/cmdline", "sshd: alice@pts/0\0")
        .file("/proc/601/cmdline", "sshd: alice [priv]\0")
        .file("/proc/700/cmdline", "sshd: bob@notty\0");
    for (pid, fd, inode) in [(4242, 3, 2002), (5151, 7, 3003)] {
        let dir = test.path(&format!("/proc/{pid}/fd"));
        fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(format!("socket:[{inode}]"), dir.join(fd.to_string())).unwrap();
    }
    // utmp: one USER_PROCESS record (type 7) for alice, as glibc's struct utmp lays it out.
    let mut record = vec![0u8; 384];
    record[0..4].copy_from_slice(&7i32.to_le_bytes());
    record[8..13].copy_from_slice(b"pts/0");
    record[44..49].copy_from_slice(b"alice");
    fs::create_dir_all(test.path("/run")).unwrap();
    fs::write(test.path("/run/utmp"), record).unwrap();
    test
}

#[test]
fn smtp_connections_and_ssh_sessions_from_proc() {
    let test = host_with_processes();
    let out = test.run_args(&["facts", "--only", "activity,sessions", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let facts = out.json();
    assert_eq!(facts["activity"]["non_mta"], 1);
    assert_eq!(
        facts["activity"]["smtp_connections"][0],
        serde_json::json!({ "pid": 4242, "process": "php-cgi", "user": "www-data", "remote": "94.108.11.31:25", "mta": false })
    );
    assert_eq!(facts["activity"]["smtp_connections"][1]["mta"], true);
    assert_eq!(facts["sessions"]["flagged"], serde_json::json!(["bob"]));
    assert_eq!(
        facts["sessions"]["users"],
        serde_json::json!([
            { "user": "alice", "sshd_sessions": 1, "logins": 1, "uid": 1001, "system": false, "flagged": false },
            { "user": "bob", "sshd_sessions": 1, "logins": 0, "uid": 1002, "system": false, "flagged": true },
        ])
    );
}

/// Copy a fixture directory tree into the host root.
fn copy_into(test: &Test, fixture: &str, host_dir: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", src.display()))
        .arg(test.path(host_dir))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn postfix_queue_and_mail_log() {
    let log = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/postfix-mail.log"
    ))
    .unwrap();
    let test = Test::new()
        .file("/usr/sbin/postfix", "")
        .file("/etc/postfix/main.cf", "")
        .file("/etc/passwd", "root:x:0:0::/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nsiteuser:x:1001:1001::/var/www/site:/bin/sh\n")
        .file("/var/log/mail.log", &log);
    fs::create_dir_all(test.path("/var/spool/postfix")).unwrap();
    copy_into(&test, "postfix-spool", "/var/spool/postfix");
    let out = test.run_args(&["facts", "--only", "mta,queue,log", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let facts = out.json();
    assert_eq!(facts["mta"]["kind"], "postfix");
    let q = &facts["queue"];
    assert_eq!(
        (q["total"].as_u64(), q["frozen"].as_u64()),
        (Some(6), Some(1))
    );
    assert_eq!(
        q["top_scripts"][0],
        serde_json::json!({ "script": "tools.php", "uid": 1001, "count": 3, "newest": 1795393242, "class": "form", "locations": [], "site": null })
    );
    assert_eq!(q["without_script_header"], 2);
    // Deferred because the lookup failed for now (dsn=4.4.3, "Host not found, try
    // again"): no dead address, a DNS failure of its own.
    assert_eq!(facts["log"]["failures"]["dns"], 5);
    assert_eq!(facts["log"]["failures"]["unknown_user"], 0);
    assert_eq!(
        facts["log"]["arrivals_by_user"],
        serde_json::json!([{ "user": "www-data", "count": 4 }, { "user": "siteuser", "count": 1 }])
    );
}

#[test]
fn plesk_qmail_queue_by_invoking_user() {
    // The example host holds article 001's queue as a real qmail queued it
    // (scripts/make-example-plesk-qmail).
    let test = Test::example("plesk-qmail");
    let out = test.run_args(&["facts", "--only", "mta,panel,queue,log", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let facts = out.json();
    assert_eq!(
        (facts["mta"]["kind"].as_str(), facts["panel"].as_str()),
        (Some("qmail"), Some("plesk"))
    );
    let q = &facts["queue"];
    assert_eq!(q["total"], 5, "four preprocessed, one still in todo/");
    // As qmail names them: a mess file's number is its inode's, in split number % 23.
    let mess = test.path("/var/qmail/queue/mess");
    for split in fs::read_dir(&mess).unwrap() {
        let split = split.unwrap();
        for file in fs::read_dir(split.path()).unwrap() {
            let n: u64 = file.unwrap().file_name().to_str().unwrap().parse().unwrap();
            assert_eq!(split.file_name().to_str().unwrap(), (n % 23).to_string());
        }
    }
    // A qmail message arrived when its file was written (this test's time).
    let mut users = q["top_local_users"].clone();
    for user in users.as_array_mut().unwrap() {
        let newest = user.as_object_mut().unwrap().remove("newest");
        assert!(newest.is_some_and(|t| t.is_i64()), "{user}");
    }
    assert_eq!(
        users,
        serde_json::json!([
            { "user": "shopuser", "uid": 10003, "home": "/var/www/vhosts/shop.example", "count": 2 },
            { "user": "(bounce)", "uid": null, "home": null, "count": 1 },
            { "user": "(network)", "uid": null, "home": null, "count": 1 },
            { "user": "apache", "uid": 48, "home": "/usr/share/httpd", "count": 1 },
        ])
    );
    assert_eq!(
        q["top_senders"][0],
        serde_json::json!({ "sender": "user@domain.com", "count": 2 })
    );
    // Two messages of shopuser's sendmail.php to domain1.com.
    assert_eq!(
        q["top_recipient_domains"][0],
        serde_json::json!({ "domain": "domain1.com", "count": 2 })
    );
    assert_eq!(q["top_scripts"][1]["class"], "random");
    assert_eq!(facts["log"]["failures"]["blacklisted"], 1);
    assert_eq!(
        facts["log"]["arrivals_by_user"],
        serde_json::json!([{ "user": "info@shop.example", "count": 1 }])
    );
}

#[test]
fn posts_around_failures_point_at_the_abused_form() {
    let out =
        Test::example("exim-outbreak").run_args(&["facts", "--only", "posts", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let posts = &out.json()["posts"];
    // Five POSTs to the contact form and one to the uploaded script fall within two
    // minutes of a failure; the customer's own POSTs hours earlier and the cart do not.
    assert_eq!(posts["posts_near_failures"], 6);
    assert_eq!(
        posts["top_uris"][0],
        serde_json::json!({ "uri": "/contact.php", "count": 5, "log": "/var/log/apache2/access.log" })
    );
    assert_eq!(
        posts["top_uris"][1]["uri"],
        "/wp-content/uploads/gsdjkjhkll.php"
    );
}

#[test]
fn sending_scripts_are_located_under_the_web_roots() {
    let out =
        Test::example("exim-outbreak").run_args(&["facts", "--only", "queue", "--output", "json"]);
    let scripts = &out.json()["queue"]["top_scripts"];
    assert_eq!(
        scripts[0]["locations"][0]["path"],
        "/var/www/shop/public/tools.php"
    );
    // The eval'd code's file is found by the script's own name.
    assert_eq!(
        scripts[1]["locations"][0]["path"],
        "/var/www/shop/public/wp-content/uploads/gsdjkjhkll.php"
    );
    assert!(scripts[1]["locations"][0]["mtime"].is_i64());
}

#[test]
fn broken_postfix_and_qmail_files_are_listed_not_fatal() {
    let postfix = Test::new().file("/usr/sbin/postfix", "");
    fs::create_dir_all(postfix.path("/var/spool/postfix")).unwrap();
    copy_into(&postfix, "postfix-spool", "/var/spool/postfix");
    fs::create_dir_all(postfix.path("/var/spool/postfix/deferred/A")).unwrap();
    fs::write(
        postfix.path("/var/spool/postfix/deferred/A/A1B2C3D4E5"),
        b"\xffgarbage",
    )
    .unwrap();
    fs::create_dir_all(postfix.path("/var/spool/postfix/incoming")).unwrap();
    fs::write(postfix.path("/var/spool/postfix/incoming/B1B2C3D4E5"), b"").unwrap();
    let q = &postfix
        .run_args(&["facts", "--only", "queue", "--output", "json"])
        .json()["queue"];
    assert_eq!(q["total"], 6);
    let reasons: Vec<&str> = q["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons.iter().all(|r| r.starts_with("truncated")),
        "{reasons:?}"
    );

    let qmail = Test::example("plesk-qmail");
    // A message whose envelope files are gone (qmail-send cleaning up as we read).
    fs::create_dir_all(qmail.path("/var/qmail/queue/mess/0")).unwrap();
    fs::write(
        qmail.path("/var/qmail/queue/mess/0/4600000"),
        "Received: (qmail 1 invoked by uid 48)\n\nx\n",
    )
    .unwrap();
    let q = &qmail
        .run_args(&["facts", "--only", "queue", "--output", "json"])
        .json()["queue"];
    assert_eq!(q["total"], 5);
    assert_eq!(q["unreadable"].as_array().unwrap().len(), 1);
    crate::assert_contains!(
        q["unreadable"][0]["reason"].as_str().unwrap(),
        "no sender (info)"
    );
}

/// Every field named `uid`, in every group on every example host, is a number (or null
/// where unknown): `queue.top_scripts[].uid` was once the header's text.
#[test]
fn the_same_json_type_for_a_field_everywhere() {
    fn uids(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let here = format!("{path}.{k}");
                    if k == "uid" && !(v.is_u64() || v.is_null()) {
                        out.push(format!("{here} = {v}"));
                    }
                    uids(v, &here, out);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    uids(item, &format!("{path}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut wrong = Vec::new();
    for host in ["exim-outbreak", "postfix-mailserver", "plesk-qmail"] {
        let out = Test::example(host).run_args(&["facts", "--output", "json"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let json = out.json();
        assert!(json["queue"]["top_scripts"][0]["uid"].is_u64(), "{host}");
        uids(&json, host, &mut wrong);
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

/// The time `runbook facts` takes as now in the tests below: three days after the
/// fixtures' messages were queued.
const NOW: &str = "2026-11-26T00:11:00Z";

/// The exim fixture host with the site user of the queued scripts in /etc/passwd.
fn exim_host_with_users() -> Test {
    exim_host(false).env("RUNBOOK_NOW", NOW).file(
        "/etc/passwd",
        "root:x:0:0::/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nsiteuser:x:1001:1001::/var/www/site:/bin/sh\n",
    )
}

/// The human output's line that starts with `start` (after its indentation).
fn line<'a>(out: &'a str, start: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line `{start}` in:\n{out}"))
}

#[test]
fn times_as_dates_with_their_age() {
    let test = exim_host_with_users().file("/var/www/site/tools.php", "<?php mail();\n");
    let script = fs::File::options()
        .write(true)
        .open(test.path("/var/www/site/tools.php"))
        .unwrap();
    let changed: jiff::Timestamp = "2026-11-20T10:00:00Z".parse().unwrap();
    script
        .set_modified(std::time::SystemTime::from(changed))
        .unwrap();
    let out = test.run_args(&["facts", "--only", "queue"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let q = &queue(&test)["queue"];
    let at = |t: &str| jiff::Timestamp::from_second(q[t].as_i64().unwrap()).unwrap();
    // The fixtures' arrival times, in the JSON as they were: Unix seconds.
    assert_eq!(at("oldest").to_string(), "2026-11-22T23:59:11Z");
    assert_eq!(at("newest").to_string(), "2026-11-22T23:59:11Z");
    assert_eq!(
        line(&out.stdout, "oldest:"),
        "  oldest: 2026-11-22 23:59 UTC, 3 days ago"
    );
    assert_eq!(
        line(&out.stdout, "newest:"),
        "  newest: 2026-11-22 23:59 UTC, 3 days ago"
    );
    let location = line(&out.stdout, "/var/www/site/tools.php");
    assert!(
        location.ends_with("  2026-11-20 10:00 UTC, 5 days ago"),
        "{location}"
    );
    assert_eq!(
        q["top_scripts"][0]["locations"][0]["mtime"],
        changed.as_second()
    );

    let wrong = test
        .env("RUNBOOK_NOW", "yesterday")
        .run_args(&["facts", "--only", "queue"]);
    assert_eq!(wrong.code, 1);
    crate::assert_contains!(
        wrong.stderr,
        "RUNBOOK_NOW=\"yesterday\" is not an RFC 3339 time"
    );
}

/// Scripts, submitters and file owners with their user; records as columns, or as
/// indented blocks where they hold lists.
#[test]
fn user_names_beside_uids() {
    let out = exim_host_with_users().run_args(&["facts", "--only", "queue"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(line(&out.stdout, "uid:"), "      uid: 1001 (siteuser)");
    insta::assert_snapshot!(out.stdout);
}

/// A fact not known says so, and why where its group knows; a group not read at all is
/// one line; empty lists and maps are `none`.
#[test]
fn unknown_reason_instead_of_null() {
    let out = Test::new()
        .file("/etc/php/8.2/cli/php.ini", "")
        .run_args(&["facts"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("null"), "{}", out.stdout);
    assert!(!out.stdout.contains("[]"), "{}", out.stdout);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn log_samples_one_per_line() {
    let mut log = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/exim-relay-mainlog"
    ))
    .unwrap();
    // A rejection whose text (the receiver's, or a forged one) hides a terminal escape.
    log.push_str("Jun 25 01:30:00 vh84 splogger[19950]: 1joDq1-0002mn-9z ** a@mail.ru R=dnslookup T=remote_smtp: SMTP error from remote mail server after end of data: 550 spam message rejected\x1b[2J\rAll clear\n");
    let test = Test::new()
        .file("/usr/sbin/exim", "")
        .file("/var/log/exim/mainlog", &log);
    let out = test.run_args(&["facts", "--only", "log"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains('\x1b'), "{}", out.stdout);
    crate::assert_contains!(out.stdout, r"550 spam message rejected\x1b[2J\rAll clear");
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn a_last_line_naming_the_runbook_that_fits_this_host() {
    let last = |test: &Test, args: &[&str]| {
        let out = test.run_args(args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout.lines().last().unwrap_or_default().to_string()
    };
    let outbreak = Test::example("exim-outbreak");
    assert_eq!(
        last(&outbreak, &["facts"]),
        "next: runbook apply spam-diagnose --root [ROOT] --dry-run (exim: 6 messages queued, 11 failed deliveries in the log)"
    );
    // Without the groups it reads, no guess.
    assert_eq!(
        last(&outbreak, &["facts", "--only", "queue"]),
        "  unreadable: none"
    );
    assert_eq!(
        last(&Test::new(), &["facts"]),
        "next: runbook apply spam-diagnose --root [ROOT] --dry-run (no mail server found)"
    );
    // The form script's site is served here: its mail is stopped at that site.
    let vhost = |name: &str| {
        Test::example("exim-outbreak").file(
            "/etc/apache2/apache2.conf",
            &format!("<VirtualHost *:80>\n  ServerName {name}\n  DocumentRoot /var/www/shop/public\n</VirtualHost>\n"),
        )
    };
    assert_eq!(
        last(&vhost("Shop.Example"), &["facts"]),
        "next: runbook apply php-blank-sendmail-path -p domain=shop.example --root [ROOT] --dry-run (tools.php, a form or mailer of shop.example, queued 3 of 6 messages)"
    );
    // A name that is no plain domain is never pasted into a command line.
    assert_eq!(
        last(&vhost("shop.example;reboot"), &["facts"]),
        "next: runbook apply spam-diagnose --root [ROOT] --dry-run (exim: 6 messages queued, 11 failed deliveries in the log)"
    );
}

/// Records read down the page: flat ones as columns under a header, ones holding lists
/// as indented blocks (their null fields left out), never `key=value` runs on one line.
#[test]
fn records_read_as_tables_and_indented_blocks() {
    let out = Test::example("ispmanager-apache").run_args(&["facts", "--only", "php,web"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stdout.contains('='),
        "{}",
        out.stdout
            .lines()
            .filter(|l| l.contains('='))
            .collect::<Vec<_>>()
            .join("\n")
    );
    insta::assert_snapshot!(out.stdout);
}
