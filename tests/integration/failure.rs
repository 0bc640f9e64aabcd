//! Failures mid-apply leave the host as it was. These run commands chrooted into the
//! host root, which needs root and a static busybox (CI installs busybox-static).

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use crate::support::{PHP_INI, Test, is_root};

const INI: &str = "/etc/php/8.2/apache2/php.ini";
const BUSYBOX: &str = "/bin/busybox";

/// A host root with busybox as /bin/sh.
pub(crate) fn chroot_host() -> Test {
    assert!(
        is_root() && Path::new(BUSYBOX).is_file(),
        "needs root and {BUSYBOX} (busybox-static); rebuild so the test is ignored instead"
    );
    let test = Test::new().file(INI, PHP_INI).mode(INI, 0o640);
    fs::create_dir_all(test.path("/bin")).unwrap();
    fs::create_dir_all(test.path("/tmp")).unwrap();
    fs::copy(BUSYBOX, test.path(BUSYBOX)).unwrap();
    symlink("busybox", test.path("/bin/sh")).unwrap();
    test
}

/// An executable script in the host root.
pub(crate) fn script(test: &Test, host_path: &str, body: &str) {
    let path = test.path(host_path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// An apache2ctl that records its calls in /tmp/apache2ctl.calls, and a pidof whose
/// body says whether Apache runs.
pub(crate) fn fake_apache(test: &Test, pidof: &str) {
    script(
        test,
        "/usr/sbin/apache2ctl",
        "echo \"$@\" >> /tmp/apache2ctl.calls",
    );
    script(test, "/usr/bin/pidof", pidof);
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn a_step_failing_midway_undoes_the_steps_before_it() {
    let test = chroot_host();
    let test = test.runbook(
        r#"# yaml-language-server: $schema=x
id: fails-midway
title: Edit php.ini, then run a command that fails
steps:
  - id: edit
    title: Turn on the X-PHP header
    ini_set: { file: /etc/php/8.2/apache2/php.ini, key: mail.add_x_header, value: "On" }
  - id: marker
    title: Leave a marker, undone by removing it
    run: { argv: [/bin/busybox, touch, /tmp/marker], mutating: true, undo: [/bin/busybox, rm, /tmp/marker] }
  - id: boom
    title: Fail
    run: { argv: [/bin/busybox, "false"], mutating: true }
"#,
    );
    let before = test.host_only();
    let out = test.run_args(&["apply", "fails-midway", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    crate::assert_contains!(out.stderr, "step `boom` failed");
    crate::assert_contains!(out.stderr, "restored /etc/php/8.2/apache2/php.ini");
    crate::assert_contains!(out.stderr, "ran `/bin/busybox rm /tmp/marker`");
    crate::assert_unchanged!(before, test.host_only());
    let history = test.run_args(&["history", "--output", "json"]).json();
    assert_eq!(history["runs"][0]["outcome"], "failed");
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn a_failing_config_test_stops_the_reload_and_undoes_the_edit() {
    let test = chroot_host();
    script(
        &test,
        "/usr/sbin/apache2ctl",
        "echo \"AH00526: Syntax error on line 7\" >&2; exit 1",
    );
    let before = test.host_only();
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("config test `apache2ctl configtest` exited with status 1: AH00526"),
        "{}",
        out.stderr
    );
    crate::assert_unchanged!(before, test.host_only());
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn handlers_test_the_config_then_reload_once() {
    let test = chroot_host();
    // Apache runs (pidof finds it), so it is reloaded.
    fake_apache(&test, "[ \"$1\" = apache2 ]");
    let test = test.file("/etc/php/8.2/cli/php.ini", PHP_INI);
    let out = test.run_args(&["apply", "php-enable-x-header", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Two php.ini files changed; Apache is tested and reloaded once.
    assert_eq!(test.read("/tmp/apache2ctl.calls"), "configtest\ngraceful\n");
    crate::assert_contains!(out.stdout, "reload-apache2: reloaded");
    crate::assert_contains!(out.stdout, "reload-httpd: skipped (not installed)");
    // Rollback reloads again with the restored config.
    assert_eq!(test.run_args(&["rollback", "--last", "--yes"]).code, 0);
    assert_eq!(
        test.read("/tmp/apache2ctl.calls"),
        "configtest\ngraceful\nconfigtest\ngraceful\n"
    );
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn a_stopped_service_is_tested_but_never_started() {
    let test = chroot_host();
    fake_apache(&test, "exit 1");
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        test.read("/tmp/apache2ctl.calls"),
        "configtest\n",
        "graceful would start a stopped Apache"
    );
    assert!(
        out.stdout
            .contains("reload-apache2: config tested; not running, so not reloaded"),
        "{}",
        out.stdout
    );
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn a_timeout_kills_the_command_and_undoes() {
    let test = chroot_host();
    let test = test.runbook(
        r#"# yaml-language-server: $schema=x
id: hangs
title: Edit, then hang
steps:
  - id: edit
    title: Edit
    ini_set: { file: /etc/php/8.2/apache2/php.ini, key: mail.add_x_header, value: "On" }
  - id: hang
    title: Hang
    run: { argv: [/bin/busybox, sleep, "30"], mutating: true, timeout: 1s }
"#,
    );
    let before = test.host_only();
    let out = test.run_args(&["apply", "hangs", "--yes"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(out.stderr, "timed out and was killed");
    crate::assert_unchanged!(before, test.host_only());
}

#[test]
fn a_program_missing_from_the_root_is_a_clear_error() {
    let test = Test::new().file(INI, PHP_INI).runbook(
        "# yaml-language-server: $schema=x\nid: missing\ntitle: M\nsteps:\n  - id: s\n    title: S\n    run: { argv: [exiqgrep, -i], mutating: false }\n",
    );
    let out = test.run_args(&["apply", "missing", "--dry-run"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("program `exiqgrep` is not installed on the host"),
        "{}",
        out.stderr
    );
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn ctrl_c_kills_the_running_command_and_undoes() {
    let test = chroot_host();
    let test = test.runbook(
        r#"# yaml-language-server: $schema=x
id: slow
title: Edit, then take long
steps:
  - id: edit
    title: Edit
    ini_set: { file: /etc/php/8.2/apache2/php.ini, key: mail.add_x_header, value: "On" }
  - id: slow
    title: Take long
    run: { argv: [/bin/busybox, sleep, "30"], mutating: true, timeout: 5m }
"#,
    );
    let before = test.host_only();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["apply", "slow", "--yes", "--root"])
        .arg(test.root())
        .arg("--runbooks")
        .arg(test.runbooks_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the slow command runs (its journal entry is written before it starts).
    let runs = test.path("/var/lib/runbook/runs");
    let started = std::time::Instant::now();
    while !fs::read_dir(&runs)
        .map(|d| {
            d.flatten().any(|r| {
                fs::read_to_string(r.path().join("journal.jsonl"))
                    .unwrap_or_default()
                    .contains("sleep")
            })
        })
        .unwrap_or(false)
    {
        assert!(
            started.elapsed().as_secs() < 20,
            "the command never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    nix_kill(child.id(), libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed().as_secs() < 20,
        "Ctrl-C did not stop the apply"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::assert_contains!(stderr, "restored /etc/php/8.2/apache2/php.ini");
    crate::assert_unchanged!(before, test.host_only());
    let history = test.run_args(&["history", "--output", "json"]).json();
    assert_eq!(history["runs"][0]["outcome"], "interrupted");
}

fn nix_kill(pid: u32, signal: i32) {
    // SAFETY: sending a signal to a child we spawned.
    assert_eq!(unsafe { libc::kill(pid as i32, signal) }, 0);
}
