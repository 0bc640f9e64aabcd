//! Attacks by a site user (bob, uid 1002) on a copy of the ISPmanager example host, each
//! proving that no byte outside the intended file changes. They chown files to bob, so
//! they need root (CI is root); built by anyone else they are ignored, saying so.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown, lchown, symlink};

use crate::support::Test;
use crate::{assert_contains, assert_unchanged};

const BOB: u32 = 1002;
const BOB_INI: &str = "/var/www/php-bin/bob/php.ini";
const CGI_INI: &str = "/etc/php/8.2/cgi/php.ini";
const BLANK: &[&str] = &[
    "apply",
    "php-blank-sendmail-path",
    "-p",
    "domain=bob-shop.ru",
    "--yes",
];

/// The example host with an /etc/shadow and bob owning his php-bin directory.
fn host() -> Test {
    let test =
        Test::example("ispmanager-apache").file("/etc/shadow", "root:$y$secret:19000::::::\n");
    fs::set_permissions(test.path("/etc/shadow"), fs::Permissions::from_mode(0o640)).unwrap();
    give_bob(&test, "/var/www/php-bin/bob");
    test
}

fn give_bob(test: &Test, host_path: &str) {
    lchown(test.path(host_path), Some(BOB), Some(BOB)).unwrap();
}

/// A symlink planted by bob.
fn bobs_link(test: &Test, target: &str, host_path: &str) {
    let path = test.path(host_path);
    let _ = fs::remove_file(&path);
    symlink(target, &path).unwrap();
    give_bob(test, host_path);
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: files are chowned to a site user")]
fn the_site_owners_php_ini_is_edited_in_place_keeping_its_owner() {
    let test = host();
    give_bob(&test, BOB_INI);
    let out = test.run_args(BLANK);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_contains!(test.read(BOB_INI), "sendmail_path = \"/bin/true\"");
    assert_eq!(fs::metadata(test.path(BOB_INI)).unwrap().uid(), BOB);
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        test.read(BOB_INI),
        fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/hosts/ispmanager-apache/var/www/php-bin/bob/php.ini")
        )
        .unwrap()
    );
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: files are chowned to a site user")]
fn a_symlinked_php_ini_is_refused_and_its_target_untouched() {
    let test = host();
    bobs_link(&test, "/etc/shadow", BOB_INI);
    let before = test.snapshot();
    let out = test.run_args(BLANK);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "/var/www/php-bin/bob/php.ini is a symlink to /etc/shadow owned by uid 1002"
    );
    assert_unchanged!(before, test.snapshot());
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: files are chowned to a site user")]
fn a_symlinked_directory_mid_path_is_refused() {
    let test = host();
    // bob owns php-bin too, and points his directory at the global CGI config.
    give_bob(&test, "/var/www/php-bin");
    fs::rename(
        test.path("/var/www/php-bin/bob"),
        test.path("/var/www/php-bin/bob.old"),
    )
    .unwrap();
    bobs_link(&test, "/etc/php/8.2/cgi", "/var/www/php-bin/bob");
    let before = test.snapshot();
    let out = test.run_args(BLANK);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "/var/www/php-bin/bob is a symlink to /etc/php/8.2/cgi owned by uid 1002"
    );
    assert_unchanged!(before, test.snapshot());
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: files are chowned to a site user")]
fn a_hard_link_to_another_file_is_refused() {
    let test = host();
    fs::remove_file(test.path(BOB_INI)).unwrap();
    fs::hard_link(test.path(CGI_INI), test.path(BOB_INI)).unwrap();
    let before = test.snapshot();
    let out = test.run_args(BLANK);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "/var/www/php-bin/bob/php.ini has 2 hard links; refusing to edit a file that has other names"
    );
    assert_unchanged!(before, test.snapshot());
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: files are chowned to a site user")]
fn a_file_of_an_unexpected_owner_is_refused() {
    let test = host();
    // The global CGI php.ini handed to bob: no step expects bob to own it.
    chown(test.path(CGI_INI), Some(BOB), Some(BOB)).unwrap();
    let before = test.snapshot();
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "/etc/php/8.2/cgi/php.ini is owned by uid 1002, which this step does not expect"
    );
    assert_unchanged!(before, test.snapshot());
}

