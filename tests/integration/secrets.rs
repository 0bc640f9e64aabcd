//! Secret params never reach a command line (runbook's own or a program's: both are
//! readable by every user in /proc/PID/cmdline), and never what is shown or stored,
//! not even when a failing command prints them.
//!
//! The commands run on the live host (`--root /`, state in a temporary dir): only there
//! does a program see a /proc to read its own cmdline from; they write only under the
//! test's temporary dir.

use std::fs;
use std::path::Path;

use crate::support::{Output, Test};

const SECRET: &str = "hunter2-Zq8vX";

const RUNBOOK: &str = r#"# yaml-language-server: $schema=x
id: secret-use
title: Hand a secret to programs through env and stdin
params:
  password: { type: secret, description: The mailbox's new password }
  out: { type: path }
steps:
  - id: env
    title: Through the environment
    run:
      argv: [/bin/sh, -c, 'printf %s "$PASSWORD" > "$1.env"; cat /proc/$$/cmdline > "$1.env-cmdline"', sh, "{{params.out}}"]
      env: { PASSWORD: "{{params.password}}" }
      mutating: true
  - id: stdin
    title: Through stdin
    shell:
      script: "cat > {{params.out}}.stdin; cat /proc/$$/cmdline > {{params.out}}.stdin-cmdline"
      stdin: "{{params.password}}"
      mutating: true
"#;

const FAILING: &str = r#"# yaml-language-server: $schema=x
id: secret-fail
title: A command that prints the secret and fails
params:
  password: { type: secret }
  out: { type: path }
steps:
  - id: first
    title: Changes something first
    run: { argv: [/bin/sh, -c, 'echo done > "$1"', sh, "{{params.out}}"], undo: [/bin/rm, -f, "{{params.out}}"], mutating: true }
  - id: fail
    title: Fails loudly
    shell:
      script: 'echo "out: got $PASSWORD"; read line || :; echo "err: bad password $PASSWORD / $line" >&2; exit 3'
      env: { PASSWORD: "{{params.password}}" }
      stdin: "{{params.password}}"
      mutating: true
"#;

fn live(test: &Test, args: &[&str]) -> Output {
    let state = test.path("/state").display().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--root", "/", "--state-dir", &state]);
    test.run_args(&all)
}

fn out_prefix(test: &Test) -> String {
    let dir = test.path("/out");
    fs::create_dir_all(&dir).unwrap();
    dir.join("o").display().to_string()
}

/// Both programs got the secret, and neither had it on its command line.
fn assert_received(test: &Test, prefix: &str) {
    let read = |suffix: &str| fs::read(format!("{prefix}.{suffix}")).unwrap();
    assert_eq!(read("env"), SECRET.as_bytes());
    assert_eq!(read("stdin"), SECRET.as_bytes());
    // A `run` argv as written; a `shell` step runs under `sh -e`.
    for (cmdline, shell) in [
        ("env-cmdline", "/bin/sh -c "),
        ("stdin-cmdline", "/bin/sh -e -c "),
    ] {
        let argv = String::from_utf8_lossy(&read(cmdline)).replace('\0', " ");
        assert!(argv.starts_with(shell), "{cmdline}: {argv}");
        assert!(
            !argv.contains(SECRET),
            "the secret is in a program's argv: {argv}"
        );
    }
    assert_nowhere(test, &[]);
}

/// The secret is in none of the state dir's files.
fn assert_nowhere(test: &Test, outputs: &[&Output]) {
    for out in outputs {
        assert!(!out.stdout.contains(SECRET), "stdout: {}", out.stdout);
        assert!(!out.stderr.contains(SECRET), "stderr: {}", out.stderr);
    }
    let mut files = 0;
    walk(&test.path("/state"), &mut |path| {
        files += 1;
        let bytes = fs::read(path).unwrap();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "the secret is in {}",
            path.display()
        );
    });
    assert!(files > 0, "the run left no state to search");
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, f);
        } else {
            f(&path);
        }
    }
}

