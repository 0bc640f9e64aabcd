//! The runbook library (issue "The runbook library"): the small runbooks the big ones
//! include and agents run alone, and `applies_to`, which refuses a runbook written for
//! another mail server and names those written for this one.

use crate::assert_contains;
use crate::support::Test;

#[test]
fn queue_purge_takes_its_selectors_as_params_and_an_unset_one_selects_nothing() {
    let test = Test::example("exim-outbreak");
    let plan = test
        .run_args(&[
            "apply",
            "queue-purge",
            "-p",
            "script=tools.php",
            "--dry-run",
            "--output",
            "json",
        ])
        .json();
    let purge = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "purge")
        .unwrap();
    assert_eq!(purge["queue"][0]["count"], 3, "{plan:#}");
    assert_eq!(plan["steps"][0]["chosen"], false);

    let all = test
        .run_args(&[
            "apply",
            "queue-purge",
            "-p",
            "all=true",
            "--dry-run",
            "--output",
            "json",
        ])
        .json();
    assert_eq!(all["steps"][0]["queue"][0]["count"], 6, "{all:#}");

    let none = test.run_args(&["apply", "queue-purge", "--dry-run"]);
    assert_eq!(none.code, 1, "{}", none.stdout);
    assert_contains!(none.stderr, "no selector given");
}

#[test]
fn queue_retry_frozen_releases_only_the_frozen() {
    let test = Test::example("exim-outbreak");
    let plan = test
        .run_args(&[
            "apply",
            "queue-retry-frozen",
            "--dry-run",
            "--output",
            "json",
        ])
        .json();
    let q = &plan["steps"][0]["queue"][0];
    assert_eq!(q["count"], 1, "{plan:#}");
    let id = q["ids"][0].as_str().unwrap();
    assert_eq!(
        plan["steps"][0]["commands"][0],
        serde_json::json!(["/usr/sbin/exim4", "-Mt", id])
    );
}

#[test]
fn a_runbook_for_another_mail_server_is_refused_naming_those_that_fit() {
    let test = Test::example("postfix-mailserver").runbook(
        "id: exim-only\ntitle: For exim\napplies_to: { mta: [exim] }\nsteps:\n  - { id: a, title: A, queue_purge: { all: true } }\n",
    );
    let before = test.snapshot();
    let out = test.run_args(&["apply", "exim-only", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "runbook `exim-only` does not fit this host: it is written for exim, and this host runs postfix; runbooks written for it: postfix-spam-source, queue-purge, queue-retry-frozen"
    );
    let json = test.run_args(&["apply", "exim-only", "--dry-run", "--output", "json"]);
    assert_eq!(json.json()["error"]["kind"], "does-not-apply");
    assert!(
        test.snapshot().changes(&before).is_empty(),
        "nothing written, not even a run"
    );
}

#[test]
fn a_runbook_for_a_panel_is_refused_on_a_host_without_it() {
    let test = Test::example("exim-outbreak").runbook(
        "id: plesk-only\ntitle: For Plesk\napplies_to: { panel: [plesk] }\nsteps:\n  - { id: a, title: A, manual: { text: hi } }\n",
    );
    let out = test.run_args(&["apply", "plesk-only", "--dry-run"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "it is written for hosts with panel plesk, and this host has none"
    );
}

#[test]
fn list_says_which_hosts_each_runbook_is_for() {
    let out = Test::new().run_args(&["list"]);
    assert_eq!(out.code, 0);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("queue-purge "))
        .unwrap();
    assert_contains!(line, "exim, postfix, qmail");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("php-disable-mail "))
        .unwrap();
    assert_contains!(line, "any host");
    let json = Test::new().run_args(&["list", "--output", "json"]).json();
    let purge = json["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "queue-purge")
        .unwrap();
    assert_eq!(
        purge["applies_to"]["mta"],
        serde_json::json!(["exim", "postfix", "qmail"])
    );
}

#[test]
fn cron_disable_job_renders_its_pattern_before_it_is_a_regular_expression() {
    let out = Test::new().run_args(&["show", "cron-disable-job"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_contains!(out.stdout, "{{params.pattern}}");
    let lint = Test::new().runbook(
        "id: c\ntitle: C\nsteps:\n  - { id: a, title: A, cron_disable: { user: bob, pattern: '(unclosed' } }\n",
    );
    let out = lint.run_args(&["lint"]);
    assert_eq!(out.code, 1);
    assert_contains!(out.stdout, "invalid regular expression");
}
