//! `queue_purge` and `queue_retry` against real exim and postfix queues, on each Debian
//! suite (RUNBOOK_EXIM_ROOTFS_<SUITE>, RUNBOOK_POSTFIX_ROOTFS_<SUITE>): the queue filled
//! by real PHP `mail()` and sendmail; the dry run moves no byte; apply takes exactly
//! the messages the plan named (a message exim holds its delivery lock on stays); a
//! second apply finds nothing more; rollback puts every byte back and the MTA's own
//! listing (`exim -bp`, `postqueue -j`) shows the messages again; a failure or a kill
//! half-way is undone.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::chown;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::rootfs::{RootFs, Suite};

macro_rules! suites {
    ($($module:ident $suite:ident: $cfg_exim:ident, $cfg_postfix:ident, $exim_var:literal, $postfix_var:literal;)*) => {$(
        mod $module {
            #[test]
            #[cfg_attr($cfg_exim, ignore = concat!("needs root and ", $exim_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn exim_purge_quarantines_what_the_plan_named_and_rollback_requeues_it() {
                super::exim_purge(&crate::rootfs::$suite);
            }

            #[test]
            #[cfg_attr($cfg_exim, ignore = concat!("needs root and ", $exim_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn exim_purge_killed_or_failing_half_way_is_undone() {
                super::exim_purge_interrupted(&crate::rootfs::$suite);
            }

            #[test]
            #[cfg_attr($cfg_exim, ignore = concat!("needs root and ", $exim_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn exim_retry_thaws_and_rollback_freezes_again() {
                super::exim_retry(&crate::rootfs::$suite);
            }

            #[test]
            #[cfg_attr($cfg_postfix, ignore = concat!("needs root and ", $postfix_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn postfix_purge_goes_through_hold_and_rollback_requeues_it() {
                super::postfix_purge(&crate::rootfs::$suite);
            }

            #[test]
            #[cfg_attr($cfg_postfix, ignore = concat!("needs root and ", $postfix_var, ": a Debian root from scripts/make-rootfs (.ci/run builds it)"))]
            fn postfix_retry_releases_held_mail_and_rollback_holds_it_again() {
                super::postfix_retry(&crate::rootfs::$suite);
            }
        }
    )*};
}

suites! {
    bookworm BOOKWORM: no_exim_rootfs_bookworm, no_postfix_rootfs_bookworm, "RUNBOOK_EXIM_ROOTFS_BOOKWORM", "RUNBOOK_POSTFIX_ROOTFS_BOOKWORM";
    trixie TRIXIE: no_exim_rootfs_trixie, no_postfix_rootfs_trixie, "RUNBOOK_EXIM_ROOTFS_TRIXIE", "RUNBOOK_POSTFIX_ROOTFS_TRIXIE";
}

/// A site's form handler: two messages per request, the script header on.
const FORM: &str = "<?php\nforeach (['a@example.net', 'b@example.org'] as $to) {\n    mail($to, 'Offer', \"Cheap pills\\n\", 'From: noreply@shop.example.com');\n}\n";

const PURGE: &str = "id: purge-form\ntitle: Quarantine the form's mail\nsteps:\n  - { id: purge, title: Quarantine the form's mail, queue_purge: { script: contact-form.php } }\n";

fn site(host: &RootFs) {
    fs::create_dir_all(host.path("/var/www/site")).unwrap();
    fs::write(host.path("/var/www/site/contact-form.php"), FORM).unwrap();
    chown(
        host.path("/var/www/site/contact-form.php"),
        Some(1001),
        Some(1001),
    )
    .unwrap();
}

