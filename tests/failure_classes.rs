//! Every failure class, for every MTA, from lines in the shape each MTA writes them
//! (exim's deliver.c `failure_log` / `deferral_log`, postfix's smtp delivery status
//! lines, qmail-send's `delivery N: failure:` / `deferral:` with qmail-remote's texts),
//! with replies real receivers send. A DNS lookup that failed for now, or a connection
//! failure, is its own class: the advice for `unknown_user` (clean the mailing list)
//! would be wrong for it. A domain that does not exist is `unknown_user` (article 002).

use runbook::facts::failure_class::CLASSES;
use runbook::facts::logs::{Passwd, Scan};
use runbook::facts::mta;

/// (MTA, class, line).
const LINES: &[(&str, &str, &str)] = &[
    // exim 4.98 (Debian 13): 23-character ids, `H=host [ip]: reason`.
    (
        "exim",
        "dmarc",
        "2026-12-02 10:00:01 1xYn0C-000000007ED-0fxw ** a@mail.ru R=dnslookup T=remote_smtp H=mxs.mail.ru [94.100.180.31] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: SMTP error from remote mail server after end of data: 550 5.7.1 This message was not accepted due to domain (vm.example) owner DMARC policy (RFC 7489)",
    ),
    (
        "exim",
        "blacklisted",
        "2026-12-02 10:00:02 1xYn0C-000000007EE-0fxw ** b@outlook.com R=dnslookup T=remote_smtp H=outlook-com.olc.protection.outlook.com [52.101.11.1]: SMTP error from remote mail server after MAIL FROM:<shop@vm.example> SIZE=1910: 550 5.7.1 Unfortunately, messages from [192.0.2.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
    ),
    (
        "exim",
        "unknown_user",
        "2026-12-02 10:00:03 1xYn0C-000000007EF-0fxw ** c@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [142.250.153.27]: SMTP error from remote mail server after RCPT TO:<c@gmail.com>: 550-5.1.1 The email account that you tried to reach does not exist. Please try",
    ),
    (
        "exim",
        "spam",
        "2026-12-02 10:00:04 [4242] 1xYn0C-000000007EG-0fxw ** d@mail.ru R=dnslookup T=remote_smtp H=mxs.mail.ru [94.100.180.31]: SMTP error from remote mail server after end of data: 550 spam message rejected. Please visit https://help.mail.ru/notspam-support/id?c=1 or report details to abuse@corp.mail.ru.",
    ),
    (
        "exim",
        "dns",
        "2026-12-02 10:00:05.123 1xYn0C-000000007EH-0fxw == e@nx-shop.example R=dnslookup defer (-1): host lookup did not complete",
    ),
    (
        "exim",
        "unknown_user",
        "2026-12-02 10:00:06 1xYn0C-000000007EI-0fxw ** f@nx-shop.example: Unrouteable address",
    ),
    (
        "exim",
        "connection",
        "2026-12-02 10:00:07 +0100 1xYn0C-000000007EJ-0fxw == g@slow.example R=dnslookup T=remote_smtp defer (110): Connection timed out H=mx.slow.example [198.51.100.25]",
    ),
    (
        "exim",
        "other",
        "2026-12-02 10:00:08 1xYn0C-000000007EK-0fxw == h@full.example R=dnslookup T=remote_smtp defer (-44) H=mx.full.example [198.51.100.26]: SMTP error from remote mail server after RCPT TO:<h@full.example>: 452 4.2.2 The email account that you tried to reach is over quota.",
    ),
    // exim 4.96 (Debian 12), 16-character ids, through syslog with rsyslog's RFC 3339 stamp.
    (
        "exim",
        "unknown_user",
        "2026-12-02T10:00:09.412345+01:00 vm exim[1234]: 1joDo0-0005Bd-LB ** i@hotmail.fr R=dnslookup T=remote_smtp H=eur.olc.protection.outlook.com [104.47.9.33]: SMTP error from remote mail server after RCPT TO:<i@hotmail.fr>: 550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).",
    ),
    // postfix 3.10 (Debian 13) and 3.7.
    (
        "postfix",
        "dmarc",
        "Dec  2 10:01:01 vm postfix/smtp[2001]: 4QX1Y2Z3abz: to=<a@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.153.27]:25, delay=1.4, delays=0.02/0.01/0.6/0.8, dsn=5.7.26, status=bounced (host gmail-smtp-in.l.google.com[142.250.153.27] said: 550-5.7.26 Unauthenticated email from vm.example is not accepted due to domain's DMARC policy. (in reply to end of DATA command))",
    ),
    (
        "postfix",
        "blacklisted",
        "Dec  2 10:01:02 vm postfix/smtp[2002]: 4QX1Y2Z3ab1: to=<b@example.net>, relay=mx.example.net[203.0.113.5]:25, delay=0.9, delays=0.02/0/0.4/0.5, dsn=5.7.1, status=bounced (host mx.example.net[203.0.113.5] said: 554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.7 (in reply to RCPT TO command))",
    ),
    (
        "postfix",
        "unknown_user",
        "Dec  2 10:01:03 vm postfix/smtp[2003]: 4QX1Y2Z3ab2: to=<c@example.org>, relay=mx.example.org[203.0.113.6]:25, delay=0.5, delays=0.01/0/0.2/0.3, dsn=5.1.1, status=bounced (host mx.example.org[203.0.113.6] said: 550 5.1.1 <c@example.org>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))",
    ),
    (
        "postfix",
        "spam",
        "Dec  2 10:01:04 vm postfix/smtp[2004]: 4QX1Y2Z3ab3: to=<d@yandex.ru>, relay=mx.yandex.ru[77.88.21.249]:25, delay=2.1, delays=0.01/0/0.3/1.8, dsn=5.7.1, status=bounced (host mx.yandex.ru[77.88.21.249] said: 554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1733130064-abcDEF12 (in reply to end of DATA command))",
    ),
    (
        "postfix",
        "dns",
        "Dec  2 10:01:05 vm postfix/smtp[2005]: 4QX1Y2Z3ab4: to=<e@shop.example>, relay=none, delay=0.06, delays=0.01/0.01/0.04/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=shop.example type=MX: Host not found, try again)",
    ),
    (
        "postfix",
        "unknown_user",
        "2026-12-02T10:01:06.000321+01:00 vm postfix/smtp[2006]: 4QX1Y2Z3ab5: to=<f@nx-shop.example>, relay=none, delay=0.2, delays=0.01/0.01/0.18/0, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=nx-shop.example type=AAAA: Host not found)",
    ),
    (
        "postfix",
        "connection",
        "Dec  2 10:01:07 vm postfix/smtp[2007]: 4QX1Y2Z3ab6: to=<g@slow.example>, relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow.example[198.51.100.25]:25: Connection timed out)",
    ),
    (
        "postfix",
        "other",
        "Dec  2 10:01:08 vm postfix/smtp[2008]: 4QX1Y2Z3ab7: to=<h@full.example>, relay=mx.full.example[198.51.100.26]:25, delay=0.7, delays=0.01/0/0.3/0.4, dsn=4.2.2, status=deferred (host mx.full.example[198.51.100.26] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))",
    ),
    // qmail (Plesk): qmail-send's lines, qmail-remote's texts with `_` for spaces.
    (
        "qmail",
        "dmarc",
        "Dec  2 10:02:01 vm qmail: 1733130121.123456 delivery 11: failure: 94.100.180.31_does_not_like_recipient./Remote_host_said:_550_5.7.1_This_message_was_not_accepted_due_to_domain_(vm.example)_owner_DMARC_policy/Giving_up_on_94.100.180.31./",
    ),
    (
        "qmail",
        "blacklisted",
        "Dec  2 10:02:02 vm qmail: 1733130122.123456 delivery 12: failure: Connected_to_203.0.113.5_but_sender_was_rejected./Remote_host_said:_550_5.7.606_Access_denied,_banned_sending_IP_[192.0.2.7]._To_request_removal_from_this_list_please_visit_https://sender.office.com/./",
    ),
    (
        "qmail",
        "unknown_user",
        "Dec  2 10:02:03 vm qmail: 1733130123.123456 delivery 13: failure: 203.0.113.6_does_not_like_recipient./Remote_host_said:_550_5.1.1_<c@example.org>:_Recipient_address_rejected:_User_unknown/Giving_up_on_203.0.113.6./",
    ),
    (
        "qmail",
        "spam",
        "Dec  2 10:02:04 vm qmail: 1733130124.123456 delivery 14: failure: Connected_to_94.100.180.31_but_message_was_rejected./Remote_host_said:_550_spam_message_rejected./",
    ),
    (
        "qmail",
        "unknown_user",
        "Dec  2 10:02:05 vm qmail: 1733130125.123456 delivery 15: failure: Sorry,_I_couldn't_find_any_host_named_nx-shop.example._(#5.1.2)/",
    ),
    (
        "qmail",
        "dns",
        "Dec  2 10:02:05 vm qmail: 1733130125.223456 delivery 20: deferral: Sorry,_I_couldn't_find_any_host_by_that_name._(#4.1.2)/",
    ),
    (
        "qmail",
        "dns",
        "Dec  2 10:02:06 vm qmail: 1733130126.123456 delivery 16: deferral: CNAME_lookup_failed_temporarily._(#4.4.3)/",
    ),
    (
        "qmail",
        "connection",
        "Dec  2 10:02:07 vm qmail: 1733130127.123456 delivery 17: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/",
    ),
    (
        "qmail",
        "connection",
        "Dec  2 10:02:08 vm qmail: 1733130128.123456 delivery 18: deferral: Connected_to_198.51.100.25_but_connection_died._(#4.4.2)/",
    ),
    (
        "qmail",
        "other",
        "Dec  2 10:02:09 vm qmail: 1733130129.123456 delivery 19: deferral: 198.51.100.26_does_not_like_recipient./Remote_host_said:_452_4.2.2_Mailbox_full/Giving_up_on_198.51.100.26./",
    ),
];