/// An executable script outside the host root, for a test hook.
fn hook_script(test: &Test, name: &str, body: &str) -> String {
    let path = test.root().parent().unwrap().join(name);
    fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: files are chowned to a site user")]
fn a_directory_swapped_during_the_apply_does_not_redirect_the_write() {
    let test = host();
    give_bob(&test, "/var/www/php-bin");
    let bin = test.path("/var/www/php-bin");
    // What bob does once the plan is made (as during the "Apply?" prompt): move his
    // directory away and put a link to the global CGI config in its place.
    let swap = hook_script(
        &test,
        "swap",
        &format!(
            "cd {}\nmv bob bob.old\nln -s /etc/php/8.2/cgi bob\nchown -h {BOB}:{BOB} bob",
            bin.display()
        ),
    );
    let global = test.read(CGI_INI);
    let test = test.env("RUNBOOK_TEST_HOOK", &format!("after-journal=run:{swap}"));
    let out = test.run_args(BLANK);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(test.read(CGI_INI), global, "the global php.ini was written");
    assert_contains!(
        test.read("/var/www/php-bin/bob.old/php.ini"),
        "sendmail_path = \"/bin/true\""
    );
    // Rollback will not follow bob's link either, not even forced.
    let before = test.host_only();
    for force in [false, true] {
        let mut args = vec!["rollback", "--last", "--yes"];
        if force {
            args.push("--force");
        }
        let out = test.run_args(&args);
        assert_eq!(out.code, 1, "{}", out.stdout);
        assert_contains!(
            out.stderr,
            "is a symlink to /etc/php/8.2/cgi owned by uid 1002"
        );
    }
    assert_unchanged!(before, test.host_only());
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: files are chowned to a site user")]
fn a_directory_replaced_after_the_apply_is_not_restored_into() {
    let test = host();
    assert_eq!(test.run_args(BLANK).code, 0);
    // Root-owned this time (as root moving things about): the walk is fine, but it is
    // not the directory the run wrote to.
    let bin = test.path("/var/www/php-bin");
    fs::rename(bin.join("bob"), bin.join("bob.old")).unwrap();
    fs::create_dir(bin.join("bob")).unwrap();
    fs::copy(bin.join("bob.old/php.ini"), bin.join("bob/php.ini")).unwrap();
    let before = test.host_only();
    let out = test.run_args(&["rollback", "--last", "--yes", "--force"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "refusing to restore /var/www/php-bin/bob/php.ini: its directory is no longer the one the run wrote to"
    );
    assert_unchanged!(before, test.host_only());
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: files are chowned to a site user")]
fn a_state_dir_a_site_user_can_write_is_refused() {
    let test = host();
    let state = test.path("/var/lib/runbook");
    fs::create_dir_all(state.join("runs/20260101T000000Z-0001/backups")).unwrap();
    // bob's forged run: rollback would write his backup over the global php.ini.
    fs::write(
        state.join("runs/20260101T000000Z-0001/backups/1"),
        "auto_prepend_file = /var/www/evil.php\n",
    )
    .unwrap();
    let run = test.path("/var/lib/runbook/runs/20260101T000000Z-0001");
    fs::write(
        run.join("run.json"),
        format!(
            r#"{{"id":"20260101T000000Z-0001","runbook":"php-disable-mail","title":"x","started":"2026-01-01T00:00:00Z","finished":"2026-01-01T00:00:01Z","mode":"apply","root":"{}","params":{{}},"changed_files":["{CGI_INI}"],"commands":[],"outcome":"applied"}}"#,
            test.root().display()
        ),
    )
    .unwrap();
    fs::write(
        run.join("journal.jsonl"),
        r#"{"event":"begin","seq":1,"at":"x","step":"s","action":{"kind":"write","file":"/etc/php/8.2/cgi/php.ini","dir":{"dev":0,"ino":0},"temp":".x","backup":"backups/1","ownership":{"mode":420,"uid":0,"gid":0},"before_sha256":null,"after_sha256":"x"}}
{"event":"done","seq":1,"at":"x"}
"#,
    )
    .unwrap();
    for path in [
        "/var/lib/runbook",
        "/var/lib/runbook/runs/20260101T000000Z-0001",
    ] {
        give_bob(&test, path);
    }
    let before = test.snapshot();
    for args in [
        &["rollback", "--last", "--yes"][..],
        &["apply", "php-disable-mail", "--yes"][..],
        &["history"][..],
    ] {
        let out = test.run_args(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stdout);
        assert_contains!(
            out.stderr,
            "refusing [ROOT]/var/lib/runbook: it is owned by uid 1002, not root"
        );
    }
    assert_unchanged!(before, test.snapshot());

    // Root's again, but bob's run inside it is still refused.
    chown(&state, Some(0), Some(0)).unwrap();
    let before = test.host_only();
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "refusing [ROOT]/var/lib/runbook/runs/20260101T000000Z-0001: it is owned by uid 1002"
    );
    assert_unchanged!(before, test.host_only());
}

#[test]
fn a_state_dir_writable_by_others_or_linked_out_of_the_root_is_refused() {
    let test = host();
    let state = test.path("/var/lib/runbook");
    fs::create_dir_all(&state).unwrap();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o777)).unwrap();
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "refusing [ROOT]/var/lib/runbook: it is writable by group or others (mode 777)"
    );
    fs::remove_dir(&state).unwrap();
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), &state).unwrap();
    let before = test.snapshot();
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(out.stderr, "outside the host root");
    assert_unchanged!(before, test.snapshot());
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn a_tampered_backup_is_not_restored() {
    let test = host();
    assert_eq!(
        test.run_args(&["apply", "php-disable-mail", "--yes"]).code,
        0
    );
    let runs = test.path("/var/lib/runbook/runs");
    let run = fs::read_dir(&runs).unwrap().next().unwrap().unwrap().path();
    fs::write(
        run.join("backups/1"),
        "auto_prepend_file = /var/www/evil.php\n",
    )
    .unwrap();
    let before = test.host_only();
    let out = test.run_args(&["rollback", "--last", "--yes", "--force"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "does not match the checksum the journal recorded"
    );
    assert_unchanged!(before, test.host_only());
}

#[test]
fn what_runbook_creates_in_the_state_dir_is_roots_alone() {
    let test = host();
    assert_eq!(
        test.run_args(&["apply", "php-disable-mail", "--yes"]).code,
        0
    );
    let state = test.path("/var/lib/runbook");
    let mut seen = 0;
    for entry in walk(&state) {
        let meta = fs::symlink_metadata(&entry).unwrap();
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(meta.mode() & 0o7777, want, "{}", entry.display());
        seen += 1;
    }
    assert!(
        seen >= 6,
        "state dir, runs, run, run.json, journal, backups: {seen}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if dir.is_dir() {
        for e in fs::read_dir(dir).unwrap() {
            out.extend(walk(&e.unwrap().path()));
        }
    }
    out
}

#[test]
fn an_oversized_or_binary_file_to_edit_is_refused_before_anything_runs() {
    let test = host();
    // 100 MB where a php.ini should be (sparse: nothing much is written to disk).
    fs::OpenOptions::new()
        .write(true)
        .open(test.path(CGI_INI))
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let before = test.snapshot();
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "cannot read /etc/php/8.2/cgi/php.ini: larger than 16777216 bytes: not read"
    );
    assert_unchanged!(before, test.snapshot());

    fs::write(test.path(CGI_INI), "[PHP]\n\0disable_functions =\n").unwrap();
    let before = test.snapshot();
    let out = test.run_args(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(
        out.stderr,
        "/etc/php/8.2/cgi/php.ini holds a NUL byte (offset 6): not a text file runbook edits"
    );
    assert_unchanged!(before, test.snapshot());
}
