//! The agent's experience of runs (issue 13): what a command printed, steps undone after
//! a failure, manual items that state a result, params that must name a found php.ini,
//! `rollback --last` and `--dry-run`, `history` and the host flags. The tests that run
//! commands chroot into the host root, which needs root and a static busybox.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::assert_contains;
use crate::support::{PHP_INI, Test, is_root};

const INI: &str = "/etc/php/8.2/apache2/php.ini";
const BUSYBOX: &str = "/bin/busybox";

/// A host root with a php.ini and busybox as /bin/sh.
fn chroot_host() -> Test {
    assert!(
        is_root() && Path::new(BUSYBOX).is_file(),
        "needs root and {BUSYBOX} (busybox-static); rebuild so the test is ignored instead"
    );
    let test = Test::new().file(INI, PHP_INI);
    fs::create_dir_all(test.path("/bin")).unwrap();
    fs::create_dir_all(test.path("/tmp")).unwrap();
    fs::copy(BUSYBOX, test.path(BUSYBOX)).unwrap();
    symlink("busybox", test.path("/bin/sh")).unwrap();
    test
}

/// The journal lines of the only run.
fn journal(test: &Test) -> String {
    let runs = test.path("/var/lib/runbook/runs");
    let run = fs::read_dir(&runs).unwrap().next().unwrap().unwrap().path();
    fs::read_to_string(run.join("journal.jsonl")).unwrap()
}

const FAILING: &str = r#"# yaml-language-server: $schema=x
id: fails
title: Edit php.ini, then run a script that prints and fails
params:
  password: { type: secret, description: A secret the script prints }
steps:
  - id: edit
    title: Turn on the X-PHP header
    ini_set: { file: /etc/php/8.2/apache2/php.ini, key: mail.add_x_header, value: "On" }
  - id: script
    title: Print a lot, a control character and the secret, then fail
    shell:
      script: |
        i=1; while [ $i -le 25 ]; do echo "line $i"; i=$((i+1)); done
        printf 'bell\a and %s\n' "$PW" >&2
        sed-that-is-missing -i s/a/b/ /tmp/x
      env: { PW: "{{params.password}}" }
      mutating: true
"#;

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn point_2_a_failing_command_shows_its_output_tail_journals_it_redacted_and_fails_the_step() {
    let test = chroot_host()
        .runbook(FAILING)
        .env("RUNBOOK_PARAM_PASSWORD", "hunter2-s3cret");
    let before = test.host_only();
    let out = test.run_args(&["apply", "fails", "--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let tail: String = (6..=25)
        .map(|i| format!("        stdout| line {i}\n"))
        .collect();
    assert_contains!(
        out.stdout,
        "  ! script [shell] failed\n      Print a lot, a control character and the secret, then fail\n"
    );
    assert_contains!(
        out.stdout,
        format!(
            "(with env PW)\n      output (exit status 127):\n        stdout| [5 earlier lines not kept]\n{tail}        \
             stderr| bell\\x07 and ********\n        stderr| /bin/sh: sed-that-is-missing: not found\n"
        )
    );
    assert!(!out.stdout.contains("hunter2"), "{}", out.stdout);
    assert_unchanged_host(&test, &before);

    let json = test.run_args(&["history", "--output", "json"]).json();
    assert_eq!(json["runs"][0]["outcome"], "failed");
    let journal = journal(&test);
    assert!(!journal.contains("hunter2"), "{journal}");
    assert_contains!(
        journal,
        r#""status":127,"stdout":"[5 earlier lines not kept]\nline 6\n"#
    );
    assert_contains!(
        journal,
        r#""stderr":"bell\u0007 and ********\n/bin/sh: sed-that-is-missing: not found"}"#
    );

    // JSON: the same tail, exact (no escaping), under steps[].output.
    let test = chroot_host()
        .runbook(FAILING)
        .env("RUNBOOK_PARAM_PASSWORD", "hunter2-s3cret");
    let out = test.run_args(&["apply", "fails", "--yes", "--output", "json"]);
    assert_eq!(out.code, 1);
    let json = out.json();
    let output = &json["steps"][1]["output"][0];
    assert_eq!(output["status"], 127);
    assert_eq!(output["command"][0], "/bin/sh");
    assert_eq!(
        output["stderr"],
        "bell\u{7} and ********\n/bin/sh: sed-that-is-missing: not found"
    );
    assert_eq!(json["steps"][1]["outcome"], "failed");
}

fn assert_unchanged_host(test: &Test, before: &crate::support::Snapshot) {
    let after = test.host_only();
    let changes = before.changes(&after);
    assert!(
        changes.is_empty(),
        "the host changed:\n{}",
        changes.join("\n")
    );
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn point_3_a_failed_and_undone_run_shows_its_steps_undone_and_no_changes() {
    let test = chroot_host()
        .runbook(FAILING)
        .env("RUNBOOK_PARAM_PASSWORD", "x");
    let out = test.run_args(&["apply", "fails", "--yes"]);
    assert_eq!(out.code, 1);
    assert_contains!(
        out.stdout,
        "  < edit [ini_set] undone\n      Turn on the X-PHP header\n"
    );
    let run_id = test.run_args(&["history", "--output", "json"]).json()["runs"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_contains!(
        out.stdout,
        format!("\nRun {run_id}: failed; nothing it did is left changed.\n")
    );
    assert_contains!(
        out.stderr,
        "Undid what this run had done, newest first:\n  - restored /etc/php/8.2/apache2/php.ini\n"
    );

    let test = chroot_host()
        .runbook(FAILING)
        .env("RUNBOOK_PARAM_PASSWORD", "x");
    let json = test
        .run_args(&["apply", "fails", "--yes", "--output", "json"])
        .json();
    assert_eq!(json["steps"][0]["outcome"], "undone");
    assert_eq!(json["steps"][1]["outcome"], "failed");
    assert_eq!(json["changes"], false);
    assert_eq!(json["outcome"], "failed");
}