/// `secret-use` applied with the secret from a param file: the test, its output prefix
/// and the apply's output.
fn applied_from_param_file() -> (Test, String, Output) {
    let test = Test::new().runbook(RUNBOOK);
    let prefix = out_prefix(&test);
    let file = test.path("/secret.txt");
    fs::write(&file, format!("{SECRET}\n")).unwrap();
    let out = live(
        &test,
        &[
            "apply",
            "secret-use",
            "--yes",
            "-p",
            &format!("out={prefix}"),
            "--param-file",
            &format!("password={}", file.display()),
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    (test, prefix, out)
}

#[test]
fn a_secret_from_a_param_file_reaches_programs_through_env_and_stdin() {
    let (test, prefix, out) = applied_from_param_file();
    crate::assert_contains!(out.stdout, "password=\"********\"");
    // The plan says what each program gets besides its argv, by name only.
    crate::assert_contains!(out.stdout, " (with env PASSWORD)\n");
    crate::assert_contains!(out.stdout, ".stdin-cmdline' (with stdin)\n");
    assert_received(&test, &prefix);
    assert_nowhere(&test, &[&out]);
}

#[test]
fn a_secret_from_the_environment_reaches_programs_through_env_and_stdin() {
    let test = Test::new()
        .runbook(RUNBOOK)
        .env("RUNBOOK_PARAM_PASSWORD", SECRET);
    let prefix = out_prefix(&test);
    let out = live(
        &test,
        &[
            "apply",
            "secret-use",
            "--yes",
            "-p",
            &format!("out={prefix}"),
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_received(&test, &prefix);
    assert_nowhere(&test, &[&out]);
}

#[test]
fn a_secret_on_runbooks_own_command_line_is_refused() {
    let test = Test::new().runbook(RUNBOOK);
    let prefix = out_prefix(&test);
    for flag in ["-p", "--param"] {
        let out = live(
            &test,
            &[
                "apply",
                "secret-use",
                "--yes",
                "-p",
                &format!("out={prefix}"),
                flag,
                &format!("password={SECRET}"),
            ],
        );
        assert_eq!(out.code, 1, "{}", out.stdout);
        crate::assert_contains!(out.stderr, "param `password` is a secret");
        crate::assert_contains!(out.stderr, "/proc/PID/cmdline");
        crate::assert_contains!(out.stderr, "--param-file password=PATH");
        crate::assert_contains!(out.stderr, "RUNBOOK_PARAM_PASSWORD");
        assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
        assert!(!Path::new(&format!("{prefix}.env")).exists(), "a step ran");
        assert!(!test.path("/state").exists(), "a run was recorded");
    }
}

#[test]
fn a_missing_secret_without_a_terminal_names_the_ways_to_pass_it() {
    let test = Test::new().runbook(RUNBOOK);
    let prefix = out_prefix(&test);
    let out = live(
        &test,
        &[
            "apply",
            "secret-use",
            "--dry-run",
            "-p",
            &format!("out={prefix}"),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    crate::assert_contains!(out.stderr, "needs param `password`");
    crate::assert_contains!(out.stderr, "--param-file password=PATH");
    crate::assert_contains!(out.stderr, "RUNBOOK_PARAM_PASSWORD");
    crate::assert_contains!(out.stderr, "stdin is not a terminal");
    assert!(!out.stderr.contains("-p password"), "{}", out.stderr);
}

#[test]
fn a_failing_command_that_prints_the_secret_leaks_it_nowhere() {
    let test = Test::new().runbook(FAILING);
    let marker = test.path("/out/first").display().to_string();
    fs::create_dir_all(test.path("/out")).unwrap();
    let file = test.path("/secret.txt");
    fs::write(&file, SECRET).unwrap();
    let password = format!("password={}", file.display());
    let out_param = format!("out={marker}");
    let mut outputs = Vec::new();
    for output in ["human", "json"] {
        let out = live(
            &test,
            &[
                "apply",
                "secret-fail",
                "--yes",
                "--output",
                output,
                "-p",
                &out_param,
                "--param-file",
                &password,
            ],
        );
        assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
        assert!(
            !Path::new(&marker).exists(),
            "the first step was not undone"
        );
        outputs.push(out);
    }
    // What the command printed is there, with the secret masked.
    crate::assert_contains!(outputs[0].stderr, "err: bad password ******** / ********");
    for output in ["human", "json"] {
        outputs.push(live(&test, &["history", "--output", output]));
    }
    let history = outputs[3].json();
    let runs = history["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{history}");
    for run in runs {
        assert_eq!(run["outcome"], "failed");
        let error = run["error"].as_str().unwrap();
        crate::assert_contains!(error, "bad password ********");
    }
    let journals: Vec<String> = fs::read_dir(test.path("/state/runs"))
        .unwrap()
        .map(|r| fs::read_to_string(r.unwrap().path().join("journal.jsonl")).unwrap())
        .collect();
    assert!(
        journals.iter().all(|j| j.contains("bad password ********")),
        "{journals:?}"
    );
    assert_nowhere(&test, &outputs.iter().collect::<Vec<_>>());
}

#[test]
fn lint_refuses_secrets_in_command_lines() {
    let runbook = r#"# yaml-language-server: $schema=x
id: leaky
title: Secrets where every user can read them
params:
  password: { type: secret }
  user: { type: string, default: bob }
steps:
  - id: argv
    title: In argv
    run: { argv: [/usr/bin/passwd-set, "--password={{params.password}}"], mutating: true }
  - id: undo
    title: In undo
    run: { argv: [/bin/true], undo: [/usr/bin/passwd-set, "{{params.password}}"], mutating: true }
  - id: script
    title: In a shell script
    shell: { script: "chpasswd {{params.user}} {{params.password}}", mutating: true }
  - id: ok
    title: Through env and stdin, fine
    shell:
      script: 'printf "%s:%s\n" {{params.user}} "$PASSWORD" | chpasswd'
      env: { PASSWORD: "{{params.password}}", 1BAD: x }
      stdin: "{{params.pasword}}"
      mutating: true
  - id: include
    title: To a plain param
    include: { runbook: plain, params: { word: "{{params.password}}" } }
"#;
    let plain = r#"# yaml-language-server: $schema=x
id: plain
title: Takes a plain word
params:
  word: { type: string }
"#;
    let test = Test::new().runbook(runbook).runbook(plain);
    let out = test.run_args(&[
        "lint",
        "--output",
        "json",
        &test.runbooks_dir().display().to_string(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let report = out.json();
    let found: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("RB095", 10),
        ("RB095", 13),
        ("RB095", 16),
        ("RB096", 21),
        ("RB031", 22),
        ("RB097", 26),
    ] {
        assert!(
            found.contains(&(expected.0.to_string(), expected.1)),
            "{expected:?} not in {found:?}"
        );
    }
    assert_eq!(
        found.iter().filter(|(c, _)| c == "RB095").count(),
        3,
        "{found:?}"
    );
    let human = test.run_args(&["lint", &test.runbooks_dir().display().to_string()]);
    crate::assert_contains!(
        human.stdout,
        "pass it through `stdin: \"{{params.password}}\"`"
    );
    // And apply refuses to run it.
    let apply = test.run_args(&["apply", "leaky", "--dry-run"]);
    assert_eq!(apply.code, 1);
    crate::assert_contains!(apply.stderr, "error[RB095]");
}

#[test]
fn a_secret_that_reaches_argv_another_way_is_refused_when_planning() {
    // Lint cannot see a secret arrive in argv through a plain param (or a fact) that
    // happens to hold it; the planner still refuses to put it on a command line.
    let runbook = r#"# yaml-language-server: $schema=x
id: sneaky
title: A plain param that holds the secret
params:
  password: { type: secret }
  label: { type: string }
steps:
  - id: echo
    title: Echo the label
    run: { argv: [/bin/echo, "label={{params.label}}"], mutating: true }
"#;
    let test = Test::new()
        .runbook(runbook)
        .env("RUNBOOK_PARAM_PASSWORD", SECRET)
        .env("RUNBOOK_PARAM_LABEL", SECRET);
    let out = live(&test, &["apply", "sneaky", "--dry-run"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    crate::assert_contains!(out.stderr, "a secret would appear in the command's argv");
    crate::assert_contains!(out.stderr, "`stdin:` or `env:`");
    assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
}

#[test]
fn a_missing_secret_is_asked_for_on_a_terminal_without_echo() {
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let test = Test::new().runbook(RUNBOOK);
    let prefix = out_prefix(&test);
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two fds; the null pointers ask for default settings.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just opened and are owned here alone.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let echo_on = |fd: &OwnedFd| {
        use std::os::fd::AsRawFd;
        // SAFETY: termios is plain data, filled by tcgetattr for a pty fd.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd.as_raw_fd(), &mut t) }, 0);
        t.c_lflag & libc::ECHO != 0
    };
    assert!(echo_on(&master));
    let state = test.path("/state").display().to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args([
            "apply",
            "secret-use",
            "--yes",
            "-p",
            &format!("out={prefix}"),
        ])
        .args(["--root", "/", "--state-dir", &state])
        .arg("--runbooks")
        .arg(test.runbooks_dir())
        .env("NO_COLOR", "1")
        .env_remove("RUNBOOK_PATH")
        .env_remove("RUNBOOK_PARAM_PASSWORD")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Type only once echo is off, as a person would after the prompt.
    let started = Instant::now();
    while echo_on(&master) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "echo never went off"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut tty = std::fs::File::from(master);
    tty.write_all(format!("{SECRET}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    crate::assert_contains!(stderr, "password (The mailbox's new password): ");
    assert!(echo_on(&slave), "echo was not turned back on");
    // What the terminal showed: the newline, never the secret.
    // SAFETY: O_NONBLOCK on an fd we own, so reading what is there cannot hang.
    unsafe {
        use std::os::fd::AsRawFd;
        libc::fcntl(tty.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK);
    }
    let mut shown = Vec::new();
    let _ = tty.read_to_end(&mut shown);
    let shown = String::from_utf8_lossy(&shown);
    assert!(
        !shown.contains(SECRET),
        "the terminal echoed the secret: {shown:?}"
    );
    assert_received(&test, &prefix);
}

/// `runbook report` of a run with a secret: masked in every format, and the run's plan
/// (which may carry it in a command's stdin) was never saved for it.
#[test]
fn the_report_of_a_run_with_a_secret_shows_it_nowhere() {
    let (test, _, _) = applied_from_param_file();
    let mut outputs = Vec::new();
    for format in ["text", "markdown", "html", "json"] {
        let report = live(
            &test,
            &["report", "--last", "--format", format, "--lang", "en"],
        );
        assert_eq!(report.code, 0, "{}", report.stderr);
        outputs.push(report);
    }
    crate::assert_contains!(outputs[0].stdout, "password=********");
    crate::assert_contains!(outputs[0].stdout, "Ran `/bin/sh -c ");
    let mut plans = 0;
    walk(&test.path("/state"), &mut |path| {
        plans += usize::from(path.ends_with("plan.json"));
    });
    assert_eq!(plans, 0, "a plan with a secret was saved");
    assert_nowhere(&test, &outputs.iter().collect::<Vec<_>>());
}