fn class_of(mta_name: &str, line: &str) -> Vec<&'static str> {
    let mut scan = Scan::new(mta::by_name(mta_name), Passwd::default());
    scan.line(line.as_bytes());
    scan.failures.keys().copied().collect()
}

#[test]
fn every_class_of_every_mta_is_told_apart() {
    let mut wrong = Vec::new();
    for (mta, class, line) in LINES {
        let got = class_of(mta, line);
        if got != [*class] {
            wrong.push(format!("{mta}: want {class}, got {got:?}: {line}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_class_is_tested_for_every_mta() {
    for mta in mta::ALL {
        for class in CLASSES {
            assert!(
                LINES.iter().any(|(m, c, _)| *m == mta.name() && c == class),
                "no {} line for {class}",
                mta.name()
            );
        }
    }
}

/// The failure the issue was found with: postfix's DNS deferral was `unknown_user`.
#[test]
fn a_postfix_dns_deferral_is_no_unknown_user() {
    let line = LINES
        .iter()
        .find(|(m, c, _)| *m == "postfix" && *c == "dns")
        .unwrap()
        .2;
    assert_eq!(class_of("postfix", line), ["dns"]);
}

/// exim's `==` lines that only say a retry time has not come are no new failure.
#[test]
fn exim_retry_time_skips_are_not_counted() {
    let line = "2026-12-02 10:00:10 1xYn0C-000000007EL-0fxw == j@slow.example R=dnslookup T=remote_smtp defer (-53): retry time not reached for any host for 'slow.example'";
    assert!(class_of("exim", line).is_empty());
}
