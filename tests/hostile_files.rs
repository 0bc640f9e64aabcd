//! What a site user can plant where a reader expects a regular file: a FIFO (which
//! blocks a plain `open` for ever) or a symlink to `/dev/zero` (which never ends). Every
//! reader opens without blocking, reads only regular files, and names what it refused;
//! the rest of the host is still read. A hang fails the test after a deadline.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hosts");
/// Far longer than any of these runs takes (well under a second): past it, a reader hangs.
const DEADLINE: Duration = Duration::from_secs(30);

fn mkfifo(path: &Path) {
    let _ = fs::remove_file(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
}

fn link_to_dev_zero(path: &Path) {
    let _ = fs::remove_file(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    symlink("/dev/zero", path).unwrap();
}

fn copy_example(name: &str, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(Path::new(EXAMPLES).join(name))
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Run the binary; kill it and fail if it is still running at the deadline.
fn run(args: &[&str], root: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
    command.args(args);
    if let Some(root) = root {
        command.arg("--root").arg(root);
    }
    let mut child = command
        .env_remove("RUNBOOK_PATH")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "runbook {args:?} hung (killed after {DEADLINE:?}); stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn facts(root: &Path) -> Value {
    let out = run(&["facts", "--output", "json"], Some(root));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn unreadable(queue: &Value) -> Vec<(String, String)> {
    queue["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let text = |k: &str| u[k].as_str().unwrap().to_string();
            (text("file"), text("reason"))
        })
        .collect()
}

#[test]
fn fifos_and_dev_zero_in_an_exim_spool_are_listed_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("host");
    copy_example("exim-outbreak", &root);
    let input = root.join("var/spool/exim4/input");
    let mut headers: Vec<_> = fs::read_dir(&input)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("-H"))
        .collect();
    headers.sort();
    let total = headers.len() as u64;
    mkfifo(&input.join(&headers[0]));
    link_to_dev_zero(&input.join(&headers[1]));
    // Who the users are, and the log the arrivals come from.
    mkfifo(&root.join("etc/passwd"));
    mkfifo(&root.join("var/log/exim4/mainlog"));
    let facts = facts(&root);
    let queue = &facts["queue"];
    assert_eq!(queue["total"], total - 2, "{queue}");
    let refused = unreadable(queue);
    let spool = "/var/spool/exim4/input";
    assert!(
        refused.contains(&(
            format!("{spool}/{}", headers[0]),
            "a FIFO, not a regular file: not read".into()
        )),
        "{refused:?}"
    );
    assert!(
        refused.contains(&(
            format!("{spool}/{}", headers[1]),
            "a symlink, not a regular file: not read".into()
        )),
        "{refused:?}"
    );
    // The log is not there as a file: said so, not waited for.
    assert!(
        facts["log"]["error"]
            .as_str()
            .unwrap()
            .contains("no exim log found")
    );
}

#[test]
fn fifos_and_dev_zero_in_a_qmail_queue_are_listed_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("host");
    copy_example("plesk-qmail", &root);
    let queue = root.join("var/qmail/queue");
    let before = facts(&root)["queue"]["total"].as_u64().unwrap();
    mkfifo(&queue.join("mess/2/1006137"));
    mkfifo(&queue.join("remote/21/999762"));
    link_to_dev_zero(&queue.join("info/0/999764"));
    let facts = facts(&root);
    assert_eq!(facts["queue"]["total"], before - 3, "{}", facts["queue"]);
    let reasons: Vec<String> = unreadable(&facts["queue"])
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.contains("a FIFO, not a regular file"))
            .count(),
        2
    );
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.contains("a symlink, not a regular file"))
            .count(),
        1
    );
}

#[test]
fn fifos_and_dev_zero_for_processes_sessions_and_php_do_not_hang_facts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("host");
    copy_example("debian-apache-modphp", &root);
    // A root with a /proc of its own (a container's): one process whose name is a FIFO
    // and whose command line never ends, a utmp that is a FIFO.
    fs::create_dir_all(root.join("proc/net")).unwrap();
    fs::write(
        root.join("proc/net/tcp"),
        "  sl  local_address rem_address   st\n",
    )
    .unwrap();
    mkfifo(&root.join("proc/4242/comm"));
    link_to_dev_zero(&root.join("proc/4242/cmdline"));
    fs::create_dir_all(root.join("proc/4242/fd")).unwrap();
    mkfifo(&root.join("run/utmp"));
    let ini = root.join("etc/php/8.2/cli/php.ini");
    assert!(ini.is_file(), "the example has a CLI php.ini");
    mkfifo(&ini);
    let facts = facts(&root);
    let files = facts["php"]["ini_files"].as_array().unwrap();
    let cli = files
        .iter()
        .find(|f| f["path"] == "/etc/php/8.2/cli/php.ini")
        .unwrap_or_else(|| panic!("{files:?}"));
    assert!(
        cli["error"]
            .as_str()
            .unwrap()
            .contains("a FIFO, not a regular file"),
        "{cli}"
    );
    assert_eq!(
        facts["sessions"]["users"],
        serde_json::json!([]),
        "{}",
        facts["sessions"]
    );
}

#[test]
fn lint_refuses_a_fifo_and_dev_zero_with_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.yaml");
    let zero = dir.path().join("zero.yaml");
    mkfifo(&fifo);
    link_to_dev_zero(&zero);
    let out = run(
        &["lint", fifo.to_str().unwrap(), zero.to_str().unwrap()],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .contains("fifo.yaml:1:1: error[RB090]: cannot read file: a FIFO, not a regular file"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "zero.yaml:1:1: error[RB090]: cannot read file: a character device, not a regular file"
        ),
        "{stdout}"
    );
}
