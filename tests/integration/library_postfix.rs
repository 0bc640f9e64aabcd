//! `postfix-spam-source` (article 004), branch by branch: the example postfix host (PHP
//! scripts of this host filled the queue), or an open relay (Debian's real main.cf with
//! mynetworks open to the world and no `*_unauth_destination`, remote clients in
//! mail.log, nothing local queued), planned with each param. Each snapshot is the
//! dry-run plan: the branch chosen, the others ruled out and why.

use crate::assert_contains;
use crate::support::Test;

/// The example postfix host: www-data's and siteuser's PHP scripts (tools.php, an eval'd
/// gsdjkjhkll.php) queued the mail through pickup; main.cf is Debian's, relaying only
/// for this host.
fn local_origin() -> Test {
    Test::example("postfix-mailserver")
}

/// Debian 12's real main.cf with `mynetworks` set to `0.0.0.0/0` and
/// `smtpd_relay_restrictions` without `reject_unauth_destination`: an open relay.
fn open_main_cf() -> String {
    let debian = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/postfix-main.cf-bookworm"),
    )
    .unwrap();
    let open = debian
        .replace(
            "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
            "mynetworks = 0.0.0.0/0 [::]/0",
        )
        .replace(
            "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
            "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated",
        );
    assert_ne!(open, debian);
    open
}

/// An open relay: the example host with that main.cf, its queue empty (remote clients'
/// mail went out at once), and mail.log holding smtpd's lines of a remote client
/// relayed to remote domains, in the article's shape.
fn open_relay() -> Test {
    let mut test =
        Test::example("postfix-mailserver").file("/etc/postfix/main.cf", &open_main_cf());
    for dir in ["maildrop", "deferred", "hold"] {
        let path = test.path(&format!("/var/spool/postfix/{dir}"));
        std::fs::remove_dir_all(&path).unwrap();
        std::fs::create_dir_all(&path).unwrap();
    }
    test = test.file(
        "/var/log/mail.log",
        "Mar 26 00:51:13 vigil postfix/smtpd[9120]: 3B7085E038D: client=foo.bar.com[1.2.3.4]\n\
         Mar 26 00:51:13 vigil postfix/cleanup[9159]: 3B7085E038D: message-id=<20140326005113.3B7085E038D@foo.bar.com>\n\
         Mar 26 00:51:13 vigil postfix/qmgr[5366]: 3B7085E038D: from=<promo@foo.bar.com>, size=456346, nrcpt=2 (queue active)\n\
         Mar 26 00:51:14 vigil postfix/smtp[9161]: 3B7085E038D: to=<someone@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=0.9, delays=0.11/0/0.4/0.39, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 6EA115E038F)\n\
         Mar 26 00:51:14 vigil postfix/smtp[9161]: 3B7085E038D: to=<other@example.org>, relay=mx.example.org[198.51.100.7]:25, delay=0.9, delays=0.11/0/0.4/0.39, dsn=4.7.1, status=deferred (host mx.example.org[198.51.100.7] said: 421 4.7.1 All messages from 192.0.2.10 will be permanently deferred (in reply to MAIL FROM command))\n\
         Mar 26 00:51:14 vigil postfix/qmgr[5366]: 3B7085E038D: removed\n",
    );
    test
}

fn plan(test: &Test, params: &[&str]) -> String {
    test.dry_run("postfix-spam-source", params)
}

#[test]
fn local_origin_names_the_scripts_and_quarantines_their_messages() {
    let out = plan(&local_origin(), &[]);
    assert_contains!(out, "  ! trace-pick-id [manual] for a person to do");
    assert_contains!(out, "  ! relayed-anyway [manual] for a person to do");
    assert_contains!(out, "  ! local-submitter [manual] for a person to do");
    assert_contains!(out, "  ! php-script [manual] for a person to do");
    assert_contains!(out, "  ! recent-php-files [manual] for a person to do");
    assert_contains!(out, "  ~ purge-source [queue_purge] will change");
    assert_contains!(out, "  - relay-mynetworks [postfix_set] not chosen");
    assert_contains!(out, "  - relay-restrictions [postfix_set] not chosen");
    // Debian's main.cf: HELO with the bare `vm`, no DKIM signer, no greylisting.
    assert_contains!(out, "  ! helo-check [manual] for a person to do");
    assert_contains!(out, "  ! dkim [manual] for a person to do");
    assert_contains!(out, "  ! postgrey [manual] for a person to do");
    insta::assert_snapshot!(out);
}

#[test]
fn a_queue_id_is_traced_through_mail_log() {
    let out = plan(&local_origin(), &["queue_id=DF9CD164001"]);
    assert_contains!(out, "  ! trace-queue-id [manual] for a person to do");
    assert_contains!(out, "grep -F 'DF9CD164001:' /var/log/mail.log");
    assert_contains!(out, "  - trace-pick-id [manual] not chosen");
    insta::assert_snapshot!(out);
}

