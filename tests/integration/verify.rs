//! `verify:` after apply and `runbook verify`: on the example exim host, the fix holds
//! until a message from a script the plan found arrives after the apply; then verify
//! fails naming the check and its numbers, and with `on_fail: rollback` the host is
//! back as before. A window ends early at Ctrl-C, saying what it saw.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::assert_contains;
use crate::support::{Output, Test};

const SPOOL: &str = "/var/spool/exim4/input";
/// A message tools.php (uid 1001) queued at plan time.
const PLANNED: &str = "1xVHSh-0001Xe-1g";
/// The same script's message queued after the apply: an hour after its newest planned.
const LATER: &str = "1xVHSh-0001Xz-1z";

fn outbreak() -> Test {
    Test::example("exim-outbreak")
}

/// Queue a copy of tools.php's planned message as a new one, arrived an hour later.
fn queue_new_message(test: &Test) {
    for part in ["-D", "-H"] {
        let from = test.path(&format!("{SPOOL}/{PLANNED}{part}"));
        let text = fs::read_to_string(&from)
            .or_else(|_| fs::read_to_string(quarantined(test, PLANNED, part)))
            .unwrap();
        let text =
            text.replacen(PLANNED, LATER, 1)
                .replacen("\n1795391951 0\n", "\n1795395551 0\n", 1);
        fs::write(test.path(&format!("{SPOOL}/{LATER}{part}")), text).unwrap();
    }
}

/// Where apply's purge put a message's file (the run's quarantine).
fn quarantined(test: &Test, id: &str, part: &str) -> PathBuf {
    let mut found = Vec::new();
    walk(&test.path("/var/lib/runbook/runs"), &mut |p| {
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy() == format!("{id}{part}"))
        {
            found.push(p.to_path_buf());
        }
    });
    found.pop().expect("the message in the run's quarantine")
}

fn walk(dir: &std::path::Path, f: &mut dyn FnMut(&std::path::Path)) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        f(&path);
        if path.is_dir() {
            walk(&path, f);
        }
    }
}

/// Run ids (`20261203T173322Z-29d9`) as `[RUN]`, for snapshots.
fn runs_hidden(text: &str) -> String {
    regex::Regex::new(r"\d{8}T\d{6}Z-[0-9a-f]{4}")
        .unwrap()
        .replace_all(text, "[RUN]")
        .into_owned()
}

/// The part of apply's output for people from the verify on.
fn verify_part(out: &Output) -> String {
    let start = out
        .stdout
        .find("\nVerify of run")
        .expect("a verify in the output");
    runs_hidden(&out.stdout[start..])
}

