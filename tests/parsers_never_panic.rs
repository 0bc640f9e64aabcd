//! Property: every reader of host files survives arbitrary bytes (garbage, binary,
//! truncated real files) with an error or a result, never a panic. A scan must never
//! abort on one bad file.

use proptest::prelude::*;
use runbook::edit::{apache, ini};
use runbook::facts::message::{Headers, Mta};
use runbook::facts::{
    exim_spool, failure_class, logs, postfix_queue, posts, processes, qmail_queue, script_class,
};

const EXIM: &[u8] = include_bytes!("fixtures/exim4-spool/input/1xVHSh-0001Xe-1g-H");
const POSTFIX: &[u8] = include_bytes!("fixtures/postfix-spool/deferred/F/F0020164004");
const QMAIL_MESS: &[u8] =
    include_bytes!("../examples/hosts/plesk-qmail/var/qmail/queue/mess/0/999764");
const QMAIL_INFO: &[u8] =
    include_bytes!("../examples/hosts/plesk-qmail/var/qmail/queue/info/0/999764");
const QMAIL_REMOTE: &[u8] =
    include_bytes!("../examples/hosts/plesk-qmail/var/qmail/queue/remote/2/1006137");
const QMAIL_TODO: &[u8] =
    include_bytes!("../examples/hosts/plesk-qmail/var/qmail/queue/todo/1003667");

/// A process's `stat` (its name holding `) R 1`) and `status`, as the kernel writes them.
const PROC_STAT: &[u8] = b"4242 (x) R 1 (y) S 1 4242 4242 34816 4242 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4591149 2654208 224 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
const PROC_STATUS: &[u8] = b"Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4242\nPPid:\t1\nUid:\t1001\t1001\t1001\t1001\nGid:\t1001\t1001\t1001\t1001\n";

/// Real files with bytes flipped, cut or inserted, plus pure noise.
fn mangled(real: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        (0..real.len(), any::<u8>()).prop_map(move |(i, b)| {
            let mut v = real.to_vec();
            v[i] = b;
            v
        }),
        (0..real.len()).prop_map(move |n| real[..n].to_vec()),
        (0..real.len(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(move |(i, junk)| {
            let mut v = real.to_vec();
            v.splice(i..i, junk);
            v
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn exim_header_files(bytes in mangled(EXIM)) {
        let _ = exim_spool::parse(&bytes);
    }

    #[test]
    fn proc_stat_and_status(bytes in mangled(PROC_STAT), status in mangled(PROC_STATUS), tty in any::<u32>()) {
        let _ = processes::parse_stat(&bytes);
        let _ = processes::real_uid(&status);
        let _ = processes::tty_name(tty);
    }

    #[test]
    fn postfix_queue_files(bytes in mangled(POSTFIX)) {
        let _ = postfix_queue::parse(&bytes, "X", false);
    }

    #[test]
    fn qmail_messages(
        mess in mangled(QMAIL_MESS),
        info in prop::option::of(mangled(QMAIL_INFO)),
        local in prop::option::of(mangled(QMAIL_REMOTE)),
        remote in prop::option::of(mangled(QMAIL_REMOTE)),
        todo in prop::option::of(mangled(QMAIL_TODO)),
        id in any::<u64>(),
        received in any::<i64>(),
    ) {
        let files = qmail_queue::Files {
            mess: &mess,
            todo: todo.as_deref(),
            info: info.as_deref(),
            local: local.as_deref(),
            remote: remote.as_deref(),
        };
        let _ = qmail_queue::parse(id, &files, received);
        let _ = qmail_queue::parse(id, &qmail_queue::Files { todo: None, ..files }, received);
    }

    #[test]
    fn message_headers(head in mangled(QMAIL_MESS), cut in any::<prop::sample::Index>()) {
        for mta in [Mta::Exim, Mta::Postfix, Mta::Qmail] {
            let _ = Headers::block(mta, &head);
            // Whole headers, as exim hands them over, and lines with unreadable ones.
            let mut whole = Headers::new(mta);
            let mut lines = Headers::new(mta);
            let at = cut.index(head.len() + 1);
            whole.header(&head[..at]);
            whole.header(&head[at..]);
            for (i, line) in head.split(|b| *b == b'\n').enumerate() {
                if i % 3 == 2 {
                    lines.unreadable_line(line.first().copied().unwrap_or(b' '));
                } else {
                    lines.line(line);
                }
            }
            let _ = whole.finish();
            let _ = lines.finish();
        }
    }

    #[test]
    fn log_lines(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20)) {
        for mta in runbook::facts::mta::ALL {
            let mut scan = logs::Scan::new(Some(*mta), logs::Passwd::default());
            for line in &lines {
                scan.line(line);
                let _ = logs::minute_of_year(line);
                let _ = posts::post(line);
                let _ = failure_class::classify_bytes(line);
            }
        }
    }

    #[test]
    fn config_files(text in "(<VirtualHost [*:0-9]{0,6}>|</VirtualHost>|ServerName [a-z.]{0,10}|php_admin_value [a-z_]{0,10} \"?[ -~]{0,10}|[ -~]{0,30}|\\|[;#\\[\\]=é]{0,4}|\r?\n){0,40}") {
        let _ = apache::virtual_hosts(&text);
        let _ = apache::set_directive(&text, "php_admin_value", Some("sendmail_path"), "\"/bin/true\"", Some("a.example"));
        let _ = apache::remove_directive(&text, "php_admin_value", Some("sendmail_path"), None);
        let _ = ini::get(&text, "sendmail_path");
        let _ = ini::set(&text, "sendmail_path", "\"\"");
        let _ = ini::list_add(&text, "disable_functions", "mail");
    }

    #[test]
    fn script_names(name in ".{0,60}") {
        let class = script_class::classify(&name);
        prop_assert!(["form", "random", "cron", "unknown"].contains(&class));
    }
}
