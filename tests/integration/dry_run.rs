use crate::support::{PHP_INI, Test};

fn php_host() -> Test {
    Test::new()
        .file("/etc/php/8.2/apache2/php.ini", PHP_INI)
        .file("/etc/php/8.2/cli/php.ini", PHP_INI)
        .mode("/etc/php/8.2/apache2/php.ini", 0o640)
}

#[test]
fn dry_run_shows_the_diff_and_leaves_every_byte_untouched() {
    let test = php_host();
    let before = test.snapshot();
    let out = test.run_args(&["apply", "php-disable-mail", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    crate::assert_contains!(out.stdout, "--- a/etc/php/8.2/apache2/php.ini\n");
    crate::assert_contains!(out.stdout, "+++ b/etc/php/8.2/apache2/php.ini\n");
    crate::assert_contains!(out.stdout, "-disable_functions = \n");
    crate::assert_contains!(out.stdout, "+disable_functions = mail\n");
    // The CLI php.ini is not where sites send mail from: not chosen, and said why.
    assert!(
        !out.stdout.contains("a/etc/php/8.2/cli/php.ini"),
        "{}",
        out.stdout
    );
    crate::assert_unchanged!(before, test.snapshot());
    assert!(
        !test.path("/var/lib/runbook").exists(),
        "dry run created the state dir"
    );
}

#[test]
fn detailed_exitcode_says_whether_changes_are_pending() {
    let test = php_host();
    let pending = test.run_args(&[
        "apply",
        "php-enable-x-header",
        "--dry-run",
        "--detailed-exitcode",
    ]);
    assert_eq!(pending.code, 2, "{}", pending.stderr);
    let applied = test.run_args(&["apply", "php-enable-x-header", "--yes"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let clean = test.run_args(&[
        "apply",
        "php-enable-x-header",
        "--dry-run",
        "--detailed-exitcode",
    ]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
}

#[test]
fn json_plan_keeps_the_contract() {
    let test = php_host();
    let plan = test
        .run_args(&[
            "apply",
            "php-enable-x-header",
            "--dry-run",
            "--output",
            "json",
        ])
        .json();
    assert_eq!(plan["runbook"], "php-enable-x-header");
    assert_eq!(plan["mode"], "dry-run");
    let check = &plan["checks"][0];
    assert_eq!(check["id"], "php-ini-found");
    assert_eq!(check["ok"], true);
    assert_eq!(check["value"].as_array().map(Vec::len), Some(2));
    let steps = plan["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["given-ini", "web-ini", "fpm-ini"],
        "steps in runbook order"
    );
    assert_eq!(steps[0]["chosen"], false);
    assert!(
        steps[0]["why"].as_str().unwrap().contains("param ini"),
        "{}",
        steps[0]["why"]
    );
    assert_eq!(steps[1]["chosen"], true);
    let diffs = steps[1]["diffs"].as_array().unwrap();
    let files: Vec<&str> = diffs.iter().map(|d| d["file"].as_str().unwrap()).collect();
    assert_eq!(
        files,
        ["/etc/php/8.2/apache2/php.ini", "/etc/php/8.2/cli/php.ini"]
    );
    assert!(
        diffs[0]["diff"]
            .as_str()
            .unwrap()
            .contains("+mail.add_x_header = On")
    );
    assert_eq!(steps[1]["commands"], serde_json::json!([]));
    assert!(plan.get("run_id").is_none(), "a dry run has no run id");
}

#[test]
fn human_plan_of_the_example_host() {
    let out = Test::example("debian-apache-modphp").run_args(&[
        "apply",
        "php-enable-x-header",
        "--dry-run",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn blank_sendmail_path_in_the_sites_virtual_host() {
    let test = Test::example("debian-apache-modphp");
    let out = test.run_args(&[
        "apply",
        "php-blank-sendmail-path",
        "--dry-run",
        "-p",
        "domain=shop.example.com",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn spam_diagnosis_of_the_exim_outbreak() {
    let out = Test::example("exim-outbreak").run_args(&[
        "apply",
        "spam-diagnose",
        "--dry-run",
        "--output",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    assert_eq!(plan["changes"], false, "a diagnosis changes nothing");
    let chosen: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["chosen"] == true)
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        chosen,
        [
            "form-script",
            "random-script",
            "no-script-header",
            "arguments-selector-off",
            "local-submitters",
            "posts-around-failures",
            "rejected-as-spam",
            "dmarc",
            "unknown-users",
            "blacklisted",
            "release-frozen",
            "next-exim",
            "next-notice",
        ]
    );
    let human = Test::example("exim-outbreak").run_args(&["apply", "spam-diagnose", "--dry-run"]);
    insta::assert_snapshot!(human.stdout);
}
