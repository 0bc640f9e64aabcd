use std::fs;
use std::os::unix::fs::chown;

use crate::support::{PHP_INI, Test, is_root};

const INI: &str = "/etc/php/8.2/apache2/php.ini";

fn php_host() -> Test {
    let test = Test::new()
        .file(INI, PHP_INI)
        .mode(INI, 0o640)
        .file("/etc/php/8.2/cli/php.ini", PHP_INI);
    if is_root() {
        // root:www-data, as a php.ini the web server may read but not write.
        chown(test.path(INI), Some(0), Some(33)).unwrap();
    }
    test
}

#[test]
fn rollback_restores_every_file_byte_for_byte_with_mode_and_owner() {
    let test = php_host();
    let before = test.host_only();
    assert_eq!(
        test.run_args(&["apply", "php-enable-x-header", "--yes"])
            .code,
        0
    );
    assert_ne!(test.host_only(), before);
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    crate::assert_contains!(out.stdout, &format!("restored {INI}"));
    let after = test.host_only();
    // Directories' mtimes aside, content, mode and owner are all back.
    crate::assert_unchanged!(before, after);
}

#[test]
fn rollback_refuses_when_a_file_changed_since_unless_forced() {
    let test = php_host();
    assert_eq!(
        test.run_args(&["apply", "php-disable-mail", "--yes"]).code,
        0
    );
    let edited = test.read(INI) + "; edited by hand after the run\n";
    fs::write(test.path(INI), &edited).unwrap();
    let refused = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(refused.code, 1);
    crate::assert_contains!(refused.stderr, INI);
    crate::assert_contains!(refused.stderr, "--force");
    assert_eq!(
        test.read(INI),
        edited,
        "a refused rollback changed the file"
    );
    let forced = test.run_args(&["rollback", "--last", "--yes", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(test.read(INI), PHP_INI);
}

#[test]
fn a_run_is_rolled_back_once_and_history_says_so() {
    let test = php_host();
    let plan = test
        .run_args(&["apply", "php-disable-mail", "--yes", "--output", "json"])
        .json();
    let run_id = plan["run_id"].as_str().unwrap().to_string();
    assert_eq!(test.run_args(&["rollback", &run_id, "--yes"]).code, 0);
    let again = test.run_args(&["rollback", &run_id, "--yes"]);
    assert_eq!(again.code, 1);
    crate::assert_contains!(again.stderr, "already rolled back");
    let history = test.run_args(&["history", "--output", "json"]).json();
    let run = &history["runs"][0];
    assert_eq!(run["id"], run_id);
    assert_eq!(run["runbook"], "php-disable-mail");
    assert_eq!(run["mode"], "apply");
    assert_eq!(run["outcome"], "rolled-back");
    assert_eq!(run["changed_files"], serde_json::json!([INI]));
}

#[test]
fn rollback_without_runs_is_a_clear_error() {
    let out = php_host().run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(out.stderr, "no run that changed something");
}
