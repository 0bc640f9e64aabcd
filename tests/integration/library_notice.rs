//! `hosting-block-triage` (article 002) on a provider's block notice: the mail log and
//! access_log it attaches (tests/fixtures/notice, the article's own lines) given as
//! params, read through the runbook's `facts_from` instead of the host's own logs.

use crate::assert_contains;
use crate::support::Test;

const MAIL_LOG: &str = include_str!("../fixtures/notice/mail.log");
const ACCESS_LOG: &str = include_str!("../fixtures/notice/access_log");

fn notice(mail_log: &str) -> Test {
    Test::new()
        .file("/root/notice/mail.log", mail_log)
        .file("/root/notice/access_log", ACCESS_LOG)
}

fn plan(test: &Test, params: &[&str]) -> String {
    test.dry_run("hosting-block-triage", params)
}

#[test]
fn every_rejection_class_of_the_notice_gets_its_remedy() {
    let test = notice(MAIL_LOG);
    let out = plan(
        &test,
        &[
            "mail_log=/root/notice/mail.log",
            "access_log=/root/notice/access_log",
        ],
    );
    for step in [
        "rejected-as-spam",
        "dmarc",
        "unknown-users",
        "blacklisted",
        "standard-script",
        "random-script",
        "cron-script",
        "posts-near-failures",
        "tell-support",
    ] {
        assert_contains!(out, &format!("  ! {step} [manual] for a person to do"));
    }
    assert_contains!(
        out,
        "Error code: 0A5051D9F58F086BE76976E7D6DA540411F9B977C36F6DD1D16D3C4B872AA67E"
    );
    assert_contains!(
        out,
        "/contact/tools.php was POSTed to within 2 minutes of a failed delivery (/root/notice/access_log; POSTs: 2)"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn a_dmarc_only_notice_rules_the_other_classes_out_and_asks_for_the_access_log() {
    let dmarc: String = MAIL_LOG
        .lines()
        .filter(|l| l.contains("1joQ2K-0001tG-3U"))
        .map(|l| format!("{l}\n"))
        .collect();
    let test = notice(&dmarc);
    let out = plan(&test, &["mail_log=/root/notice/mail.log"]);
    assert_contains!(out, "  ! dmarc [manual] for a person to do");
    assert_contains!(out, "  - rejected-as-spam [manual] not chosen");
    assert_contains!(out, "  ! no-access-log [manual] for a person to do");
    insta::assert_snapshot!(out);
}

#[test]
fn a_log_path_must_be_absolute_and_facts_from_takes_params_only() {
    let test = notice(MAIL_LOG);
    let out = test.run_args(&[
        "apply",
        "hosting-block-triage",
        "--dry-run",
        "-p",
        "mail_log=notice/mail.log",
    ]);
    assert_eq!(out.code, 1);
    assert_contains!(out.stderr, "not an absolute");
    let lint = Test::new().runbook(
        "id: x\ntitle: X\nfacts_from: { mail_log: \"{{mta.spool}}/log\" }\nsteps:\n  - { id: a, title: A, manual: { text: t } }\n",
    );
    let out = lint.run_args(&["lint"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_contains!(out.stdout, "only `{{params.NAME}}` may appear in it");
}