/// `runbook ARGS --root ROOT` started, not waited for.
fn spawn(test: &Test, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(args)
        .arg("--root")
        .arg(test.root())
        .env("NO_COLOR", "1")
        .env_remove("RUNBOOK_PATH")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until apply has saved what verify compares with: the window has begun.
fn wait_for_verify(test: &Test) {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let mut basis = false;
        walk(&test.path("/var/lib/runbook/runs"), &mut |p| {
            basis |= p.ends_with("verify-basis.json");
        });
        if basis {
            return;
        }
        assert!(Instant::now() < end, "apply never reached verify");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn finish(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The run's recorded verifies (`verify.json`).
fn recorded(test: &Test) -> serde_json::Value {
    let mut file = None;
    walk(&test.path("/var/lib/runbook/runs"), &mut |p| {
        if p.ends_with("verify.json") {
            file = Some(p.to_path_buf());
        }
    });
    serde_json::from_slice(&fs::read(file.expect("verify.json")).unwrap()).unwrap()
}

#[test]
fn verify_passes_after_the_fix_and_is_recorded() {
    let test = outbreak();
    let out = test.run_args(&["apply", "exim-block-unlock", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    insta::assert_snapshot!(verify_part(&out));
    let record = recorded(&test);
    assert_eq!(record[0]["outcome"], "passed");
    assert_eq!(record[0]["samples"], 1);
    let mut journal = String::new();
    walk(&test.path("/var/lib/runbook/runs"), &mut |p| {
        if p.ends_with("journal.jsonl") {
            journal = fs::read_to_string(p).unwrap();
        }
    });
    let last: serde_json::Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "verified");
    assert_eq!(last["outcome"], "passed");
}

#[test]
fn a_new_message_from_the_same_script_fails_verify_naming_check_and_counts() {
    let test = outbreak();
    let out = test.run_args(&["apply", "exim-block-unlock", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    queue_new_message(&test);

    let again = test.run_args(&["verify", "--last"]);
    assert_eq!(again.code, 1, "{}\n{}", again.stdout, again.stderr);
    assert_contains!(again.stdout, "FAIL scripts-quiet: tools.php: 1 queued");
    insta::assert_snapshot!(runs_hidden(&again.stdout));

    let json = test
        .run_args(&["verify", "--last", "--output", "json"])
        .json();
    assert_eq!(json["outcome"], "failed");
    let failed = &json["checks"][0];
    assert_eq!(failed["id"], "scripts-quiet");
    assert_eq!(failed["value"][0]["script"], "tools.php");
    assert_eq!(failed["value"][0]["count"], 1);
    assert_eq!(failed["value"][0]["newest"], 1795395551);
    assert_eq!(failed["value"][0]["planned_newest"], 1795391951);
    // Applied stays applied: no on_fail in the library runbook.
    let runs = recorded(&test);
    assert_eq!(
        runs.as_array().unwrap().len(),
        3,
        "apply's verify and both re-runs"
    );
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .all(|v| v.get("action").is_none())
    );
}

/// The library's exim runbook with a verify that undoes the run when it fails.
const UNDO_ON_FAIL: &str = r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: exim-unlock-or-undo
title: exim-block-unlock, undone when a script still sends
applies_to: { mta: [exim] }
steps:
  - id: unlock
    title: Article 000
    include: { runbook: exim-block-unlock }
verify:
  within: 30s
  every: 1s
  on_fail: rollback
  checks:
    - id: scripts-quiet
      title: No script found at plan time queued mail since
      no_new_mail: scripts
"#;

#[test]
fn on_fail_rollback_leaves_the_host_as_before_but_the_new_message() {
    let test = outbreak().runbook(UNDO_ON_FAIL);
    let before = test.host_only();
    let runbooks = test.runbooks_dir().display().to_string();
    let child = spawn(
        &test,
        &[
            "--runbooks",
            &runbooks,
            "apply",
            "exim-unlock-or-undo",
            "--yes",
        ],
    );
    wait_for_verify(&test);
    queue_new_message(&test);
    let out = finish(child);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "FAIL scripts-quiet: tools.php: 1 queued");
    assert_contains!(out.stdout, "rolling the run back (on_fail: rollback)");
    assert_contains!(out.stdout, "Rolled back run");

    for part in ["-D", "-H"] {
        fs::remove_file(test.path(&format!("{SPOOL}/{LATER}{part}"))).unwrap();
    }
    let after = test.host_only();
    assert_eq!(after, before, "{:?}", after.changes(&before));
    assert_eq!(recorded(&test)[0]["action"], "rollback");
    let history = test.run_args(&["history", "--output", "json"]).json();
    assert_contains!(history.to_string(), "rolled");
}

#[test]
fn ctrl_c_ends_the_window_and_reports_what_it_saw() {
    let test = outbreak();
    let child = spawn(
        &test,
        &["apply", "exim-block-unlock", "--yes", "-p", "watch=10m"],
    );
    wait_for_verify(&test);
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = finish(child);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the window did not stop"
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "interrupted");
    assert_contains!(out.stdout, "ok   scripts-quiet");
    let record = recorded(&test);
    assert_eq!(record[0]["outcome"], "interrupted");
    assert_eq!(record[0]["within_secs"], 600);
}

#[test]
fn bad_verify_yaml_is_a_located_lint_error() {
    let test = Test::new()
        .runbook(
            r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: bad-verify
title: A verify with mistakes
verify:
  on_fail: panic
  checks: []
"#,
        )
        .runbook(
            r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: bad-verify-checks
title: A verify whose checks are wrong
verify:
  within: soon
  checks:
    - id: quiet
      title: No new mail
      fact: queue.totl
      no_new_mail: scripts
    - id: quiet
      title: Compares nothing
      config_tests: true
      gt: 3
    - id: rate
      title: A rate that is no number
      arrival_rate: { max_per_minute: soon }
"#,
        );
    let out = test.run_args(&["lint", &test.runbooks_dir().display().to_string()]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn verify_without_a_verify_section_says_so() {
    let test = Test::example("debian-apache-modphp");
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let again = test.run_args(&["verify", "--last"]);
    assert_eq!(again.code, 1);
    assert_contains!(again.stderr, "has no `verify:` section");
}

#[test]
fn a_process_other_than_exim_on_port_25_after_the_apply_fails_the_smtp_check() {
    let test = outbreak();
    let out = test.run_args(&["apply", "exim-block-unlock", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let test = crate::library_exim::with_proc(test, &[(4242, "php-fpm8.2", 99001)]);
    let again = test.run_args(&["verify", "--last", "--output", "json"]);
    assert_eq!(again.code, 1, "{}\n{}", again.stdout, again.stderr);
    let json = again.json();
    let smtp = &json["checks"][1];
    assert_eq!(smtp["id"], "no-smtp-but-exim");
    assert_eq!(smtp["ok"], false);
    assert_eq!(smtp["value"], 1);
    assert_eq!(smtp["detail"], "activity.non_mta = 1, not in [0, null]");
    assert_eq!(json["checks"][0]["ok"], true, "the scripts stayed quiet");
}

/// php-enable-x-header (which reloads Apache), verified by the config tests.
const CONFIG_TESTS: &str = r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: x-header-verified
title: The script header on, Apache's config still good after
steps:
  - id: x-header
    title: The script header
    include: { runbook: php-enable-x-header }
verify:
  checks:
    - id: configs
      title: The reloaded services' config tests pass
      config_tests: true
"#;

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn the_reloaded_services_config_tests_pass_and_then_fail_naming_the_test() {
    use crate::failure::{chroot_host, fake_apache, script};
    let test = chroot_host().runbook(CONFIG_TESTS);
    fake_apache(&test, "[ \"$1\" = apache2 ]");
    let out = test.run_args(&["apply", "x-header-verified", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "ok   configs: 1 config test(s) pass");
    // apply's test and reload, then verify's test.
    assert_eq!(
        test.read("/tmp/apache2ctl.calls"),
        "configtest\ngraceful\nconfigtest\n"
    );

    script(
        &test,
        "/usr/sbin/apache2ctl",
        "echo 'AH00526: Syntax error' >&2; exit 1",
    );
    let again = test.run_args(&["verify", "--last"]);
    assert_eq!(again.code, 1, "{}\n{}", again.stdout, again.stderr);
    assert_contains!(
        again.stdout,
        "FAIL configs: 1 of 1 config test(s) fail: config test `apache2ctl configtest` exited with status 1: AH00526"
    );
}

#[test]
fn a_run_without_the_facts_as_planned_cannot_prove_no_new_mail() {
    let test = outbreak();
    let out = test.run_args(&["apply", "exim-block-unlock", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    walk(&test.path("/var/lib/runbook/runs"), &mut |p| {
        if p.ends_with("verify-basis.json") {
            fs::remove_file(p).unwrap();
        }
    });
    let again = test.run_args(&["verify", "--last"]);
    assert_eq!(again.code, 1, "{}\n{}", again.stdout, again.stderr);
    assert_contains!(
        again.stdout,
        "FAIL scripts-quiet: the run kept no queue as planned (applied before verify existed)"
    );
    assert_contains!(again.stdout, "ok   no-smtp-but-exim");
}

/// A web server on a free loopback port answering every request with `status`, and
/// the `Host` headers it was asked for.
fn web_server(
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hosts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = hosts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(host) = line.strip_prefix("Host: ") {
                    seen.lock().unwrap().push(host.trim().to_string());
                }
                line.clear();
            }
            let code = status.load(std::sync::atomic::Ordering::SeqCst);
            let _ = (&stream).write_all(format!("HTTP/1.1 {code} X\r\n\r\n").as_bytes());
        }
    });
    (port, hosts)
}

#[test]
fn the_sites_of_the_scripts_found_answer_as_before_until_one_does_not() {
    use std::sync::atomic::{AtomicU16, Ordering};
    let status = std::sync::Arc::new(AtomicU16::new(200));
    let (port, hosts) = web_server(status.clone());
    let runbook = format!(
        r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: exim-unlock-sites
title: exim-block-unlock, the shop still answering after
applies_to: {{ mta: [exim] }}
steps:
  - id: unlock
    title: Article 000
    include: {{ runbook: exim-block-unlock }}
verify:
  checks:
    - id: sites
      title: The sites of the scripts answer as before
      sites_answer: {{ port: {port} }}
"#
    );
    let test = crate::library_exim::with_site().runbook(&runbook);
    let out = test.run_args(&["apply", "exim-unlock-sites", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "ok   sites: 1 site(s) answer as before");
    assert_eq!(
        *hosts.lock().unwrap(),
        ["shop.example.com", "shop.example.com"]
    );

    status.store(500, Ordering::SeqCst);
    let again = test.run_args(&["verify", "--last", "--output", "json"]);
    assert_eq!(again.code, 1, "{}\n{}", again.stdout, again.stderr);
    let check = &again.json()["checks"][0];
    assert_eq!(
        check["detail"],
        "shop.example.com: 500 (before the apply: 200)"
    );
    assert_eq!(check["value"][0]["status"], 500);
    assert_eq!(check["value"][0]["before"], 200);
}

/// exim-block-unlock, verified by the submission rate of the mainlog.
const RATE: &str = r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: exim-unlock-rate
title: exim-block-unlock, held while at most 2 messages a minute are submitted
applies_to: { mta: [exim] }
params:
  max_rate: { type: integer, default: 2 }
steps:
  - id: unlock
    title: Article 000
    include: { runbook: exim-block-unlock }
verify:
  within: 30s
  every: 1s
  checks:
    - id: rate
      title: At most 2 submissions a minute
      arrival_rate: { max_per_minute: "{{params.max_rate}}" }
"#;

const MAINLOG: &str = "/var/log/exim4/mainlog";

/// Lines exim writes when www-data hands it a message (`<=`, `U=`, `P=local`).
fn submissions(count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                "2026-12-04 10:00:0{i} 1xVHT{i}-0001Xz-1z <= www@shop.example U=www-data P=local S=812\n"
            )
        })
        .collect()
}

fn append(test: &Test, path: &str, text: &str) {
    use std::io::Write;
    fs::OpenOptions::new()
        .append(true)
        .open(test.path(path))
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

#[test]
fn the_log_before_the_run_does_not_count_and_submissions_after_it_fail_the_rate() {
    let test = outbreak().runbook(RATE);
    let runbooks = test.runbooks_dir().display().to_string();
    let child = spawn(
        &test,
        &[
            "--runbooks",
            &runbooks,
            "apply",
            "exim-unlock-rate",
            "--yes",
        ],
    );
    wait_for_verify(&test);
    append(&test, MAINLOG, &submissions(5));
    let out = finish(child);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "FAIL rate: 5 message(s) submitted in");
    assert_contains!(out.stdout, "at most 2/min allowed; by www-data (5)");
    let record = recorded(&test);
    let rate = &record[0]["checks"][0];
    assert_eq!(rate["value"]["submitted"], 5);
    assert_eq!(rate["value"]["by"][0]["user"], "www-data");
    assert_eq!(rate["expected"], "<= 2/min");

    // Later, with nothing new in the log since the mark: one sample, still 5.
    let again = test
        .run_args(&["verify", "--last", "--output", "json"])
        .json();
    assert_eq!(again["checks"][0]["value"]["submitted"], 5);
}

#[test]
fn a_quiet_log_passes_the_rate() {
    let test = outbreak().runbook(&RATE.replace("within: 30s", "within: 2s"));
    let out = test.run_args(&["apply", "exim-unlock-rate", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "ok   rate: 0 message(s) submitted in");
}

#[test]
fn on_fail_on_the_command_line_rolls_back_a_runbook_that_keeps() {
    let test = outbreak();
    let before = test.host_only();
    let child = spawn(
        &test,
        &[
            "apply",
            "exim-block-unlock",
            "--yes",
            "-p",
            "watch=30s",
            "--on-fail",
            "rollback",
        ],
    );
    wait_for_verify(&test);
    queue_new_message(&test);
    let out = finish(child);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "FAIL scripts-quiet: tools.php: 1 queued");
    assert_contains!(out.stdout, "Rolled back run");
    for part in ["-D", "-H"] {
        fs::remove_file(test.path(&format!("{SPOOL}/{LATER}{part}"))).unwrap();
    }
    let after = test.host_only();
    assert_eq!(after, before, "{:?}", after.changes(&before));
}

#[test]
fn the_host_stays_locked_over_the_window() {
    let test = outbreak();
    let child = spawn(
        &test,
        &["apply", "exim-block-unlock", "--yes", "-p", "watch=30s"],
    );
    wait_for_verify(&test);
    let second = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
    assert_contains!(second.stderr, "this host is locked by pid");
    assert_contains!(second.stderr, "`verify ");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = finish(child);
    assert_contains!(out.stdout, "interrupted");
    let now = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(now.code, 0, "{}\n{}", now.stdout, now.stderr);
}

/// The report's times as `[TIME]`, for snapshots.
fn times_hidden(text: &str) -> String {
    regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
        .unwrap()
        .replace_all(&runs_hidden(text), "[TIME]")
        .into_owned()
}

/// The report's section on whether the fix held, as a language words it.
fn held_section(test: &Test, lang: &str, heading: &str) -> String {
    let out = test.run_args(&["report", "--last", "--lang", lang]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let start = out.stdout.find(heading).expect("the verify section");
    let section = &out.stdout[start..];
    let end = section.find("\n\n").unwrap_or(section.len());
    times_hidden(&section[..end])
}

#[test]
fn the_report_says_the_fix_did_not_hold_with_the_numbers_in_each_language() {
    let test = outbreak();
    let out = test.run_args(&["apply", "exim-block-unlock", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    queue_new_message(&test);
    assert_eq!(test.run_args(&["verify", "--last"]).code, 1);
    for (lang, heading) in [
        ("en", "Whether the fix held"),
        ("ru", "Удержалось ли исправление"),
        ("ja", "対策が有効か"),
    ] {
        insta::assert_snapshot!(
            format!("held_failed_{lang}"),
            held_section(&test, lang, heading)
        );
    }
    let json = test
        .run_args(&["report", "--last", "--format", "json"])
        .json();
    let verified = json["verified"].as_array().unwrap();
    assert_eq!(verified.len(), 2, "apply's verify, then the failed one");
    assert_eq!(verified[1]["outcome"], "failed");
    assert_eq!(verified[1]["checks"][0]["kind"], "no_new_mail");
    assert_eq!(verified[1]["checks"][0]["checked"], 2);
}

#[test]
fn the_report_words_an_arrival_rate_over_its_bound() {
    let test = outbreak().runbook(RATE);
    let runbooks = test.runbooks_dir().display().to_string();
    let child = spawn(
        &test,
        &[
            "--runbooks",
            &runbooks,
            "apply",
            "exim-unlock-rate",
            "--yes",
        ],
    );
    wait_for_verify(&test);
    append(&test, MAINLOG, &submissions(5));
    assert_eq!(finish(child).code, 1);
    let section = held_section(&test, "ru", "Удержалось ли исправление");
    assert_contains!(
        section,
        "НЕ ПРОЙДЕНО: At most 2 submissions a minute (5 писем отправлено за "
    );
    assert_contains!(section, "с: 5 в минуту, допустимо <= 2/min)");
}
