//! Host data printed for people has its control characters escaped; JSON keeps the
//! exact bytes. A compromised site writes the `X-PHP-Originating-Script` header of the
//! messages it queues, so that header must not clear the operator's screen.

use std::fs;

use crate::support::Test;

/// Clear the screen, home the cursor, return, bell, backspace, a C1 CSI, a bidi override.
const EVIL: &str = "x\u{1b}[2J\u{1b}[H\rAll clear\u{7}\u{8}\u{9b}32m\u{202e}/contact.php";
/// EVIL as people see it.
const ESCAPED: &str = r"x\x1b[2J\x1b[H\rAll clear\x07\x08\u{9b}32m\u{202e}/contact.php";

const RAW: [char; 8] = [
    '\u{1b}', '\r', '\u{7}', '\u{8}', '\u{9b}', '\u{85}', '\u{202e}', '\u{0}',
];

/// The exim example host plus one queued message whose script header is EVIL.
fn host() -> Test {
    let test = Test::example("exim-outbreak");
    let header = format!("X-PHP-Originating-Script: 1001:{EVIL}\n");
    let id = "1xVHSz-0001Zz-1z";
    let spool = format!(
        "{id}-H\nwww-data 33 33\n<www-data@vm>\n1795391951 0\n-local\nXX\n1\nvictim9@example.net\n\n\
         024T To: victim9@example.net\n{:03}  {header}",
        header.len()
    );
    let input = test.path("/var/spool/exim4/input");
    fs::write(input.join(format!("{id}-H")), spool).unwrap();
    fs::write(input.join(format!("{id}-D")), format!("{id}-D\nbody\n")).unwrap();
    test
}

fn assert_no_raw_controls(what: &str, text: &str) {
    for c in RAW {
        assert!(
            !text.contains(c),
            "{what} holds a raw {:?}:\n{text}",
            c.escape_unicode().to_string()
        );
    }
}

#[test]
fn facts_for_people_escape_what_json_keeps_exact() {
    let test = host();
    let json = test.run_args(&["facts", "--only", "mta,queue", "--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let scripts = json.json()["queue"]["top_scripts"].clone();
    assert!(
        scripts
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["script"] == EVIL),
        "JSON must keep the header's exact text: {scripts}"
    );

    let human = test.run_args(&["facts", "--only", "mta,queue"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert_no_raw_controls("facts", &human.stdout);
    crate::assert_contains!(human.stdout, ESCAPED);
}

#[test]
fn plans_for_people_escape_why_and_manual_lines() {
    let test = host();
    let human = test.run_args(&["apply", "spam-diagnose", "--dry-run"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert_no_raw_controls("the plan", &human.stdout);
    let escaped = ESCAPED;
    let why = human
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("why:") && l.contains(escaped));
    assert!(
        why.is_some(),
        "no why: line names the script:\n{}",
        human.stdout
    );
    let manual = human
        .stdout
        .lines()
        .find(|l| l.contains("[ ] by hand:") && l.contains(escaped));
    assert!(
        manual.is_some(),
        "no manual item names the script:\n{}",
        human.stdout
    );

    let json = test.run_args(&["apply", "spam-diagnose", "--dry-run", "--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let plan = json.json();
    let texts: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            let why = s["why"].as_str().unwrap_or("").to_string();
            let manual = s["manual"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| m["text"].as_str().unwrap_or("").to_string());
            std::iter::once(why).chain(manual).collect::<Vec<_>>()
        })
        .collect();
    assert!(
        texts.iter().filter(|t| t.contains(EVIL)).count() >= 2,
        "JSON keeps the exact text in why and manual: {texts:?}"
    );
}

#[test]
fn diffs_of_hostile_files_are_escaped_for_people() {
    let runbook = r#"# yaml-language-server: $schema=x
id: fix-ini
title: Set a value in a site's ini file
steps:
  - id: set
    title: Set it
    ini_set: { file: /home/site/php.ini, key: mail.add_x_header, value: "On" }
"#;
    let test = Test::new()
        .file(
            "/home/site/php.ini",
            "[PHP]\n; \u{1b}[2J\u{1b}[HAll clear\r\nmail.add_x_header = Off\n",
        )
        .runbook(runbook);
    let human = test.run_args(&["apply", "fix-ini", "--dry-run"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert_no_raw_controls("the diff", &human.stdout);
    crate::assert_contains!(human.stdout, r"; \x1b[2J\x1b[HAll clear\r");
    let json = test.run_args(&["apply", "fix-ini", "--dry-run", "--output", "json"]);
    let diff = json.json()["steps"][0]["diffs"][0]["diff"]
        .as_str()
        .unwrap()
        .to_string();
    crate::assert_contains!(diff, "; \u{1b}[2J\u{1b}[HAll clear");
}
