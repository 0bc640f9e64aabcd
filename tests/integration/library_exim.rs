//! `exim-block-unlock` (article 000), branch by branch: the example exim host, or the
//! same with the shop's real Apache config (the scripts' site known) or with a /proc in
//! the kernel's formats (something still sending, or not), planned with each param.
//! Each snapshot is the dry-run plan: the branch chosen, the others ruled out and why.

use crate::assert_contains;
use crate::support::Test;

/// The example exim host: a form script and an eval'd one filled the queue, the script
/// header is off, one message is frozen; no /proc, no web server config.
fn outbreak() -> Test {
    Test::example("exim-outbreak")
}

/// The same host with the shop's Apache config: the scripts are under the DocumentRoot
/// of shop.example.com, so their site is known.
pub(crate) fn with_site() -> Test {
    outbreak()
        .with_example_dir("debian-apache-modphp", "/etc/apache2")
        .with_example_dir("debian-apache-modphp", "/etc/php/8.2/apache2")
}

/// `/proc/net/tcp` as the kernel prints it: exim's listener, and `remote` connections
/// to port 25 (`pid comm socket-inode`), each process with its fd link to the socket.
pub(crate) fn with_proc(test: Test, remote: &[(u32, &str, u32)]) -> Test {
    let mut tcp = String::from(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17431 1 0000000000000000 100 0 0 10 0\n",
    );
    let mut test = test;
    for (i, (pid, comm, inode)) in remote.iter().enumerate() {
        tcp.push_str(&format!(
            "   {}: 0F02000A:D2C4 5DB8D822:0019 01 00000000:00000000 02:000A7B2E 00000000    33        0 {inode} 2 0000000000000000 20 4 30 10 -1\n",
            i + 1
        ));
        test = test
            .file(&format!("/proc/{pid}/comm"), &format!("{comm}\n"))
            .file(
                &format!("/proc/{pid}/status"),
                &format!("Name:\t{comm}\nUid:\t33\t33\t33\t33\n"),
            )
            .symlink(&format!("/proc/{pid}/fd/3"), &format!("socket:[{inode}]"));
    }
    test.file("/proc/net/tcp", &tcp).file("/proc/net/tcp6", "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
}

fn plan(test: &Test, params: &[&str]) -> String {
    test.dry_run("exim-block-unlock", params)
}

#[test]
fn default_captcha_and_the_scripts_messages_into_quarantine() {
    let out = plan(&outbreak(), &[]);
    assert_contains!(out, "  ~ x-header/web-ini [ini_set] will change");
    assert_contains!(out, "  ! form-captcha [manual] for a person to do");
    assert_contains!(out, "  ! infected-scan [manual] for a person to do");
    assert_contains!(out, "  ! sending-unknown [manual] for a person to do");
    insta::assert_snapshot!(out);
}

#[test]
fn remedy_disable_mail_turns_mail_off_and_warns() {
    let out = plan(&with_site(), &["remedy=disable-mail"]);
    assert_contains!(
        out,
        "  ~ form-disable-mail/web-ini [ini_list_add] will change"
    );
    assert_contains!(
        out,
        "  ! form-disable-mail/tell-customer [manual] for a person to do"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn remedy_blank_sendmail_path_stops_the_site_of_the_form_only() {
    let out = plan(&with_site(), &["remedy=blank-sendmail-path"]);
    assert_contains!(
        out,
        "  ~ form-blank-sendmail-path/mod-php-vhost [apache_directive] will change"
    );
    assert_contains!(out, "shop.example.com");
    insta::assert_snapshot!(out);
}

#[test]
fn remedy_blank_sendmail_path_without_a_site_hands_it_to_a_person() {
    let out = plan(&outbreak(), &["remedy=blank-sendmail-path"]);
    assert_contains!(out, "  ! form-site-unknown [manual] for a person to do");
    insta::assert_snapshot!(out);
}

#[test]
fn purge_frozen_all_or_none() {
    for purge in ["frozen", "all", "none"] {
        let out = plan(&outbreak(), &[&format!("purge={purge}")]);
        insta::assert_snapshot!(format!("purge_{purge}"), out);
    }
}

#[test]
fn still_sending_says_not_to_ask_for_the_unblock_yet() {
    let out = plan(&with_proc(outbreak(), &[(4242, "php", 123456)]), &[]);
    assert_contains!(out, "  ! still-sending [manual] for a person to do");
    insta::assert_snapshot!(out);
}

#[test]
fn nothing_else_sending_says_to_ask_for_the_unblock() {
    let out = plan(&with_proc(outbreak(), &[]), &[]);
    assert_contains!(out, "  ! ask-for-unblock [manual] for a person to do");
    insta::assert_snapshot!(out);
}

/// `eq: null` is a comparison with null (a fact the host could not tell), not a missing
/// comparison: serde reads an `Option` of null as absent, which made it always true of a
/// known value.
#[test]
fn eq_null_holds_only_for_a_fact_not_known() {
    let runbook = "id: n\ntitle: N\nsteps:\n  - { id: unknown, title: U, when: { fact: activity.non_mta, eq: null }, manual: { text: u } }\n  - { id: known, title: K, when: { fact: activity.non_mta, ne: null }, manual: { text: k } }\n";
    let chosen = |test: Test| {
        let plan = test
            .runbook(runbook)
            .run_args(&["apply", "n", "--dry-run", "--output", "json"])
            .json();
        (
            plan["steps"][0]["chosen"].clone(),
            plan["steps"][1]["chosen"].clone(),
        )
    };
    assert_eq!(
        chosen(outbreak()),
        (true.into(), false.into()),
        "no /proc: not known"
    );
    assert_eq!(
        chosen(with_proc(outbreak(), &[])),
        (false.into(), true.into()),
        "known, and 0"
    );
}

#[test]
fn on_a_postfix_host_it_names_the_runbooks_that_fit() {
    let out =
        Test::example("postfix-mailserver").run_args(&["apply", "exim-block-unlock", "--dry-run"]);
    assert_eq!(out.code, 1);
    assert_contains!(
        out.stderr,
        "runbook `exim-block-unlock` does not fit this host: it is written for exim, and this host runs postfix; runbooks written for it: postfix-spam-source, queue-purge, queue-retry-frozen"
    );
}
