//! `queue_purge` and `queue_retry` against a real qmail (notqmail), on each Debian suite
//! (RUNBOOK_QMAIL_ROOTFS_<SUITE>): qmail-send runs as a Plesk host runs it, under an
//! `/etc/init.d/qmail` script, and runbook stops it through that script before a
//! message's files move and starts it again after, on failure too. The queue is filled
//! by real PHP `mail()` and sendmail; `qmail-qread` and `qmail-qstat` read it back. The
//! whole `plesk-qmail-spam` runbook on real qmail is the `runbook test` scenario
//! runbooks/tests/qmail-php-spam.yaml.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::real_qmail::{QUEUE, QmailHost};
use crate::rootfs::Suite;

mod bookworm {
    #[test]
    #[cfg_attr(
        no_qmail_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_BOOKWORM: a Debian 12 root with qmail from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn qmail_purge_stops_qmail_send_and_rollback_requeues_every_byte() {
        super::qmail_purge(&crate::rootfs::BOOKWORM);
    }
}

mod trixie {
    #[test]
    #[cfg_attr(
        no_qmail_rootfs_trixie,
        ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_TRIXIE: a Debian 13 root with qmail from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn qmail_purge_stops_qmail_send_and_rollback_requeues_every_byte() {
        super::qmail_purge(&crate::rootfs::TRIXIE);
    }
}

/// A Plesk-style init script: qmail-send (in a network namespace of its own, so remote
/// mail defers) started in the background, stopped by TERM to the qmail-send of this
/// root (a process of another chroot shows another root; a container's, whose root
/// reads as `/` too, another mount namespace).
const INIT_SCRIPT: &str = r#"#!/bin/sh
ours() {
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = qmail-send ] && [ "$(readlink "$p/root")" = / ] &&
      [ "$(readlink "$p/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] && echo "${p#/proc/}"
  done
}
case "$1" in
  start) setsid unshare --net /var/qmail/rc </dev/null >/dev/null 2>&1 & ;;
  stop) for pid in $(ours); do kill -TERM "$pid"; done ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
"#;

const FORM: &str = "<?php\nforeach (['a@remote.example', 'b@remote.example'] as $to) {\n    mail($to, 'Offer', \"Cheap pills\\n\", 'From: noreply@shop.example');\n}\n";

const PURGE: &str = "id: purge-form\ntitle: Quarantine the form's mail\nsteps:\n  - { id: purge, title: Quarantine the form's mail, queue_purge: { script: contact.php } }\n";

/// The root's /proc is the machine's while the test runs, as a live host's is.
struct ProcMounted(PathBuf);

impl Drop for ProcMounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The pids of this root's qmail-send.
fn qmail_send(host: &QmailHost) -> Vec<u32> {
    let root = fs::canonicalize(host.root()).unwrap();
    let mut pids = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        if comm.trim() == "qmail-send"
            && fs::read_link(e.path().join("root")).is_ok_and(|l| l == root)
        {
            pids.push(pid);
        }
    }
    pids
}

fn wait(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "waited 30s for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The queue's files by path, with their bytes.
fn queue_bytes(host: &QmailHost) -> BTreeMap<PathBuf, Vec<u8>> {
    host.fs.snapshot(QUEUE)
}

/// `(sender, recipients)` of every message `qmail-qread` lists.
fn listed(host: &QmailHost) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = host
        .qread()
        .into_iter()
        .map(|q| (q.sender, q.recipients.into_iter().map(|r| r.1).collect()))
        .collect();
    out.sort();
    out
}

fn run_json(host: &QmailHost, yaml: &str, args: &[&str]) -> (i32, Value, String) {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let (code, stdout, stderr) = host.fs.runbook_with("purge-form", yaml, &all);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        format!("{stdout}\n{stderr}"),
    )
}

/// qmail as a Plesk host runs it: `/etc/init.d/qmail` started it, and the root's /proc
/// is the machine's, as a live host's is. Unmounted and stopped when dropped.
struct PleskLike {
    host: QmailHost,
    _proc: ProcMounted,
}

impl Drop for PleskLike {
    fn drop(&mut self) {
        let _ = self.host.chroot(&["/etc/init.d/qmail", "stop"]);
    }
}

fn plesk_like(suite: &'static Suite) -> PleskLike {
    let host = QmailHost::new(suite);
    let init = host.path("/etc/init.d/qmail");
    fs::create_dir_all(init.parent().unwrap()).unwrap();
    fs::write(&init, INIT_SCRIPT).unwrap();
    fs::set_permissions(&init, fs::Permissions::from_mode(0o755)).unwrap();
    let proc_dir = host.path("/proc");
    fs::create_dir_all(&proc_dir).unwrap();
    let status = Command::new("mount")
        .args(["--bind", "/proc"])
        .arg(&proc_dir)
        .status()
        .unwrap();
    assert!(status.success());
    let proc_mounted = ProcMounted(proc_dir);
    let (code, _, stderr) = host.chroot(&["/etc/init.d/qmail", "start"]);
    assert_eq!(code, 0, "{stderr}");
    wait("qmail-send to start", || qmail_send(&host).len() == 1);
    PleskLike {
        host,
        _proc: proc_mounted,
    }
}

