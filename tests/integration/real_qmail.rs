//! A real qmail (notqmail built from `../shared/vendor/notqmail-*.tar.gz` by
//! scripts/rootfs-setup/qmail) in a Debian root of each suite (RUNBOOK_QMAIL_ROOTFS_<SUITE>,
//! made by `scripts/make-rootfs` from scripts/rootfs-packages), and the facts runbook reads
//! from its queue and PHP.
//!
//! [`QmailHost`] is the reusable part: a private copy of the root, site users, mail
//! submitted by the real `sendmail` (qmail-inject) and by real PHP `mail()`, qmail-send
//! started from `/var/qmail/rc` in namespaces of its own (no network: remote deliveries
//! defer and the mail stays queued) and stopped, the queue read back by `qmail-qstat` and
//! `qmail-qread`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::rootfs::{RootFs, Suite};

mod bookworm {
    #[test]
    #[cfg_attr(
        no_qmail_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_BOOKWORM: a Debian 12 root with qmail from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn queue_facts_agree_with_qmail_qstat_and_name_the_php_script() {
        super::queue_facts_agree_with_qmail_qstat_and_name_the_php_script(&crate::rootfs::BOOKWORM);
    }

    #[test]
    #[cfg_attr(
        no_qmail_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_BOOKWORM: a Debian 12 root with qmail from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn a_bounce_qmail_send_made_is_named_a_bounce() {
        super::a_bounce_qmail_send_made_is_named_a_bounce(&crate::rootfs::BOOKWORM);
    }

    #[test]
    #[cfg_attr(
        no_qmail_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_BOOKWORM: a Debian 12 root with qmail from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn php_facts_read_conf_d_as_php_does() {
        super::php_facts_read_conf_d_as_php_does(&crate::rootfs::BOOKWORM);
    }
}

mod trixie {
    #[test]
    #[cfg_attr(
        no_qmail_rootfs_trixie,
        ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_TRIXIE: a Debian 13 root with qmail from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn queue_facts_agree_with_qmail_qstat_and_name_the_php_script() {
        super::queue_facts_agree_with_qmail_qstat_and_name_the_php_script(&crate::rootfs::TRIXIE);
    }

    #[test]
    #[cfg_attr(
        no_qmail_rootfs_trixie,
        ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_TRIXIE: a Debian 13 root with qmail from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn a_bounce_qmail_send_made_is_named_a_bounce() {
        super::a_bounce_qmail_send_made_is_named_a_bounce(&crate::rootfs::TRIXIE);
    }

    #[test]
    #[cfg_attr(
        no_qmail_rootfs_trixie,
        ignore = "needs root and RUNBOOK_QMAIL_ROOTFS_TRIXIE: a Debian 13 root with qmail from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn php_facts_read_conf_d_as_php_does() {
        super::php_facts_read_conf_d_as_php_does(&crate::rootfs::TRIXIE);
    }
}

/// The queue, and qmail-send's log (its standard output, appended by /var/qmail/rc).
pub const QUEUE: &str = "/var/qmail/queue";
pub const LOG: &str = "/var/log/qmail";
/// The host's name (control/me), which qmail delivers locally.
pub const ME: &str = "qmail.example";
/// How long qmail-send may take to start, settle or stop.
const PATIENCE: Duration = Duration::from_secs(30);

/// A site user of the root.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub home: String,
}

/// A private copy of the qmail root of one suite.
pub struct QmailHost {
    pub fs: RootFs,
    pub suite: &'static Suite,
}

impl QmailHost {
    /// A copy of the suite's qmail root, its PHP CLI set to submit through qmail with
    /// the header that names the sending script (in conf.d: [`QmailHost::php_mail_ini`]).
    pub fn new(suite: &'static Suite) -> QmailHost {
        let host = QmailHost {
            fs: RootFs::copy("qmail", suite),
            suite,
        };
        host.write(
            &host.php_mail_ini(),
            "; PHP's mail() into qmail, naming the sending script in its header\n\
             sendmail_path = \"/var/qmail/bin/sendmail -t -i\"\n\
             mail.add_x_header = On\n",
        );
        host
    }

    pub fn root(&self) -> &Path {
        &self.fs.root
    }

