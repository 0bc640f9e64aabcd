//! `kill_sessions` against a real sshd (Debian 12: OpenSSH 9.2, `sshd: bob@pts/0`;
//! Debian 13: OpenSSH 10, `sshd-session: bob@pts/0`) in the exim roots
//! (RUNBOOK_EXIM_ROOTFS_<SUITE>), and a real ssh session to it on loopback.
//!
//! sshd runs chrooted in the root inside `unshare --pid --fork --net --mount
//! --mount-proc=ROOT/proc`: a PID namespace whose processes are exactly the test's, a
//! network namespace (its port 22 is no port of this machine) and a mount namespace
//! where ROOT/proc is that namespace's proc and ROOT/dev/pts a devpts of its own (for
//! the session's pty). The ssh client and runbook itself run in the same namespaces
//! through `nsenter` (runbook as the test built it, with `--root ROOT`): runbook must
//! see that `/proc`, which only exists in that mount namespace, and it is in the PID
//! namespace it signals, as it would be on a real host. Killing the namespace's first
//! process ends everything in it, on failure too.

use std::fs;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::rootfs::{RootFs, Suite};

mod bookworm {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn kill_sessions_ends_a_real_ssh_session() {
        super::kill_sessions_ends_a_real_ssh_session(&crate::rootfs::BOOKWORM, "sshd: bob@pts/0");
    }
}

mod trixie {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_trixie,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn kill_sessions_ends_a_real_ssh_session() {
        super::kill_sessions_ends_a_real_ssh_session(
            &crate::rootfs::TRIXIE,
            "sshd-session: bob@pts/0",
        );
    }
}

const RUNBOOK: &str = "id: end\ntitle: End bob's sessions\nsteps:\n  - { id: end, title: End bob's sessions, kill_sessions: { user: bob } }\n";

const SSHD_CONFIG: &str = "Port 22
ListenAddress 127.0.0.1
HostKey /etc/ssh/test_host_key
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PidFile /run/sshd-test.pid
";

/// The namespaces with sshd running; everything in them is killed when dropped.
struct Namespace {
    unshare: Child,
    /// This machine's PID of the namespace's first process.
    init: u32,
}