/// The site's form (2 messages from `shop`) and one of bob's own, preprocessed.
fn fill_queue(host: &QmailHost) {
    let shop = host.add_user("shop", 10001);
    let form = host.user_file(&shop, "site/contact.php", FORM);
    host.php(&shop, &form);
    let bob = host.add_user("bob", 10002);
    host.sendmail(
        &bob,
        &["-t"],
        "To: friend@remote.example\nSubject: Hello\n\nHi.\n",
    );
    wait("qmail-send to preprocess the three messages", || {
        host.qstat() == (3, 0) && host.qread().len() == 3
    });
}

fn qmail_purge(suite: &'static Suite) {
    let plesk = plesk_like(suite);
    let host = &plesk.host;
    fill_queue(host);
    let before = listed(host);
    let bytes = queue_bytes(host);
    let pid = qmail_send(host);

    // The dry run names the form's two messages and stops nothing.
    let (code, plan, out) = run_json(host, PURGE, &["apply", "purge-form", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    let q = &plan["steps"][0]["queue"][0];
    assert_eq!(
        (q["mta"].as_str(), q["count"].as_u64()),
        (Some("qmail"), Some(2)),
        "{q:#}"
    );
    assert_eq!(qmail_send(host), pid, "the dry run left qmail-send alone");
    assert_eq!(queue_bytes(host), bytes);

    let (code, applied, out) = run_json(host, PURGE, &["apply", "purge-form", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(applied["steps"][0]["queue"][0]["done"], 2, "{applied:#}");
    wait("qmail-send to run again", || qmail_send(host).len() == 1);
    assert_ne!(qmail_send(host), pid, "it was stopped and started again");
    let left = listed(host);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].1.contains(&"friend@remote.example".to_string()));
    assert_eq!(host.qstat().0, 1);

    let (code, again, out) = run_json(host, PURGE, &["apply", "purge-form", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(again["changes"], false, "{again:#}");

    let (code, stdout, stderr) = host.fs.runbook(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    wait("qmail-send to run again", || qmail_send(host).len() == 1);
    assert_eq!(listed(host), before);
    assert_eq!(host.qstat(), (3, 0));
    // Same filesystem: every file back under its own name, with its own bytes.
    assert_eq!(queue_bytes(host), bytes);

    // A later step fails: the purge is undone and qmail-send runs again.
    let failing = crate::real_queue::then_failing(PURGE);
    let (code, plan, out) = run_json(host, &failing, &["apply", "purge-form", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert_eq!(plan["steps"][0]["outcome"], "undone", "{plan:#}");
    wait("qmail-send to run again", || qmail_send(host).len() == 1);
    assert_eq!(listed(host), before);

    // A retry wakes qmail-send (ALRM): it tries every queued message again at once.
    let tried = || host.log().matches("starting delivery").count();
    let attempts = tried();
    let retry = "id: retry-all\ntitle: Retry\nsteps:\n  - { id: retry, title: Retry, queue_retry: { all: true } }\n";
    let (code, stdout, stderr) = host.fs.runbook_with(
        "retry-all",
        retry,
        &["apply", "retry-all", "--yes", "--output", "json"],
    );
    let out = format!("{stdout}\n{stderr}");
    let plan: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        plan["steps"][0]["commands"],
        serde_json::json!([["pkill", "-ALRM", "-x", "qmail-send"]])
    );
    wait("qmail-send to try the three messages again", || {
        tried() >= attempts + 3
    });

    // Killed after the first message moved, qmail-send stopped: rollback requeues it
    // and starts qmail-send again.
    let runbooks = host.path("/tmp/runbooks");
    let out = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["apply", "purge-form", "--yes", "--root"])
        .arg(host.root())
        .env("RUNBOOK_PATH", &runbooks)
        .env("RUNBOOK_TEST_HOOK", "after-message=kill")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), None, "killed: {out:?}");
    assert!(
        qmail_send(host).is_empty(),
        "the kill left qmail-send stopped"
    );
    let (code, stdout, stderr) = host.fs.runbook(&["rollback", "--last", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("start qmail-send again with `/etc/init.d/qmail start`"),
        "{stdout}"
    );
    let (code, stdout, stderr) = host.fs.runbook(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    wait("qmail-send to run again", || qmail_send(host).len() == 1);
    assert_eq!(listed(host), before);

    let (code, _, stderr) = host.chroot(&["/etc/init.d/qmail", "stop"]);
    assert_eq!(code, 0, "{stderr}");
    wait("qmail-send to stop", || qmail_send(host).is_empty());
}