    pub fn path(&self, host_path: &str) -> PathBuf {
        self.fs.path(host_path)
    }

    /// Where the harness sets PHP's mail settings: a conf.d file of the CLI, as a
    /// Plesk/qmail host sets them.
    pub fn php_mail_ini(&self) -> String {
        format!("/etc/php/{}/cli/conf.d/50-qmail-mail.ini", self.suite.php)
    }

    /// Write a file of the root (parents made), owned by root.
    pub fn write(&self, host_path: &str, text: &str) {
        let path = self.path(host_path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Add a site user with a home and a group of its own (`useradd` of the root).
    pub fn add_user(&self, name: &str, uid: u32) -> User {
        let id = uid.to_string();
        let (code, _, stderr) =
            self.chroot(&["useradd", "-m", "-u", &id, "-U", "-s", "/bin/sh", name]);
        assert_eq!(code, 0, "useradd {name}: {stderr}");
        User {
            name: name.into(),
            uid,
            home: format!("/home/{name}"),
        }
    }

    /// Write a file under a user's home, it and the directories made for it owned by
    /// the user (PHP's X-PHP-Originating-Script names the script file's owner).
    pub fn user_file(&self, user: &User, rel: &str, text: &str) -> String {
        let host_path = format!("{}/{rel}", user.home);
        let path = self.path(&host_path);
        let home = self.path(&user.home);
        let mut dir = path.parent().unwrap().to_path_buf();
        let mut made = Vec::new();
        while !dir.exists() {
            made.push(dir.clone());
            dir = dir.parent().unwrap().to_path_buf();
        }
        assert!(
            dir.starts_with(&home),
            "{host_path} is not in {}",
            user.home
        );
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        for p in made.iter().chain([&path]) {
            chown(p, Some(user.uid), Some(user.uid)).unwrap();
        }
        host_path
    }

    /// A program run chrooted as root: exit code, stdout, stderr.
    pub fn chroot(&self, argv: &[&str]) -> (i32, String, String) {
        run(Command::new("chroot").arg(self.root()).args(argv), None)
    }

    /// A program run chrooted as `user`, in `dir`, with a login's environment only (no
    /// variable of the test's leaks in: qmail-inject takes the sender from USER), fed
    /// `stdin`: exit code, stdout, stderr.
    pub fn run_as(
        &self,
        user: &User,
        dir: &str,
        argv: &[&str],
        stdin: Option<&str>,
    ) -> (i32, String, String) {
        let mut command = Command::new("chroot");
        command
            .arg(format!("--userspec={}:{}", user.uid, user.uid))
            .arg(self.root())
            .args(["env", "-i", "-C", dir])
            .arg("PATH=/usr/local/bin:/usr/bin:/bin")
            .arg(format!("HOME={}", user.home))
            .arg(format!("USER={}", user.name))
            .arg(format!("LOGNAME={}", user.name))
            .args(argv);
        run(&mut command, stdin)
    }

    /// Submit `message` (headers and body) with qmail's real `sendmail` as `user`,
    /// `args` before it (`-t`, `-f SENDER`, recipients).
    pub fn sendmail(&self, user: &User, args: &[&str], message: &str) {
        let mut argv = vec!["/var/qmail/bin/sendmail"];
        argv.extend(args);
        let (code, _, stderr) = self.run_as(user, &user.home, &argv, Some(message));
        assert_eq!(code, 0, "sendmail {args:?} as {}: {stderr}", user.name);
    }

    /// Run a PHP script of the root with the real php-cli as `user`, in its directory:
    /// its stdout (PHP's mail() goes through sendmail_path).
    pub fn php(&self, user: &User, script: &str) -> String {
        let dir = Path::new(script).parent().unwrap().to_str().unwrap();
        let (code, stdout, stderr) = self.run_as(user, dir, &["php", script], None);
        assert_eq!(code, 0, "php {script} as {}: {stdout}{stderr}", user.name);
        assert!(
            !stdout.contains("Warning") && !stderr.contains("Warning"),
            "php {script}: {stdout}{stderr}"
        );
        stdout
    }

    /// `qmail-qstat`: (messages in queue, of which not yet preprocessed).
    pub fn qstat(&self) -> (u64, u64) {
        let (code, stdout, stderr) = self.chroot(&["/var/qmail/bin/qmail-qstat"]);
        assert_eq!(code, 0, "qmail-qstat: {stderr}");
        let number = |label: &str| -> u64 {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(label))
                .unwrap_or_else(|| panic!("no `{label}` in qmail-qstat's output:\n{stdout}"))
                .trim()
                .parse()
                .unwrap()
        };
        (
            number("messages in queue:"),
            number("messages in queue but not yet preprocessed:"),
        )
    }

    /// `qmail-qread`: every preprocessed message (those still in todo/ are not listed).
    pub fn qread(&self) -> Vec<Queued> {
        let (code, stdout, stderr) = self.chroot(&["/var/qmail/bin/qmail-qread"]);
        assert_eq!(code, 0, "qmail-qread: {stderr}");
        parse_qread(&stdout)
    }

    /// qmail-send's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.path(LOG)).unwrap_or_default()
    }

