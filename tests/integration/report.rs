//! `runbook report` (issue "After the fix"): what a run did, for the provider's support
//! and the site owner, in text, Markdown, HTML and JSON, in English, Russian and
//! Japanese, from the run's record, journal and saved plan, on the example hosts.

use crate::support::Test;

/// Run ids, times and the host root differ from run to run.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![
            (r"\d{8}T\d{6}Z-[0-9a-f]{4}", "[RUN]"),
            (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", "[TIME]"),
            (r#""\d{4}-\d{2}-\d{2}T[0-9:.]+Z""#, r#""[TIME]""#),
            // Queue files' times: when the example host was copied.
            (r"newest=\d+", "newest=[TIME]"),
            (r#""newest": \d+"#, r#""newest": [TIME]"#),
        ]}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// The exim outbreak host, named, after `exim-block-unlock` applied.
fn applied_exim() -> Test {
    let test = Test::example("exim-outbreak").file("/etc/hostname", "mail.example.com\n");
    let out = test.run_args(&["apply", "exim-block-unlock", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    test
}

fn report(test: &Test, args: &[&str]) -> String {
    let out = test.run_args(&[&["report", "--last"], args].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.stdout
}

#[test]
fn an_exim_run_in_every_format_and_language() {
    let test = applied_exim();
    for lang in ["en", "ru", "ja"] {
        for format in ["text", "markdown", "html"] {
            let out = report(&test, &["--format", format, "--lang", lang]);
            snapshot!(format!("exim_{format}_{lang}"), out);
        }
    }
    let json = report(&test, &["--format", "json"]);
    let m: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(m["host"], "mail.example.com");
    assert_eq!(m["outcome"], "applied");
    assert_eq!(m["quarantined"][0]["by_script"][0]["name"], "tools.php");
    snapshot!("exim_json", json);
}

#[test]
fn the_text_says_what_was_found_changed_and_left() {
    let out = report(&applied_exim(), &["--lang", "en"]);
    crate::assert_contains!(out, "Measures taken on mail.example.com\n");
    crate::assert_contains!(
        out,
        "- `tools.php` (a site's form or mailer, abused by robots, uid 1001): 3 queued messages\n  files: /var/www/shop/public/tools.php\n"
    );
    crate::assert_contains!(out, "- /etc/php/8.2/cli/php.ini: 1 line added, 1 removed\n");
    crate::assert_contains!(
        out,
        "- 3 messages moved from the exim queue into the run's quarantine (kept, not deleted)\n  by script: tools.php (3)\n"
    );
    crate::assert_contains!(out, "Left for a person:\n- tools.php (queued messages: 3");
    crate::assert_contains!(out, "On the host, as root: `runbook rollback ");
}

#[test]
fn after_a_rollback_it_says_everything_was_undone() {
    let test = applied_exim();
    let out = test.run_args(&["rollback", "--last", "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = report(&test, &["--lang", "en"]);
    crate::assert_contains!(out, "Rolled back ");
    crate::assert_contains!(out, ": every change below was undone.");
    crate::assert_contains!(out, "- /etc/php/8.2/cli/php.ini: changed, then restored\n");
    crate::assert_contains!(out, "Nothing to undo: the run was rolled back.");
    let m = test
        .run_args(&["report", "--last", "--format", "json"])
        .json();
    assert_eq!(m["files"][0]["state"], "restored");
    assert_eq!(m["quarantined"][0]["restored"], true);
    assert!(m["undo"].is_null());
}

/// A file edited again after the run is not counted as the run's lines.
#[test]
fn a_file_edited_since_the_run_says_so() {
    let test = applied_exim();
    std::fs::write(test.path("/etc/php/8.2/cli/php.ini"), "; replaced\n").unwrap();
    let out = report(&test, &["--lang", "en"]);
    crate::assert_contains!(
        out,
        "- /etc/php/8.2/cli/php.ini: changed (edited again since the run)\n"
    );
}

#[test]
fn the_language_comes_from_the_environment() {
    let test = applied_exim();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_runbook"));
        cmd.args(["report", "--last", "--root"])
            .arg(test.root())
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(run(&[]), "Measures taken on mail.example.com");
    assert_eq!(
        run(&[("LANG", "ru_RU.UTF-8")]),
        "Меры, принятые на mail.example.com"
    );
    assert_eq!(
        run(&[("LANG", "ru_RU.UTF-8"), ("LC_ALL", "ja_JP.UTF-8")]),
        "mail.example.com で実施した対策"
    );
    assert_eq!(
        run(&[("LANG", "ru_RU.UTF-8"), ("LC_MESSAGES", "C")]),
        "Measures taken on mail.example.com"
    );
}

#[test]
fn without_runs_it_says_so() {
    let out = Test::example("exim-outbreak").run_args(&["report", "--last"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(
        out.stderr,
        "no runs in [ROOT]/var/lib/runbook yet; see `runbook history`"
    );
    let test = applied_exim();
    let out = test.run_args(&["report", "20990101T000000Z-0000"]);
    assert_eq!(out.code, 1);
    crate::assert_contains!(out.stderr, "no run `20990101T000000Z-0000` in ");
}

/// On the Plesk example (no /proc, so whether qmail-send runs cannot be told) the
/// purge refuses and the run undoes itself: the report says so, and what was found.
#[test]
fn a_failed_qmail_run_on_the_plesk_host() {
    let test = Test::example("plesk-qmail").file("/etc/hostname", "plesk.example.com\n");
    let out = test.run_args(&["apply", "plesk-qmail-spam", "--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let out = report(&test, &["--lang", "en"]);
    crate::assert_contains!(
        out,
        "Failed: step `purge-source` failed: cannot tell whether qmail-send runs"
    );
    crate::assert_contains!(
        out,
        "Nothing to undo: the run undid its own changes when it failed."
    );
    snapshot!("qmail_failed_text_en", out);
}
