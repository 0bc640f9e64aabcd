//! Crashes, full disks, read-only file systems, permission errors and two runs at once,
//! met the way they happen: SIGKILL at every action boundary (through the debug build's
//! test hooks), a tmpfs filled mid-apply, a read-only bind mount. Commands run chrooted
//! with busybox and the mounts need root: built by anyone but root these are ignored.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{PHP_INI, Test};
use crate::{assert_contains, assert_unchanged};

const BUSYBOX: &str = "/bin/busybox";
const FILES: [&str; 3] = [
    "/etc/php/8.2/apache2/php.ini",
    "/etc/php/8.2/cli/php.ini",
    "/etc/app.conf",
];

/// Three file edits, a command with an undo, a reload; the command and the reload kill
/// runbook itself when a flag file says so (a crash while they run).
const RUNBOOK: &str = r#"# yaml-language-server: $schema=x
id: three-files
title: Edit three files, run a command, reload a service
steps:
  - id: apache-ini
    title: X-PHP header for Apache's PHP
    ini_set: { file: /etc/php/8.2/apache2/php.ini, key: mail.add_x_header, value: "On" }
  - id: cli-ini
    title: X-PHP header for the CLI
    ini_set: { file: /etc/php/8.2/cli/php.ini, key: mail.add_x_header, value: "On" }
  - id: app-conf
    title: A line in the app's config
    line: { file: /etc/app.conf, line: "mail = off" }
    notify: [app]
  - id: act
    title: A command with an undo
    run: { argv: [/bin/sh, /usr/local/bin/act], mutating: true, undo: [/bin/busybox, rm, -f, /tmp/marker] }
handlers:
  app:
    title: Reload the app
    service_reload:
      service: app
      test: [/bin/busybox, "true"]
      reload: [/bin/sh, /usr/local/bin/reload-app]
      running: [/bin/busybox, "true"]
"#;

fn busybox_host() -> Test {
    assert!(
        Path::new(BUSYBOX).is_file(),
        "these tests need {BUSYBOX}: apt-get install busybox-static (.ci/run does)"
    );
    let test = Test::new()
        .file(FILES[0], PHP_INI)
        .mode(FILES[0], 0o640)
        .file(FILES[1], PHP_INI)
        .file(FILES[2], "mail = on\n")
        .file(
            "/usr/local/bin/act",
            "touch /tmp/marker\n[ -e /tmp/kill-in-command ] && kill -9 $PPID && sleep 1\nexit 0\n",
        )
        .file(
            "/usr/local/bin/reload-app",
            "[ -e /tmp/kill-in-reload ] && kill -9 $PPID && sleep 1\nexit 0\n",
        )
        .runbook(RUNBOOK);
    for dir in ["/bin", "/tmp"] {
        fs::create_dir_all(test.path(dir)).unwrap();
    }
    fs::copy(BUSYBOX, test.path(BUSYBOX)).unwrap();
    symlink("busybox", test.path("/bin/sh")).unwrap();
    test
}