    /// The mess files of the queue (`mess/<split>/<n>`), by message number.
    pub fn mess_files(&self) -> Vec<(u64, PathBuf)> {
        let mut out = Vec::new();
        for split in fs::read_dir(self.path(&format!("{QUEUE}/mess"))).unwrap() {
            for file in fs::read_dir(split.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                let n = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
                out.push((n, path));
            }
        }
        out.sort();
        out
    }

    /// `runbook facts --only GROUPS --output json --root ROOT`.
    pub fn facts(&self, groups: &str) -> serde_json::Value {
        let (code, stdout, stderr) = self
            .fs
            .runbook(&["facts", "--only", groups, "--output", "json"]);
        assert_eq!(code, 0, "runbook facts: {stdout}\n{stderr}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
    }

    /// Start qmail-send with /var/qmail/rc (qmail-start), chrooted in namespaces of its
    /// own: a network namespace without even loopback (remote deliveries defer: no DNS)
    /// and a PID namespace, qmail-send its init. Stopped when dropped.
    pub fn start(&self) -> QmailSend<'_> {
        let from = self.log().len();
        let mut unshare = Command::new("unshare")
            .args(["--net", "--pid", "--fork", "--mount-proc", "--kill-child"])
            .arg("chroot")
            .arg(self.root())
            .arg("/var/qmail/rc")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let children = format!("/proc/{0}/task/{0}/children", unshare.id());
        let start = Instant::now();
        let pid = loop {
            let listed = fs::read_to_string(&children).unwrap_or_default();
            if let Some(pid) = listed.split_whitespace().next() {
                break pid.parse::<i32>().unwrap();
            }
            if let Ok(Some(status)) = unshare.try_wait() {
                panic!("unshare … /var/qmail/rc exited at once: {status}");
            }
            assert!(start.elapsed() < PATIENCE, "no qmail-send started");
            std::thread::sleep(Duration::from_millis(20));
        };
        let running = QmailSend {
            host: self,
            unshare: Some(unshare),
            pid,
            from,
        };
        // qmail-send says how many deliveries run once it is up.
        running.wait_for("qmail-send to start", |log| log.contains("status: local "));
        running
    }
}

/// qmail-send running in its namespaces (see [`QmailHost::start`]).
pub struct QmailSend<'a> {
    host: &'a QmailHost,
    unshare: Option<Child>,
    /// qmail-send's pid (ours; 1 in its PID namespace).
    pid: i32,
    /// Where its log starts for this run.
    from: usize,
}

