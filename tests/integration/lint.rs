use crate::support::Test;

const BAD: &str = r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: bad
title: Every kind of mistake
params:
  remedy: { type: choice, default: captcha }
checks:
  - id: big
    title: Queue is big
    fact: queue.totl
    gt: 1000
steps:
  - id: one
    title: Undefined things
    when: { param: remdy, eq: captcha }
    ini_set: { file: "{{php.ini}}", key: mail.add_x_header, value: "{{{params.remedy}}}" }
    notify: [reload-web]
  - id: one
    title: Duplicate id, item outside for_each
    manual: { text: "{{item.path}}" }
  - id: three
    title: Include of nothing
    include: { runbook: nowhere }
  - id: four
    title: Two actions
    run: { argv: [/bin/true], mutating: false }
    manual: { text: two }
"#;

#[test]
fn builtin_runbooks_are_clean() {
    let out = Test::new().run_args(&["lint"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    crate::assert_contains!(out.stdout, "0 errors, 0 warnings");
}

#[test]
fn all_diagnostics_are_collected_with_locations_and_codes() {
    let test = Test::new().runbook(BAD);
    let out = test.run_args(&["lint", &test.runbooks_dir().display().to_string()]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn json_diagnostics_have_stable_codes() {
    let test = Test::new().runbook(BAD);
    let out = test.run_args(&[
        "lint",
        "--output",
        "json",
        &test.runbooks_dir().display().to_string(),
    ]);
    let report = out.json();
    let found: Vec<(String, u64, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let expect = [
        ("RB040", 5, 13),  // choice without values
        ("RB021", 9, 11),  // unknown fact queue.totl
        ("RB020", 14, 20), // param remdy
        ("RB031", 15, 22), // {{php.ini}}
        ("RB032", 15, 68), // triple braces
        ("RB022", 16, 14), // handler reload-web
        ("RB011", 17, 9),  // duplicate step id
        ("RB031", 19, 21), // item outside for_each
        ("RB023", 22, 25), // include of an unknown runbook
        ("RB012", 26, 5),  // two actions: points at the second
    ];
    for (code, line, column) in expect {
        assert!(
            found.contains(&(code.to_string(), line, column)),
            "missing {code} at {line}:{column}; found {found:?}"
        );
    }
    assert_eq!(report["errors"], found.len());
}

#[test]
fn a_runbook_id_defined_twice_names_both_files() {
    let rb = "# yaml-language-server: $schema=x\nid: twice\ntitle: T\n";
    let test = Test::new().runbook(rb).runbook(rb);
    let out = test.run_args(&["lint"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(
        out.stdout,
        "runbook id `twice` is defined twice: in [TMP]/runbooks/extra-1.yaml and in [TMP]/runbooks/extra-2.yaml"
    );
}

#[test]
fn include_cycles_are_found() {
    let a = "# yaml-language-server: $schema=x\nid: a\ntitle: A\nsteps:\n  - id: b\n    title: B\n    include: { runbook: b }\n";
    let b = "# yaml-language-server: $schema=x\nid: b\ntitle: B\nsteps:\n  - id: a\n    title: A\n    include: { runbook: a }\n";
    let out = Test::new().runbook(a).runbook(b).run_args(&["lint"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(out.stdout, "RB024");
    crate::assert_contains!(out.stdout, "include cycle: a -> b -> a");
}

#[test]
fn a_missing_modeline_is_a_warning_only() {
    let out = Test::new()
        .runbook("id: plain\ntitle: P\n")
        .run_args(&["lint"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    crate::assert_contains!(out.stdout, "warning[RB050]");
}
