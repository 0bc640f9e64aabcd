use crate::support::{PHP_INI, Test};

fn php_host() -> Test {
    Test::new().file("/etc/php/8.2/apache2/php.ini", PHP_INI)
}

#[test]
fn an_unknown_param_is_named_and_nothing_changes() {
    let test = php_host();
    let before = test.snapshot();
    let out = test.run_args(&[
        "apply",
        "php-disable-mail",
        "--yes",
        "-p",
        "inii=/etc/php.ini",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("unknown param `inii` for runbook `php-disable-mail` (known: ini)"),
        "{}",
        out.stderr
    );
    crate::assert_unchanged!(before, test.snapshot());
}

#[test]
fn a_param_of_the_wrong_type_is_refused() {
    let out = php_host().run_args(&[
        "apply",
        "php-blank-sendmail-path",
        "--dry-run",
        "-p",
        "domain=not a domain",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("param `domain`: `not a domain` is not a domain name"),
        "{}",
        out.stderr
    );
    let missing = php_host().run_args(&["apply", "php-blank-sendmail-path", "--dry-run"]);
    crate::assert_contains!(missing.stderr, "needs param `domain`");
}

#[test]
fn a_malformed_runbook_gives_a_located_error_and_changes_nothing() {
    let test = php_host().runbook(
        "# yaml-language-server: $schema=x\nid: broken\ntitle: \"unterminated\nsteps: []\n",
    );
    let before = test.snapshot();
    let out = test.run_args(&["apply", "broken", "--yes"]);
    assert_eq!(out.code, 1);
    let located = "[TMP]/runbooks/extra-1.yaml:3:8: error[RB001]: unclosed quote";
    crate::assert_contains!(out.stderr, located);
    crate::assert_unchanged!(before, test.snapshot());
}

#[test]
fn an_unknown_field_points_at_the_key_and_changes_nothing() {
    let test = php_host().runbook(
        "# yaml-language-server: $schema=x\nid: typo\ntitle: T\nsteps:\n  - id: s\n    title: S\n    ini_set: { file: /etc/php/8.2/apache2/php.ini, kye: a, value: b }\n",
    );
    let before = test.snapshot();
    let out = test.run_args(&["apply", "typo", "--yes"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("extra-1.yaml:7:52: error[RB002]: unknown field `kye`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("^^^"),
        "a caret under the key: {}",
        out.stderr
    );
    crate::assert_unchanged!(before, test.snapshot());
}

#[test]
fn an_unknown_runbook_lists_the_known_ones() {
    let out = php_host().run_args(&["apply", "no-such-runbook", "--dry-run"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(out.stderr, "no runbook has id `no-such-runbook`");
    crate::assert_contains!(out.stderr, "php-disable-mail");
}

/// Under `--output json` a failure is a JSON object on stdout, with a stable kind.
#[test]
fn json_errors_say_what_kind_of_problem_stopped_the_plan() {
    let test = php_host().runbook(
        "# yaml-language-server: $schema=x\nid: needs-things\ntitle: T\nparams:\n  n: { type: integer }\nsteps:\n  - id: edit\n    title: E\n    ini_set: { file: /etc/missing.ini, key: a, value: b }\n  - id: run\n    title: R\n    run: { argv: [no-such-program], mutating: false }\n",
    );
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["apply", "nope"],
            "unknown-runbook",
            "no runbook has id `nope`",
        ),
        (
            &["apply", "php-disable-mail", "-p", "x=1"],
            "unknown-param",
            "unknown param `x` for runbook `php-disable-mail` (known: ini)",
        ),
        (
            &["apply", "needs-things"],
            "missing-param",
            "runbook `needs-things` needs param `n`",
        ),
        (
            &["apply", "needs-things", "-p", "n=ten"],
            "invalid-param",
            "param `n`:",
        ),
        (
            &["apply", "needs-things", "-p", "n=10"],
            "missing-file",
            "/etc/missing.ini does not exist on the host",
        ),
    ];
    for (args, kind, message) in cases {
        let mut args = args.to_vec();
        args.extend(["--dry-run", "--output", "json"]);
        let out = test.run_args(&args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stdout);
        let json = out.json();
        assert_eq!(json["error"]["kind"], *kind, "{args:?}: {json}");
        crate::assert_contains!(json["error"]["message"].as_str().unwrap(), message);
        crate::assert_contains!(out.stderr, message);
    }
    let test = test.file("/etc/missing.ini", "[x]\n");
    let out = test.run_args(&[
        "apply",
        "needs-things",
        "-p",
        "n=10",
        "--dry-run",
        "--output",
        "json",
    ]);
    assert_eq!(
        out.json()["error"]["kind"],
        "missing-program",
        "{}",
        out.stdout
    );
}
