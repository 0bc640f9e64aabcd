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

/// Runbook `ID` puts `LINE` into `FILE`; with `marker`, also touches /tmp/ID (undo: rm).
fn line_runbook(id: &str, file: &str, line: &str, marker: bool) -> String {
    let mut yaml = format!(
        r#"# yaml-language-server: $schema=x
id: {id}
title: Put {line} into {file}
steps:
  - id: put
    title: Add the line
    line: {{ file: {file}, line: "{line}" }}
"#
    );
    if marker {
        yaml.push_str(&format!(
            "  - id: marker\n    title: Leave a marker\n    run: {{ argv: [/bin/busybox, touch, /tmp/{id}], mutating: true, undo: [/bin/busybox, rm, /tmp/{id}] }}\n"
        ));
    }
    yaml
}

fn run_ids(test: &Test) -> Vec<String> {
    let json = test.run_args(&["history", "--output", "json"]).json();
    json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn point_1_rollback_last_steps_back_through_the_runs_still_applied() {
    let test = Test::new()
        .file("/etc/a.conf", "a=0\n")
        .file("/etc/b.conf", "b=0\n")
        .runbook(&line_runbook("put-a", "/etc/a.conf", "a=1", false))
        .runbook(&line_runbook("put-b", "/etc/b.conf", "b=1", false));
    let before = test.host_only();
    assert_eq!(test.run_args(&["apply", "put-a", "--yes"]).code, 0);
    assert_eq!(test.run_args(&["apply", "put-b", "--yes"]).code, 0);
    let ids = run_ids(&test);
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            0,
            format!(
                "Rolled back run {} (put-b).\n  restored /etc/b.conf\n",
                ids[1]
            )
            .as_str()
        ),
        "{}",
        out.stderr
    );
    // The newest run is rolled back now: --last goes on to the one before it.
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            0,
            format!(
                "Rolled back run {} (put-a).\n  restored /etc/a.conf\n",
                ids[0]
            )
            .as_str()
        ),
        "{}",
        out.stderr
    );
    assert_unchanged_host(&test, &before);
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: no run that changed something is still applied in [ROOT]/var/lib/runbook (each was \
         rolled back, or undid its changes when it failed); see `runbook history`\n"
    );
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn point_1_rollback_last_passes_over_a_run_that_failed_and_undid_itself() {
    let test = chroot_host()
        .file("/etc/a.conf", "a=0\n")
        .runbook(&line_runbook("put-a", "/etc/a.conf", "a=1", false))
        .runbook(FAILING)
        .env("RUNBOOK_PARAM_PASSWORD", "x");
    assert_eq!(test.run_args(&["apply", "put-a", "--yes"]).code, 0);
    assert_eq!(test.run_args(&["apply", "fails", "--yes"]).code, 1);
    let ids = run_ids(&test);
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "Rolled back run {} (put-a).\n  restored /etc/a.conf\n",
            ids[0]
        )
    );
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn point_1_rollback_dry_run_shows_diffs_and_undo_commands_and_changes_no_byte() {
    let test = chroot_host()
        .file("/etc/a.conf", "a=0\n")
        .runbook(&line_runbook("put-a", "/etc/a.conf", "a=1", true));
    assert_eq!(test.run_args(&["apply", "put-a", "--yes"]).code, 0);
    let id = run_ids(&test).remove(0);
    // Everything, the state dir's journal, records, backups and lock included.
    let before = test.snapshot();
    let out = test.run_args(&["rollback", "--last", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "Rollback of run {id} (put-a) would, newest first:\n  restore /etc/a.conf\n      \
             --- a/etc/a.conf\n      +++ b/etc/a.conf\n      @@ -1,2 +1 @@\n       a=0\n      -a=1\n  \
             run /bin/busybox rm /tmp/put-a\nDry run: nothing was changed.\n"
        )
    );
    let json = test
        .run_args(&["rollback", &id, "--dry-run", "--output", "json"])
        .json();
    assert_eq!(json["run_id"], id.as_str());
    assert_eq!(json["mode"], "dry-run");
    assert_eq!(json["restores"][0]["file"], "/etc/a.conf");
    assert_eq!(
        json["commands"],
        serde_json::json!([["/bin/busybox", "rm", "/tmp/put-a"]])
    );
    let after = test.snapshot();
    let changes = before.changes(&after);
    assert!(
        changes.is_empty(),
        "the dry run changed:\n{}",
        changes.join("\n")
    );
    // And the real rollback still does it all.
    assert_eq!(test.run_args(&["rollback", "--last", "--yes"]).code, 0);
    assert_eq!(test.read("/etc/a.conf"), "a=0\n");
    assert!(!test.path("/tmp/put-a").exists());
}

