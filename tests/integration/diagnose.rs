//! What `spam-diagnose` tells the agent from the log's failure classes.

use crate::support::Test;

/// The postfix example's deferrals are DNS lookups that failed for now (dsn=4.4.3):
/// the agent is sent to the resolver, not told to clean the mailing list.
#[test]
fn dns_deferrals_point_at_the_resolver_not_the_mailing_list() {
    let test = Test::example("postfix-mailserver");
    let out = test.run_args(&["apply", "spam-diagnose", "--dry-run", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    let step = |id: &str| {
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id}"))
            .clone()
    };
    assert_eq!(
        step("dns-failures")["chosen"],
        true,
        "{}",
        step("dns-failures")
    );
    assert_eq!(step("unknown-users")["chosen"], false);
    assert_eq!(step("connection-failures")["chosen"], false);
}

/// A count is never followed by a plural noun in the built-in runbooks' texts ("sent 1
/// queued messages"): templates have no plural forms, so counts stand after a colon.
#[test]
fn counts_in_the_checklists_read_right_in_the_singular() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks");
    let plural = regex::Regex::new(r"\{\{[\w.]*count\}\}\s+(\w+\s+)?\w+s\b").unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        // runbooks/tests holds scenarios, not runbooks.
        if !entry.path().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let unfolded = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let found: Vec<&str> = plural.find_iter(&unfolded).map(|m| m.as_str()).collect();
        assert!(found.is_empty(), "{}: {found:?}", entry.path().display());
    }
}

/// The form script's site is known from its path (the virtual host whose DocumentRoot
/// holds it): the checklist gives the command to run with `-p domain=` filled in.
#[test]
fn the_form_scripts_site_is_filled_in() {
    let test = Test::example("exim-outbreak").file(
        "/etc/apache2/apache2.conf",
        "<VirtualHost *:80>\n  ServerName Shop.Example\n  DocumentRoot /var/www/shop/public\n</VirtualHost>\n",
    );
    let out = test.run_args(&["facts", "--only", "queue", "--output", "json"]);
    let scripts = out.json()["queue"]["top_scripts"].clone();
    assert_eq!(scripts[0]["script"], "tools.php");
    assert_eq!(scripts[0]["site"], "shop.example", "{scripts}");
    let out = test.run_args(&["apply", "spam-diagnose", "--dry-run", "--no-pager"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    crate::assert_contains!(
        out.stdout,
        "`runbook apply php-blank-sendmail-path -p domain=shop.example` (this site only)"
    );
    assert!(
        !out.stdout.contains("-p domain=SITE` (one site)"),
        "{}",
        out.stdout
    );
}

/// 6,000 queued messages: on a terminal the agent sees the queue being read instead of
/// seconds of silence (once 5,000 are read); through a pipe stderr stays clean for
/// scripts.
#[test]
fn spam_diagnose_shows_progress_on_long_scans_on_a_terminal_only() {
    let test = Test::new().file("/usr/sbin/exim4", "");
    let bin = env!("CARGO_BIN_EXE_runbook");
    let spool = test.path("/var/spool/exim4");
    let made = std::process::Command::new(bin)
        .args(["dev", "exim-spool"])
        .arg(&spool)
        .args(["--messages", "6000"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let root = test.root();
    let cmd = format!(
        "{bin} apply spam-diagnose --dry-run --no-pager --root {}",
        root.display()
    );
    // `script` (util-linux) gives the command a terminal as every agent's ssh does.
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script(1) from util-linux runs");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    // The spool is read as it is listed: a count of messages read, no total.
    assert!(shown.contains("reading the queue: 5,"), "{shown}");
    assert!(shown.contains(" messages ("), "{shown}");

    let piped = test.run_args(&["apply", "spam-diagnose", "--dry-run"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(
        !piped.stderr.contains("reading the queue"),
        "{}",
        piped.stderr
    );
}
