//! Hostile param values pass through every param type and step type as plain data:
//! nothing they spell out ever runs.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::support::{Test, is_root};

const EVIL: [&str; 3] = [
    "; touch /tmp/pwned",
    "$(touch /tmp/pwned)",
    "`touch /tmp/pwned`",
];

const RUNBOOK: &str = r#"# yaml-language-server: $schema=x
id: inject
title: Pass params through every step type
params:
  s: { type: string }
  p: { type: path }
  k: { type: secret }
  c: { type: choice, values: ["; touch /tmp/pwned", "$(touch /tmp/pwned)", "`touch /tmp/pwned`"] }
steps:
  - id: run
    title: argv element
    run: { argv: [/bin/busybox, sh, -c, 'echo "$0" > /tmp/argv-out', "{{params.s}}"], mutating: true }
  - id: shell
    title: shell-quoted values
    shell: { script: 'echo {{params.s}} {{params.p}} {{params.c}} "$K" > /tmp/shell-out', env: { K: "{{params.k}}" }, mutating: true }
  - id: ini
    title: ini value
    ini_set: { file: /etc/app.ini, key: value, value: '"{{params.s}}"' }
  - id: line
    title: line
    line: { file: /etc/app.conf, line: "path={{params.p}}" }
  - id: apache
    title: apache directive
    apache_directive: { file: /etc/apache2/sites-available/a.conf, directive: SetEnv, arg: EVIL, value: "{{params.s}}" }
  - id: manual
    title: manual text
    manual: { text: "check {{params.s}}" }
  - id: include
    title: include params
    include: { runbook: inject-inner, params: { v: "{{params.s}}" } }
"#;

const INNER: &str = r#"# yaml-language-server: $schema=x
id: inject-inner
title: Included
params:
  v: { type: string }
steps:
  - id: shell
    title: shell in an included runbook
    shell: { script: "echo {{params.v}} > /tmp/inner-out", mutating: true }
"#;

fn host() -> Test {
    assert!(
        is_root() && Path::new("/bin/busybox").is_file(),
        "needs root and /bin/busybox (busybox-static); rebuild so the test is ignored instead"
    );
    let test = Test::new()
        .file("/etc/app.ini", "[app]\nvalue = old\nlist = a,b\n")
        .file("/etc/app.conf", "# app\n")
        .file(
            "/etc/apache2/sites-available/a.conf",
            "<VirtualHost *:80>\n    ServerName a.example\n</VirtualHost>\n",
        )
        .runbook(RUNBOOK)
        .runbook(INNER);
    fs::create_dir_all(test.path("/tmp")).unwrap();
    fs::create_dir_all(test.path("/bin")).unwrap();
    fs::copy("/bin/busybox", test.path("/bin/busybox")).unwrap();
    symlink("busybox", test.path("/bin/sh")).unwrap();
    test
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn hostile_values_reach_every_step_type_as_data() {
    for evil in EVIL {
        let path = format!("/x{evil}");
        let secret = format!("s3cr3t{evil}");
        // A secret never goes on a command line: it comes from the environment.
        let test = host().env("RUNBOOK_PARAM_K", &secret);
        let args = [
            "apply",
            "inject",
            "--yes",
            "-p",
            &format!("s={evil}"),
            "-p",
            &format!("p={path}"),
            "-p",
            &format!("c={evil}"),
        ];
        let out = test.run_args(&args);
        assert_eq!(out.code, 0, "{evil}: {}\n{}", out.stdout, out.stderr);
        assert!(
            !test.path("/tmp/pwned").exists(),
            "{evil} ran inside the root"
        );
        assert!(
            !Path::new("/tmp/pwned").exists(),
            "{evil} ran on the machine"
        );
        assert_eq!(test.read("/tmp/argv-out"), format!("{evil}\n"));
        assert_eq!(
            test.read("/tmp/shell-out"),
            format!("{evil} {path} {evil} {secret}\n")
        );
        assert_eq!(test.read("/tmp/inner-out"), format!("{evil}\n"));
        assert!(
            test.read("/etc/app.ini")
                .contains(&format!("value = \"{evil}\"\n"))
        );
        assert!(
            test.read("/etc/app.conf")
                .contains(&format!("path={path}\n"))
        );
        assert!(
            test.read("/etc/apache2/sites-available/a.conf")
                .contains(&format!("SetEnv EVIL {evil}"))
        );
        // The secret never shows: not in output, not in the journal.
        assert!(
            !out.stdout.contains("s3cr3t") && !out.stderr.contains("s3cr3t"),
            "{}",
            out.stdout
        );
        let runs = test.path("/var/lib/runbook/runs");
        for run in fs::read_dir(runs).unwrap() {
            let journal = fs::read_to_string(run.unwrap().path().join("journal.jsonl")).unwrap();
            assert!(
                !journal.contains("s3cr3t"),
                "secret in the journal: {journal}"
            );
        }
    }
}

#[test]
fn typed_params_refuse_hostile_values_before_anything_runs() {
    let typed = r#"# yaml-language-server: $schema=x
id: typed
title: Typed params
params:
  e: { type: email, default: a@b.example }
  d: { type: domain, default: b.example }
  i: { type: integer, default: 1 }
  b: { type: bool, default: true }
  t: { type: duration, default: 1h }
steps:
  - id: shell
    title: Would run
    shell: { script: "touch /tmp/pwned {{params.e}}", mutating: true }
"#;
    for param in ["e", "d", "i", "b", "t"] {
        for evil in EVIL {
            let test = Test::new().runbook(typed);
            let out = test.run_args(&["apply", "typed", "--yes", "-p", &format!("{param}={evil}")]);
            assert_eq!(out.code, 1, "{param}={evil} was accepted");
            crate::assert_contains!(out.stderr, &format!("param `{param}`"));
            assert!(!test.path("/tmp/pwned").exists());
            assert!(!test.path("/var/lib/runbook").exists());
        }
    }
}
