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
fn apply_refuses_a_runbook_id_defined_twice() {
    let rb = "# yaml-language-server: $schema=x\nid: twice\ntitle: T\n";
    let test = Test::new().runbook(rb).runbook(rb);
    let out = test.run_args(&["apply", "twice", "--dry-run"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    crate::assert_contains!(out.stderr, "error[RB010]");
    crate::assert_contains!(
        out.stderr,
        "runbook `twice` has 1 error(s); nothing was changed"
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

/// Every way a template can become shell code or choose the program; one step each.
const ARGV_HAZARDS: &str = r#"# yaml-language-server: $schema=x
id: argv-hazards
title: Templates where argv stops being data
params:
  x: { type: string }
steps:
  - id: sh
    title: sh -c
    run: { argv: [sh, -c, 'echo {{params.x}}'], mutating: true }
  - id: bin-sh
    title: /bin/sh -c
    run: { argv: [/bin/sh, -c, '{{params.x}}'], mutating: true }
  - id: env-bash
    title: env bash -c
    run: { argv: [/usr/bin/env, bash, -c, 'rm {{params.x}}'], mutating: true }
  - id: env-options
    title: env with options and assignments, then dash -ec
    run: { argv: [env, -i, -u, HOME, 'LANG=C', dash, -ec, 'x{{params.x}}'], mutating: true }
  - id: busybox
    title: busybox sh -c
    run: { argv: [/bin/busybox, sh, -c, 'ls {{params.x}}'], mutating: true }
  - id: combined
    title: -lc, -xc and -e -c
    run: { argv: [zsh, -lc, '{{params.x}}'], mutating: true, undo: [ksh, -xc, '{{params.x}}'] }
  - id: separate
    title: -e -c, -o option before the script
    run: { argv: [mksh, -e, -c, -o, pipefail, '{{params.x}}'], mutating: true }
  - id: ash
    title: ash -c
    run: { argv: [ash, -c, '{{params.x}}'], mutating: true }
  - id: program
    title: templated program
    run: { argv: ['{{params.x}}', --help], mutating: false }
  - id: env-program
    title: templated program after env
    run: { argv: [env, 'A=1', '{{params.x}}'], mutating: false }
  - id: busybox-program
    title: templated applet
    run: { argv: [busybox, '{{params.x}}'], mutating: false, undo: ['/usr/bin/{{params.x}}'] }
  - id: script-file
    title: templated script file
    run: { argv: [bash, '{{params.x}}'], mutating: true }
"#;

/// Values passed as plain arguments: what a `run` step is for.
const ARGV_CLEAN: &str = r#"# yaml-language-server: $schema=x
id: argv-clean
title: Templates only as arguments
params:
  x: { type: string }
steps:
  - id: literal-script
    title: a literal script
    run: { argv: [sh, -c, 'echo hi'], mutating: false }
  - id: grep
    title: a template as an argument
    run: { argv: [grep, '{{params.x}}', /etc/f], mutating: false }
  - id: positional
    title: a template as a positional argument of the script
    run: { argv: [sh, -c, 'echo "$1"', sh, '{{params.x}}'], mutating: false }
  - id: env-value
    title: a template in an environment assignment and argument
    run: { argv: [/usr/bin/env, 'X={{params.x}}', bash, -ec, 'echo "$X"', bash, '{{params.x}}'], mutating: false }
  - id: stdin
    title: sh -s with positional arguments
    run: { argv: [sh, -s, '{{params.x}}'], mutating: false }
  - id: option-value
    title: a template in a non-shell program's options
    run: { argv: [busybox, wget, -O, /tmp/f, '{{params.x}}'], mutating: false }
"#;

#[test]
fn templates_that_choose_the_program_or_become_shell_code_are_errors() {
    let test = Test::new().runbook(ARGV_HAZARDS);
    let dir = test.runbooks_dir().display().to_string();
    let out = test.run_args(&["lint", &dir]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
    let report = test.run_args(&["lint", "--output", "json", &dir]).json();
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
    let expect: Vec<(String, u64, u64)> = [
        ("RB091", 9, 27),  // sh -c
        ("RB091", 12, 32), // /bin/sh -c
        ("RB091", 15, 43), // /usr/bin/env bash -c
        ("RB091", 18, 59), // env -i -u HOME LANG=C dash -ec
        ("RB091", 21, 41), // /bin/busybox sh -c
        ("RB091", 24, 29), // zsh -lc
        ("RB091", 24, 79), // undo: ksh -xc
        ("RB091", 27, 47), // mksh -e -c -o pipefail
        ("RB091", 30, 28), // ash -c
        ("RB092", 33, 19), // templated program
        ("RB092", 36, 31), // after env
        ("RB092", 39, 28), // busybox applet
        ("RB092", 39, 69), // undo program with a path
        ("RB092", 42, 25), // bash SCRIPT_FILE
    ]
    .into_iter()
    .map(|(c, l, col)| (c.to_string(), l, col))
    .collect();
    assert_eq!(found, expect);
}

#[test]
fn templates_as_plain_arguments_stay_clean() {
    let test = Test::new().runbook(ARGV_CLEAN);
    let out = test.run_args(&["lint", &test.runbooks_dir().display().to_string()]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    crate::assert_contains!(out.stdout, "0 errors, 0 warnings");
}

/// Every fact `runbook facts` prints may be used: the script locations the queue group
/// adds, and the fields that say why a group is empty (the catalogue once drifted).
#[test]
fn every_gathered_fact_passes_lint() {
    let rb = r#"# yaml-language-server: $schema=x
id: gathered
title: Facts the queue and log groups print
checks:
  - id: no-queue
    title: No queue was read
    fact: queue.error
    contains: cannot
steps:
  - id: where
    title: Where each script is
    for_each: { fact: queue.top_scripts }
    manual: { text: "{{item.script}} at {{item.locations}}" }
  - id: window
    title: The posts window
    manual: { text: "{{posts.window_minutes}} minutes, {{log.error}}" }
"#;
    let out = Test::new().runbook(rb).run_args(&["lint"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

/// 100,000 backslashes in a template field: read in one pass (lint took over 10 s on
/// them while templates were parsed by the handlebars crate).
#[test]
fn lint_reads_long_runs_of_backslashes() {
    let rb = format!(
        "# yaml-language-server: $schema=x\nid: bs\ntitle: B\nsteps:\n  - id: a\n    title: A\n    manual: {{ text: '{}\\{{{{ {{{{params.x}}}}' }}\nparams:\n  x: {{ type: string, default: y }}\n",
        "\\".repeat(100_000)
    );
    let out = Test::new().runbook(&rb).run_args(&["lint"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

/// The lines of a lint's JSON report as `CODE line:column message (help)`.
fn lint_lines(test: &Test) -> Vec<String> {
    let dir = test.runbooks_dir().display().to_string();
    let report = test.run_args(&["lint", "--output", "json", &dir]).json();
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] != "RB050")
        .map(|d| {
            let help = d["help"]
                .as_str()
                .map(|h| format!(" (help: {h})"))
                .unwrap_or_default();
            format!(
                "{} {}:{} {}{help}",
                d["code"].as_str().unwrap(),
                d["line"],
                d["column"],
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// A comparison whose operand has another type than the fact never holds: lint says so
/// (RB027), pointing at the operand; comparisons of the right type stay clean.
#[test]
fn point_3_a_comparison_with_a_value_of_another_type_than_the_fact_is_an_error() {
    let rb = r#"id: types
title: Comparisons of the wrong type
checks:
  - id: kind-big
    title: Text is not a number
    fact: mta.kind
    gt: 3
  - id: fine
    title: Right types
    fact: queue.total
    ge: 10
steps:
  - id: yes
    title: yes is text under strict booleans
    when: { fact: php.add_x_header, eq: yes }
    manual: { text: a }
  - id: quoted
    title: a quoted boolean
    when: { fact: php.add_x_header, ne: "true" }
    manual: { text: a }
  - id: number
    title: a number for a boolean
    when: { fact: php.add_x_header, eq: 1 }
    manual: { text: a }
  - id: ordered
    title: gt on a boolean
    when: { fact: php.add_x_header, gt: 0 }
    manual: { text: a }
  - id: word
    title: text for a number
    when: { fact: queue.total, eq: many }
    manual: { text: a }
  - id: one-of
    title: a quoted number in a list
    when: { not: { fact: queue.total, in: [1, "2"] } }
    manual: { text: a }
  - id: contains
    title: contains on a boolean
    when: { fact: php.add_x_header, contains: x }
    manual: { text: a }
  - id: right
    title: every comparison of the right type
    when: { all: [ { fact: php.add_x_header, eq: false }, { fact: queue.total, gt: 5 }, { fact: mta.kind, in: [exim, postfix] }, { fact: php.ini_files, gt: 0 }, { fact: mta.running, eq: null } ] }
    manual: { text: a }
"#;
    let test = Test::new().runbook(rb);
    insta::assert_snapshot!(lint_lines(&test).join("\n"));
}

/// `changed:` naming a later or unknown step has its own code, RB028.
#[test]
fn point_4_changed_naming_an_unknown_or_later_step_has_its_own_code() {
    let rb = r#"id: changed
title: Changed
checks:
  - id: a
    title: A
    fact: queue.total
steps:
  - id: first
    title: First
    when: { changed: second }
    manual: { text: one }
  - id: second
    title: Second
    when: { any: [ { changed: frist }, { check: b } ] }
    manual: { text: two }
"#;
    let test = Test::new().runbook(rb);
    insta::assert_snapshot!(lint_lines(&test).join("\n"));
}

/// Three misspelled keys in three steps, and a step with two: every one is reported with
/// its own file:line:column, not only the first the parser meets.
#[test]
fn point_1_every_shape_error_in_a_file_is_reported() {
    let rb = r#"# yaml-language-server: $schema=x
id: typos
title: Three steps, three typos
steps:
  - id: one
    title: One
    ini_set: { file: /etc/php.ini, kee: mail.add_x_header, value: "Off" }
  - id: two
    titel: Two
    manual: { text: two }
  - id: three
    title: Three
    run: { argv: [/bin/true], mutating: false, timout: 5s }
  - id: four
    title: Four
    shell: { script: "echo 1", mutating: yes, undoo: "echo 0" }
    notify: reload
"#;
    let test = Test::new().runbook(rb);
    let out = test.run_args(&["lint", &test.runbooks_dir().display().to_string()]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
}

/// A misspelled key, and a misspelled step type, get a "did you mean" from the fields
/// that exist there (a misspelled choice such as a param's type, from the choices); an
/// unknown key with no close name in a step lists the actions.
#[test]
fn point_2_misspelled_keys_and_step_types_get_did_you_mean() {
    let rb = r#"id: did-you-mean
title: Did you mean
params:
  domain: { tpye: domain }
  count: { type: integr }
steps:
  - id: key
    title: kee for key
    ini_set: { file: /etc/php.ini, kee: mail.add_x_header, value: "Off" }
  - id: step-type
    title: a misspelled step type
    ini_sett: { file: /etc/php.ini, key: k, value: v }
  - id: no-such-action
    title: nothing close
    restart_everything: { now: true }
handlers:
  reload:
    service_relaod: { service: apache2 }
"#;
    let test = Test::new().runbook(rb);
    insta::assert_snapshot!(lint_lines(&test).join("\n"));
}

/// YAML errors say what to do: a tab used for indentation (the caret on the tab), a line
/// indented wrongly, and a string or list where a step type wants a mapping (the help
/// shows the mapping with the step type's real fields).
#[test]
fn point_5_yaml_errors_say_what_to_do() {
    let tab = "# yaml-language-server: $schema=x\nid: tab\ntitle: Tab\nsteps:\n  - id: a\n\ttitle: A\n    manual: { text: a }\n";
    let indent = "# yaml-language-server: $schema=x\nid: indent\ntitle: Indent\nsteps:\n  - id: a\n    title: A\n  manual: { text: a }\n";
    let shapes = r#"# yaml-language-server: $schema=x
id: shapes
title: Strings and lists where mappings belong
steps:
  - id: shell
    title: a string for a shell step
    shell: "echo hi"
  - id: run
    title: a list for a run step
    run: [/bin/true]
  - id: argv
    title: a string for argv
    run: { argv: /bin/true, mutating: false }
  - a string for a step
"#;
    let test = Test::new().runbook(tab).runbook(indent).runbook(shapes);
    let out = test.run_args(&["lint", &test.runbooks_dir().display().to_string()]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
}
