//! Why a receiving server refused a message, from its reply text (article 002): the
//! message looked like spam, failed DMARC, went to a mailbox that does not exist, or the
//! sending IP is on a blocklist. Phrases overlap across classes (`Access denied, banned
//! sending IP` is a blocklist; `Access denied ... DMARC` is DMARC; Spamhaus is a
//! blocklist though it says "spam"), so the most specific class is tried first.

use std::sync::LazyLock;

use regex::bytes::{RegexSet, RegexSetBuilder};
use schemars::JsonSchema;
use serde::Serialize;

/// The classes, in the order they are tried.
pub const CLASSES: &[&str] = &["dmarc", "blacklisted", "unknown_user", "spam", "other"];

/// One value per failure class (counts, sample lines), in [`CLASSES`] order.
#[derive(Debug, Default, Clone, Serialize, JsonSchema)]
pub struct ByClass<T> {
    /// Failures from the receiver's DMARC policy
    pub dmarc: T,
    /// Failures because the sending IP is on a blocklist
    pub blacklisted: T,
    /// Failures for mailboxes that do not exist
    pub unknown_user: T,
    /// Failures the receiver called spam
    pub spam: T,
    /// Other failures
    pub other: T,
}

impl<T> ByClass<T> {
    /// The value of a class of [`CLASSES`] (`other` for any other name).
    pub fn get_mut(&mut self, class: &str) -> &mut T {
        match class {
            "dmarc" => &mut self.dmarc,
            "blacklisted" => &mut self.blacklisted,
            "unknown_user" => &mut self.unknown_user,
            "spam" => &mut self.spam,
            _ => &mut self.other,
        }
    }
}

/// One pattern per class, in `CLASSES` order; one pass over the text tries them all.
static PATTERNS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSetBuilder::new([
        r"\bdmarc\b",
        concat!(
            r"banned sending ip|blocked using|spamhaus|spamcop|barracuda|sorbs|\bdnsbl\b|\brbl\b|",
            r"black ?list|block ?list|blocked by|listed (at|on|in)|on our block|",
            r"ip (address )?(is )?(was )?(has been )?(blocked|banned|blacklisted)|poor reputation|",
            r"bad reputation|will be permanently deferred|\[ts0[1-4]\]|client host .*rejected|",
            r"service unavailable; client host"
        ),
        concat!(
            r"user (not found|unknown|doesn't exist|does not exist)|unknown user|no such (user|mailbox|recipient)|",
            r"account (unknown|does not exist|disabled|is disabled)|address rejected|recipient address rejected|",
            r"non-?existent|unrouteable address|invalid (mailbox|recipient|address)|mailbox (unavailable|not found|",
            r"does not exist|is disabled)|no such domain|bad destination mailbox|host or domain name not found|",
            r"does not exist|addressee unknown|recipient not found|not our customer|5\.1\.1"
        ),
        r"\bspam\b|unsolicited|suspicion of spam|looks like spam|content rejected|junk mail|bulk mail|5\.7\.1 .*rejected",
    ])
    .case_insensitive(true)
    .build()
    .expect("valid patterns")
});

/// The class of a failure's text (an SMTP reply, a log line).
pub fn classify(text: &str) -> &'static str {
    classify_bytes(text.as_bytes())
}

/// Like [`classify`], on raw log bytes (no UTF-8 needed).
pub fn classify_bytes(text: &[u8]) -> &'static str {
    // qmail logs replies with underscores for spaces.
    let spaced;
    let text = if text.contains(&b'_') && !text.contains(&b' ') {
        spaced = text
            .iter()
            .map(|b| if *b == b'_' { b' ' } else { *b })
            .collect::<Vec<u8>>();
        &spaced[..]
    } else {
        text
    };
    PATTERNS
        .matches(text)
        .iter()
        .next()
        .map(|i| CLASSES[i])
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_own_slot() {
        let mut by: ByClass<u64> = ByClass::default();
        for (i, class) in CLASSES.iter().enumerate() {
            *by.get_mut(class) = i as u64 + 1;
        }
        let json = serde_json::to_value(&by).unwrap();
        let names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, CLASSES, "fields in CLASSES order");
        for (i, class) in CLASSES.iter().enumerate() {
            assert_eq!(json[class], i as u64 + 1, "{class}");
        }
    }

    #[test]
    fn article_002_examples() {
        let cases = [
            (
                "550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id",
                "spam",
            ),
            ("554 5.7.1 Message rejected under suspicion of SPAM", "spam"),
            ("550 spam reject", "spam"),
            (
                "550 5.7.1 This message was not accepted due to domain (mail.ru) owner DMARC policy (RFC 7489)",
                "dmarc",
            ),
            (
                "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).",
                "unknown_user",
            ),
            (
                "550-5.1.1 The email account that you tried to reach does not exist. Please try",
                "unknown_user",
            ),
            (
                "550 5.7.606 Access denied, banned sending IP [92.53.96.251]. To request removal from this list",
                "blacklisted",
            ),
            (
                "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
                "blacklisted",
            ),
            ("550 5.7.1 Access denied, DMARC policy violation", "dmarc"),
            (
                "421 4.7.1 [TS03] All messages from [192.0.2.1] will be permanently deferred",
                "blacklisted",
            ),
            (
                "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table",
                "unknown_user",
            ),
            ("Remote_host_said:_550_5.1.1_User_unknown/", "unknown_user"),
            ("452 4.2.2 Mailbox full", "other"),
        ];
        for (text, class) in cases {
            assert_eq!(classify(text), class, "{text}");
        }
    }
}