#[test]
fn point_1_a_refusal_because_a_later_run_touched_the_file_names_that_run() {
    let test = Test::new()
        .file("/etc/a.conf", "a=0\n")
        .runbook(&line_runbook("put-a", "/etc/a.conf", "a=1", false))
        .runbook(&line_runbook("put-a-again", "/etc/a.conf", "a=2", false));
    assert_eq!(test.run_args(&["apply", "put-a", "--yes"]).code, 0);
    assert_eq!(test.run_args(&["apply", "put-a-again", "--yes"]).code, 0);
    let ids = run_ids(&test);
    let before = test.snapshot();
    let host_before = test.host_only();
    for dry in [true, false] {
        let mut args = vec!["rollback", ids[0].as_str(), "--yes"];
        if dry {
            args.push("--dry-run");
        }
        let out = test.run_args(&args);
        assert_eq!(out.code, 1);
        assert_eq!(
            out.stderr,
            format!(
                "error: a later run, {later} (put-a-again), also changed /etc/a.conf: roll that run \
                 back first (`runbook rollback {later}`), or use --force to restore this run's \
                 backups anyway\n",
                later = ids[1]
            )
        );
        if dry {
            // Not a byte anywhere, the state dir included.
            assert!(before.changes(&test.snapshot()).is_empty());
        }
    }
    // The refused rollback took the lock (its file names the holder), and nothing else.
    assert_unchanged_host(&test, &host_before);
    let history = test.run_args(&["history", "--output", "json"]).json();
    assert_eq!(history["runs"][0]["outcome"], "applied");
    assert_eq!(history["runs"][1]["outcome"], "applied");
}

