//! `kill_sessions` (issue "Remediation on live mail servers"): real processes started by
//! the test under a test user's uid, seen by runbook through the root's `/proc` (a link
//! to this machine's): the dry run lists them and signals none; apply ends them, TERM
//! first, KILL for one that ignores TERM; a PID reused by root's process, or one whose
//! uid changed, is skipped and never signalled; root and system users are refused; a
//! second apply has nothing to do; rollback says it cannot bring them back. A real sshd's
//! sessions are ended in the `runbook test` scenario runbooks/tests/ssh-sessions.yaml.

use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::assert_contains;
use crate::support::Test;

const RUNBOOK: &str = r#"# yaml-language-server: $schema=x
id: end
title: End a hacked user's sessions
params:
  user: { type: string, description: The user }
steps:
  - { id: end, title: End the sessions, kill_sessions: { user: "{{params.user}}", wait: 2s } }
"#;

/// A uid of its own for each test: tests run in parallel, and each must see only its
/// own processes.
pub(crate) fn fresh_uid() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let uid = 47100 + (std::process::id() * 10 + NEXT.fetch_add(1, Ordering::SeqCst)) % 5000;
        // Not one a process (left by an earlier run) has.
        let taken = fs::read_dir("/proc").unwrap().flatten().any(|e| {
            fs::read_to_string(e.path().join("status")).is_ok_and(|s| {
                s.lines()
                    .any(|l| l.split_whitespace().take(2).eq(["Uid:", &uid.to_string()]))
            })
        });
        if !taken {
            return uid;
        }
    }
}

/// A root whose `/proc` is this machine's, with `bob` at `uid`.
fn host(uid: u32) -> Test {
    let test = Test::new()
        .runbook(RUNBOOK)
        .file(
            "/etc/passwd",
            &format!(
                "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nbob:x:{uid}:{uid}::/home/bob:/bin/bash\n"
            ),
        )
        .file(
            "/etc/shadow",
            "root:*:20000:0:99999:7:::\nwww-data:*:20000:0:99999:7:::\nbob:*:20400:0:99999:7:::\n",
        )
        .file("/etc/login.defs", "UID_MIN\t\t\t 1000\n");
    std::os::unix::fs::symlink("/proc", test.path("/proc")).unwrap();
    test
}