#[test]
fn open_relay_is_closed_in_main_cf_and_postfix_reloaded() {
    let out = plan(&open_relay(), &[]);
    assert_contains!(out, "  ~ relay-mynetworks [postfix_set] will change");
    assert_contains!(
        out,
        "+mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128"
    );
    assert_contains!(out, "  ~ relay-restrictions [postfix_set] will change");
    assert_contains!(
        out,
        "+smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated reject_unauth_destination"
    );
    assert_contains!(out, "  ! relay-closed [manual] for a person to do");
    assert_contains!(
        out,
        "reload-postfix: would test `postfix check`, then run `postfix reload`"
    );
    // Nothing local queued: the PHP branch is ruled out.
    assert_contains!(out, "  - recent-php-files [manual] not chosen");
    assert_contains!(out, "  - purge-source [queue_purge] not chosen");
    assert_contains!(out, "  - relayed-anyway [manual] not chosen");
    insta::assert_snapshot!(out);
}

#[test]
fn open_relay_kept_says_what_it_lets_through() {
    let out = plan(&open_relay(), &["relay=keep", "queue_id=3B7085E038D"]);
    assert_contains!(out, "  ! open-relay-kept [manual] for a person to do");
    assert_contains!(out, "  - relay-mynetworks [postfix_set] not chosen");
    assert_contains!(out, "grep -F '3B7085E038D:' /var/log/mail.log");
    insta::assert_snapshot!(out);
}

#[test]
fn a_closed_relay_keeps_mynetworks() {
    let out = plan(&local_origin(), &["relay=close"]);
    assert_contains!(out, "  = relay-mynetworks [postfix_set] no change needed");
    insta::assert_snapshot!(out);
}

/// iRedMail's main.cf settings of the article's server, on Debian's: a FQDN, amavisd
/// (which signs with DKIM) as the content filter, iRedAPD (greylisting) in the
/// recipient restrictions.
fn iredmail_main_cf() -> String {
    open_main_cf()
        .replace(
            "mynetworks = 0.0.0.0/0 [::]/0",
            "mynetworks = 127.0.0.1 [::1]",
        )
        .replace("myhostname = vm", "myhostname = mail.example.com")
        + "content_filter = smtp-amavis:[127.0.0.1]:10024\n\
           smtpd_recipient_restrictions =\n\
           \x20   reject_unknown_recipient_domain,\n\
           \x20   check_policy_service inet:127.0.0.1:7777,\n\
           \x20   permit_mynetworks,\n\
           \x20   permit_sasl_authenticated,\n\
           \x20   reject_unauth_destination\n"
}

#[test]
fn a_hardened_main_cf_rules_out_the_hardening_items() {
    let test = local_origin().file("/etc/postfix/main.cf", &iredmail_main_cf());
    let out = plan(&test, &[]);
    assert_contains!(
        out,
        "  yes open-relay: postfix.open_relay = false (want eq false)"
    );
    assert_contains!(out, "  - relay-restrictions [postfix_set] not chosen");
    assert_contains!(out, "  - helo-check [manual] not chosen");
    assert_contains!(out, "  - dkim [manual] not chosen");
    assert_contains!(out, "  - postgrey [manual] not chosen");
    assert_contains!(out, "  ! spf [manual] for a person to do");
    insta::assert_snapshot!(out);
}

