//! `runbook test` with the namespace engine: the committed scenarios pass on each suite
//! (RUNBOOK_EXIM_ROOTFS_<SUITE>, RUNBOOK_POSTFIX_ROOTFS_<SUITE>, as .ci/run builds them),
//! a failing expectation is reported with its detail and exit 1, the JSON has its shape
//! (docs/json.md), a bad scenario file is refused at its line and column, and without
//! root or with an engine this build lacks it says what is missing and exits 1.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

macro_rules! suites {
    ($($module:ident $suite:literal: $cfg_exim:ident, $cfg_postfix:ident, $exim_var:literal, $postfix_var:literal;)*) => {$(
        mod $module {
            #[test]
            #[cfg_attr($cfg_exim, ignore = concat!("needs root and ", $exim_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn exim_form_abuse_scenario_passes() {
                super::passes("exim-form-abuse", $suite);
            }
            /// A scenario bringing its own runbook (`runbooks:`, a fixture beside it).
            #[test]
            #[cfg_attr($cfg_exim, ignore = concat!("needs root and ", $exim_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn failed_step_scenario_passes() {
                super::passes("failed-step", $suite);
            }
            #[test]
            #[cfg_attr($cfg_postfix, ignore = concat!("needs root and ", $postfix_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn postfix_local_php_spam_scenario_passes() {
                super::passes("postfix-local-php-spam", $suite);
            }
            #[test]
            #[cfg_attr($cfg_exim, ignore = concat!("needs root and ", $exim_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn a_failing_expectation_is_reported_with_its_detail() {
                super::fails($suite);
            }
        }
    )*};
}

suites! {
    bookworm "bookworm": no_exim_rootfs_bookworm, no_postfix_rootfs_bookworm, "RUNBOOK_EXIM_ROOTFS_BOOKWORM", "RUNBOOK_POSTFIX_ROOTFS_BOOKWORM";
    trixie "trixie": no_exim_rootfs_trixie, no_postfix_rootfs_trixie, "RUNBOOK_EXIM_ROOTFS_TRIXIE", "RUNBOOK_POSTFIX_ROOTFS_TRIXIE";
}

