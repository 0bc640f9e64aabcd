//! Why a delivery failed, from the reply or reason the MTA logged (article 002): the
//! message looked like spam, failed DMARC, went to a mailbox or domain that does not
//! exist, the sending IP is on a blocklist, the recipient's domain could not be looked
//! up for now, or its mail server could not be reached. Each calls for something else:
//! a DNS lookup that failed for now (`Host not found, try again`, DSN 4.4.3) or a
//! connection that timed out is no reason to clean a mailing list. A domain that does
//! not exist (`Unrouteable address`, `DNS: no such domain`, DSN 5.1.2) is, as article
//! 002 lists it: the address is dead.
//!
//! The enhanced status code (RFC 3463: `550 5.1.1`, postfix's `dsn=4.4.3`, qmail's
//! `(#4.4.1)`) says it where it is specific (X.1.1 bad mailbox, X.4.3 directory server
//! failure, X.4.1 no answer). Phrases decide where codes are vague (X.7.1 covers spam,
//! blocklists and DMARC) or absent: DMARC and blocklists first, since their replies
//! often carry a mailbox or spam code too (`Access denied, banned sending IP`; Spamhaus
//! says "spam" but is a blocklist).

use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use schemars::JsonSchema;
use serde::Serialize;

/// The classes, in the order they are shown.
pub const CLASSES: &[&str] = &[
    "dmarc",
    "blacklisted",
    "unknown_user",
    "spam",
    "dns",
    "connection",
    "other",
];

/// One value per failure class (counts, sample lines), in [`CLASSES`] order.
#[derive(Debug, Default, Clone, Serialize, JsonSchema)]
pub struct ByClass<T> {
    /// Failures from the receiver's DMARC policy
    pub dmarc: T,
    /// Failures because the sending IP is on a blocklist
    pub blacklisted: T,
    /// Failures for mailboxes or domains that do not exist
    pub unknown_user: T,
    /// Failures the receiver called spam
    pub spam: T,
    /// DNS lookups of the recipient's domain that failed for now (a resolver error or
    /// timeout): the address may well exist
    pub dns: T,
    /// Failures to reach the recipient's mail server (refused, timed out, dropped)
    pub connection: T,
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
            "dns" => &mut self.dns,
            "connection" => &mut self.connection,
            _ => &mut self.other,
        }
    }
}

fn pattern(text: &str) -> Regex {
    RegexBuilder::new(text)
        .case_insensitive(true)
        .build()
        .expect("valid pattern")
}

/// Phrases that decide before any status code: a blocklist or DMARC reply often
/// carries a mailbox (5.1.1) or generic (5.7.1) code.
static DMARC: LazyLock<Regex> = LazyLock::new(|| pattern(r"\bdmarc\b"));
static BLACKLISTED: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"banned sending ip|blocked using|spamhaus|spamcop|barracuda|sorbs|\bdnsbl\b|\brbl\b|",
        r"black ?list|block ?list|blocked by|listed (at|on|in)|on our block|",
        r"ip (address )?(is )?(was )?(has been )?(blocked|banned|blacklisted)|poor reputation|",
        r"bad reputation|will be permanently deferred|\[ts0[1-4]\]|client host .*rejected|",
        r"service unavailable; client host"
    ))
});
/// Phrases for replies without a specific code, tried in this order.
static DNS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"not found, try again|host lookup did not complete|lookup failed temporarily|",
        r"temporary failure in name resolution|\bservfail\b|dns (timeout|temporary)|",
        r"couldn't find any host by that name"
    ))
});
static CONNECTION: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"connection (timed out|refused|reset|died)|network is unreachable|no route to host|",
        r"lost connection|establish an smtp connection|timed out while|host unreachable|",
        r"conversation with .* timed out|remote host closed connection"
    ))
});
static UNKNOWN_USER: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"user (not found|unknown|doesn't exist|does not exist)|unknown user|no such (user|mailbox|recipient)|",
        r"account (unknown|does not exist|disabled|is disabled)|address rejected|recipient address rejected|",
        r"non-?existent|invalid (mailbox|recipient|address)|mailbox (unavailable|not found|",
        r"does not exist|is disabled)|bad destination mailbox|",
        r"host or domain name not found|unrouteable (address|domain)|no such domain|",
        r"domain (does not exist|not found)|couldn't find any host named|\bnxdomain\b|",
        r"couldn't find a mail exchanger|non-existent hosts|",
        r"does not exist|addressee unknown|recipient not found|not our customer"
    ))
});
static SPAM: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"\bspam\b|unsolicited|suspicion of spam|looks like spam|content rejected|junk mail|",
        r"bulk mail|5\.7\.1 .*rejected"
    ))
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
    let unaddressed;
    let text = if memchr::memchr(b'<', text).is_some() {
        unaddressed = without_addresses(text);
        &unaddressed[..]
    } else {
        text
    };
    // One pass over the text for every phrase list, then the order above decides (the
    // lists one by one cost the log scan 40% of its time).
    let found = PHRASES.matches(text);
    for (i, class) in [(0, "dmarc"), (1, "blacklisted")] {
        if found.matched(i) {
            return class;
        }
    }
    if let Some(class) = status_code(text).and_then(class_of_code) {
        return class;
    }
    for (i, class) in [
        (2, "dns"),
        (3, "connection"),
        (4, "unknown_user"),
        (5, "spam"),
    ] {
        if found.matched(i) {
            return class;
        }
    }
    "other"
}

