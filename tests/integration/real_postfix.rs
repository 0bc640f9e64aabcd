//! `postfix_set` against real postfix, on each Debian suite (Debian 12: postfix 3.7,
//! Debian 13: postfix 3.10; RUNBOOK_POSTFIX_ROOTFS_<SUITE>, made by `scripts/make-rootfs`
//! from scripts/rootfs-packages): an open relay closed in the main.cf Debian installs,
//! read back by the real `postconf`, checked by `postfix check`, a running postfix
//! reloaded, and rolled back byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::rootfs::{RootFs, Suite};

mod bookworm {
    #[test]
    #[cfg_attr(
        no_postfix_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_POSTFIX_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn relay_is_closed_checked_reloaded_and_restored() {
        super::relay_is_closed_checked_reloaded_and_restored(&crate::rootfs::BOOKWORM);
    }

    #[test]
    #[cfg_attr(
        no_postfix_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_POSTFIX_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn a_failure_midway_restores_main_cf() {
        super::a_failure_midway_restores_main_cf(&crate::rootfs::BOOKWORM);
    }
}

mod trixie {
    #[test]
    #[cfg_attr(
        no_postfix_rootfs_trixie,
        ignore = "needs root and RUNBOOK_POSTFIX_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn relay_is_closed_checked_reloaded_and_restored() {
        super::relay_is_closed_checked_reloaded_and_restored(&crate::rootfs::TRIXIE);
    }

    #[test]
    #[cfg_attr(
        no_postfix_rootfs_trixie,
        ignore = "needs root and RUNBOOK_POSTFIX_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn a_failure_midway_restores_main_cf() {
        super::a_failure_midway_restores_main_cf(&crate::rootfs::TRIXIE);
    }
}

const MAIN_CF: &str = "/etc/postfix/main.cf";
/// postfix logs here: the root has no syslog.
const LOG: &str = "/var/log/postfix.log";

/// The two steps of the issue's contract, as ops write them, and the reload.
const STEPS: &str = r#"  - { id: relay, title: Only local clients relay, postfix_set: { param: mynetworks, value: "127.0.0.0/8 [::1]/128" }, notify: [reload-postfix] }
  - { id: dest, title: Refuse relaying, postfix_set: { param: smtpd_relay_restrictions, add: reject_unauth_destination }, notify: [reload-postfix] }
"#;
const HANDLERS: &str = "handlers:\n  reload-postfix:\n    title: Reload postfix so it reads main.cf\n    service_reload: { service: postfix }\n";

/// Debian's values, the same on both suites, and what the steps make of them.
const MYNETWORKS: (&str, &str) = (
    "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
    "127.0.0.0/8 [::1]/128",
);
const RELAY: (&str, &str) = (
    "permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
    "permit_mynetworks permit_sasl_authenticated defer_unauth_destination reject_unauth_destination",
);

/// A runbook file of `steps` and the handler, outside the root.
fn runbook_file(dir: &Path, id: &str, steps: &str) -> PathBuf {
    let path = dir.join(format!("{id}.yaml"));
    let text = format!(
        "# yaml-language-server: $schema=../schemas/runbook.schema.json\nid: {id}\ntitle: Close an open relay\nsteps:\n{steps}{HANDLERS}"
    );
    fs::write(&path, text).unwrap();
    path
}

/// `runbook --runbooks FILE ARGS --output json --root ROOT`: exit code and the JSON.
fn runbook_json(host: &RootFs, file: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["--runbooks", file.to_str().unwrap()];
    all.extend(args);
    all.extend(["--output", "json"]);
    let (code, stdout, stderr) = host.runbook(&all);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (code, json)
}

/// What the real postfix reads for `param`.
fn postconf(host: &RootFs, param: &str) -> String {
    let (code, stdout, stderr) = host.chroot(&["postconf", "-h", param]);
    assert_eq!(code, 0, "postconf -h {param}: {stderr}");
    stdout.trim_end_matches('\n').to_string()
}

/// Every file under `dir` of the root (symlinks as their targets' names), by path.
fn snapshot(host: &RootFs, dir: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(path: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let meta = fs::symlink_metadata(path).unwrap();
        if meta.is_dir() {
            for entry in fs::read_dir(path).unwrap() {
                walk(&entry.unwrap().path(), out);
            }
        } else if meta.file_type().is_symlink() {
            let target = fs::read_link(path).unwrap();
            out.insert(path.into(), target.into_os_string().into_encoded_bytes());
        } else {
            out.insert(path.into(), fs::read(path).unwrap());
        }
    }
    let mut out = BTreeMap::new();
    walk(&host.path(dir), &mut out);
    out
}

/// The changed lines of a unified diff (`-old`, `+new`), without its headers.
fn changed_lines(diff: &serde_json::Value) -> Vec<&str> {
    diff.as_str()
        .unwrap()
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect()
}

/// postfix started in the root, in a network namespace of its own (its listeners
/// touch no port of this machine); stopped when dropped, even when the test fails.
struct Running<'a>(&'a RootFs);