/// `runbook test --engine namespace ARGS` from the source tree (the engine the roots of
/// .ci/run stand for; .ci/run runs podman and docker itself): exit code, stdout, stderr.
fn runbook_test(args: &[&str]) -> (i32, String, String) {
    let out = crate::support::runbook_test("namespace")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn passes(name: &str, suite: &str) {
    let file = format!("runbooks/tests/{name}.yaml");
    let (code, stdout, stderr) = runbook_test(&[&file, "--suite", suite, "--output", "json"]);
    let runs: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(code, 0, "{runs:#}\n{stderr}");
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    let run = &runs[0];
    assert_eq!(run["name"], name);
    assert_eq!(run["suite"], suite);
    assert_eq!(run["engine"], "namespace");
    assert_eq!(run["passed"], true);
    assert_eq!(
        run["container"], "overlay",
        "a fresh overlay mount per scenario"
    );
    let expectations = run["expectations"].as_array().unwrap();
    assert!(expectations.len() > 5, "{run:#}");
    for e in expectations {
        assert_eq!(e["passed"], true, "{e:#}");
        assert!(e["name"].is_string() && e["detail"].is_string(), "{e:#}");
    }
}

/// A scenario whose last expectation is false: the run fails with exit 1, the JSON and
/// the report for people say which and why, and show the exim mainlog's tail.
fn fails(suite: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wrong-count.yaml");
    std::fs::write(
        &file,
        "image: exim\nsetup:\n  - run: |\n      printf 'Subject: x\\n\\nx\\n' | exim4 -odq someone@example.net\nsteps:\n  - runbook: [facts, --only, queue]\n    checks:\n      - run: exim4 -bpc\n        equals: '5'\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let args = [file, "--suite", suite];
    let (code, stdout, stderr) = runbook_test(&[&args[..], &["--output", "json"]].concat());
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let runs: Value = serde_json::from_str(&stdout).unwrap();
    let run = &runs[0];
    assert_eq!(run["name"], "wrong-count");
    assert_eq!(run["image"], "exim");
    assert_eq!(run["passed"], false);
    let failed: Vec<&Value> = run["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{run:#}");
    assert_eq!(
        failed[0]["name"],
        "step 1 (runbook facts --only queue): `exim4 -bpc` is \"5\""
    );
    assert_eq!(failed[0]["detail"], "\"1\"");
    assert!(
        run["logs"]["/var/log/exim4/mainlog"]
            .as_str()
            .unwrap()
            .contains("<= root@"),
        "{run:#}"
    );

    let (code, stdout, _) = runbook_test(&args);
    assert_eq!(code, 1);
    assert!(stdout.contains("FAIL wrong-count (exim, "), "{stdout}");
    assert!(
        stdout.contains(
            "  FAIL step 1 (runbook facts --only queue): `exim4 -bpc` is \"5\"\n       \"1\"\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  last lines of /var/log/exim4/mainlog:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 scenario run(s): 0 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn a_bad_scenario_file_is_refused_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "image: exim\nsteps:\n  - runbook: [facts]\n    checks:\n      - run: exim4 -bpc\n        equal: '0'\n",
    )
    .unwrap();
    let (code, stdout, stderr) = runbook_test(&[file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let at = format!("{}:6:9: unknown field `equal`", file.display());
    assert!(stderr.contains(&at), "{stderr}");
    let (code, stdout, _) = runbook_test(&[file.to_str().unwrap(), "--output", "json"]);
    assert_eq!(code, 1);
    let error: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(error["error"]["line"], 6, "{error:#}");
    assert_eq!(error["error"]["column"], 9, "{error:#}");
}

#[test]
fn every_committed_scenario_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/tests");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // What `runbook test` reads as scenarios: the *.yaml files, not the
        // subdirectories of the runbooks scenarios bring (`runbooks:`).
        if path.is_dir() {
            continue;
        }
        let scenario = runbook::harness::load::load(&path).unwrap_or_else(|e| panic!("{e}"));
        for file in &scenario.runbook_files {
            assert!(
                file.parent() != path.parent(),
                "{}: its runbook {} would be read as a scenario",
                path.display(),
                file.display()
            );
        }
        n += 1;
    }
    assert!(n >= 2);
}

#[test]
fn committed_scenario_schema_is_current() {
    let out = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["schema", "--scenario"])
        .output()
        .unwrap();
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/scenario.schema.json"),
    )
    .unwrap();
    assert!(
        out.stdout == committed.as_bytes(),
        "schemas/scenario.schema.json is stale: run `cargo run -- schema --scenario > schemas/scenario.schema.json`"
    );
}

/// An engine asked for that cannot answer is named with why: docker with no daemon at
/// DOCKER_HOST, podman not on PATH. Nothing is built or started.
#[test]
fn an_engine_that_cannot_run_is_named_with_why() {
    let bin = env!("CARGO_BIN_EXE_runbook");
    let run = |engine: &str, env: &[(&str, &str)]| {
        let mut cmd = Command::new(bin);
        cmd.args(["test", "runbooks/tests", "--engine", engine])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(
        "docker",
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("no container engine can run here; missing:\n  docker: "),
        "{stderr}"
    );
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap();
    let (code, stderr) = run("podman", &[("PATH", path)]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("\n  podman: `podman`: "), "{stderr}");
    assert!(!stderr.contains("docker"), "{stderr}");
}

/// Without root the namespace engine cannot mount or chroot: it says so, exit 1. Run as
/// nobody when the tests run as root.
#[test]
fn without_root_it_says_what_is_missing() {
    let bin = env!("CARGO_BIN_EXE_runbook");
    let mut cmd = if crate::support::is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd
        .args(["test", "runbooks/tests", "--engine", "namespace"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no container engine can run here; missing:\n  namespace: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("root (the namespace engine mounts and chroots)"),
        "{stderr}"
    );
}

/// The roots .ci/run builds from scripts/rootfs-packages stand for the images of
/// tests/containers/ (RUNBOOK_<IMAGE>_ROOTFS_<SUITE>): the same packages, setup and files.
#[test]
fn image_definitions_match_the_roots_of_rootfs_packages() {
    use runbook::harness::images;
    use runbook::harness::model::{Image, Suite};
    let list = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rootfs-packages"),
    )
    .unwrap();
    for image in Image::ALL {
        let definition = images::definition(image).unwrap();
        for suite in Suite::ALL {
            let line = list
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .find(|w| w.len() >= 3 && w[0] == suite.name() && w[1] == image.name())
                .unwrap_or_else(|| panic!("no {} {} root", suite.name(), image.name()));
            let mut packages: Vec<&str> = line[2].split(',').collect();
            packages.sort();
            let mut defined: Vec<&str> = definition
                .packages(suite)
                .unwrap()
                .iter()
                .map(String::as_str)
                .collect();
            defined.sort();
            assert_eq!(defined, packages, "{} {}", image.name(), suite.name());
            assert_eq!(definition.setup.as_deref(), line.get(3).copied());
            let files: Vec<&str> = definition.files.iter().map(String::as_str).collect();
            assert_eq!(files, line.get(4..).unwrap_or(&[]));
        }
    }
}

/// `--keep` leaves the container's root (with the binary copied in) and says where;
/// `--image` picks the scenarios of one image.
#[test]
#[cfg_attr(
    no_exim_rootfs_bookworm,
    ignore = "needs root and RUNBOOK_EXIM_ROOTFS_BOOKWORM: a Debian root from scripts/make-rootfs (.ci/run builds it)"
)]
fn keep_leaves_the_container_and_image_filters() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kept.yaml");
    std::fs::write(
        &file,
        "image: exim\nsuites: [bookworm]\nsteps:\n  - runbook: [--version]\n    stdout_contains: [runbook]\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let (code, _, stderr) = runbook_test(&[file, "--image", "postfix"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no scenario to run (of 1 read)"),
        "{stderr}"
    );
    let (code, stdout, stderr) = runbook_test(&[file, "--keep", "--output", "json"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let runs: Value = serde_json::from_str(&stdout).unwrap();
    let kept = runs[0]["kept"].as_str().unwrap().to_string();
    let root = kept.split(' ').next().unwrap();
    assert!(
        Path::new(root).join("usr/local/bin/runbook").is_file(),
        "{kept}"
    );
    assert!(Path::new(root).join("etc/exim4").is_dir(), "{kept}");
    // Its init (PID 1 of its processes) and network namespace are left too, and named.
    let after = |marker: &str, end: char| {
        kept.split(marker)
            .nth(1)
            .and_then(|rest| rest.split(end).next())
            .unwrap_or_else(|| panic!("{kept}"))
            .to_string()
    };
    let init = after("remove with `kill ", ';');
    let entered = Command::new("nsenter")
        .args([
            &format!("--target={init}"),
            "--pid",
            "--mount",
            "chroot",
            root,
        ])
        .args([
            "sh",
            "-c",
            "test -x /usr/local/bin/runbook && cat /proc/1/cmdline",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&entered.stdout).starts_with("/bin/sh"),
        "{kept}: {entered:?}"
    );
    assert!(Command::new("kill").arg(&init).status().unwrap().success());
    let netns = after("ip netns del ", ';');
    let netns = netns.as_str();
    let status = Command::new("ip")
        .args(["netns", "del", netns])
        .status()
        .unwrap();
    assert!(status.success(), "{kept}");
    let status = Command::new("umount").arg(root).status().unwrap();
    assert!(status.success());
    std::fs::remove_dir_all(Path::new(root).parent().unwrap()).unwrap();
}

/// A container has a process table of its own: the host's processes are not in it, and
/// a daemon started in it (double-forked, as daemons detach) ends with it.
#[test]
#[cfg_attr(
    no_exim_rootfs_bookworm,
    ignore = "needs root and RUNBOOK_EXIM_ROOTFS_BOOKWORM: a Debian root from scripts/make-rootfs (.ci/run builds it)"
)]
fn a_container_has_its_own_processes_and_leaves_none() {
    let mut host_process = Command::new("sleep").arg("987654").spawn().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("processes.yaml");
    std::fs::write(
        &file,
        "image: exim
suites: [bookworm]
setup:
  - run: (setsid sleep 876543 >/dev/null 2>&1 &)
steps:
  - runbook: [--version]
    checks:
      - run: pgrep -f 'sleep [9]87654' || echo none
        equals: none
      - run: pgrep -f 'sleep [8]76543' >/dev/null && echo running
        equals: running
      - run: ps -o comm= -p 1
        equals: sh
",
    )
    .unwrap();
    let (code, stdout, stderr) = runbook_test(&[file.to_str().unwrap()]);
    host_process.kill().unwrap();
    host_process.wait().unwrap();
    assert_eq!(
        code, 0,
        "{stdout}
{stderr}"
    );
    let left = Command::new("pgrep")
        .args(["-f", "sleep 876543"])
        .output()
        .unwrap();
    assert!(
        !left.status.success(),
        "the container's daemon outlived it: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

/// Ops' own runbooks (`--runbooks DIR`) are copied into the container and found there by
/// each `runbook` invocation.
#[test]
#[cfg_attr(
    no_exim_rootfs_bookworm,
    ignore = "needs root and RUNBOOK_EXIM_ROOTFS_BOOKWORM: a Debian root from scripts/make-rootfs (.ci/run builds it)"
)]
fn runbooks_of_ops_are_copied_in() {
    let dir = tempfile::tempdir().unwrap();
    let runbooks = dir.path().join("mine");
    std::fs::create_dir(&runbooks).unwrap();
    std::fs::write(
        runbooks.join("count-queue.yaml"),
        "id: count-queue\ntitle: Say how many messages wait\nsteps:\n  - { id: say, title: Count them, manual: { text: \"{{queue.total}} waiting\" } }\n",
    )
    .unwrap();
    let file = dir.path().join("mine.yaml");
    std::fs::write(
        &file,
        "image: exim\nsuites: [bookworm]\nsetup:\n  - run: |\n      printf 'Subject: x\\n\\nx\\n' | exim4 -odq someone@example.net\nsteps:\n  - runbook: [apply, count-queue, --dry-run]\n    stdout_contains: ['1 waiting']\n",
    )
    .unwrap();
    let (code, stdout, stderr) = runbook_test(&[
        "--runbooks",
        runbooks.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("PASS mine (exim, bookworm"), "{stdout}");
}