/// The text without the addresses in angle brackets that replies echo (`RCPT
/// TO:<dmarc-reports@…>`, `<spam@…>: Recipient address rejected`): an address is no
/// reason, and a DMARC report mailbox that does not exist is an unknown user. What is
/// in brackets without `@`, or with a space (a URL, a phrase), stays.
fn without_addresses(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = memchr::memchr(b'<', rest) {
        let after = &rest[open + 1..];
        let close = memchr::memchr(b'>', after);
        let inner = close.map_or(after, |c| &after[..c]);
        let address =
            close.is_some() && inner.contains(&b'@') && !inner.iter().any(u8::is_ascii_whitespace);
        out.extend_from_slice(&rest[..open]);
        if address {
            rest = &after[inner.len() + 1..];
        } else {
            out.push(b'<');
            rest = after;
        }
    }
    out.extend_from_slice(rest);
    out
}

/// The phrase lists in one set: DMARC, BLACKLISTED, DNS, CONNECTION, UNKNOWN_USER, SPAM.
/// ASCII word boundaries and case: replies are ASCII, and Unicode's cost the DFA.
static PHRASES: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSetBuilder::new([
        DMARC.as_str(),
        BLACKLISTED.as_str(),
        DNS.as_str(),
        CONNECTION.as_str(),
        UNKNOWN_USER.as_str(),
        SPAM.as_str(),
    ])
    .case_insensitive(true)
    .unicode(false)
    .build()
    .expect("valid patterns")
});

/// The class an enhanced status code names by itself, if it is that specific.
fn class_of_code((class, subject, detail): (u8, u16, u16)) -> Option<&'static str> {
    match (subject, detail) {
        // Bad destination mailbox; mailbox moved; mailbox disabled.
        (1, 1) | (1, 6) | (2, 1) => Some("unknown_user"),
        // Bad destination system, null MX, directory server failure, unable to route:
        // for now (4.x.x), a lookup that failed; for good, a domain that does not exist.
        (1, 2) | (1, 10) | (4, 3) | (4, 4) if class == 4 => Some("dns"),
        (1, 2) | (1, 10) | (4, 3) | (4, 4) => Some("unknown_user"),
        // No answer from host, bad connection.
        (4, 1) | (4, 2) => Some("connection"),
        _ => None,
    }
}

/// The first enhanced status code `C.S.D` in the text (class 2, 4 or 5), not a piece of
/// an IP address or version (`192.5.1.1`, `4.98.2.1`).
pub fn status_code(text: &[u8]) -> Option<(u8, u16, u16)> {
    static CODE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}").expect("valid pattern"));
    CODE.find_iter(text).find_map(|m| {
        let before = m.start().checked_sub(1).map(|i| text[i]);
        let after = text.get(m.end()).copied();
        let after_next = text.get(m.end() + 1).copied();
        let joined = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_digit() || b == b'.');
        // A dot right after the code ends a sentence only if no digit follows it.
        if joined(before)
            || after.is_some_and(|b| b.is_ascii_digit())
            || (after == Some(b'.') && after_next.is_some_and(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let text = std::str::from_utf8(m.as_bytes()).ok()?;
        let mut parts = text.split('.');
        Some((
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        ))
    })
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
    fn addresses_in_brackets_are_no_reason() {
        let cases = [
            (
                "SMTP error from remote mail server after RCPT TO:<dmarc-reports@shop.example>: 550 5.1.1 <dmarc-reports@shop.example>: Recipient address rejected: User unknown",
                "unknown_user",
            ),
            ("550 <spam@shop.example>: mailbox full", "other"),
            // A URL in brackets still counts, and so does an unclosed bracket.
            (
                "554 rejected, see <https://www.spamhaus.org/query/ip/192.0.2.7>",
                "blacklisted",
            ),
            ("550 <spamhaus listed you", "blacklisted"),
            ("550 5.7.1 <a@b> looks like spam <c@d>", "spam"),
        ];
        for (text, class) in cases {
            assert_eq!(classify(text), class, "{text}");
        }
        assert_eq!(
            without_addresses(b"a <x@y> b <not an address> c <d@e> <f"),
            b"a  b <not an address> c  <f"
        );
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
