//! `plesk-qmail-spam` (article 001), branch by branch: the example Plesk host, whose
//! real notqmail queue holds a message of each submitter the article tells apart by its
//! `Received:` line (a domain's system user, the web server's PHP, an SMTP client, a
//! bounce), or the same queue with only some of them, planned with each param. Each
//! snapshot is the dry-run plan: the branch chosen, the others ruled out and why.

use crate::assert_contains;
use crate::support::Test;

fn plesk() -> Test {
    Test::example("plesk-qmail")
}

/// The example host without the messages of the given queue numbers (their `mess`,
/// `info`, `remote`, `todo` and `intd` files).
fn without(numbers: &[&str]) -> Test {
    let test = plesk();
    for n in numbers {
        for dir in ["mess", "info", "remote", "local", "todo", "intd"] {
            let top = test.path(&format!("/var/qmail/queue/{dir}"));
            if !top.exists() {
                continue;
            }
            for entry in walk(&top) {
                if entry.file_name().is_some_and(|f| f == *n) {
                    std::fs::remove_file(&entry).unwrap();
                }
            }
        }
    }
    test
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn plan(test: &Test, params: &[&str]) -> String {
    test.dry_run("plesk-qmail-spam", params)
}

#[test]
fn every_submitter_gets_the_articles_conclusion() {
    let out = plan(&plesk(), &[]);
    assert_contains!(out, "  ! reject-nonexistent [manual] for a person to do");
    assert_contains!(out, "  ! whitelist [manual] for a person to do");
    assert_contains!(out, "Messages in the queue: 5 (");
    assert_contains!(out, "  ! smtp-auth-login [manual] for a person to do");
    assert_contains!(out, "info@shop.example logged in over SMTP");
    assert_contains!(out, "  ! many-recipients [manual] for a person to do");
    assert_contains!(out, "  ! domain-user [manual] for a person to do");
    assert_contains!(
        out,
        "the system user shopuser, home /var/www/vhosts/shop.example"
    );
    assert_contains!(out, "  ! web-server-php [manual] for a person to do");
    assert_contains!(out, "  ! smtp-user [manual] for a person to do");
    assert_contains!(out, "  ! bounces [manual] for a person to do");
    assert_contains!(out, "  ~ purge-source [queue_purge] will change");
    insta::assert_snapshot!(out);
}

#[test]
fn a_message_is_traced_by_its_number() {
    let out = plan(&plesk(), &["message_id=1006137"]);
    assert_contains!(out, "  ! trace-message [manual] for a person to do");
    assert_contains!(out, "find /var/qmail/queue/mess/ -name 1006137");
    assert_contains!(out, "  - many-recipients [manual] not chosen");
    insta::assert_snapshot!(out);
}

#[test]
fn only_a_domains_script_left_rules_out_the_web_server_and_smtp() {
    // 999764: invoked from network; 1003667: apache's; 1003746: the bounce.
    let out = plan(&without(&["999764", "1003667", "1003746"]), &[]);
    assert_contains!(out, "  ! domain-user [manual] for a person to do");
    assert_contains!(out, "  - web-server-php [manual] not chosen");
    assert_contains!(out, "  - smtp-user [manual] not chosen");
    assert_contains!(out, "  - bounces [manual] not chosen");
    insta::assert_snapshot!(out);
}

#[test]
fn purge_all_or_none() {
    for purge in ["all", "none"] {
        let out = plan(&plesk(), &[&format!("purge={purge}")]);
        insta::assert_snapshot!(format!("purge_{purge}"), out);
    }
}

#[test]
fn on_a_postfix_host_it_names_the_runbooks_that_fit() {
    let out =
        Test::example("postfix-mailserver").run_args(&["apply", "plesk-qmail-spam", "--dry-run"]);
    assert_eq!(out.code, 1);
    assert_contains!(
        out.stderr,
        "runbook `plesk-qmail-spam` does not fit this host: it is written for qmail"
    );
}