/// `argv` run as `uid` (a test user's process), its argv[0] shown as `title`.
pub(crate) fn spawn_as(uid: Option<u32>, title: &str, argv: &[&str]) -> Child {
    let mut cmd = Command::new(argv[0]);
    cmd.arg0(title)
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    let mut child = cmd.spawn().unwrap();
    // Until it has exec'd, /proc shows the test's own command line.
    let ours = fs::read("/proc/self/cmdline").unwrap();
    let start = Instant::now();
    while fs::read(format!("/proc/{}/cmdline", child.id()))
        .map(|c| c == ours)
        .unwrap_or(true)
    {
        if start.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{title} did not start");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

/// Whether the child still runs; reaped (and its signal given) once it ended.
fn ended_by(child: &mut Child) -> Option<i32> {
    child.try_wait().unwrap().map(|s| s.signal().unwrap_or(0))
}

/// Waited for up to 10s: how the child ended.
pub(crate) fn wait_end(child: &mut Child) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(sig) = ended_by(child) {
            return Some(sig);
        }
        if start.elapsed() > Duration::from_secs(10) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start_time(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

pub(crate) struct Reaped(pub(crate) Vec<Child>);
impl Drop for Reaped {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: processes run as a test user's uid")]
fn kill_sessions_dry_run_lists_the_users_processes_safely_and_signals_none() {
    let uid = fresh_uid();
    let test = host(uid);
    let evil = format!("evil\n\x1b[2J\rAll clear\u{202e}){}", "A".repeat(50_000));
    let mut procs = Reaped(vec![
        spawn_as(Some(uid), "sleep", &["sleep", "600"]),
        spawn_as(Some(uid), &evil, &["sleep", "600"]),
        // Root's, and a system user's: never listed.
        spawn_as(None, "sleep", &["sleep", "600"]),
        spawn_as(Some(33), "sleep", &["sleep", "600"]),
    ]);
    let pids: Vec<u32> = procs.0.iter().map(Child::id).collect();
    let out = test.run_args(&["apply", "end", "-p", "user=bob", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_contains!(
        out.stdout,
        &format!(
            "would end 2 processes of bob (uid {uid}): TERM, then KILL to those still running after 2s\n"
        )
    );
    assert_contains!(
        out.stdout,
        &format!("        PID {} tty - started 20", pids[0])
    );
    assert_contains!(out.stdout, ": sleep 600\n");
    // The hostile title is one escaped, cut line: no escape reaches the terminal.
    assert_contains!(out.stdout, "evil\\n\\x1b[2J\\rAll clear\\u{202e})AAAA");
    assert!(!out.stdout.contains('\x1b') && !out.stdout.contains('\r'));
    assert!(out.stdout.len() < 4000, "{}", out.stdout.len());
    assert_contains!(
        out.stdout,
        "not reversible: ended processes cannot be brought back, and rollback does not restart them"
    );
    assert_contains!(out.stdout, ", 2 processes to end. Dry run");
    assert!(!out.stdout.contains(&format!("PID {} ", pids[2])));
    assert!(!out.stdout.contains(&format!("PID {} ", pids[3])));

    let json = test
        .run_args(&[
            "apply",
            "end",
            "-p",
            "user=bob",
            "--dry-run",
            "--output",
            "json",
        ])
        .json();
    let step = &json["steps"][0];
    assert_eq!(step["kind"], "kill_sessions");
    assert_eq!(json["changes"], true);
    let signal = &step["signals"][0];
    assert_eq!(signal["user"], "bob");
    assert_eq!(signal["uid"], uid);
    assert_eq!(signal["reversible"], false);
    let listed = signal["processes"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["pid"], pids[0]);
    assert_eq!(listed[0]["start_time"], start_time(pids[0]));
    assert_eq!(listed[0]["cmdline"], "sleep 600");
    assert_eq!(listed[0]["comm"], "sleep");
    assert_eq!(listed[0]["ssh"], false);
    // JSON keeps the bytes read (4096 of the command line).
    let cmdline = listed[1]["cmdline"].as_str().unwrap();
    assert!(cmdline.starts_with("evil\n\x1b[2J\rAll clear\u{202e})AAA"));
    assert_eq!(cmdline.len(), 4096);
    // Nothing was signalled, nothing written.
    for child in &mut procs.0 {
        assert_eq!(ended_by(child), None);
    }
    assert!(!test.path("/var/lib/runbook/runs").exists());
    let show = test.run_args(&["show", "end"]);
    assert_contains!(
        show.stdout,
        "end the SSH sessions and processes of `{{params.user}}` (TERM, then KILL after 2s; not reversible)"
    );
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: processes run as a test user's uid")]
fn kill_sessions_apply_ends_them_with_term_then_kill_and_a_second_apply_is_unchanged() {
    let uid = fresh_uid();
    let test = host(uid);
    let mut procs = Reaped(vec![
        spawn_as(Some(uid), "sleep", &["sleep", "600"]),
        // Ignores TERM (inherited through exec): only KILL ends it.
        spawn_as(
            Some(uid),
            "stubborn",
            &["/bin/sh", "-c", "trap '' TERM; exec sleep 601"],
        ),
    ]);
    // The shell has exec'd sleep when its title is sleep's.
    let start = Instant::now();
    while !fs::read_to_string(format!("/proc/{}/cmdline", procs.0[1].id()))
        .unwrap()
        .starts_with("sleep\x00601")
    {
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(10));
    }
    let root = spawn_as(None, "sleep", &["sleep", "600"]);
    procs.0.push(root);
    let (a, b) = (procs.0[0].id(), procs.0[1].id());

    let out = test.run_args(&[
        "apply", "end", "-p", "user=bob", "--yes", "--output", "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    assert_eq!(plan["steps"][0]["outcome"], "changed");
    let results: Vec<&str> = plan["steps"][0]["signals"][0]["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["ended by TERM", "ended by KILL"]);
    assert_eq!(wait_end(&mut procs.0[0]), Some(libc::SIGTERM));
    assert_eq!(wait_end(&mut procs.0[1]), Some(libc::SIGKILL));
    assert_eq!(
        ended_by(&mut procs.0[2]),
        None,
        "root's process was signalled"
    );

    // The journal: what would be signalled before, what ended after.
    let runs = test.path("/var/lib/runbook/runs");
    let run = fs::read_dir(&runs).unwrap().next().unwrap().unwrap().path();
    let journal = fs::read_to_string(run.join("journal.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["event"], "begin");
    assert_eq!(lines[0]["action"]["kind"], "signal");
    assert_eq!(lines[0]["action"]["processes"][0]["pid"], a);
    assert_eq!(
        lines[0]["action"]["processes"][0]["start_time"],
        start_time_of(&plan, 0)
    );
    assert_eq!(lines[0]["action"]["processes"][1]["cmdline"], "sleep 601");
    assert_eq!(lines[1]["event"], "signalled");
    assert_eq!(lines[1]["processes"][0]["pid"], a);
    assert_eq!(lines[1]["processes"][0]["result"], "ended by TERM");
    assert_eq!(lines[1]["processes"][1]["pid"], b);
    assert_eq!(lines[1]["processes"][1]["result"], "ended by KILL");
    assert_eq!(lines[2]["event"], "done");

    let again = test.run_args(&[
        "apply", "end", "-p", "user=bob", "--yes", "--output", "json",
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let again = again.json();
    assert_eq!(again["changes"], false);
    // Nothing to do: no run, as for every step type with nothing to change.
    assert_eq!(fs::read_dir(&runs).unwrap().count(), 1);
    assert!(again["steps"][0].get("signals").is_none());

    // Rollback cannot bring them back, and says so, dry or not.
    let dry = test.run_args(&["rollback", "--last", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let plain = format!(
        "ending the processes of `bob` (PID {a}, {b}) is not reversible: rollback cannot bring them back"
    );
    assert_contains!(dry.stdout, &plain);
    assert!(!dry.stdout.contains("nothing to restore"), "{}", dry.stdout);
    let back = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_contains!(back.stderr, &format!("warning: {plain}"));
}

fn start_time_of(plan: &serde_json::Value, i: usize) -> u64 {
    plan["steps"][0]["signals"][0]["processes"][i]["start_time"]
        .as_u64()
        .unwrap()
}

/// `pid` given to a new process of root's: the kernel hands out the PID after
/// `ns_last_pid`, so the test sets it and starts processes until one gets `pid`.
fn reuse_pid(pid: u32) -> Child {
    for _ in 0..200 {
        fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
        let mut child = Command::new("sleep")
            .arg("600")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        if child.id() == pid {
            return child;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("could not start a process with PID {pid}");
}

/// Between a saved plan and its apply, the planned process exits and root's process
/// gets its PID; and another PID's planned uid is not the one its process runs as
/// now. Neither is signalled; each is reported skipped.
#[test]
#[cfg_attr(not_root, ignore = "needs root: processes run as a test user's uid")]
fn kill_sessions_skips_a_reused_pid_and_a_changed_uid_and_signals_neither() {
    let uid = fresh_uid();
    let test = host(uid);
    let mut procs = Reaped(vec![
        spawn_as(Some(uid), "sleep", &["sleep", "600"]),
        spawn_as(Some(uid), "sleep", &["sleep", "600"]),
    ]);
    let file = test.root().parent().unwrap().join("plan.json");
    let file = file.to_str().unwrap();
    let saved = test.run_args(&[
        "apply",
        "end",
        "-p",
        "user=bob",
        "--dry-run",
        "--save-plan",
        file,
    ]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);

    // The first planned process exits; root's process now has its PID.
    let reused = procs.0[0].id();
    let _ = procs.0[0].kill();
    let _ = procs.0[0].wait();
    procs.0[0] = reuse_pid(reused);
    // The second planned PID, in the file, is made to name a root process with its own
    // start time: as if the user's process had become root's with the same start.
    let other = spawn_as(None, "sleep", &["sleep", "600"]);
    let text = fs::read_to_string(file).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let item = &mut json["work"][0]["items"][0]["processes"][1];
    item["pid"] = other.id().into();
    item["start_time"] = start_time(other.id()).into();
    procs.0.push(other);
    fs::write(file, serde_json::to_string(&json).unwrap()).unwrap();

    let out = test.run_args(&["apply", "--plan", file, "--yes", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    // Nothing was signalled: the step changed nothing.
    assert_eq!(plan["steps"][0]["outcome"], "unchanged");
    let shown = &plan["steps"][0]["signals"][0]["processes"];
    let r0 = shown[0]["result"].as_str().unwrap();
    assert!(
        r0.starts_with(&format!("skipped: PID {reused} is another process now")),
        "{r0}"
    );
    assert_eq!(
        shown[1]["result"],
        format!(
            "skipped: PID {} runs as uid 0 now, not {uid} as planned",
            procs.0[2].id()
        )
    );
    // Both of root's processes run on; the second planned process was never named.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        ended_by(&mut procs.0[0]),
        None,
        "the reused PID was signalled"
    );
    assert_eq!(
        ended_by(&mut procs.0[2]),
        None,
        "root's process was signalled"
    );
    assert_eq!(ended_by(&mut procs.0[1]), None);
    let human = test.run_args(&["apply", "end", "-p", "user=bob", "--dry-run"]);
    assert_contains!(human.stdout, &format!("PID {} ", procs.0[1].id()));
    // Nothing was signalled: the run's record lists no kill.
    let history = test.run_args(&["history", "--output", "json"]).json();
    assert_eq!(history["runs"][0]["commands"], serde_json::json!([]));
    let back = test.run_args(&["rollback", "--last", "--dry-run"]);
    assert_contains!(
        back.stdout,
        "no process of `bob` was signalled (each was gone or skipped): nothing to reverse"
    );
}

#[test]
fn kill_sessions_refuses_root_and_system_users() {
    let test = host(47000);
    for (user, why) in [
        (
            "root",
            "refusing to end the sessions of `root`: it is root (uid 0)",
        ),
        (
            "www-data",
            "refusing to end the sessions of `www-data`: uid 33 is a system account (below UID_MIN 1000 of /etc/login.defs)",
        ),
    ] {
        let out = test.run_args(&["apply", "end", "-p", &format!("user={user}"), "--dry-run"]);
        assert_eq!(out.code, 1, "{user}: {}", out.stdout);
        assert_contains!(out.stderr, why);
        let out = test.run_args(&["apply", "end", "-p", &format!("user={user}"), "--yes"]);
        assert_eq!(out.code, 1, "{user}: {}", out.stdout);
        assert_contains!(out.stderr, why);
    }
}

#[test]
fn kill_sessions_without_a_proc_file_system_says_it_cannot_see_processes() {
    let test = host(47001);
    fs::remove_file(test.path("/proc")).unwrap();
    fs::create_dir_all(test.path("/proc/4242")).unwrap();
    fs::write(
        test.path("/proc/4242/status"),
        "Name:\tsleep\nUid:\t47001\t47001\t47001\t47001\n",
    )
    .unwrap();
    let out = test.run_args(&["apply", "end", "-p", "user=bob", "--dry-run"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(out.stderr, "/proc is not a proc file system");
}

/// Killed after the journal names the processes, before any signal: they run on, and
/// rollback says what it cannot do.
#[test]
#[cfg_attr(not_root, ignore = "needs root: processes run as a test user's uid")]
fn kill_sessions_killed_after_the_journal_line_signalled_nothing() {
    let uid = fresh_uid();
    let test = host(uid).env("RUNBOOK_TEST_HOOK", "after-journal=kill");
    let mut procs = Reaped(vec![spawn_as(Some(uid), "sleep", &["sleep", "600"])]);
    let out = test.run_args(&["apply", "end", "-p", "user=bob", "--yes"]);
    assert_eq!(out.code, -1, "not killed: {}{}", out.stdout, out.stderr);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(ended_by(&mut procs.0[0]), None);
    let back = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(back.code, 0, "{}{}", back.stdout, back.stderr);
    assert_contains!(
        back.stderr,
        &format!(
            "ending the processes of `bob` (PID {}, any of them signalled before the run was interrupted) is not reversible",
            procs.0[0].id()
        )
    );
}

/// An operator logged in as the user runs runbook from that session: the shell runbook
/// runs under (and runbook itself) are spared, listed as such, and the user's other
/// processes are to end.
#[test]
#[cfg_attr(not_root, ignore = "needs root: processes run as a test user's uid")]
fn kill_sessions_spares_the_session_runbook_runs_in() {
    use std::os::unix::fs::PermissionsExt;
    let uid = fresh_uid();
    let test = host(uid);
    // runbook runs as the user here (as a dry run may): the test's root is readable.
    let top = test.root().parent().unwrap().to_path_buf();
    for dir in [top.clone(), test.root(), test.runbooks_dir()] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(test.path("/etc/shadow"), fs::Permissions::from_mode(0o644)).unwrap();
    let mut procs = Reaped(vec![spawn_as(Some(uid), "sleep", &["sleep", "600"])]);
    let script = format!(
        "{} apply end -p user=bob --dry-run --output json --root {} --runbooks {}; true",
        env!("CARGO_BIN_EXE_runbook"),
        test.root().display(),
        test.runbooks_dir().display()
    );
    let shell = Command::new("/bin/sh")
        .args(["-c", &script])
        .uid(uid)
        .gid(uid)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sh = shell.id();
    let out = shell.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let plan: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    let signal = &plan["steps"][0]["signals"][0];
    let pids = |list: &serde_json::Value| -> Vec<u64> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["pid"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(
        pids(&signal["processes"]),
        [procs.0[0].id() as u64],
        "{signal}"
    );
    let spared = pids(&signal["spared"]);
    assert_eq!(spared.len(), 2, "{signal}");
    assert!(spared.contains(&(sh as u64)), "{signal}");
    assert!(
        signal["spared"][1]["cmdline"]
            .as_str()
            .unwrap()
            .contains("apply end -p user=bob --dry-run"),
        "{signal}"
    );
    assert_eq!(ended_by(&mut procs.0[0]), None);
}

/// A saved plan edited to name PID 1 and runbook's own parent (with their real start
/// times): apply skips both, saying they are never signalled.
#[test]
#[cfg_attr(not_root, ignore = "needs root: processes run as a test user's uid")]
fn kill_sessions_never_signals_init_or_the_process_runbook_runs_under() {
    let uid = fresh_uid();
    let test = host(uid);
    let mut procs = Reaped(vec![
        spawn_as(Some(uid), "sleep", &["sleep", "600"]),
        spawn_as(Some(uid), "sleep", &["sleep", "600"]),
    ]);
    let file = test.root().parent().unwrap().join("plan.json");
    let file = file.to_str().unwrap();
    let saved = test.run_args(&[
        "apply",
        "end",
        "-p",
        "user=bob",
        "--dry-run",
        "--save-plan",
        file,
    ]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let mut json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
    // runbook is the test's child: the test is its parent.
    let me = std::process::id();
    for (i, pid) in [(0, 1), (1, me)] {
        let item = &mut json["work"][0]["items"][0]["processes"][i];
        item["pid"] = pid.into();
        item["start_time"] = start_time(pid).into();
    }
    fs::write(file, serde_json::to_string(&json).unwrap()).unwrap();
    let out = test.run_args(&["apply", "--plan", file, "--yes", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    let shown = &plan["steps"][0]["signals"][0]["processes"];
    for (i, pid) in [(0, 1), (1, me)] {
        assert_eq!(
            shown[i]["result"],
            format!(
                "skipped: PID {pid} is never signalled (init, runbook or a process it runs under, or not the user's)"
            )
        );
    }
    // The user's processes were not in the edited plan: they run on.
    assert_eq!(ended_by(&mut procs.0[0]), None);
    assert_eq!(ended_by(&mut procs.0[1]), None);
}

const FAILING: &str = r#"# yaml-language-server: $schema=x
id: end-then-fail
title: End the sessions, then a step that fails
steps:
  - { id: end, title: End the sessions, kill_sessions: { user: bob, wait: 1s } }
  - { id: fail, title: Fails, run: { argv: [/bin/false], mutating: false } }
"#;

/// A later step fails: the run undoes what it can, and says plainly that the ended
/// processes are not among it; the step stays `changed`.
#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn kill_sessions_before_a_failure_is_reported_not_undone() {
    let uid = fresh_uid();
    let test = host(uid).runbook(FAILING);
    fs::create_dir_all(test.path("/bin")).unwrap();
    fs::copy("/bin/busybox", test.path("/bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", test.path("/bin/false")).unwrap();
    let mut procs = Reaped(vec![spawn_as(Some(uid), "sleep", &["sleep", "600"])]);
    let out = test.run_args(&["apply", "end-then-fail", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "could not undo: the processes of `bob` were ended, which is not reversible"
    );
    assert_contains!(out.stdout, "+ end [kill_sessions] changed");
    assert_eq!(wait_end(&mut procs.0[0]), Some(libc::SIGTERM));
    let json = test.run_args(&["history", "--output", "json"]).json();
    assert_eq!(json["runs"][0]["outcome"], "failed");
    assert_eq!(
        json["runs"][0]["commands"][0],
        serde_json::json!(["kill", "-TERM", procs.0[0].id().to_string()])
    );
}

#[test]
fn kill_sessions_lint_checks_its_fields() {
    let test = Test::new().runbook(
        "# yaml-language-server: $schema=x\nid: l\ntitle: L\nsteps:\n  - { id: a, title: A, kill_sessions: { user: \"{{params.nobody}}\", wait: soon } }\n",
    );
    let out = test.run_args(&["lint"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stdout,
        "error[RB031]: `{{params.nobody}}` cannot resolve"
    );
    assert_contains!(out.stdout, "RB042");
    assert_contains!(out.stdout, "`soon` is not a duration");
    let test = Test::new().runbook(
        "# yaml-language-server: $schema=x\nid: l\ntitle: L\nsteps:\n  - { id: b, title: B, kill_sessions: { wait: 1s } }\n",
    );
    let out = test.run_args(&["lint"]);
    assert_contains!(out.stdout, "error[RB004]: missing field `user`");
}