impl<'a> Running<'a> {
    fn start(host: &'a RootFs) -> Running<'a> {
        let root = host.root.to_str().unwrap();
        let out = Command::new("unshare")
            .args([
                "--net",
                "sh",
                "-c",
                "ip link set lo up && exec chroot \"$1\" postfix start",
                "sh",
                root,
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "postfix start in {root}: {stderr}");
        let running = Running(host);
        assert_eq!(host.chroot(&["postfix", "status"]).0, 0, "postfix runs");
        running
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let _ = self.0.chroot(&["postfix", "stop"]);
    }
}

/// How often the running master logged a reload of its configuration.
fn reloads(host: &RootFs) -> usize {
    let log = fs::read_to_string(host.path(LOG)).unwrap_or_default();
    log.lines()
        .filter(|l| l.contains(" postfix/master[") && l.contains(": reload -- version "))
        .count()
}

fn relay_is_closed_checked_reloaded_and_restored(suite: &Suite) {
    let host = RootFs::copy("postfix", suite);
    let version = postconf(&host, "mail_version");
    assert!(version.starts_with(suite.postfix), "postfix {version}");
    // The log of the running postfix shows its reloads (set before the snapshot).
    let (code, _, stderr) = host.chroot(&["postconf", "-e", &format!("maillog_file = {LOG}")]);
    assert_eq!(code, 0, "{stderr}");
    let _running = Running::start(&host);
    let original = fs::read(host.path(MAIN_CF)).unwrap();
    let original_text = String::from_utf8(original.clone()).unwrap();
    assert_eq!(postconf(&host, "mynetworks"), MYNETWORKS.0);
    assert_eq!(postconf(&host, "smtpd_relay_restrictions"), RELAY.0);
    let dir = tempfile::tempdir().unwrap();
    let file = runbook_file(dir.path(), "postfix-close-relay", STEPS);

    // The dry run shows both edits and changes no byte.
    let before = snapshot(&host, "/etc/postfix");
    let (code, plan) = runbook_json(&host, &file, &["apply", "postfix-close-relay", "--dry-run"]);
    assert_eq!(code, 0, "{plan:#}");
    assert_eq!(snapshot(&host, "/etc/postfix"), before);
    assert_eq!(plan["changes"], true);
    let steps = &plan["steps"];
    assert_eq!(
        (&steps[0]["kind"], &steps[1]["kind"]),
        (&"postfix_set".into(), &"postfix_set".into())
    );
    assert_eq!(steps[0]["diffs"][0]["file"], MAIN_CF);
    assert_eq!(
        changed_lines(&steps[0]["diffs"][0]["diff"]),
        [
            format!("-mynetworks = {}", MYNETWORKS.0),
            format!("+mynetworks = {}", MYNETWORKS.1)
        ]
    );
    assert_eq!(
        changed_lines(&steps[1]["diffs"][0]["diff"]),
        [
            format!("-smtpd_relay_restrictions = {}", RELAY.0),
            format!("+smtpd_relay_restrictions = {}", RELAY.1)
        ]
    );
    assert_eq!(plan["handlers"][0]["fires"], true);
    assert_eq!(
        plan["handlers"][0]["test"],
        serde_json::json!(["postfix", "check"])
    );

    // Apply: exactly the two lines change, postfix reads the new values, its check
    // passes, and the running postfix was reloaded.
    let (code, out) = runbook_json(&host, &file, &["apply", "postfix-close-relay", "--yes"]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["outcome"], "applied");
    assert_eq!(out["handlers"][0]["outcome"], "reloaded", "{out:#}");
    let expected = original_text
        .replacen(
            &format!("\nmynetworks = {}\n", MYNETWORKS.0),
            &format!("\nmynetworks = {}\n", MYNETWORKS.1),
            1,
        )
        .replacen(
            &format!("\nsmtpd_relay_restrictions = {}\n", RELAY.0),
            &format!("\nsmtpd_relay_restrictions = {}\n", RELAY.1),
            1,
        );
    assert_ne!(expected, original_text);
    assert_eq!(host.read(MAIN_CF), expected);
    assert_eq!(postconf(&host, "mynetworks"), MYNETWORKS.1);
    assert_eq!(postconf(&host, "smtpd_relay_restrictions"), RELAY.1);
    let (code, _, stderr) = host.chroot(&["postfix", "check"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(reloads(&host), 1);

    // A second apply finds nothing to do, and reloads nothing.
    let (code, again) = runbook_json(&host, &file, &["apply", "postfix-close-relay", "--yes"]);
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(again["changes"], false);
    assert_eq!(again["steps"][0]["diffs"], serde_json::json!([]));
    assert_eq!(again["steps"][1]["diffs"], serde_json::json!([]));
    assert_eq!(host.read(MAIN_CF), expected);
    assert_eq!(reloads(&host), 1);

    // Rollback: main.cf byte for byte, postfix reloaded onto the old values.
    let (code, stdout, stderr) = host.runbook(&["rollback", "--last", "--yes", "--output", "json"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let back: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(back["restored"], serde_json::json!([MAIN_CF]));
    assert_eq!(back["reloaded"], serde_json::json!(["postfix"]));
    assert_eq!(fs::read(host.path(MAIN_CF)).unwrap(), original);
    assert_eq!(snapshot(&host, "/etc/postfix"), before);
    assert_eq!(postconf(&host, "mynetworks"), MYNETWORKS.0);
    assert_eq!(reloads(&host), 2);
}

fn a_failure_midway_restores_main_cf(suite: &Suite) {
    let host = RootFs::copy("postfix", suite);
    let original = fs::read(host.path(MAIN_CF)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let steps = format!(
        "{STEPS}  - {{ id: boom, title: Fail, run: {{ argv: [/bin/false], mutating: true }} }}\n"
    );
    let file = runbook_file(dir.path(), "postfix-fails", &steps);
    let (code, out) = runbook_json(&host, &file, &["apply", "postfix-fails", "--yes"]);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(out["outcome"], "failed");
    let outcomes: Vec<&str> = (0..3)
        .map(|i| out["steps"][i]["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["undone", "undone", "failed"]);
    assert_eq!(out["handlers"][0]["outcome"], "not-run");
    assert_eq!(fs::read(host.path(MAIN_CF)).unwrap(), original);
    assert_eq!(postconf(&host, "mynetworks"), MYNETWORKS.0);
    assert_eq!(postconf(&host, "smtpd_relay_restrictions"), RELAY.0);
}
