//! The `postfix_set` step on a fixture root: lint of its fields, each operation's edit,
//! templates, `file:`, the refusal of a list postfix's default holds, and rollback.

use crate::support::Test;

const MAIN_CF: &str = "/etc/postfix/main.cf";
/// Debian 12's main.cf as its postfix package writes it.
const DEBIAN: &str = include_str!("../fixtures/postfix-main.cf-bookworm");

const BAD: &str = r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: bad-postfix
title: Mistakes in postfix_set
steps:
  - { id: none, title: No operation, postfix_set: { param: mynetworks } }
  - { id: two, title: Two operations, postfix_set: { param: mynetworks, value: x, remove: true } }
  - { id: name, title: A bad name, postfix_set: { param: "my networks", value: x } }
  - { id: item, title: A bad item, postfix_set: { param: mynetworks, add: "a,b" } }
  - { id: default, title: A default to set, postfix_set: { param: relayhost, value: x, default: y } }
  - { id: template, title: A template, postfix_set: { param: "{{params.nope}}", remove: true } }
"#;

#[test]
fn lint_checks_every_field() {
    let test = Test::new().runbook(BAD);
    let dir = test.runbooks_dir().display().to_string();
    let out = test.run_args(&["lint", "--output", "json", &dir]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let found: Vec<(String, u64, String)> = out.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let one = "`postfix_set` needs exactly one of `value`, `remove: true`, `add` and `remove_item`";
    let expected = [
        ("RB014", 5, one.to_string()),
        ("RB014", 6, one.to_string()),
        (
            "RB014",
            7,
            "`my networks` is not a valid postfix parameter name: it must be letters, digits and `_`".into(),
        ),
        (
            "RB014",
            8,
            "`a,b` is not a valid list item: it must be one item, without commas, spaces, braces or control characters, and not start with `#`".into(),
        ),
        (
            "RB014",
            9,
            "`default` goes with `add` or `remove_item` only".into(),
        ),
        (
            "RB031",
            10,
            "`{{params.nope}}` cannot resolve: param `nope` is not declared".into(),
        ),
    ];
    let expected: Vec<(String, u64, String)> = expected
        .into_iter()
        .map(|(c, l, m)| (c.to_string(), l, m))
        .collect();
    assert_eq!(found, expected);
}

/// A runbook of `steps` (YAML lines) with a param `net`.
fn runbook(steps: &str) -> String {
    format!(
        "# yaml-language-server: $schema=x\nid: pf\ntitle: Postfix\nparams:\n  net: {{ type: string, default: \"10.0.0.0/8\" }}\nsteps:\n{steps}"
    )
}

#[test]
fn every_operation_edits_main_cf_and_rollback_restores_it() {
    let steps = r#"  - { id: set, title: Set, postfix_set: { param: mynetworks, value: "127.0.0.0/8 {{params.net}}" } }
  - { id: add, title: Add, postfix_set: { param: smtpd_relay_restrictions, add: reject_unauth_destination } }
  - { id: drop, title: Drop, postfix_set: { param: smtpd_relay_restrictions, remove_item: permit_sasl_authenticated } }
  - { id: remove, title: Remove, postfix_set: { param: relayhost, remove: true } }
  - { id: other, title: Other file, postfix_set: { file: /etc/postfix-out/main.cf, param: inet_interfaces, value: loopback-only } }
"#;
    let test = Test::new()
        .file(MAIN_CF, DEBIAN)
        .file("/etc/postfix-out/main.cf", "inet_interfaces = all\n")
        .runbook(&runbook(steps));
    let before = test.host_only();
    let out = test.run_args(&["apply", "pf", "--yes", "--output", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let expected = DEBIAN
        .replacen(
            "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n",
            "mynetworks = 127.0.0.0/8 10.0.0.0/8\n",
            1,
        )
        .replacen(
            "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination\n",
            "smtpd_relay_restrictions = permit_mynetworks defer_unauth_destination reject_unauth_destination\n",
            1,
        )
        .replacen("relayhost = \n", "", 1);
    assert_eq!(test.read(MAIN_CF), expected);
    assert_eq!(
        test.read("/etc/postfix-out/main.cf"),
        "inet_interfaces = loopback-only\n"
    );
    // Nothing left to do the second time.
    let again = test.run_args(&["apply", "pf", "--yes", "--output", "json"]);
    assert_eq!(again.json()["changes"], false, "{}", again.stdout);

    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(test.read(MAIN_CF), DEBIAN);
    assert_eq!(test.host_only().changes(&before), Vec::<String>::new());
}

#[test]
fn a_list_postfix_defaults_needs_the_default_given() {
    let add = "  - { id: add, title: Add, postfix_set: { param: smtpd_recipient_restrictions, add: reject_unauth_destination } }\n";
    let test = Test::new().file(MAIN_CF, DEBIAN).runbook(&runbook(add));
    let out = test.run_args(&["apply", "pf", "--dry-run"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    crate::assert_contains!(
        out.stderr,
        "cannot edit /etc/postfix/main.cf: `smtpd_recipient_restrictions` is not set in this file, so postfix uses its built-in default, which this step does not know: give `default:` (what `postconf -d smtpd_recipient_restrictions` prints) to start the list from, or set the whole list with `value:`"
    );

    let with_default = "  - { id: add, title: Add, postfix_set: { param: smtpd_recipient_restrictions, add: reject_unauth_destination, default: \"permit_mynetworks, defer\" } }\n";
    let test = Test::new()
        .file(MAIN_CF, DEBIAN)
        .runbook(&runbook(with_default));
    let out = test.run_args(&["apply", "pf", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        test.read(MAIN_CF),
        format!(
            "{DEBIAN}smtpd_recipient_restrictions = permit_mynetworks, defer, reject_unauth_destination\n"
        )
    );
}