#[test]
fn point_6_history_and_rollback_take_the_host_flags_apply_used_and_history_is_a_table() {
    let test = Test::new()
        .file("/etc/a.conf", "a=0\n")
        .runbook(&line_runbook("put-a", "/etc/a.conf", "a=1", false));
    let state = test.root().parent().unwrap().join("state");
    let state = state.display().to_string();
    let out = test.run_args(&["apply", "put-a", "--yes", "--state-dir", &state]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let history = test
        .run_args(&["history", "--state-dir", &state, "--output", "json"])
        .json();
    let run = &history["runs"][0];
    let id = run["id"].as_str().unwrap();
    // The suggestion names the state dir resolved, so it works from anywhere.
    assert_contains!(
        out.stdout,
        format!("\nUndo with: runbook rollback {id} --root [ROOT] --state-dir [TMP]/state\n")
    );
    // Without --state-dir, history looks in the root's own state dir: nothing there.
    assert_eq!(
        test.run_args(&["history"]).stdout,
        "No runs yet in [ROOT]/var/lib/runbook.\n"
    );
    let started: jiff::Timestamp = run["started"].as_str().unwrap().parse().unwrap();
    let started = started.strftime("%Y-%m-%d %H:%M:%S").to_string();
    let out = test.run_args(&["history", "--state-dir", &state]);
    assert_eq!(
        out.stdout,
        format!(
            "RUN                    RUNBOOK  STARTED (UTC)        OUTCOME  CHANGES\n\
             {id}  put-a    {started}  applied  1 file(s), 0 command(s)\n    /etc/a.conf\n"
        )
    );
    let out = test.run_args(&["rollback", id, "--yes", "--state-dir", &state]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(test.read("/etc/a.conf"), "a=0\n");
    let out = test.run_args(&["history", "--state-dir", &state]);
    assert_contains!(
        out.stdout,
        format!("{id}  put-a    {started}  rolled-back  ")
    );

    let out = test.run_args(&["history", "--root", "/nonexistent"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, "", "error: --root /nonexistent is not a directory\n")
    );
    let out = test.run_args(&["rollback", "--last", "--root", "/nonexistent"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "error: --root /nonexistent is not a directory\n")
    );
}

#[test]
fn point_5_a_php_ini_param_must_name_a_php_ini_the_facts_found() {
    let test = Test::example("debian-apache-modphp");
    let before = test.snapshot();
    for runbook in ["php-disable-mail", "php-enable-x-header"] {
        let out = test.run_args(&["apply", runbook, "-p", "ini=/etc/passwd", "--yes"]);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (
                1,
                "",
                "error: param `ini`: `/etc/passwd` is not one of php.ini_files[].path on this host \
                 (known: /etc/php/8.2/apache2/php.ini, /etc/php/8.2/cli/php.ini)\n"
            ),
            "{runbook}"
        );
        let json = test
            .run_args(&[
                "apply",
                runbook,
                "-p",
                "ini=/etc/passwd",
                "--output",
                "json",
            ])
            .json();
        assert_eq!(json["error"]["kind"], "invalid-param");
    }
    assert!(before.changes(&test.snapshot()).is_empty());
    // A php.ini that was found is taken; the default (empty: all of them) too.
    let out = test.run_args(&[
        "apply",
        "php-disable-mail",
        "-p",
        "ini=/etc/php/8.2/apache2/php.ini",
        "--dry-run",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_contains!(out.stdout, "+++ b/etc/php/8.2/apache2/php.ini");
    assert_eq!(
        test.run_args(&["apply", "php-disable-mail", "--dry-run"])
            .code,
        0
    );
}

#[test]
fn point_5_lint_refuses_a_one_of_naming_an_unknown_fact_or_field() {
    let test = Test::new().runbook(
        r#"# yaml-language-server: $schema=x
id: bad-one-of
title: Bad one_of
params:
  a: { type: path, default: "", one_of: "php.ini_filez[].path" }
  b: { type: path, default: "", one_of: "php.ini_files[].paht" }
  c: { type: path, default: "", one_of: php.mail_disabled }
  d: { type: path, default: "", one_of: "php.ini_files[].path" }
steps:
  - id: s
    title: S
    manual: { text: hi }
"#,
    );
    let dir = test.runbooks_dir().display().to_string();
    let out = test.run_args(&["lint", &dir, "--output", "json"]);
    let messages: Vec<String> = out.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["code"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            "RB021 unknown fact `php.ini_filez`",
            "RB021 the items of `php.ini_files` have no field `paht` (they have: path, sapi, version, layout, user, add_x_header, mail_disabled, disable_functions, sendmail_path, scan_dir, scanned, set_in, error)",
            "RB021 fact `php.mail_disabled` is not a list",
        ]
    );
}

/// An executable script in the host root.
fn script(test: &Test, host_path: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = test.path(host_path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

const MAIL_OFF: &str = "PHP's mail() is now disabled";

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn point_4_mail_is_said_to_be_disabled_only_when_it_is() {
    // A php.ini changed, and the change stayed: the item is there.
    let test = chroot_host();
    script(&test, "/usr/sbin/apache2ctl", "exit 0");
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_contains!(
        out.stdout,
        "  = tell-customer [manual] unchanged\n      Tell the site owners that PHP mail is off\n      \
         why: step web-ini changes something\n      [ ] by hand: PHP's mail() is now disabled"
    );

    // The change was undone (Apache's config test failed): no such item, the step undone.
    let test = chroot_host();
    script(
        &test,
        "/usr/sbin/apache2ctl",
        "echo \"AH00526: Syntax error on line 7\" >&2; exit 1",
    );
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(!out.stdout.contains(MAIL_OFF), "{}", out.stdout);
    assert_contains!(
        out.stdout,
        "  < tell-customer [manual] undone\n      Tell the site owners that PHP mail is off\n      \
         why: step web-ini changes something\n\n"
    );
    let test = chroot_host();
    script(&test, "/usr/sbin/apache2ctl", "exit 1");
    let json = test
        .run_args(&["apply", "php-disable-mail", "--yes", "--output", "json"])
        .json();
    let step = &json["steps"][3];
    assert_eq!(step["id"], "tell-customer");
    assert_eq!(step["outcome"], "undone");
    assert_eq!(
        step["depends_on"],
        serde_json::json!(["given-ini", "web-ini", "fpm-ini"])
    );
    assert!(step.get("manual").is_none(), "{step}");
    assert_eq!(json["changes"], false);

    // No php.ini found: nothing to tell.
    let test = Test::new();
    let out = test.run_args(&["apply", "php-disable-mail", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains(MAIL_OFF), "{}", out.stdout);
    assert_contains!(out.stdout, "  - tell-customer [manual] not chosen\n");
}

#[test]
fn point_4_lint_refuses_changed_naming_an_unknown_or_later_step() {
    let test = Test::new().runbook(
        r#"# yaml-language-server: $schema=x
id: bad-changed
title: Bad changed
steps:
  - id: first
    title: First
    when: { changed: second }
    manual: { text: one }
  - id: second
    title: Second
    when: { any: [ { changed: first }, { changed: frist-typo } ] }
    manual: { text: two }
"#,
    );
    let dir = test.runbooks_dir().display().to_string();
    let out = test.run_args(&["lint", &dir, "--output", "json"]);
    let messages: Vec<String> = out.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}:{} {}",
                d["code"].as_str().unwrap(),
                d["line"],
                d["column"],
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            "RB028 7:22 step `second` does not come before this one: `changed` names an earlier step",
            "RB028 11:51 step `frist-typo` is not defined in `steps` before this one",
        ]
    );
}

const STOPS_EARLY: &str = r#"# yaml-language-server: $schema=x
id: stops-early
title: A script whose middle line fails
steps:
  - id: script
    title: Fail in the middle, then succeed
    shell:
      script: |
        echo before
        sed-that-is-missing -i s/a/b/ /tmp/x
        echo after > /tmp/after
      mutating: true
"#;

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn point_2_a_shell_script_stops_at_its_first_failing_command() {
    let test = chroot_host().runbook(STOPS_EARLY);
    let out = test.run_args(&["apply", "stops-early", "--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "  ! script [shell] failed\n");
    assert_contains!(
        out.stdout,
        "output (exit status 127):\n        stdout| before\n"
    );
    assert!(
        !test.path("/tmp/after").exists(),
        "the line after the failing one ran"
    );
}
