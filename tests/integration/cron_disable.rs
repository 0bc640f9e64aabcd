//! `cron_disable` (issue "Remediation on live mail servers"): a user's mailing cron job
//! commented out through `crontab -u USER -` (busybox's crontab here, chrooted; Debian's
//! cron in the real roots), rolled back byte for byte.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::assert_contains;
use crate::support::{Test, is_root};

const BUSYBOX: &str = "/bin/busybox";
const TABLE: &str = "/var/spool/cron/crontabs/bob";
const CRONTAB: &str = "MAILTO=\"\"\n# bob's jobs\n*/5 * * * * /usr/bin/php /home/bob/public_html/mailer.php >/dev/null 2>&1\n@daily /home/bob/backup.sh\n";

const RUNBOOK: &str = r#"# yaml-language-server: $schema=x
id: cron-stop
title: Stop the mailing cron job
params:
  fail: { type: bool, default: false, description: Fail after the cron step }
steps:
  - { id: cron, title: Stop the mailing cron job, cron_disable: { user: bob, pattern: 'mailer\.php' } }
  - id: fail
    title: Fail when asked
    when: { param: fail, eq: true }
    run: { argv: [/bin/false], mutating: true }
"#;

/// A root with busybox as sh and crontab, the user bob and his table.
fn cron_host() -> Test {
    assert!(
        is_root() && Path::new(BUSYBOX).is_file(),
        "needs root and {BUSYBOX} (busybox-static); rebuild so the test is ignored instead"
    );
    let test = Test::new()
        .runbook(RUNBOOK)
        .file(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n",
        )
        .file("/etc/group", "root:x:0:\nbob:x:1001:\n")
        .file(TABLE, CRONTAB)
        .mode(TABLE, 0o600);
    for dir in ["/bin", "/usr/bin", "/tmp"] {
        fs::create_dir_all(test.path(dir)).unwrap();
    }
    fs::copy(BUSYBOX, test.path(BUSYBOX)).unwrap();
    for (link, to) in [
        ("/bin/sh", "busybox"),
        ("/bin/false", "busybox"),
        ("/usr/bin/crontab", "../../bin/busybox"),
    ] {
        symlink(to, test.path(link)).unwrap();
    }
    test
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn cron_disable_comments_out_the_job_through_crontab_and_rolls_back_byte_for_byte() {
    let test = cron_host();
    let before = test.host_only();
    let dry = test.run_args(&["apply", "cron-stop", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_contains!(
        dry.stdout,
        "      -*/5 * * * * /usr/bin/php /home/bob/public_html/mailer.php >/dev/null 2>&1\n      \
         +# disabled by runbook: */5 * * * * /usr/bin/php /home/bob/public_html/mailer.php >/dev/null 2>&1\n"
    );
    assert_contains!(dry.stdout, "would run: crontab -u bob -\n");
    assert!(
        before.changes(&test.host_only()).is_empty(),
        "the dry run changed the host"
    );

    let json = test
        .run_args(&["apply", "cron-stop", "--dry-run", "--output", "json"])
        .json();
    assert_eq!(json["steps"][0]["kind"], "cron_disable");
    assert_eq!(json["steps"][0]["diffs"][0]["file"], TABLE);
    assert_eq!(
        json["steps"][0]["commands"],
        serde_json::json!([["crontab", "-u", "bob", "-"]])
    );

    let out = test.run_args(&["apply", "cron-stop", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        test.read(TABLE),
        CRONTAB.replace("*/5 ", "# disabled by runbook: */5 ")
    );
    let again = test.run_args(&["apply", "cron-stop", "--yes"]);
    assert_eq!(again.code, 0);
    assert_contains!(again.stdout, "No changes");

    let back = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(back.code, 0, "{}\n{}", back.stdout, back.stderr);
    assert_contains!(back.stdout, "ran crontab -u bob -\n");
    assert_eq!(test.read(TABLE), CRONTAB);
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn cron_disable_is_undone_when_a_later_step_fails() {
    let test = cron_host();
    let out = test.run_args(&["apply", "cron-stop", "--yes", "-p", "fail=true"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_contains!(out.stdout, "  < cron [cron_disable] undone\n");
    assert_contains!(out.stderr, "reinstalled /var/spool/cron/crontabs/bob");
    assert_eq!(test.read(TABLE), CRONTAB);
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn cron_disable_rollback_refuses_a_table_changed_since() {
    let test = cron_host();
    assert_eq!(test.run_args(&["apply", "cron-stop", "--yes"]).code, 0);
    // The user edits the table afterwards: rollback must not throw that away.
    let edited = "@hourly /home/bob/new.sh\n";
    fs::write(test.path(TABLE), edited).unwrap();
    let back = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(back.code, 1, "{}", back.stdout);
    assert_contains!(
        back.stderr,
        "/var/spool/cron/crontabs/bob changed since the run installed it"
    );
    assert_eq!(test.read(TABLE), edited);
}

#[test]
fn cron_disable_needs_a_user_of_the_host() {
    let test = Test::new()
        .runbook(RUNBOOK)
        .file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        .file("/usr/bin/crontab", "")
        .mode("/usr/bin/crontab", 0o755);
    let out = test.run_args(&["apply", "cron-stop", "--dry-run"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(out.stderr, "`bob` is not a user in the host's /etc/passwd");
}

#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn cron_disable_from_a_saved_plan_applies_alike_and_refuses_a_changed_table() {
    let test = cron_host();
    let plan = test.path("/plan.json").display().to_string();
    let saved = test.run_args(&["apply", "cron-stop", "--dry-run", "--save-plan", &plan]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let applied = test.run_args(&["apply", "--plan", &plan, "--yes"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert_eq!(
        test.read(TABLE),
        CRONTAB.replace("*/5 ", "# disabled by runbook: */5 ")
    );
    assert_eq!(test.run_args(&["rollback", "--last", "--yes"]).code, 0);

    // The table changes between review and apply: the reviewed plan no longer holds.
    fs::write(
        test.path(TABLE),
        format!("{CRONTAB}@hourly /home/bob/x.sh\n"),
    )
    .unwrap();
    let stale = test.run_args(&["apply", "--plan", &plan, "--yes"]);
    assert_eq!(stale.code, 1, "{}", stale.stdout);
    assert_contains!(
        stale.stderr,
        "/var/spool/cron/crontabs/bob changed (SHA-256"
    );
}

/// A link planted at the table's name (to /etc/shadow) must not put another file's
/// content in the plan, nor have it installed as the user's table.
#[test]
fn cron_disable_refuses_a_link_planted_at_the_tables_name() {
    let shadow = "root:$y$j9T$secret-hash:20000:0:99999:7:::\n*/5 * * * * mailer.php\n";
    for hard in [false, true] {
        let test = Test::new()
            .runbook(RUNBOOK)
            .file(
                "/etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n",
            )
            .file("/etc/shadow", shadow)
            .file("/usr/bin/crontab", "")
            .mode("/usr/bin/crontab", 0o755);
        fs::create_dir_all(test.path("/var/spool/cron/crontabs")).unwrap();
        if hard {
            fs::hard_link(test.path("/etc/shadow"), test.path(TABLE)).unwrap();
        } else {
            symlink("/etc/shadow", test.path(TABLE)).unwrap();
        }
        let before = test.host_only();
        let out = test.run_args(&["apply", "cron-stop", "--dry-run", "--output", "json"]);
        assert_eq!(out.code, 1, "hard link {hard}: {}", out.stdout);
        assert!(!out.stdout.contains("secret-hash") && !out.stderr.contains("secret-hash"));
        let expected = if hard {
            "hard link"
        } else {
            "leads to /etc/shadow"
        };
        assert_contains!(out.stdout, expected);
        assert!(before.changes(&test.host_only()).is_empty());
    }
}

/// Killed after the journal line and after crontab installed the new table: rollback
/// finds the table as the journal says and gives `crontab` the old one back.
#[test]
#[cfg_attr(
    no_chroot_shell,
    ignore = "needs root and /bin/busybox (apt-get install busybox-static)"
)]
fn cron_disable_killed_half_way_is_rolled_back() {
    for point in ["after-journal", "after-install"] {
        let test = cron_host().env("RUNBOOK_TEST_HOOK", &format!("{point}=kill"));
        let out = test.run_args(&["apply", "cron-stop", "--yes"]);
        assert_eq!(
            out.code, -1,
            "{point}: not killed: {}{}",
            out.stdout, out.stderr
        );
        let back = test.run_args(&["rollback", "--last", "--yes"]);
        assert_eq!(back.code, 0, "{point}: {}\n{}", back.stdout, back.stderr);
        assert_eq!(test.read(TABLE), CRONTAB, "{point}");
    }
}
