//! Reviewed plans apply exactly: `apply ID --dry-run --save-plan FILE` saves what the dry
//! run shows, `apply --plan FILE` applies that and nothing else, and refuses (changing
//! nothing, not even creating the state dir) when the host moved on since.

use std::fs;
use std::os::unix::fs::{MetadataExt, chown};
use std::path::PathBuf;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{Output, PHP_INI, Test, is_root};

const INI: &str = "/etc/php/8.2/apache2/php.ini";

fn php_host() -> Test {
    let test = Test::new().file(INI, PHP_INI).mode(INI, 0o640);
    if is_root() {
        chown(test.path(INI), Some(0), Some(33)).unwrap();
    }
    test
}

/// Where the tests save plans: beside the host root, not in it.
fn plan_path(test: &Test) -> PathBuf {
    test.root().with_file_name("plan.json")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn save(test: &Test, id: &str, extra: &[&str]) -> Output {
    let file = plan_path(test).display().to_string();
    let mut args = vec!["apply", id, "--dry-run", "--save-plan", &file];
    args.extend(extra);
    test.run_args(&args)
}

fn apply_plan(test: &Test, extra: &[&str]) -> Output {
    let file = plan_path(test).display().to_string();
    let mut args = vec!["apply", "--plan", &file];
    args.extend(extra);
    test.run_args(&args)
}

fn saved_json(test: &Test) -> Value {
    serde_json::from_str(&fs::read_to_string(plan_path(test)).unwrap()).unwrap()
}

fn no_state_dir(test: &Test) {
    assert!(
        !test.path("/var/lib/runbook").exists(),
        "the state dir was created"
    );
}

#[test]
fn a_saved_plan_applies_like_a_direct_apply_and_rolls_back() {
    let test = php_host();
    let before = test.host_only();
    let saved = save(&test, "php-disable-mail", &["--output", "json"]);
    assert_eq!(saved.code, 0, "{}\n{}", saved.stdout, saved.stderr);
    assert_eq!(
        saved.stderr,
        "Saved the plan to [TMP]/plan.json. Apply exactly it with: \
         runbook apply --plan [TMP]/plan.json --root [ROOT]\n"
    );
    crate::assert_unchanged!(before, test.snapshot());
    no_state_dir(&test);

    // The file: the plan exactly as the dry run showed it, and what applies it.
    // The file as the output shows it, the test's root as [ROOT].
    let file = fs::read_to_string(plan_path(&test)).unwrap();
    let file: Value =
        serde_json::from_str(&file.replace(&test.root().display().to_string(), "[ROOT]")).unwrap();
    let shown = saved.json();
    assert_eq!(file["plan"], shown);
    assert_eq!(file["format"], 1);
    assert_eq!(file["runbook_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(file["runbook"], "php-disable-mail");
    assert_eq!(file["root"], shown["root"]);
    assert_eq!(file["params"], serde_json::json!({ "ini": "" }));
    let steps: Vec<&str> = file["work"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["given-ini", "web-ini", "fpm-ini", "tell-customer"]);
    let write = &file["work"][1]["items"][0];
    assert_eq!(write["type"], "write");
    assert_eq!(write["file"], INI);
    assert_eq!(write["before_sha256"], sha256(PHP_INI.as_bytes()));
    let after = write["after"].as_str().unwrap();
    assert!(after.contains("\ndisable_functions = mail\n"), "{after}");
    let mode = fs::metadata(plan_path(&test)).unwrap().mode();
    assert_eq!(mode & 0o7777, 0o600);

    let applied = apply_plan(&test, &["--yes"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    crate::assert_contains!(applied.stdout, "Undo with: runbook rollback ");
    assert_eq!(test.read(INI), after, "the file is not what the plan said");
    let via_plan = test.host_only();

    let rollback = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(rollback.code, 0, "{}", rollback.stderr);
    crate::assert_contains!(rollback.stdout, &format!("restored {INI}"));
    crate::assert_unchanged!(before, test.host_only());

    let direct = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    crate::assert_unchanged!(via_plan, test.host_only());
    let history = test.run_args(&["history", "--output", "json"]).json();
    let runs: Vec<(&str, &str)> = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["runbook"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [
            ("php-disable-mail", "rolled-back"),
            ("php-disable-mail", "applied")
        ]
    );
}

#[test]
fn a_file_changed_since_the_plan_was_saved_is_refused_and_nothing_changes() {
    let test = php_host();
    assert_eq!(save(&test, "php-disable-mail", &[]).code, 0);
    let edited = format!("{PHP_INI}; edited by hand after the review\n");
    fs::write(test.path(INI), &edited).unwrap();
    let before = test.snapshot();
    let out = apply_plan(&test, &["--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "error: the plan [TMP]/plan.json was not applied, and nothing was changed: the \
             host changed since the plan was saved, so it cannot apply as reviewed:\n  \
             - {INI} changed (SHA-256 {}; the plan read {})\n\
             make the plan again with `runbook apply php-disable-mail --dry-run --root [ROOT]`\n",
            sha256(edited.as_bytes()),
            sha256(PHP_INI.as_bytes())
        )
    );
    assert_eq!(out.stdout, "");
    crate::assert_unchanged!(before, test.snapshot());
    no_state_dir(&test);
}

#[test]
fn a_file_gone_since_the_plan_was_saved_is_refused() {
    let test = php_host();
    assert_eq!(save(&test, "php-disable-mail", &[]).code, 0);
    fs::remove_file(test.path(INI)).unwrap();
    let before = test.snapshot();
    let out = apply_plan(&test, &["--yes"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(
        out.stderr,
        &format!("cannot apply as reviewed:\n  - {INI} does not exist on the host\n")
    );
    crate::assert_unchanged!(before, test.snapshot());
    no_state_dir(&test);
}

#[test]
fn a_plan_saved_for_another_root_is_refused() {
    let test = php_host();
    assert_eq!(save(&test, "php-disable-mail", &[]).code, 0);
    let elsewhere = test.root().with_file_name("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let before = test.snapshot();
    let out = apply_plan(&test, &["--yes", "--root", elsewhere.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: the plan [TMP]/plan.json was not applied, and nothing was changed: it was \
         saved for the host root [ROOT], not [TMP]/elsewhere; apply it with --root [ROOT]\n"
    );
    crate::assert_unchanged!(before, test.snapshot());
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn an_id_must_agree_with_the_saved_plan() {
    let test = php_host();
    assert_eq!(save(&test, "php-disable-mail", &[]).code, 0);
    let file = plan_path(&test).display().to_string();
    let other = test.run_args(&["apply", "php-enable-x-header", "--plan", &file, "--yes"]);
    assert_eq!(other.code, 1);
    assert_eq!(
        other.stderr,
        "error: the plan [TMP]/plan.json was not applied, and nothing was changed: it is a \
         plan of runbook `php-disable-mail`, not `php-enable-x-header`\n"
    );
    no_state_dir(&test);
    let same = test.run_args(&["apply", "php-disable-mail", "--plan", &file, "--yes"]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert!(test.read(INI).contains("\ndisable_functions = mail\n"));
}

#[test]
fn a_broken_or_foreign_plan_file_is_refused_with_its_name() {
    let test = php_host();
    assert_eq!(save(&test, "php-disable-mail", &[]).code, 0);
    let good = saved_json(&test);
    let with = |key: &str, value: Value| {
        let mut v = good.clone();
        v[key] = value;
        serde_json::to_string(&v).unwrap()
    };
    let mut no_after = good.clone();
    no_after["work"][1]["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("after");
    let mut other_steps = good.clone();
    other_steps["work"].as_array_mut().unwrap().pop();
    let version = env!("CARGO_PKG_VERSION");
    let cases = [
        (
            "{\"format\": 1,".to_string(),
            "not a saved plan: not JSON (".to_string(),
        ),
        (
            "[]".into(),
            "not a saved plan: it has no `format` field".into(),
        ),
        (
            with("format", 2.into()),
            "a saved plan of format 2, but this runbook reads format 1 only; make the plan again"
                .into(),
        ),
        (
            with("runbook_version", "0.0.1".into()),
            format!(
                "saved by runbook 0.0.1, but this is runbook {version}, which may plan \
                 differently; make the plan again with this version"
            ),
        ),
        (
            serde_json::to_string(&no_after).unwrap(),
            "not a saved plan of format 1: missing field `after`".into(),
        ),
        (
            serde_json::to_string(&other_steps).unwrap(),
            "not a saved plan of format 1: its header, plan and work do not agree".into(),
        ),
        (
            with("runbook", "php-enable-x-header".into()),
            "not a saved plan of format 1: its header, plan and work do not agree".into(),
        ),
    ];
    let before = test.snapshot();
    for (content, message) in cases {
        fs::write(plan_path(&test), &content).unwrap();
        let out = apply_plan(&test, &["--yes"]);
        assert_eq!(out.code, 1, "{content}");
        crate::assert_contains!(
            out.stderr,
            &format!(
                "error: the plan [TMP]/plan.json was not applied, and nothing was changed: {message}"
            )
        );
        crate::assert_unchanged!(before, test.snapshot());
        no_state_dir(&test);
    }
    fs::remove_file(plan_path(&test)).unwrap();
    let missing = apply_plan(&test, &["--yes"]);
    assert_eq!(missing.code, 1);
    crate::assert_contains!(
        missing.stderr,
        "error: cannot read the plan [TMP]/plan.json: No such file or directory"
    );
}

const SECRET: &str = "hunter2-Zq8vX";

const SECRET_RUNBOOK: &str = r#"# yaml-language-server: $schema=x
id: secret-note
title: A runbook with a secret param
params:
  password: { type: secret }
steps:
  - id: tell
    title: Tell the site owner
    manual: { text: "Give the site owner the new password" }
"#;

#[test]
fn a_plan_with_a_secret_param_set_is_never_saved() {
    let test = Test::new().runbook(SECRET_RUNBOOK);
    let secret_file = test.root().with_file_name("secret.txt");
    fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let param_file = format!("password={}", secret_file.display());
    let by_env = {
        let test = Test::new()
            .runbook(SECRET_RUNBOOK)
            .env("RUNBOOK_PARAM_PASSWORD", SECRET);
        let out = save(&test, "secret-note", &[]);
        (out, plan_path(&test).exists())
    };
    let by_file = {
        let out = save(&test, "secret-note", &["--param-file", &param_file]);
        (out, plan_path(&test).exists())
    };
    for (out, exists) in [by_env, by_file] {
        assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
        assert_eq!(
            out.stderr,
            "error: runbook `secret-note` has secret params set, and a saved plan must never \
             hold a secret (a command's input or an edited file may carry it); nothing was \
             saved: apply it directly with `runbook apply secret-note`\n"
        );
        assert_eq!(out.stdout, "");
        assert!(!exists, "a plan file was written");
    }
}

#[test]
fn save_plan_needs_dry_run_and_plan_takes_no_params() {
    let test = php_host();
    let before = test.snapshot();
    let file = plan_path(&test).display().to_string();
    let out = test.run_args(&["apply", "php-disable-mail", "--save-plan", &file]);
    assert_eq!(out.code, 64, "{}", out.stderr);
    crate::assert_contains!(
        out.stderr,
        "error: the following required arguments were not provided:\n  --dry-run\n"
    );
    let out = test.run_args(&["apply", "--plan", &file, "-p", "ini=/etc/php.ini"]);
    assert_eq!(out.code, 64, "{}", out.stderr);
    crate::assert_contains!(
        out.stderr,
        "error: the argument '--plan <FILE>' cannot be used with '--param <KEY=VALUE>'"
    );
    let out = test.run_args(&["apply"]);
    assert_eq!(out.code, 64, "{}", out.stderr);
    crate::assert_contains!(out.stderr, "<ID>");
    crate::assert_unchanged!(before, test.snapshot());
    assert!(!plan_path(&test).exists());
}

const TWO_EDITS: &str = r#"# yaml-language-server: $schema=x
id: two-edits
title: Two steps edit one file
steps:
  - id: first
    title: Set a
    ini_set: { file: /etc/app/app.ini, key: a, value: "2" }
  - id: second
    title: Set b
    ini_set: { file: /etc/app/app.ini, key: b, value: "3" }
"#;

#[test]
fn a_file_two_steps_edit_is_checked_once_against_the_host() {
    let test = Test::new()
        .file("/etc/app/app.ini", "a = 1\nb = 1\n")
        .runbook(TWO_EDITS);
    let before = test.host_only();
    assert_eq!(save(&test, "two-edits", &[]).code, 0);
    let file = saved_json(&test);
    let first = &file["work"][0]["items"][0];
    let second = &file["work"][1]["items"][0];
    assert_eq!(first["before_sha256"], sha256(b"a = 1\nb = 1\n"));
    assert_eq!(
        second["before_sha256"],
        sha256(first["after"].as_str().unwrap().as_bytes()),
        "the second edit expects what the first leaves"
    );
    let out = apply_plan(&test, &["--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        test.read("/etc/app/app.ini"),
        second["after"].as_str().unwrap()
    );
    let via_plan = test.host_only();
    assert_eq!(test.run_args(&["rollback", "--last", "--yes"]).code, 0);
    crate::assert_unchanged!(before, test.host_only());
    assert_eq!(test.run_args(&["apply", "two-edits", "--yes"]).code, 0);
    crate::assert_unchanged!(via_plan, test.host_only());
}

const COMMAND: &str = r#"# yaml-language-server: $schema=x
id: plan-command
title: A command with stdin, env and an undo
params:
  out: { type: path }
  word: { type: string }
steps:
  - id: write
    title: Write the word
    run:
      argv: [/bin/sh, -c, 'cat > "$1"; printf %s "$WORD" >> "$1"', sh, "{{params.out}}"]
      stdin: "{{params.word}}-"
      env: { WORD: "{{params.word}}" }
      undo: [/bin/rm, -f, "{{params.out}}"]
      mutating: true
      timeout: 10s
"#;

/// On the live host (`--root /`, state in the test's dir), as the secrets tests do:
/// the command writes only under the test's temporary dir.
#[test]
fn a_saved_command_runs_with_its_stdin_env_and_undo() {
    let test = Test::new().runbook(COMMAND);
    let out_file = test.root().with_file_name("out.txt");
    let out_arg = format!("out={}", out_file.display());
    let state = test.root().with_file_name("state").display().to_string();
    let live = ["--root", "/", "--state-dir", state.as_str()];
    let mut args = vec!["-p", out_arg.as_str(), "-p", "word=hello"];
    args.extend(live);
    let saved = save(&test, "plan-command", &args);
    assert_eq!(saved.code, 0, "{}\n{}", saved.stdout, saved.stderr);
    crate::assert_contains!(
        saved.stdout,
        "Apply exactly it with: runbook apply --plan [TMP]/plan.json\n"
    );
    let command = &saved_json(&test)["work"][0]["items"][0];
    assert_eq!(command["type"], "command");
    assert_eq!(command["stdin"], "hello-");
    assert_eq!(command["env"], serde_json::json!({ "WORD": "hello" }));
    assert_eq!(command["timeout_secs"], 10);
    assert!(!out_file.exists());

    let mut args = vec!["--yes"];
    args.extend(live);
    let applied = apply_plan(&test, &args);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert_eq!(fs::read_to_string(&out_file).unwrap(), "hello-hello");
    let mut args = vec!["rollback", "--last", "--yes"];
    args.extend(live);
    let rollback = test.run_args(&args);
    assert_eq!(rollback.code, 0, "{}", rollback.stderr);
    assert!(!out_file.exists(), "the undo did not run");
}
