//! `runbook test` where the machine meets its limits, on the namespace engine: a command
//! that never ends is killed with its processes at RUNBOOK_TEST_TIMEOUT, and a host whose
//! work directory cannot hold an overlay's upper layer gets a full copy, said so.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{runbook_test, scenario_file};

/// `runbook test --engine namespace --output json FILE` with `env`: exit code, the runs.
fn run(file: &Path, env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut cmd = runbook_test("namespace");
    cmd.args(["--output", "json"]).arg(file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let runs = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), runs, stderr)
}

fn scenario(dir: &Path, text: &str) -> std::path::PathBuf {
    scenario_file(dir, "bounds", text)
}

/// A setup that would sleep for minutes is killed after 2 s with its whole process
/// group: the scenario fails saying so, and no process of it is left on the host. (The
/// qmail image starts no daemon first, which a loaded machine could take 2 s over.)
#[test]
#[cfg_attr(
    no_qmail_rootfs_bookworm,
    ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_BOOKWORM: a Debian root from scripts/make-rootfs (.ci/run builds it)"
)]
fn a_command_past_the_timeout_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    // A marker only this test's sleeper has in its command line.
    let marker = format!("runbook-bounds-{}", std::process::id());
    let file = scenario(
        dir.path(),
        &format!(
            "image: qmail\nsuites: [bookworm]\nsetup:\n  - run: \"sh -c 'sleep 600; true {marker}' & sleep 600\"\nsteps:\n  - runbook: [--version]\n"
        ),
    );
    let started = std::time::Instant::now();
    let (code, runs, stderr) = run(&file, &[("RUNBOOK_TEST_TIMEOUT", "2")]);
    assert_eq!(code, 1, "{runs:#}\n{stderr}");
    assert!(started.elapsed().as_secs() < 120, "not bounded: {runs:#}");
    let e = &runs[0]["expectations"];
    let last = e.as_array().unwrap().last().unwrap();
    assert_eq!(last["passed"], false, "{runs:#}");
    assert!(
        last["name"].as_str().unwrap().starts_with("setup 1: "),
        "{last:#}"
    );
    assert!(
        last["detail"]
            .as_str()
            .unwrap()
            .contains("killed after 2s: the command did not end"),
        "{last:#}"
    );
    let left = Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "left running: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

/// Overlayfs cannot put its upper layer on an overlay mount: with the work directory on
/// one, the container is a full copy of the root, the report says why, and the scenario
/// still runs and passes; the copy is gone after.
#[test]
#[cfg_attr(
    no_postfix_rootfs_bookworm,
    ignore = "needs root and RUNBOOK_POSTFIX_ROOTFS_BOOKWORM: a Debian root from scripts/make-rootfs (.ci/run builds it)"
)]
fn without_overlay_the_container_is_a_copy_and_says_so() {
    let base = tempfile::tempdir_in("/var/tmp").unwrap();
    let (lower, upper, work, merged) = (
        base.path().join("l"),
        base.path().join("u"),
        base.path().join("w"),
        base.path().join("m"),
    );
    for d in [&lower, &upper, &work, &merged] {
        std::fs::create_dir(d).unwrap();
    }
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    let mounted = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &options])
        .arg(&merged)
        .status()
        .unwrap();
    assert!(mounted.success());
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&merged);
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(
        dir.path(),
        "image: postfix\nsuites: [bookworm]\nsteps:\n  - runbook: [--version]\n    stdout_contains: [runbook]\n    checks:\n      - { run: postconf -h mail_version, exit: 0 }\n",
    );
    let workdir = merged.to_str().unwrap();
    let (code, runs, stderr) = run(&file, &[("RUNBOOK_TEST_WORKDIR", workdir)]);
    assert_eq!(code, 0, "{runs:#}\n{stderr}");
    let container = runs[0]["container"].as_str().unwrap();
    assert!(
        container.starts_with("a copy (overlay failed: "),
        "{container}"
    );
    let left: Vec<_> = std::fs::read_dir(&merged).unwrap().collect();
    assert!(left.is_empty(), "the copy was left: {left:?}");
}
