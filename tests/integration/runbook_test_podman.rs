//! `runbook test` on the podman engine where it can go wrong for ops: Ctrl-C in the middle
//! of a scenario tears its container down (no container left running), and `--keep` leaves
//! it, named, with the binary in it. The namespace engine's Ctrl-C leaves no mount and no
//! network namespace. The scenarios themselves run in .ci/run.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn runbook_test(engine: &str, file: &Path, extra: &[&str]) -> Command {
    let mut cmd = crate::support::runbook_test(engine);
    cmd.args(extra).arg(file);
    cmd
}

fn scenario(dir: &Path, text: &str) -> std::path::PathBuf {
    crate::support::scenario_file(dir, "podman", text)
}

/// podman with the flags runbook test is given (RUNBOOK_PODMAN_FLAGS: the runtime, and
/// the storage: containers in another `--root` are not in the default one's list).
fn podman() -> Command {
    let mut cmd = Command::new("podman");
    let flags = std::env::var("RUNBOOK_PODMAN_FLAGS").unwrap_or_default();
    cmd.args(shlex::split(&flags).expect("RUNBOOK_PODMAN_FLAGS: shell words"));
    cmd
}

/// The names of podman's containers (running or not) whose name starts with `prefix`.
fn containers(prefix: &str) -> Vec<String> {
    let out = podman()
        .args(["ps", "-a", "--format", "{{.Names}}"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|n| n.starts_with(prefix))
        .map(String::from)
        .collect()
}

fn wait_until(what: &str, child: &mut Child, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("runbook test ended ({status}) before {what}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "never: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn interrupt(child: Child) -> (Option<i32>, String) {
    // SAFETY: sending a signal to a child we spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "Ctrl-C did not stop runbook test"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SLEEPER: &str = "image: postfix\nsuites: [bookworm]\nsetup:\n  - run: sleep 600\nsteps:\n  - runbook: [--version]\n";

#[test]
#[cfg_attr(
    no_podman,
    ignore = "needs root and podman (`apt-get install podman runc`; .ci/run installs them)"
)]
fn ctrl_c_on_podman_removes_the_scenario_s_container() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), SLEEPER);
    let mut child = runbook_test("podman", &file, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let prefix = format!("runbook-test-postfix-bookworm-{}-", child.id());
    // Up, and inside its setup's sleep.
    wait_until("the container runs the setup", &mut child, || {
        containers(&prefix).iter().any(|name| {
            podman()
                .args(["exec", name, "pgrep", "-x", "sleep"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
    });
    let (code, stderr) = interrupt(child);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    assert_eq!(containers(&prefix), Vec::<String>::new(), "{stderr}");
}

#[test]
#[cfg_attr(
    no_podman,
    ignore = "needs root and podman (`apt-get install podman runc`; .ci/run installs them)"
)]
fn keep_on_podman_leaves_the_container_named_with_the_binary_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(
        dir.path(),
        "image: postfix\nsuites: [bookworm]\nsteps:\n  - runbook: [--version]\n    stdout_contains: [runbook]\n",
    );
    let out = runbook_test("podman", &file, &["--keep", "--output", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let runs: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(runs[0]["engine"], "podman");
    let kept = runs[0]["kept"].as_str().unwrap();
    let name = kept
        .strip_prefix("podman container ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("{kept}"));
    assert_eq!(runs[0]["container"], format!("podman container {name}"));
    assert!(kept.contains(&format!("`podman rm -f {name}`")), "{kept}");
    let inside = podman()
        .args(["exec", name, "/usr/local/bin/runbook", "--version"])
        .output()
        .unwrap();
    let removed = podman().args(["rm", "-f", name]).output().unwrap();
    assert!(inside.status.success(), "{inside:?}");
    assert!(removed.status.success(), "{removed:?}");
}

#[test]
#[cfg_attr(
    no_postfix_rootfs_bookworm,
    ignore = "needs root and RUNBOOK_POSTFIX_ROOTFS_BOOKWORM: a Debian root from scripts/make-rootfs (.ci/run builds it)"
)]
fn ctrl_c_on_namespace_leaves_no_mount_and_no_network_namespace() {
    let work = tempfile::tempdir_in("/var/tmp").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), SLEEPER);
    let mut child = runbook_test("namespace", &file, &[])
        .env("RUNBOOK_TEST_WORKDIR", work.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let container = || {
        std::fs::read_dir(work.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .next()
    };
    let netns = |name: &str| {
        let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.split(' ').next() == Some(name))
    };
    wait_until("the setup's sleep runs", &mut child, || {
        container().is_some_and(|name| {
            netns(&name)
                && Command::new("ip")
                    .args(["netns", "pids", &name])
                    .output()
                    .is_ok_and(|o| !o.stdout.is_empty())
        })
    });
    let name = container().unwrap();
    let (code, stderr) = interrupt(child);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    assert_eq!(container(), None, "the container's directory is left");
    assert!(!netns(&name), "its network namespace is left");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&name), "its overlay is still mounted");
}
