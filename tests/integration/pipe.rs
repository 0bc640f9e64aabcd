//! Output into a pipe whose reader is gone (`runbook history | head -1`) ends the
//! program quietly: no panic, no exit code 101.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use crate::support::Test;

const CHECKLIST: &str = r#"# yaml-language-server: $schema=x
id: checklist
title: A checklist, recorded as a run
steps:
  - id: tell
    title: Tell a person
    manual: { text: "Ask the provider to lift the block" }
"#;

/// Run the binary with stdout a pipe whose read end was closed before it started.
fn into_closed_pipe(test: &Test, args: &[&str]) -> (Option<i32>, Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runbook"));
    cmd.args(args)
        .env_remove("RUNBOOK_PATH")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped());
    if args
        .first()
        .is_some_and(|a| ["history", "facts"].contains(a))
    {
        cmd.arg("--root").arg(test.root());
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        out.status.signal(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_does_not_panic_any_command() {
    let test = Test::example("exim-outbreak").runbook(CHECKLIST);
    for _ in 0..3 {
        let out = test.run_args(&["apply", "checklist", "--yes"]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    }
    let history = test.run_args(&["history"]);
    assert_eq!(
        history.stdout.matches("checklist").count(),
        3,
        "{}",
        history.stdout
    );
    let runbooks = test.runbooks_dir().display().to_string();
    let commands: [&[&str]; 7] = [
        &["history"],
        &["history", "--output", "json"],
        &["facts"],
        &["list", "--runbooks", &runbooks],
        &["show", "spam-diagnose"],
        &["schema"],
        &["man"],
    ];
    for args in commands {
        let (code, signal, stderr) = into_closed_pipe(&test, args);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
        assert_ne!(code, Some(101), "{args:?}: {stderr}");
        // Either ended by SIGPIPE, as `cat` is, or exited on its own without a message.
        assert!(
            signal == Some(libc::SIGPIPE) || stderr.is_empty(),
            "{args:?}: code {code:?}, signal {signal:?}: {stderr}"
        );
    }
}

#[test]
fn a_program_that_does_not_read_its_stdin_does_not_kill_the_apply() {
    // More than a pipe holds, for a program that exits without reading any of it: the
    // write fails with EPIPE, and SIGPIPE (default since main) must not end runbook.
    let big = "x".repeat(512 * 1024);
    let runbook = format!(
        r#"# yaml-language-server: $schema=x
id: deaf
title: A program that ignores its stdin, then another step
params:
  out: {{ type: path }}
steps:
  - id: deaf
    title: Exits at once
    run: {{ argv: [/bin/true], stdin: "{big}", mutating: true }}
  - id: after
    title: Runs after it
    run: {{ argv: [/bin/sh, -c, 'echo after > "$1"', sh, "{{{{params.out}}}}"], mutating: true }}
"#
    );
    let test = Test::new().runbook(&runbook);
    let out_file = test.path("/after").display().to_string();
    let state = test.path("/state").display().to_string();
    let out = test.run_args(&[
        "apply",
        "deaf",
        "--yes",
        "-p",
        &format!("out={out_file}"),
        "--root",
        "/",
        "--state-dir",
        &state,
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "after\n");
}