/// The files as a finished apply leaves them.
fn applied_files() -> Vec<String> {
    let test = busybox_host();
    let out = test.run_args(&["apply", "three-files", "--yes"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    FILES.iter().map(|f| test.read(f)).collect()
}

fn outcome(test: &Test) -> (String, serde_json::Value) {
    let history = test.run_args(&["history", "--output", "json"]).json();
    let run = history["runs"].as_array().unwrap().last().unwrap().clone();
    (run["outcome"].as_str().unwrap().to_string(), run)
}

#[test]
#[cfg_attr(
    not_root,
    ignore = "needs root: commands run chrooted into the host root"
)]
fn a_kill_at_any_action_boundary_leaves_a_host_rollback_restores() {
    let after = applied_files();
    let fresh = busybox_host();
    let originals: Vec<String> = FILES.iter().map(|f| fresh.read(f)).collect();
    let kills = [
        ("after-journal:1", None),
        ("after-temp:1", None),
        ("after-rename:1", None),
        ("after-done:1", None),
        ("after-journal:2", None),
        ("after-temp:2", None),
        ("after-rename:2", None),
        ("after-journal:3", None),
        ("after-temp:3", None),
        ("after-rename:3", None),
        ("after-done:3", None),
        ("", Some("/tmp/kill-in-command")),
        ("", Some("/tmp/kill-in-reload")),
    ];
    for (point, flag) in kills {
        let test = busybox_host();
        let before = test.host_only();
        let what = flag.unwrap_or(point);
        let test = match flag {
            Some(flag) => test.file(flag, ""),
            None => test.env("RUNBOOK_TEST_HOOK", &format!("{point}=kill")),
        };
        let out = test.run_args(&["apply", "three-files", "--yes"]);
        assert_eq!(
            out.code, -1,
            "{what}: not killed: {}{}",
            out.stdout, out.stderr
        );

        // No file is half-written: each holds its old bytes or its new bytes.
        for ((file, old), new) in FILES.iter().zip(&originals).zip(&after) {
            let now = test.read(file);
            assert!(now == *old || now == *new, "{what}: {file} is half-written");
        }
        assert_eq!(outcome(&test).0, "interrupted", "{what}");

        // The lock is free, and the next apply points to the interrupted run.
        let again = test.run_args(&["apply", "three-files", "--yes"]);
        assert_eq!(again.code, 1, "{what}: {}", again.stdout);
        assert_contains!(again.stderr, "was interrupted before it finished");
        assert_contains!(again.stderr, "runbook rollback");

        if let Some(flag) = flag {
            fs::remove_file(test.path(flag)).unwrap();
        }
        let out = test.run_args(&["rollback", "--last", "--yes"]);
        assert_eq!(out.code, 0, "{what}: {}{}", out.stdout, out.stderr);
        assert_unchanged!(before, test.host_only());
        assert_eq!(outcome(&test).0, "rolled-back", "{what}");
    }
}

#[test]
#[cfg_attr(
    not_root,
    ignore = "needs root: commands run chrooted into the host root"
)]
fn an_interrupted_run_can_be_applied_over_with_force() {
    let test = busybox_host().env("RUNBOOK_TEST_HOOK", "after-rename:1=kill");
    assert_eq!(test.run_args(&["apply", "three-files", "--yes"]).code, -1);
    let test = test.env("RUNBOOK_TEST_HOOK", "");
    let out = test.run_args(&["apply", "three-files", "--yes", "--force"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_contains!(test.read(FILES[2]), "mail = off");
}

#[test]
#[cfg_attr(
    not_root,
    ignore = "needs root: commands run chrooted into the host root"
)]
fn a_kill_during_a_rollback_is_finished_by_the_next_rollback() {
    let test = busybox_host();
    let before = test.host_only();
    assert_eq!(test.run_args(&["apply", "three-files", "--yes"]).code, 0);
    let test = test.env("RUNBOOK_TEST_HOOK", "rollback-after-restore:2=kill");
    assert_eq!(test.run_args(&["rollback", "--last", "--yes"]).code, -1);
    assert_eq!(outcome(&test).0, "rollback-interrupted");
    let test = test.env("RUNBOOK_TEST_HOOK", "");
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_unchanged!(before, test.host_only());
    assert_eq!(outcome(&test).0, "rolled-back");
}