/// One request to the form, as the web server's user, through `sendmail`.
fn post_form(host: &RootFs, sendmail: &str) {
    let (code, stderr) = host.chroot_as(
        "www-data",
        &[
            "/usr/bin/php",
            "-d",
            &format!("sendmail_path={sendmail}"),
            "-d",
            "mail.add_x_header=On",
            "/var/www/site/contact-form.php",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
}

/// A legitimate message sent with the MTA's sendmail as root.
fn send_plain(host: &RootFs, argv: &[&str]) {
    let mut child = Command::new("chroot")
        .arg(&host.root)
        .args(argv)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"From: owner@shop.example.com\nTo: client@example.net\nSubject: Invoice\n\nYour invoice.\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// `runbook_with ID YAML ARGS --output json`: exit code, the JSON, stderr.
fn run_json(host: &RootFs, id: &str, yaml: &str, args: &[&str]) -> (i32, Value, String) {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let (code, stdout, stderr) = host.runbook_with(id, yaml, &all);
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (code, json, format!("{stdout}\n{stderr}"))
}

/// `yaml` with a last step that fails, as any later failure of a real run: its first
/// step, which changed the host, must end `undone`.
pub(crate) fn then_failing(yaml: &str) -> String {
    format!(
        "{yaml}  - {{ id: fail, title: Fails, run: {{ argv: [/bin/false], mutating: true }} }}\n"
    )
}

fn apply_then_fail(host: &RootFs, id: &str, yaml: &str) {
    let (code, plan, out) = run_json(host, id, &then_failing(yaml), &["apply", id, "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert_eq!(plan["steps"][0]["outcome"], "undone", "{plan:#}");
}

pub(crate) fn rollback(host: &RootFs, id: Option<&str>) {
    let mut args = vec!["rollback", "--yes"];
    match id {
        Some(id) => args.push(id),
        None => args.push("--last"),
    }
    let (code, stdout, stderr) = host.runbook(&args);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}

fn ids_of(queue: &Value) -> BTreeSet<String> {
    queue["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

// ---- exim ----

const EXIM_SENDMAIL: &str = "/usr/sbin/exim4 -t -i -odq";

/// The ids `exim -bp` lists (exim's own reading of its spool), with whether frozen.
pub(crate) fn exim_bp(host: &RootFs) -> BTreeSet<(String, bool)> {
    let (code, stdout, stderr) = host.chroot(&["/usr/sbin/exim4", "-bp"]);
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let id = words.get(2)?;
            (id.len() == 16 || id.len() == 23)
                .then(|| (id.to_string(), l.contains("*** frozen ***")))
        })
        .collect()
}

/// A queue of four form messages and one legitimate one, the last form message frozen.
pub(crate) fn exim_queue(suite: &Suite) -> (RootFs, Vec<String>) {
    let host = RootFs::copy("exim", suite);
    // Debian installs the `local` configuration, which bounces remote mail at once;
    // an Internet host's exim defers it while DNS fails, as here without a network.
    let conf = host.path("/etc/exim4/update-exim4.conf.conf");
    let text = fs::read_to_string(&conf).unwrap().replace(
        "dc_eximconfig_configtype='local'",
        "dc_eximconfig_configtype='internet'",
    );
    fs::write(&conf, text).unwrap();
    let (code, _, stderr) = host.chroot(&["update-exim4.conf"]);
    assert_eq!(code, 0, "{stderr}");
    site(&host);
    post_form(&host, EXIM_SENDMAIL);
    post_form(&host, EXIM_SENDMAIL);
    send_plain(
        &host,
        &[
            "/usr/sbin/exim4",
            "-odq",
            "-f",
            "owner@shop.example.com",
            "client@example.net",
        ],
    );
    let listed = exim_bp(&host);
    assert_eq!(listed.len(), 5, "{listed:?}");
    let q = &crate_facts_queue(&host);
    assert_eq!(q["top_scripts"][0]["count"], 4, "{q:#}");
    let form: Vec<String> = listed
        .iter()
        .map(|(id, _)| id.clone())
        .filter(|id| {
            fs::read_to_string(exim_header(&host, id))
                .unwrap()
                .contains("contact-form.php")
        })
        .collect();
    assert_eq!(form.len(), 4);
    let (code, _, stderr) = host.chroot(&["/usr/sbin/exim4", "-Mf", &form[3]]);
    assert_eq!(code, 0, "{stderr}");
    (host, form)
}

fn crate_facts_queue(host: &RootFs) -> Value {
    let (code, stdout, stderr) = host.runbook(&["facts", "--only", "queue", "--output", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str::<Value>(&stdout).unwrap()["queue"].clone()
}

fn exim_header(host: &RootFs, id: &str) -> std::path::PathBuf {
    host.path(&format!("/var/spool/exim4/input/{id}-H"))
}

/// Hold exim's delivery lock on a message, as a delivering exim process does: a write
/// lock on the first line of its `-D` file. Released when dropped.
fn lock_as_exim(host: &RootFs, id: &str) -> fs::File {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(host.path(&format!("/var/spool/exim4/input/{id}-D")))
        .unwrap();
    let lock = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: (id.len() + 3) as libc::off_t,
        l_pid: 0,
    };
    // SAFETY: a valid descriptor and a flock that outlives the call.
    assert_eq!(
        unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &lock) },
        0
    );
    file
}

fn exim_purge(suite: &Suite) {
    let (host, form) = exim_queue(suite);
    let before = host.snapshot("/var/spool/exim4");
    let listed = exim_bp(&host);

    // The dry run names the four form messages and moves nothing.
    let (code, plan, out) = run_json(
        &host,
        "purge-form",
        PURGE,
        &["apply", "purge-form", "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    let q = &plan["steps"][0]["queue"][0];
    assert_eq!(q["count"], 4, "{q:#}");
    assert_eq!(ids_of(q), form.iter().cloned().collect(), "{q:#}");
    assert_eq!(
        q["by_script"][0],
        serde_json::json!({"name": "contact-form.php", "count": 4})
    );
    assert_eq!(
        q["by_sender"][0]["name"],
        "www-data@localhost".replace("localhost", &sender_domain(&host, &form[0]))
    );
    assert_eq!(
        host.snapshot("/var/spool/exim4"),
        before,
        "the dry run changed the spool"
    );

    // One of them is being delivered: it stays, whole; the others leave.
    let lock = lock_as_exim(&host, &form[0]);
    let (code, applied, out) = run_json(
        &host,
        "purge-form",
        PURGE,
        &["apply", "purge-form", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    let q = &applied["steps"][0]["queue"][0];
    assert_eq!(q["done"], 3, "{q:#}");
    assert_eq!(q["skipped"][0]["id"], form[0].as_str(), "{q:#}");
    assert!(
        q["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("being delivered")
    );
    drop(lock);
    let left: BTreeSet<String> = exim_bp(&host).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        left.len(),
        2,
        "the locked one and the legitimate one: {left:?}"
    );
    assert!(left.contains(&form[0]));
    for id in &form[1..] {
        assert!(!left.contains(id));
        // Every file of it left: -H, -D and its msglog.
        assert!(!exim_header(&host, id).exists());
        assert!(
            !host
                .path(&format!("/var/spool/exim4/input/{id}-D"))
                .exists()
        );
        assert!(!host.path(&format!("/var/spool/exim4/msglog/{id}")).exists());
    }
    let first_run = applied["run_id"].as_str().unwrap().to_string();

    // Unlocked, a second apply takes the one left; a third finds nothing.
    let (code, again, out) = run_json(
        &host,
        "purge-form",
        PURGE,
        &["apply", "purge-form", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(again["steps"][0]["queue"][0]["done"], 1, "{again:#}");
    let (code, third, out) = run_json(
        &host,
        "purge-form",
        PURGE,
        &["apply", "purge-form", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(third["changes"], false, "{third:#}");
    assert!(third["steps"][0]["queue"].is_null(), "{third:#}");

    // Rollback, newest first: every byte is back and exim lists them again, frozen as before.
    rollback(&host, None);
    rollback(&host, Some(&first_run));
    assert_eq!(exim_bp(&host), listed);
    assert_eq!(host.snapshot("/var/spool/exim4"), before);
}

/// The domain exim gives a local sender (the root's hostname).
fn sender_domain(host: &RootFs, id: &str) -> String {
    let header = fs::read_to_string(exim_header(host, id)).unwrap();
    let sender = header
        .lines()
        .nth(2)
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>');
    sender.rsplit_once('@').unwrap().1.to_string()
}

fn exim_purge_interrupted(suite: &Suite) {
    let (host, _) = exim_queue(suite);
    let before = host.snapshot("/var/spool/exim4");
    let listed = exim_bp(&host);

    // Killed after the second message moved: rollback puts back what had moved.
    let (code, stdout, stderr) = {
        let runbooks = host.path("/tmp/runbooks");
        fs::create_dir_all(&runbooks).unwrap();
        fs::write(runbooks.join("purge-form.yaml"), PURGE).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .args(["apply", "purge-form", "--yes", "--root"])
            .arg(&host.root)
            .env("RUNBOOK_PATH", &runbooks)
            .env("RUNBOOK_TEST_HOOK", "after-message:2=kill")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, None, "killed: {stdout}\n{stderr}");
    assert_eq!(exim_bp(&host).len(), 3, "two had left");
    // Another apply is refused until the interrupted run is rolled back.
    let (code, _, stderr) =
        host.runbook_with("purge-form", PURGE, &["apply", "purge-form", "--yes"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("interrupted"), "{stderr}");
    rollback(&host, None);
    assert_eq!(exim_bp(&host), listed);
    assert_eq!(host.snapshot("/var/spool/exim4"), before);

    // A later step fails: the purge is undone by the run itself.
    apply_then_fail(&host, "purge-form", PURGE);
    assert_eq!(exim_bp(&host), listed);
    assert_eq!(host.snapshot("/var/spool/exim4"), before);
}

fn exim_retry(suite: &Suite) {
    let (host, form) = exim_queue(suite);
    let retry = "id: retry-frozen\ntitle: Retry frozen mail\nsteps:\n  - { id: thaw, title: Retry frozen mail, queue_retry: { frozen: true } }\n";
    let frozen = &form[3];
    let (code, plan, out) = run_json(
        &host,
        "retry-frozen",
        retry,
        &["apply", "retry-frozen", "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    let step = &plan["steps"][0];
    assert_eq!(ids_of(&step["queue"][0]), [frozen.clone()].into());
    assert_eq!(
        step["commands"][0],
        serde_json::json!(["/usr/sbin/exim4", "-Mt", frozen])
    );
    assert_eq!(
        step["commands"][1],
        serde_json::json!(["/usr/sbin/exim4", "-M", frozen])
    );
    assert!(
        exim_bp(&host).contains(&(frozen.clone(), true)),
        "the dry run thawed nothing"
    );

    // Without a network (as the tests' hosts are) the delivery attempt defers.
    let out = Command::new("unshare")
        .args([
            "--net",
            env!("CARGO_BIN_EXE_runbook"),
            "apply",
            "retry-frozen",
            "--yes",
            "--output",
            "json",
            "--root",
        ])
        .arg(&host.root)
        .env("RUNBOOK_PATH", host.path("/tmp/runbooks"))
        .output()
        .unwrap();
    let applied: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(
        out.status.success(),
        "{applied:#} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(applied["steps"][0]["outcome"], "changed");
    // No network: the attempt defers, the message stays queued and is no longer frozen.
    assert!(
        exim_bp(&host).contains(&(frozen.clone(), false)),
        "{:?}",
        exim_bp(&host)
    );
    let (code, again, out) = run_json(
        &host,
        "retry-frozen",
        retry,
        &["apply", "retry-frozen", "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(again["changes"], false, "nothing frozen is left: {again:#}");

    // Rollback freezes it again and says the delivery attempt itself is not undone.
    let (code, stdout, stderr) = host.runbook(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("no undo"), "{stderr}");
    assert!(exim_bp(&host).contains(&(frozen.clone(), true)));

    // A later step fails: the thaw is undone by the run itself, the message frozen again.
    let failing = then_failing(retry);
    let (code, plan, out) = {
        let runbooks = host.path("/tmp/runbooks");
        fs::write(runbooks.join("retry-frozen.yaml"), &failing).unwrap();
        let out = Command::new("unshare")
            .args([
                "--net",
                env!("CARGO_BIN_EXE_runbook"),
                "apply",
                "retry-frozen",
                "--yes",
                "--output",
                "json",
                "--root",
            ])
            .arg(&host.root)
            .env("RUNBOOK_PATH", &runbooks)
            .output()
            .unwrap();
        (
            out.status.code(),
            serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_ne!(code, Some(0), "{out}");
    assert_eq!(plan["steps"][1]["outcome"], "failed", "{plan:#}");
    assert!(
        exim_bp(&host).contains(&(frozen.clone(), true)),
        "frozen again: {:?}",
        exim_bp(&host)
    );
}

// ---- postfix ----

const POSTFIX_SENDMAIL: &str = "/usr/sbin/sendmail -t -i";

/// postfix started in the root in its own network namespace (remote mail defers);
/// stopped when dropped, even when the test fails.
pub(crate) struct Postfix<'a>(&'a RootFs);

impl<'a> Postfix<'a> {
    pub(crate) fn start(host: &'a RootFs) -> Postfix<'a> {
        let out = Command::new("unshare")
            .args([
                "--net",
                "sh",
                "-c",
                "ip link set lo up && exec chroot \"$1\" postfix start",
                "sh",
            ])
            .arg(&host.root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Postfix(host)
    }
}

impl Drop for Postfix<'_> {
    fn drop(&mut self) {
        let _ = self.0.chroot(&["postfix", "stop"]);
    }
}

/// `postqueue -j`: each message's id and queue.
pub(crate) fn postqueue(host: &RootFs) -> BTreeSet<(String, String)> {
    let (code, stdout, stderr) = host.chroot(&["postqueue", "-j"]);
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["queue_id"].as_str().unwrap().to_string(),
                v["queue_name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Wait until postfix has queued `n` messages and none is still on its way in.
fn settled(host: &RootFs, n: usize) -> BTreeSet<(String, String)> {
    for _ in 0..200 {
        let q = postqueue(host);
        if q.len() == n
            && q.iter()
                .all(|(_, queue)| queue == "deferred" || queue == "hold")
        {
            return q;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("postfix did not defer {n} messages: {:?}", postqueue(host));
}

/// Four form messages and one legitimate one, deferred (no network); the last form
/// message put on hold by the admin.
fn postfix_queue(host: &RootFs) -> Vec<String> {
    site(host);
    post_form(host, POSTFIX_SENDMAIL);
    post_form(host, POSTFIX_SENDMAIL);
    send_plain(
        host,
        &[
            "/usr/sbin/sendmail",
            "-f",
            "owner@shop.example.com",
            "client@example.net",
        ],
    );
    settled(host, 5);
    let q = crate_facts_queue(host);
    assert_eq!(q["top_scripts"][0]["count"], 4, "{q:#}");
    let (code, stdout, _) = host.chroot(&["postqueue", "-j"]);
    assert_eq!(code, 0);
    let mut form = Vec::new();
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["queue_id"].as_str().unwrap().to_string();
        let (_, text, _) = host.chroot(&["postcat", "-q", &id]);
        if text.contains("contact-form.php") {
            form.push(id);
        }
    }
    form.sort();
    assert_eq!(form.len(), 4);
    let (code, _, stderr) = host.chroot(&["postsuper", "-h", &form[3]]);
    assert_eq!(code, 0, "{stderr}");
    settled(host, 5);
    form
}

fn postfix_purge(suite: &Suite) {
    let host = RootFs::copy("postfix", suite);
    let _postfix = Postfix::start(&host);
    let form = postfix_queue(&host);
    let listed = postqueue(&host);
    let before = host.snapshot("/var/spool/postfix/deferred");
    let held = host.snapshot("/var/spool/postfix/hold");

    let (code, plan, out) = run_json(
        &host,
        "purge-form",
        PURGE,
        &["apply", "purge-form", "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    let q = &plan["steps"][0]["queue"][0];
    assert_eq!(q["mta"], "postfix");
    assert_eq!(ids_of(q), form.iter().cloned().collect(), "{q:#}");
    assert_eq!(postqueue(&host), listed, "the dry run held nothing");
    assert_eq!(host.snapshot("/var/spool/postfix/deferred"), before);

    let (code, applied, out) = run_json(
        &host,
        "purge-form",
        PURGE,
        &["apply", "purge-form", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(applied["steps"][0]["queue"][0]["done"], 4, "{applied:#}");
    let left = postqueue(&host);
    assert_eq!(left.len(), 1, "only the legitimate message: {left:?}");
    assert!(form.iter().all(|id| !left.iter().any(|(l, _)| l == id)));

    let (code, again, out) = run_json(
        &host,
        "purge-form",
        PURGE,
        &["apply", "purge-form", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(again["changes"], false, "{again:#}");

    // Back where they were: deferred ones deferred, the admin's held one still on hold.
    rollback(&host, None);
    assert_eq!(postqueue(&host), listed);
    assert_eq!(host.snapshot("/var/spool/postfix/hold"), held);

    // A later step fails: the run undoes the purge.
    apply_then_fail(&host, "purge-form", PURGE);
    assert_eq!(postqueue(&host), listed);
}

fn postfix_retry(suite: &Suite) {
    let host = RootFs::copy("postfix", suite);
    let _postfix = Postfix::start(&host);
    let form = postfix_queue(&host);
    let retry = "id: retry-held\ntitle: Retry held mail\nsteps:\n  - { id: release, title: Retry held mail, queue_retry: { frozen: true } }\n";
    let (code, plan, out) = run_json(
        &host,
        "retry-held",
        retry,
        &["apply", "retry-held", "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    let step = &plan["steps"][0];
    assert_eq!(
        step["commands"][0],
        serde_json::json!(["postsuper", "-H", form[3]])
    );
    assert_eq!(step["commands"][1], serde_json::json!(["postqueue", "-f"]));
    assert!(postqueue(&host).contains(&(form[3].clone(), "hold".into())));

    let (code, _, out) = run_json(
        &host,
        "retry-held",
        retry,
        &["apply", "retry-held", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    let q = settled(&host, 5);
    assert!(q.iter().all(|(_, queue)| queue == "deferred"), "{q:?}");

    rollback(&host, None);
    let q = settled(&host, 5);
    assert!(q.contains(&(form[3].clone(), "hold".into())), "{q:?}");
}