impl QmailSend<'_> {
    /// Its log since it started.
    pub fn log(&self) -> String {
        self.host
            .log()
            .get(self.from..)
            .unwrap_or_default()
            .to_string()
    }

    /// Wait until `done` holds of its log since it started.
    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while !done(&self.log()) {
            assert!(
                start.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for {what}; qmail-send's log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until qmail-send has nothing left to do now: todo/ and bounce/ empty, every
    /// delivery it started finished (the remote ones deferred), twice in a row.
    pub fn settle(&self) {
        let quiet = || {
            let empty =
                |dir: &str| walk_files(&self.host.path(&format!("{QUEUE}/{dir}"))).is_empty();
            let log = self.log();
            let started = log.matches("starting delivery ").count();
            let finished = log
                .lines()
                .filter(|l| l.starts_with("delivery ") && l.contains(": "))
                .count();
            empty("todo") && empty("bounce") && started == finished
        };
        let start = Instant::now();
        let mut in_a_row = 0;
        while in_a_row < 2 {
            in_a_row = if quiet() { in_a_row + 1 } else { 0 };
            assert!(
                start.elapsed() < PATIENCE,
                "qmail-send did not settle in {PATIENCE:?}; its log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stop it as its service would: TERM, then wait for it (and so its namespace) to
    /// exit. Its log says `status: exiting`.
    pub fn stop(mut self) {
        self.terminate();
        assert!(
            self.log().contains("status: exiting"),
            "qmail-send did not say it exits:\n{}",
            self.log()
        );
    }

    fn terminate(&mut self) {
        let Some(mut unshare) = self.unshare.take() else {
            return;
        };
        let pid = nix::unistd::Pid::from_raw(self.pid);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let start = Instant::now();
        while unshare.try_wait().unwrap().is_none() {
            if start.elapsed() > PATIENCE {
                // unshare's --kill-child takes the namespace down with it.
                let _ = unshare.kill();
                let _ = unshare.wait();
                panic!("qmail-send did not exit on TERM in {PATIENCE:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for QmailSend<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(mut unshare) = self.unshare.take() {
                let _ = unshare.kill();
                let _ = unshare.wait();
            }
        } else {
            self.terminate();
        }
    }
}

/// One message as `qmail-qread` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub id: u64,
    /// Without the angle brackets; empty for a bounce (`<>`).
    pub sender: String,
    /// `(local|remote, address, done)`.
    pub recipients: Vec<(String, String, bool)>,
}

/// `3 Dec 2026 06:16:46 GMT  #955590  273  <shop@qmail.example> ` then
/// `\tremote\tvictim@remote.example` (`\tdone\tremote\t…` when delivered) per recipient.
fn parse_qread(text: &str) -> Vec<Queued> {
    let mut out: Vec<Queued> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix('\t') {
            let fields: Vec<&str> = rest.split('\t').collect();
            let (done, fields) = match fields[..] {
                ["done", ..] => (true, &fields[1..]),
                _ => (false, &fields[..]),
            };
            let [kind, address] = fields else {
                panic!("qmail-qread recipient line: {line:?}");
            };
            out.last_mut()
                .expect("a recipient after its message")
                .recipients
                .push((kind.to_string(), address.to_string(), done));
        } else if !line.is_empty() {
            let id = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix('#'))
                .unwrap_or_else(|| panic!("qmail-qread message line: {line:?}"));
            let sender = line
                .split_once('<')
                .and_then(|(_, s)| s.rsplit_once('>'))
                .map(|(s, _)| s.to_string())
                .unwrap_or_else(|| panic!("qmail-qread message line: {line:?}"));
            out.push(Queued {
                id: id.parse().unwrap(),
                sender,
                recipients: Vec::new(),
            });
        }
    }
    out.sort_by_key(|q| q.id);
    out
}

/// Every file under `dir`.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(walk_files(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn run(command: &mut Command, stdin: Option<&str>) -> (i32, String, String) {
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// `[{key: value, count}]` of a facts list, as (value, count) pairs.
fn counts(list: &serde_json::Value, key: &str) -> Vec<(String, u64)> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| {
            (
                e[key].as_str().unwrap().to_string(),
                e["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A contact form that mails, as the articles' hacked sites do.
const CONTACT_PHP: &str = r#"<?php
foreach (["victim1@remote.example", "victim2@remote.example", "victim3@remote.example"] as $to) {
    if (!mail($to, "Offer", "Cheap pills\n", "From: shop@qmail.example")) {
        echo "mail() failed\n";
        exit(1);
    }
}
"#;

fn queue_facts_agree_with_qmail_qstat_and_name_the_php_script(suite: &'static Suite) {
    let host = QmailHost::new(suite);
    let shop = host.add_user("shop", 1001);
    let bob = host.add_user("bob", 1002);
    let script = host.user_file(&shop, "public_html/contact.php", CONTACT_PHP);
    host.php(&shop, &script);
    host.sendmail(
        &bob,
        &["-t"],
        "To: friend@elsewhere.example\nSubject: hello\n\nSee you.\n",
    );

    // qmail-send is not running: the messages wait in todo/, and the facts count them.
    assert_eq!(host.qstat(), (4, 4));
    assert_eq!(host.qread(), []);
    let facts = host.facts("queue");
    assert_eq!(facts["queue"]["total"], 4, "{facts:#}");

    let qmail = host.start();
    qmail.settle();
    qmail.stop();
    let log = host.log();
    assert_eq!(log.matches(": deferral: ").count(), 4, "{log}");
    assert_eq!(host.qstat(), (4, 0));
    let queued = host.qread();
    assert_eq!(queued.len(), 4, "{queued:?}");
    // The real headers: qmail's Received names the uid, PHP's the script and its owner.
    let mess: Vec<String> = host
        .mess_files()
        .iter()
        .map(|(_, p)| String::from_utf8_lossy(&fs::read(p).unwrap()).into_owned())
        .collect();
    let from_php = mess
        .iter()
        .filter(|m| m.contains("X-PHP-Originating-Script: 1001:contact.php"))
        .count();
    assert_eq!(from_php, 3);

    let facts = host.facts("queue");
    let q = &facts["queue"];
    assert_eq!(q["total"].as_u64(), Some(host.qstat().0), "{q:#}");
    assert_eq!(q["unreadable"], serde_json::json!([]));
    // The senders qmail-qread lists, counted, are the facts' senders.
    let mut senders: Vec<(String, u64)> = Vec::new();
    for m in &queued {
        match senders.iter_mut().find(|(s, _)| *s == m.sender) {
            Some(entry) => entry.1 += 1,
            None => senders.push((m.sender.clone(), 1)),
        }
    }
    senders.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    assert_eq!(counts(&q["top_senders"], "sender"), senders);
    assert_eq!(
        senders,
        [
            ("shop@qmail.example".to_string(), 3),
            ("bob@qmail.example".to_string(), 1)
        ]
    );
    // The script and its owner, found where it is.
    let top = &q["top_scripts"][0];
    assert_eq!(
        (&top["script"], &top["uid"], &top["count"]),
        (&"contact.php".into(), &1001.into(), &3.into()),
        "{q:#}"
    );
    assert_eq!(top["locations"][0]["path"], script);
    assert_eq!(top["locations"][0]["user"], "shop");
    assert_eq!(q["without_script_header"], 1);
    // Who submitted: qmail's `invoked by uid` through the root's passwd.
    let users = &q["top_local_users"];
    assert_eq!(
        counts(users, "user"),
        [("shop".to_string(), 3), ("bob".to_string(), 1)]
    );
    assert_eq!(
        (&users[0]["uid"], &users[0]["home"]),
        (&1001.into(), &"/home/shop".into())
    );
    assert_eq!(users[1]["uid"], 1002);
    // The recipients qmail-qread lists, by domain.
    let remote = queued
        .iter()
        .flat_map(|m| &m.recipients)
        .filter(|(kind, address, done)| {
            kind == "remote" && !done && address.ends_with("@remote.example")
        })
        .count();
    assert_eq!(remote, 3);
    assert_eq!(
        counts(&q["top_recipient_domains"], "domain"),
        [
            ("remote.example".to_string(), 3),
            ("elsewhere.example".to_string(), 1)
        ]
    );
}

fn a_bounce_qmail_send_made_is_named_a_bounce(suite: &'static Suite) {
    let host = QmailHost::new(suite);
    let shop = host.add_user("shop", 1001);
    // To a local user that does not exist, from a sender whose domain cannot be reached:
    // qmail-send bounces it, and the bounce defers.
    host.sendmail(
        &shop,
        &["-f", "sender@remote.example", "-t"],
        &format!("To: nosuchuser@{ME}\nSubject: lost\n\nNobody reads this.\n"),
    );
    let qmail = host.start();
    qmail.wait_for("the bounce", |log| log.contains("bounce msg "));
    qmail.settle();
    qmail.stop();
    let log = host.log();
    crate::assert_contains!(
        log,
        ": failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/"
    );
    assert_eq!(host.qstat(), (1, 0));
    let queued = host.qread();
    assert_eq!(
        queued
            .iter()
            .map(|m| (m.sender.as_str(), m.recipients.clone()))
            .collect::<Vec<_>>(),
        [(
            "",
            vec![(
                "remote".to_string(),
                "sender@remote.example".to_string(),
                false
            )]
        )]
    );
    let mess = host.mess_files();
    let text = String::from_utf8_lossy(&fs::read(&mess[0].1).unwrap()).into_owned();
    let received = text.lines().next().unwrap();
    assert!(
        received.starts_with("Received: (qmail ") && received.contains(" invoked for bounce); "),
        "{received}"
    );

    let facts = host.facts("queue");
    let q = &facts["queue"];
    assert_eq!(q["total"], 1, "{q:#}");
    assert_eq!(counts(&q["top_senders"], "sender"), [("<>".to_string(), 1)]);
    assert_eq!(
        counts(&q["top_local_users"], "user"),
        [("(bounce)".to_string(), 1)],
        "{q:#}"
    );
    assert_eq!(q["top_local_users"][0]["uid"], serde_json::Value::Null);
}

fn php_facts_read_conf_d_as_php_does(suite: &'static Suite) {
    let host = QmailHost::new(suite);
    let cli = format!("/etc/php/{}/cli", suite.php);
    // A later conf.d file overrides the harness's (50-qmail-mail.ini) and php.ini; a
    // file not named *.ini is no part of PHP's configuration.
    let site_ini = format!("{cli}/conf.d/60-site.ini");
    let sendmail = "/var/qmail/bin/sendmail -t -i -fbounces@qmail.example";
    host.write(&site_ini, &format!("sendmail_path = \"{sendmail}\"\n"));
    host.write(
        &format!("{cli}/conf.d/70-old.ini.dpkg-old"),
        "sendmail_path = /bin/false\n",
    );
    // Debian's php.ini names neither: its mail.add_x_header is Off.
    let php_ini = host.fs.read(&format!("{cli}/php.ini"));
    assert!(
        php_ini.contains("\nmail.add_x_header = Off\n"),
        "Debian's php.ini changed"
    );

    // What PHP itself reads.
    let (code, stdout, stderr) = host.chroot(&[
        "php",
        "-r",
        r#"echo ini_get("sendmail_path"), "\n", ini_get("mail.add_x_header"), "\n", php_ini_loaded_file(), "\n", php_ini_scanned_files();"#,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut lines = stdout.lines();
    let (php_sendmail, php_x_header, php_loaded) = (
        lines.next().unwrap(),
        lines.next().unwrap(),
        lines.next().unwrap(),
    );
    let php_scanned: Vec<String> = lines
        .map(|l| l.trim_end_matches(',').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(php_sendmail, sendmail);
    assert_eq!(php_x_header, "1");
    assert_eq!(php_loaded, format!("{cli}/php.ini"));
    assert!(php_scanned.contains(&site_ini), "{php_scanned:?}");

    // What runbook reads agrees, and names the file.
    let facts = host.facts("php");
    let php = &facts["php"];
    let file = php["ini_files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == php_loaded)
        .unwrap_or_else(|| panic!("no {php_loaded} in {php:#}"));
    assert_eq!(file["error"], serde_json::Value::Null, "{file:#}");
    assert_eq!(file["sendmail_path"], php_sendmail);
    assert_eq!(
        php["sendmail_path"][format!("{}/cli", suite.php)],
        php_sendmail
    );
    assert_eq!(file["add_x_header"], true);
    assert_eq!(file["set_in"]["sendmail_path"], site_ini);
    assert_eq!(file["set_in"]["mail.add_x_header"], host.php_mail_ini());
    assert_eq!(file["scan_dir"], format!("{cli}/conf.d"));
    assert_eq!(file["scanned"], serde_json::json!(php_scanned));

    // And PHP's mail() goes where that value says: the queued sender is its -f.
    let shop = host.add_user("shop", 1001);
    let script = host.user_file(
        &shop,
        "public_html/form.php",
        "<?php\nexit(mail('a@remote.example', 'x', 'y') ? 0 : 1);\n",
    );
    host.php(&shop, &script);
    let facts = host.facts("queue");
    assert_eq!(
        counts(&facts["queue"]["top_senders"], "sender"),
        [("bounces@qmail.example".to_string(), 1)]
    );
    assert_eq!(facts["queue"]["top_scripts"][0]["script"], "form.php");
}