#[test]
fn helo_name_sets_smtp_helo_name() {
    let out = plan(&local_origin(), &["helo_name=mail.example.com"]);
    assert_contains!(out, "  ~ helo-name [postfix_set] will change");
    assert_contains!(out, "+smtp_helo_name = mail.example.com");
    assert_contains!(out, "  - helo-check [manual] not chosen");
    assert_contains!(
        out,
        "reload-postfix: would test `postfix check`, then run `postfix reload`"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn purge_all_or_none() {
    for purge in ["all", "none"] {
        let out = plan(&local_origin(), &[&format!("purge={purge}")]);
        insta::assert_snapshot!(format!("purge_{purge}"), out);
    }
}

#[test]
fn on_an_exim_host_it_names_the_runbooks_that_fit() {
    let out =
        Test::example("exim-outbreak").run_args(&["apply", "postfix-spam-source", "--dry-run"]);
    assert_eq!(out.code, 1);
    assert_contains!(
        out.stderr,
        "runbook `postfix-spam-source` does not fit this host: it is written for postfix, and this host runs exim"
    );
}

// ---- On the real postfix of each Debian suite ----

mod real {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use crate::rootfs::{RootFs, Suite};

    #[test]
    #[cfg_attr(
        no_postfix_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_POSTFIX_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn bookworm_open_relay_closed_spam_quarantined_and_rolled_back() {
        applied_and_rolled_back(&crate::rootfs::BOOKWORM);
    }

    #[test]
    #[cfg_attr(
        no_postfix_rootfs_trixie,
        ignore = "needs root and RUNBOOK_POSTFIX_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn trixie_open_relay_closed_spam_quarantined_and_rolled_back() {
        applied_and_rolled_back(&crate::rootfs::TRIXIE);
    }

    const MAIN_CF: &str = "/etc/postfix/main.cf";

    /// A site's form handler abused by robots: two messages per request.
    const FORM: &str = "<?php\nforeach (['a@example.net', 'b@example.org'] as $to) {\n    mail($to, 'Offer', \"Cheap pills\\n\", 'From: noreply@shop.example.com');\n}\n";

    use crate::real_queue::{Postfix, postqueue};

    fn postconf(host: &RootFs, param: &str) -> String {
        let (code, stdout, stderr) = host.chroot(&["postconf", "-h", param]);
        assert_eq!(code, 0, "postconf -h {param}: {stderr}");
        stdout.trim_end().to_string()
    }

    /// Wait until postfix has deferred `n` messages.
    fn settled(host: &RootFs, n: usize) -> BTreeSet<(String, String)> {
        for _ in 0..200 {
            let q = postqueue(host);
            if q.len() == n && q.iter().all(|(_, queue)| queue == "deferred") {
                return q;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("postfix did not defer {n} messages: {:?}", postqueue(host));
    }

    fn run(host: &RootFs, args: &[&str]) -> Value {
        let mut all = vec!["apply", "postfix-spam-source"];
        all.extend(args);
        all.extend(["--output", "json"]);
        let (code, stdout, stderr) = host.runbook(&all);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        serde_json::from_str(&stdout).unwrap()
    }

    fn step<'a>(plan: &'a Value, id: &str) -> &'a Value {
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id}: {plan:#}"))
    }

    fn applied_and_rolled_back(suite: &Suite) {
        let host = RootFs::copy("postfix", suite);
        // Debian's main.cf made an open relay, as the article's server was.
        let (code, _, stderr) = host.chroot(&[
            "postconf",
            "-e",
            "mynetworks = 0.0.0.0/0 [::]/0",
            "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated",
        ]);
        assert_eq!(code, 0, "{stderr}");
        let _postfix = Postfix::start(&host);
        // The form's spam, sent by the real PHP mail() through postfix's sendmail.
        std::fs::create_dir_all(host.path("/var/www/site")).unwrap();
        std::fs::write(host.path("/var/www/site/contact-form.php"), FORM).unwrap();
        for _ in 0..2 {
            let (code, stderr) = host.chroot_as(
                "www-data",
                &[
                    "/usr/bin/php",
                    "-d",
                    "sendmail_path=/usr/sbin/sendmail -t -i",
                    "-d",
                    "mail.add_x_header=On",
                    "/var/www/site/contact-form.php",
                ],
            );
            assert_eq!(code, 0, "{stderr}");
        }
        let queued = settled(&host, 4);
        let main_cf = std::fs::read(host.path(MAIN_CF)).unwrap();
        let spool = host.snapshot("/var/spool/postfix/deferred");

        // The dry run plans both branches and changes nothing.
        let plan = run(&host, &["--dry-run"]);
        assert_eq!(plan["checks"][5]["id"], "open-relay");
        assert_eq!(plan["checks"][5]["ok"], false, "{plan:#}");
        assert_eq!(step(&plan, "relay-mynetworks")["diffs"][0]["file"], MAIN_CF);
        assert_eq!(
            step(&plan, "purge-source")["queue"][0]["count"],
            4,
            "{plan:#}"
        );
        assert_eq!(std::fs::read(host.path(MAIN_CF)).unwrap(), main_cf);
        assert_eq!(postqueue(&host), queued);

        // Apply: the relay closed as the real postfix reads it, checked and reloaded;
        // the form's messages out of the queue.
        let applied = run(&host, &["--yes"]);
        assert_eq!(applied["outcome"], "applied", "{applied:#}");
        assert_eq!(
            postconf(&host, "mynetworks"),
            "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128"
        );
        assert_eq!(
            postconf(&host, "smtpd_relay_restrictions"),
            "permit_mynetworks permit_sasl_authenticated reject_unauth_destination"
        );
        assert_eq!(host.chroot(&["postfix", "check"]).0, 0);
        assert_eq!(applied["handlers"][0]["outcome"], "reloaded", "{applied:#}");
        assert_eq!(step(&applied, "purge-source")["queue"][0]["done"], 4);
        assert!(postqueue(&host).is_empty(), "{:?}", postqueue(&host));

        // Rollback: main.cf byte for byte, every message back in the queue.
        let (code, stdout, stderr) = host.runbook(&["rollback", "--yes", "--last"]);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        assert_eq!(std::fs::read(host.path(MAIN_CF)).unwrap(), main_cf);
        assert_eq!(postconf(&host, "mynetworks"), "0.0.0.0/0 [::]/0");
        assert_eq!(postqueue(&host), queued);
        assert_eq!(
            host.snapshot("/var/spool/postfix/deferred").len(),
            spool.len()
        );
    }
}