/// A tmpfs of `size` mounted for the test, unmounted when dropped.
/// The mount point, and the temp dir holding it (removed after the unmount).
struct Tmpfs(PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl Tmpfs {
    fn new(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fs");
        fs::create_dir(&path).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&path)
            .status()
            .unwrap()
            .success();
        assert!(ok, "cannot mount a tmpfs");
        Tmpfs(path, dir)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn script_outside(test: &Test, name: &str, body: &str) -> String {
    let path = test.root().parent().unwrap().join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root (mounts a tmpfs) and /bin/busybox"
)]
fn a_state_dir_disk_filling_up_mid_apply_leaves_nothing_that_cannot_be_rolled_back() {
    for point in ["after-rename:1", "after-journal:2", "after-done:3"] {
        let test = busybox_host();
        let state = Tmpfs::new("1m");
        let state_dir = state.0.join("runbook");
        let fill = script_outside(
            &test,
            "fill",
            &format!(
                "dd if=/dev/zero of={}/fill bs=4k 2>/dev/null; exit 0",
                state.0.display()
            ),
        );
        let before = test.snapshot();
        let test = test.env("RUNBOOK_TEST_HOOK", &format!("{point}=run:{fill}"));
        let sd = state_dir.display().to_string();
        let out = test.run_args(&["apply", "three-files", "--yes", "--state-dir", &sd]);
        // Either the apply fails and undoes what it did, or (the disk filling after the
        // last action) it finishes and says its end could not be recorded.
        assert_contains!(out.stderr, "No space left on device");
        if out.code == 0 {
            assert_contains!(out.stderr, "could not be recorded");
        } else {
            assert_eq!(out.code, 1, "{point}: {}{}", out.stdout, out.stderr);
        }
        // Whatever the apply managed to undo, the journal lets rollback finish the job.
        fs::remove_file(state.0.join("fill")).unwrap();
        let test = test.env("RUNBOOK_TEST_HOOK", "");
        let out = test.run_args(&["rollback", "--last", "--yes", "--state-dir", &sd]);
        assert!(
            out.code == 0
                || out.stderr.contains("nothing to roll back")
                || out.stderr.contains("no run that changed something"),
            "{point}: {}{}",
            out.stdout,
            out.stderr
        );
        assert_unchanged!(before, test.snapshot());
    }
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root (mounts a tmpfs) and /bin/busybox"
)]
fn a_full_disk_before_the_apply_is_a_clear_error_and_changes_nothing() {
    let test = busybox_host();
    let state = Tmpfs::new("64k");
    let full = Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}/fill", state.0.display()))
        .arg("bs=4k")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!full.success(), "the tmpfs did not fill up");
    let before = test.snapshot();
    let sd = state.0.join("runbook").display().to_string();
    let out = test.run_args(&["apply", "three-files", "--yes", "--state-dir", &sd]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(out.stderr, "No space left on device");
    assert_unchanged!(before, test.snapshot());
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root (bind-mounts the host root read-only) and /bin/busybox"
)]
fn a_read_only_host_is_a_clear_error_and_changes_nothing() {
    let test = busybox_host();
    let root = test.root();
    let mount = |args: &[&str]| {
        let ok = Command::new("mount")
            .args(args)
            .arg(&root)
            .arg(&root)
            .status();
        assert!(ok.unwrap().success(), "mount {args:?}");
    };
    mount(&["--bind"]);
    mount(&["-o", "remount,ro,bind"]);
    let state = tempfile::tempdir().unwrap();
    let sd = state.path().join("runbook").display().to_string();
    let before = test.snapshot();
    let out = test.run_args(&["apply", "three-files", "--yes", "--state-dir", &sd]);
    let _ = Command::new("umount").arg(&root).status();
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(out.stderr, "cannot write /etc/php/8.2/apache2/php.ini");
    assert_contains!(out.stderr, "Read-only file system");
    assert_unchanged!(before, test.snapshot());
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: runs runbook as another user")]
fn permission_denied_is_a_clear_error_and_changes_nothing() {
    let test = Test::new().file(FILES[0], PHP_INI);
    let state = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(state.path(), Some(65534), Some(65534)).unwrap();
    // nobody may pass through the test's temp dirs but write nothing in the host root.
    for dir in [test.root().parent().unwrap().to_path_buf(), test.root()] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let before = test.snapshot();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_runbook"))
        .args(["apply", "php-enable-x-header", "--yes", "--root"])
        .arg(test.root())
        .arg("--state-dir")
        .arg(state.path().join("runbook"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_contains!(stderr, "Permission denied");
    assert_unchanged!(before, test.snapshot());
}

/// Start `runbook ARGS` in the background, paused at a hook until `release` exists.
fn paused(test: &Test, args: &[&str], point: &str) -> (Child, PathBuf) {
    let release = test
        .root()
        .parent()
        .unwrap()
        .join(format!("release-{point}"));
    let reached = test
        .root()
        .parent()
        .unwrap()
        .join(format!("reached-{point}"));
    let wait = script_outside(
        test,
        &format!("wait-{point}"),
        &format!(
            "touch {}\ni=0\nwhile [ ! -e {} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done",
            reached.display(),
            release.display()
        ),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(args)
        .arg("--root")
        .arg(test.root())
        .arg("--runbooks")
        .arg(test.runbooks_dir())
        .env("RUNBOOK_TEST_HOOK", format!("{point}=run:{wait}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !reached.exists() {
        assert!(started.elapsed() < Duration::from_secs(20), "never paused");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, release)
}

#[test]
#[cfg_attr(
    not_root,
    ignore = "needs root: commands run chrooted into the host root"
)]
fn a_second_apply_or_an_apply_during_a_rollback_refuses_naming_the_holder() {
    let test = busybox_host();
    let (mut first, release) = paused(&test, &["apply", "three-files", "--yes"], "after-journal");
    let out = test.run_args(&["apply", "three-files", "--yes"]);
    assert_eq!(out.code, 1);
    assert_contains!(
        out.stderr,
        &format!(
            "this host is locked by pid {} (user root, `apply three-files`",
            first.id()
        )
    );
    fs::write(&release, "").unwrap();
    assert!(first.wait().unwrap().success());

    let (mut rollback, release) = paused(
        &test,
        &["rollback", "--last", "--yes"],
        "rollback-after-restore",
    );
    let out = test.run_args(&["apply", "three-files", "--yes", "--force"]);
    assert_eq!(out.code, 1);
    assert_contains!(
        out.stderr,
        &format!(
            "this host is locked by pid {} (user root, `rollback`",
            rollback.id()
        )
    );
    fs::write(&release, "").unwrap();
    assert!(rollback.wait().unwrap().success());
    assert_eq!(outcome(&test).0, "rolled-back");
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root (mounts a tmpfs) and /bin/busybox"
)]
fn a_full_host_disk_is_a_clear_error_and_changes_nothing() {
    let test = busybox_host();
    // The host root on a tmpfs just big enough for it, then filled up.
    let host = Tmpfs::new("8m");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", test.root().display()))
        .arg(&host.0)
        .status()
        .unwrap();
    assert!(copied.success());
    let _ = Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}/fill", host.0.display()))
        .arg("bs=4k")
        .stderr(Stdio::null())
        .status();
    let state = tempfile::tempdir().unwrap();
    let files = |root: &Path| -> Vec<Vec<u8>> {
        FILES
            .iter()
            .map(|f| fs::read(root.join(f.trim_start_matches('/'))).unwrap())
            .collect()
    };
    let before = files(&host.0);
    let out = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["apply", "three-files", "--yes", "--root"])
        .arg(&host.0)
        .arg("--state-dir")
        .arg(state.path().join("runbook"))
        .arg("--runbooks")
        .arg(test.runbooks_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_contains!(stderr, "No space left on device");
    assert_eq!(before, files(&host.0));
    let leftovers: Vec<_> = fs::read_dir(host.0.join("etc/php/8.2/apache2"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "php.ini")
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
#[cfg_attr(not_root, ignore = "needs root (mounts a tmpfs)")]
fn a_quarantine_disk_filling_up_mid_purge_leaves_every_message_whole_in_the_queue() {
    // The state dir on its own small filesystem: messages are copied into the quarantine,
    // not renamed, and the disk fills after the first one.
    let test = Test::example("exim-outbreak").runbook(
        "id: purge-all\ntitle: Purge\nsteps:\n  - { id: all, title: All, queue_purge: { all: true } }\n",
    );
    let state = Tmpfs::new("256k");
    let sd = state.0.join("runbook").display().to_string();
    let fill = script_outside(
        &test,
        "fill",
        &format!(
            "dd if=/dev/zero of={}/fill bs=4k 2>/dev/null; exit 0",
            state.0.display()
        ),
    );
    let before = test.snapshot();
    let test = test.env("RUNBOOK_TEST_HOOK", &format!("after-message:1=run:{fill}"));
    let out = test.run_args(&["apply", "purge-all", "--yes", "--state-dir", &sd]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_contains!(out.stderr, "No space left on device");
    assert_contains!(out.stderr, "requeued 1 messages into /var/spool/exim4");
    // Every message is back, byte for byte with its owner and mode; no torn copy is
    // left in the quarantine to be taken for one.
    assert_unchanged!(before, test.snapshot());
    let quarantine = walk(&state.0.join("runbook"))
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "input"))
        .collect::<Vec<_>>();
    assert!(quarantine.is_empty(), "{quarantine:?}");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
