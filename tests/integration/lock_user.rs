//! `lock_user` (issue "Remediation on live mail servers"): the plan from the host's
//! account files, refusals of root and system users; the real `usermod` and `chage`
//! are in tests/integration/real_accounts.rs.

use crate::assert_contains;
use crate::support::Test;

const RUNBOOK: &str = r#"# yaml-language-server: $schema=x
id: lock
title: Lock a hacked user
params:
  user: { type: string, description: The user }
steps:
  - { id: lock, title: "Lock {{params.user}}'s password", lock_user: { user: "{{params.user}}" } }
"#;

fn host(shadow_bob: &str) -> Test {
    Test::new()
        .runbook(RUNBOOK)
        .file(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nbob:x:1001:1001::/home/bob:/bin/bash\n",
        )
        .file(
            "/etc/shadow",
            &format!("root:$y$j9T$abc$def:20000:0:99999:7:::\nwww-data:*:20000:0:99999:7:::\n{shadow_bob}\n"),
        )
        .file("/etc/login.defs", "UID_MIN\t\t\t 1000\n")
        .file("/usr/sbin/usermod", "")
        .mode("/usr/sbin/usermod", 0o755)
        .file("/usr/sbin/chage", "")
        .mode("/usr/sbin/chage", 0o755)
}

#[test]
fn lock_user_plans_the_lock_and_the_expiry_with_their_undo() {
    let test = host("bob:$y$j9T$secrethash:20400:0:99999:7:::");
    let out = test.run_args(&["apply", "lock", "-p", "user=bob", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_contains!(
        out.stdout,
        "would run: usermod -L bob\n      would run: chage -d 0 bob\n"
    );
    assert!(!out.stdout.contains("secrethash"), "{}", out.stdout);
    let plan = test
        .run_args(&[
            "apply",
            "lock",
            "-p",
            "user=bob",
            "--dry-run",
            "--output",
            "json",
        ])
        .json();
    assert_eq!(plan["steps"][0]["kind"], "lock_user");
    assert_eq!(plan["changes"], true);
}

#[test]
fn lock_user_of_a_locked_and_expired_password_changes_nothing() {
    let test = host("bob:!$y$j9T$secrethash:0:0:99999:7:::");
    let out = test.run_args(&[
        "apply",
        "lock",
        "-p",
        "user=bob",
        "--dry-run",
        "--output",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    assert_eq!(plan["changes"], false);
    assert_eq!(plan["steps"][0]["commands"], serde_json::json!([]));
}

#[test]
fn lock_user_refuses_root_and_system_users() {
    let test = host("bob:x:20400:0:99999:7:::");
    let root = test.run_args(&["apply", "lock", "-p", "user=root", "--dry-run"]);
    assert_eq!(root.code, 1);
    assert_contains!(root.stderr, "refusing to lock `root`: it is root (uid 0)");
    let daemon = test.run_args(&["apply", "lock", "-p", "user=www-data", "--dry-run"]);
    assert_eq!(daemon.code, 1);
    assert_contains!(
        daemon.stderr,
        "refusing to lock `www-data`: uid 33 is a system account (below UID_MIN 1000 of /etc/login.defs)"
    );
}