impl Namespace {
    fn start(host: &RootFs) -> Namespace {
        let script = r#"ip link set lo up
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$1/dev/pts"
mount --bind "$1/dev/pts/ptmx" "$1/dev/ptmx"
chroot "$1" /usr/sbin/sshd -D -e -f /etc/ssh/sshd_test_config 2>>"$1/var/log/sshd.log" &
exec sleep 3600"#;
        let root = host.root.to_str().unwrap();
        let unshare = Command::new("unshare")
            .args(["--pid", "--fork", "--net", "--mount"])
            .arg(format!("--mount-proc={root}/proc"))
            .args(["sh", "-c", script, "sh", root])
            .stdin(Stdio::null())
            // unshare's own complaints (a harmless sigprocmask one under the test
            // harness) beside sshd's log, not in the test's output.
            .stderr(fs::File::create(host.path("/var/log/unshare.log")).unwrap())
            .spawn()
            .unwrap();
        let children = format!("/proc/{0}/task/{0}/children", unshare.id());
        let start = Instant::now();
        let init = loop {
            if let Some(pid) = fs::read_to_string(&children)
                .ok()
                .and_then(|c| c.split_whitespace().next()?.parse().ok())
            {
                break pid;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "unshare did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let ns = Namespace { unshare, init };
        ns.wait_for(host, "sshd listening", |log| {
            log.contains("Server listening on 127.0.0.1 port 22")
        });
        ns
    }

    /// `argv` in the namespaces (not chrooted).
    fn command(&self, argv: &[&str]) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args(["-t", &self.init.to_string(), "-p", "-m", "-n", "--"])
            .args(argv);
        cmd
    }

    /// runbook in the namespaces, `--root ROOT`: exit code, stdout, stderr.
    fn runbook(&self, host: &RootFs, args: &[&str]) -> (i32, String, String) {
        let runbooks = host.path("/tmp/runbooks");
        fs::create_dir_all(&runbooks).unwrap();
        fs::write(runbooks.join("end.yaml"), RUNBOOK).unwrap();
        let out = self
            .command(&[env!("CARGO_BIN_EXE_runbook")])
            .args(args)
            .arg("--root")
            .arg(&host.root)
            .env("RUNBOOK_PATH", &runbooks)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        crate::rootfs::outcome(out)
    }

    fn wait_for(&self, host: &RootFs, what: &str, done: impl Fn(&str) -> bool) {
        let start = Instant::now();
        loop {
            let log = fs::read_to_string(host.path("/var/log/sshd.log")).unwrap_or_default();
            if done(&log) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no {what}; sshd's log:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // The first process of a PID namespace takes every other one with it.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.init as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = self.unshare.wait();
    }
}

fn chroot(host: &RootFs, script: &str) {
    let out = Command::new("chroot")
        .arg(&host.root)
        .args(["/bin/sh", "-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn kill_sessions_ends_a_real_ssh_session(suite: &Suite, title: &str) {
    let host = RootFs::copy("exim", suite);
    // A root built from an older scripts/rootfs-packages has no sshd.
    for program in ["/usr/sbin/sshd", "/usr/bin/ssh"] {
        assert!(
            host.path(program).is_file(),
            "the exim root of {} has no {program}: rebuild it with scripts/make-rootfs from scripts/rootfs-packages (openssh-server, openssh-client), as .ci/run does",
            suite.name
        );
    }
    // bob logs in with a key; `*` (no password) and not `!` (locked), which sshd
    // without PAM refuses.
    chroot(
        &host,
        "useradd -m -u 2001 -s /bin/bash bob && usermod -p '*' bob \
         && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/test_host_key \
         && mkdir -p /root/.ssh /run/sshd && ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519 \
         && mkdir -m 700 /home/bob/.ssh && cp /root/.ssh/id_ed25519.pub /home/bob/.ssh/authorized_keys \
         && chown -R bob:bob /home/bob/.ssh && chmod 600 /home/bob/.ssh/authorized_keys",
    );
    fs::write(host.path("/etc/ssh/sshd_test_config"), SSHD_CONFIG).unwrap();
    let ns = Namespace::start(&host);

    // A real session with a pty, running a shell that waits.
    let root = host.root.to_str().unwrap();
    let mut client = ns
        .command(&[
            "chroot",
            root,
            "ssh",
            "-tt",
            "-i",
            "/root/.ssh/id_ed25519",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "bob@127.0.0.1",
            "sleep 600; true",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    ns.wait_for(&host, "login", |log| {
        log.contains("Accepted publickey for bob")
    });
    // The session's shell runs its command when its process is there.
    let start = Instant::now();
    let plan = loop {
        let (code, stdout, stderr) =
            ns.runbook(&host, &["apply", "end", "--dry-run", "--output", "json"]);
        assert_eq!(code, 0, "{stderr}");
        let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let n = plan["steps"][0]["signals"][0]["processes"]
            .as_array()
            .map_or(0, Vec::len);
        if n >= 3 {
            break plan;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{stdout}");
        std::thread::sleep(Duration::from_millis(50));
    };

    // The facts see the session, as `ps axu | grep ssh` would.
    let (code, stdout, stderr) =
        ns.runbook(&host, &["facts", "--only", "sessions", "--output", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let facts: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(facts["sessions"]["users"][0]["user"], "bob", "{facts}");
    assert_eq!(facts["sessions"]["users"][0]["sshd_sessions"], 1, "{facts}");

    // The plan: sshd's process of bob's session, its shell and the command, nothing of
    // root's (the listener, the `[priv]` monitor, the client).
    let processes = plan["steps"][0]["signals"][0]["processes"]
        .as_array()
        .unwrap();
    let cmdlines: Vec<&str> = processes
        .iter()
        .map(|p| p["cmdline"].as_str().unwrap().trim_end())
        .collect();
    assert_eq!(
        cmdlines,
        [title, "bash -c sleep 600; true", "sleep 600"],
        "{plan}"
    );
    assert_eq!(processes[0]["ssh"], true);
    assert_eq!(processes[1]["tty"], "pts/0");
    assert!(processes.iter().all(|p| p["uid"] == 2001));
    let (_, human, _) = ns.runbook(&host, &["apply", "end", "--dry-run"]);
    crate::assert_contains!(human, "would end 3 processes of bob (uid 2001)");
    crate::assert_contains!(human, &format!("{title} [ssh session]\n"));
    crate::assert_contains!(human, "tty pts/0 started ");
    crate::assert_contains!(human, "not reversible");
    // The dry run signalled nothing: the session goes on.
    assert!(
        client.try_wait().unwrap().is_none(),
        "the dry run ended the session"
    );

    // Apply ends them; the client sees the connection closed.
    let (code, stdout, stderr) = ns.runbook(&host, &["apply", "end", "--yes", "--output", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let applied: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(applied["steps"][0]["outcome"], "changed");
    for p in applied["steps"][0]["signals"][0]["processes"]
        .as_array()
        .unwrap()
    {
        let result = p["result"].as_str().unwrap();
        assert!(
            ["ended by TERM", "ended by KILL", "already gone"].contains(&result),
            "{p}"
        );
    }
    let start = Instant::now();
    while client.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the session goes on"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = client.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(255));
    crate::assert_contains!(
        String::from_utf8_lossy(&out.stderr),
        "Connection to 127.0.0.1 closed by remote host."
    );

    // Nothing of bob's is left: a second apply has nothing to do.
    let (code, stdout, stderr) = ns.runbook(&host, &["apply", "end", "--yes", "--output", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let again: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(again["changes"], false, "{again}");
    let (code, stdout, stderr) =
        ns.runbook(&host, &["facts", "--only", "sessions", "--output", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let facts: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(facts["sessions"]["users"], serde_json::json!([]), "{facts}");

    // Rollback says it cannot bring them back.
    let (code, stdout, stderr) = ns.runbook(&host, &["rollback", "--last", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    crate::assert_contains!(stdout, "is not reversible: rollback cannot bring them back");
    // sshd itself still listens: only bob's processes ended.
    let out = ns
        .command(&[
            "sh",
            "-c",
            &format!("cat {root}/proc/[0-9]*/cmdline | tr '\\0' ' '"),
        ])
        .output()
        .unwrap();
    crate::assert_contains!(String::from_utf8_lossy(&out.stdout), "[listener]");
}
