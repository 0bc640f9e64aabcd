//! `queue_purge` and `queue_retry` (issue "Remediation on live mail servers") on the
//! example exim host's spool: lint of the selectors, the plan's count, ids and summary,
//! purges that chain, a saved plan applied after a message left, and rollback byte for
//! byte. The real exim and postfix are in tests/integration/real_queue.rs.

use std::fs;

use crate::assert_contains;
use crate::support::Test;

fn runbook(steps: &str) -> String {
    format!("id: purge\ntitle: Purge\nsteps:\n{steps}")
}

fn outbreak(steps: &str) -> Test {
    Test::example("exim-outbreak").runbook(&runbook(steps))
}

#[test]
fn a_purge_without_a_selector_or_with_a_bad_duration_is_refused_by_lint() {
    let test = Test::new().runbook(&runbook(
        "  - { id: a, title: A, queue_purge: {} }\n  - { id: b, title: B, queue_retry: { older_than: soon } }\n",
    ));
    let out = test.run_args(&["lint"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stdout,
        "name the messages: give a selector (`script`, `sender`, `older_than`, ...), or `all: true` for the whole queue"
    );
    assert_contains!(out.stdout, "`soon` is not a duration");
}

#[test]
fn the_plan_counts_names_and_summarizes_the_messages_and_changes_nothing() {
    let test = outbreak("  - { id: form, title: Form mail, queue_purge: { script: tools.php } }\n");
    let before = test.snapshot();
    let plan = test
        .run_args(&["apply", "purge", "--dry-run", "--output", "json"])
        .json();
    let q = &plan["steps"][0]["queue"][0];
    assert_eq!(q["action"], "purge");
    assert_eq!(q["mta"], "exim");
    assert_eq!(q["spool"], "/var/spool/exim4");
    assert_eq!(q["count"], 3);
    assert_eq!(
        q["ids"],
        serde_json::json!(["1xVHSh-0001Xe-1g", "1xVHSh-0001Xg-1i", "1xVHSh-0001Xi-1k"])
    );
    assert_eq!(
        q["by_script"],
        serde_json::json!([{"name": "tools.php", "count": 3}])
    );
    assert_eq!(
        q["by_sender"],
        serde_json::json!([{"name": "www-data@vm", "count": 3}])
    );
    assert_eq!(plan["changes"], true);
    let text = test.run_args(&["apply", "purge", "--dry-run"]);
    assert_contains!(
        text.stdout,
        "      would quarantine 3 messages of exim's queue /var/spool/exim4\n        ids: 1xVHSh-0001Xe-1g 1xVHSh-0001Xg-1i 1xVHSh-0001Xi-1k\n        by sender: www-data@vm (3)\n        by script: tools.php (3)\n"
    );
    assert!(test.snapshot().changes(&before).is_empty());
}

#[test]
fn a_later_purge_does_not_count_what_an_earlier_one_takes() {
    let test = outbreak(
        "  - { id: form, title: Form mail, queue_purge: { script: tools.php } }\n  - { id: rest, title: The rest, queue_purge: { all: true } }\n",
    );
    let plan = test
        .run_args(&["apply", "purge", "--dry-run", "--output", "json"])
        .json();
    assert_eq!(plan["steps"][0]["queue"][0]["count"], 3);
    assert_eq!(
        plan["steps"][1]["queue"][0]["count"], 3,
        "six in all: {plan:#}"
    );
}

#[test]
fn selectors_combine_with_and() {
    let test = outbreak(
        "  - { id: a, title: A, queue_purge: { sender: \"<>\" } }\n  - { id: b, title: B, queue_purge: { uid: siteuser, frozen: false } }\n  - { id: c, title: C, queue_purge: { older_than: 3650d } }\n",
    );
    let plan = test
        .run_args(&["apply", "purge", "--dry-run", "--output", "json"])
        .json();
    assert_eq!(plan["steps"][0]["queue"][0]["count"], 1, "{plan:#}");
    assert_eq!(plan["steps"][0]["queue"][0]["by_sender"][0]["name"], "<>");
    let b = &plan["steps"][1];
    assert_eq!(
        b["queue"][0]["ids"],
        serde_json::json!(["1xVHSh-0001Xn-1t"]),
        "{b:#}"
    );
    assert_eq!(
        plan["steps"][2]["queue"],
        serde_json::Value::Null,
        "none is ten years old"
    );
    assert_eq!(plan["steps"][2]["outcome"], serde_json::Value::Null);
}

#[test]
fn apply_quarantines_and_rollback_restores_every_byte() {
    let test = outbreak("  - { id: form, title: Form mail, queue_purge: { script: tools.php } }\n");
    let before = test.host_only();
    let out = test.run_args(&["apply", "purge", "--yes", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let applied = out.json();
    let q = &applied["steps"][0]["queue"][0];
    assert_eq!(q["done"], 3, "{q:#}");
    let quarantine = q["quarantine"].as_str().unwrap().replace("[ROOT]", "");
    let held: Vec<String> = fs::read_dir(test.path(&format!("{quarantine}/input")))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(held.len(), 6, "-H and -D of each: {held:?}");
    assert!(
        !test
            .path("/var/spool/exim4/input/1xVHSh-0001Xe-1g-H")
            .exists()
    );
    let history = test.run_args(&["history"]);
    assert_contains!(
        history.stdout,
        "applied  0 file(s), 0 command(s), 1 queue(s) purged\n    /var/spool/exim4 (messages quarantined)\n"
    );
    let dry = test.run_args(&["rollback", "--last", "--dry-run"]);
    assert_contains!(
        dry.stdout,
        "  requeue 3 messages from [ROOT]/var/lib/runbook/runs/"
    );
    let back = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_contains!(back.stdout, "  requeued 3 messages into /var/spool/exim4\n");
    assert_eq!(test.host_only().changes(&before), Vec::<String>::new());
}

#[test]
fn a_saved_plan_reports_a_message_delivered_since_and_takes_the_others() {
    let test = outbreak("  - { id: form, title: Form mail, queue_purge: { script: tools.php } }\n");
    let plan_file = test.root().with_file_name("plan.json");
    let saved = test.run_args(&[
        "apply",
        "purge",
        "--dry-run",
        "--save-plan",
        plan_file.to_str().unwrap(),
    ]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    // Delivered meanwhile: exim removed its files.
    for suffix in ["-H", "-D"] {
        fs::remove_file(test.path(&format!("/var/spool/exim4/input/1xVHSh-0001Xg-1i{suffix}")))
            .unwrap();
    }
    let out = test.run_args(&[
        "apply",
        "--plan",
        plan_file.to_str().unwrap(),
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let q = &out.json()["steps"][0]["queue"][0];
    assert_eq!(q["done"], 2, "{q:#}");
    assert_eq!(
        q["skipped"],
        serde_json::json!([{"id": "1xVHSh-0001Xg-1i", "reason": "no longer queued (delivered or removed meanwhile)"}])
    );
}

#[test]
fn retry_plans_a_thaw_of_the_frozen_and_a_delivery_attempt() {
    let test = outbreak("  - { id: thaw, title: Retry, queue_retry: { frozen: true } }\n");
    let plan = test
        .run_args(&["apply", "purge", "--dry-run", "--output", "json"])
        .json();
    let step = &plan["steps"][0];
    assert_eq!(step["queue"][0]["action"], "retry");
    let id = step["queue"][0]["ids"][0].as_str().unwrap();
    assert_eq!(
        step["commands"],
        serde_json::json!([
            ["/usr/sbin/exim4", "-Mt", id],
            ["/usr/sbin/exim4", "-M", id]
        ])
    );
}

#[test]
fn a_symlink_planted_as_a_data_file_is_left_alone_and_the_rest_is_purged() {
    let test = outbreak("  - { id: all, title: All, queue_purge: { all: true } }\n");
    let data = test.path("/var/spool/exim4/input/1xVHSh-0001Xg-1i-D");
    fs::remove_file(&data).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", &data).unwrap();
    let passwd = test.read("/etc/passwd");
    let out = test.run_args(&["apply", "purge", "--yes", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let q = &out.json()["steps"][0]["queue"][0];
    assert_eq!(q["done"], 5, "{q:#}");
    assert_eq!(
        q["skipped"],
        serde_json::json!([{"id": "1xVHSh-0001Xg-1i", "reason": "its -D file is a symlink, not exim's: left alone"}])
    );
    assert!(
        fs::symlink_metadata(&data)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        test.path("/var/spool/exim4/input/1xVHSh-0001Xg-1i-H")
            .exists()
    );
    assert_eq!(test.read("/etc/passwd"), passwd);
    let back = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_contains!(back.stdout, "requeued 5 messages into /var/spool/exim4");
}
