use std::fs;
use std::os::unix::fs::{MetadataExt, chown};

use crate::support::{PHP_INI, Test, is_root};

const INI: &str = "/etc/php/8.2/apache2/php.ini";

fn php_host() -> Test {
    let test = Test::new().file(INI, PHP_INI).mode(INI, 0o640);
    if is_root() {
        // root:www-data, as a php.ini the web server may read but not write.
        chown(test.path(INI), Some(0), Some(33)).unwrap();
    }
    test
}

/// The lines a unified diff removes and adds.
fn diff_lines(diff: &str) -> (Vec<String>, Vec<String>) {
    let body = diff
        .lines()
        .filter(|l| !l.starts_with("---") && !l.starts_with("+++"));
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for line in body {
        if let Some(l) = line.strip_prefix('-') {
            removed.push(l.to_string());
        } else if let Some(l) = line.strip_prefix('+') {
            added.push(l.to_string());
        }
    }
    (removed, added)
}

#[test]
fn apply_changes_exactly_the_diffed_lines_and_keeps_mode_and_owner() {
    let test = php_host();
    let plan = test
        .run_args(&["apply", "php-disable-mail", "--dry-run", "--output", "json"])
        .json();
    let diff = plan["steps"][1]["diffs"][0]["diff"]
        .as_str()
        .unwrap()
        .to_string();
    let before = test.read(INI);
    let owner = fs::metadata(test.path(INI)).unwrap();

    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let after = test.read(INI);

    let changed = similar::TextDiff::from_lines(&before, &after);
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for change in changed.iter_all_changes() {
        let line = change.value().trim_end_matches('\n').to_string();
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(line),
            similar::ChangeTag::Insert => added.push(line),
            similar::ChangeTag::Equal => {}
        }
    }
    assert_eq!(
        (removed, added),
        diff_lines(&diff),
        "the file changed other than the plan showed"
    );
    let meta = fs::metadata(test.path(INI)).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640);
    assert_eq!((meta.uid(), meta.gid()), (owner.uid(), owner.gid()));
}

#[test]
fn applying_twice_changes_nothing_the_second_time() {
    let test = php_host();
    assert_eq!(
        test.run_args(&["apply", "php-disable-mail", "--yes"]).code,
        0
    );
    let once = test.snapshot();
    let again = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    crate::assert_contains!(again.stdout, "No changes");
    crate::assert_unchanged!(once, test.snapshot());
    let history = test.run_args(&["history", "--output", "json"]).json();
    assert_eq!(
        history["runs"].as_array().unwrap().len(),
        1,
        "a no-op apply records no run"
    );
}

#[test]
fn apply_without_yes_and_without_a_terminal_refuses() {
    let test = php_host();
    let before = test.snapshot();
    let out = test.run_args(&["apply", "php-disable-mail"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(out.stderr, "--yes");
    crate::assert_unchanged!(before, test.snapshot());
}

#[test]
fn a_second_apply_says_who_holds_the_lock() {
    let test = php_host();
    let state = test.path("/var/lib/runbook");
    fs::create_dir_all(&state).unwrap();
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(state.join("lock"))
        .unwrap();
    lock.lock().unwrap();
    fs::write(
        state.join("lock"),
        "pid 4242 (user root, `apply php-enable-x-header`, since then)\n",
    )
    .unwrap();
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(out.stderr, "locked by pid 4242");
    crate::assert_contains!(out.stderr, "apply php-enable-x-header");
    drop(lock);
}

#[test]
fn json_after_apply_has_run_id_and_outcomes() {
    let test = php_host();
    let plan = test
        .run_args(&["apply", "php-disable-mail", "--yes", "--output", "json"])
        .json();
    assert_eq!(plan["mode"], "apply");
    let run_id = plan["run_id"].as_str().unwrap();
    assert!(
        test.path("/var/lib/runbook/runs")
            .join(run_id)
            .join("journal.jsonl")
            .is_file()
    );
    let outcomes: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["skipped", "changed", "skipped", "unchanged"]);
}

/// `script` gives the binary a terminal, so it asks before changing anything.
fn on_a_terminal(test: &Test, answer: &str) -> String {
    let cmd = format!(
        "{} apply php-disable-mail --root {}",
        env!("CARGO_BIN_EXE_runbook"),
        test.root().display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn on_a_terminal_apply_asks_first() {
    let test = php_host();
    let before = test.snapshot();
    let declined = on_a_terminal(&test, "n\n");
    crate::assert_contains!(declined, "Apply these changes to the host at");
    crate::assert_contains!(declined, "Nothing was changed.");
    crate::assert_unchanged!(before, test.snapshot());
    let accepted = on_a_terminal(&test, "y\n");
    crate::assert_contains!(accepted, "Undo with: runbook rollback");
    assert!(test.read(INI).contains("disable_functions = mail"));
}

#[test]
fn a_checklist_is_journaled_without_asking_and_changes_nothing() {
    let test = Test::example("exim-outbreak");
    let before = test.host_only();
    let out = test.run_args(&["apply", "spam-diagnose"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    crate::assert_unchanged!(before, test.host_only());
    let history = test.run_args(&["history", "--output", "json"]).json();
    let run = &history["runs"][0];
    assert_eq!(
        (run["runbook"].as_str(), run["outcome"].as_str()),
        (Some("spam-diagnose"), Some("applied"))
    );
    assert_eq!(run["changed_files"], serde_json::json!([]));
    let journal = fs::read_to_string(
        test.path("/var/lib/runbook/runs")
            .join(run["id"].as_str().unwrap())
            .join("journal.jsonl"),
    )
    .unwrap();
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.contains("\"event\":\"manual\""))
            .count(),
        16
    );
    // Nothing to roll back: `--last` looks for runs that changed something.
    let rollback = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(rollback.code, 1);
}
