//! Which queued messages a `queue_purge` or `queue_retry` step picks: its selectors,
//! rendered and typed, combined with and.

use crate::facts::message::Message;

/// A step's selectors, rendered. Every one given must hold; `all` alone picks every
/// message (lint refuses a step that gives none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub all: bool,
    /// Frozen (exim), on hold (postfix): only those (`true`) or only the others.
    pub frozen: Option<bool>,
    /// The envelope sender, compared without regard to case; `@domain` picks every
    /// sender of the domain, `<>` (or an empty text) bounces.
    pub sender: Option<String>,
    /// A recipient still to be delivered has this domain.
    pub recipient_domain: Option<String>,
    /// The script X-PHP-Originating-Script names (its name, or its path's last part).
    pub script: Option<String>,
    /// The uid that submitted it.
    pub uid: Option<u32>,
    /// Arrived at least this many seconds before `now`.
    pub older_than: Option<u64>,
    pub ids: Option<Vec<String>>,
}

impl Selection {
    /// Whether the message is picked, at time `now` (Unix seconds).
    pub fn matches(&self, m: &Message, now: i64) -> bool {
        let sender = |want: &str| {
            let want = want.trim_matches(|c| c == '<' || c == '>');
            match want.strip_prefix('@') {
                Some(domain) => domain_of(&m.sender).eq_ignore_ascii_case(domain),
                None => m.sender.eq_ignore_ascii_case(want),
            }
        };
        let script = |want: &str| {
            m.php_script
                .as_ref()
                .is_some_and(|(_, name)| name == want || name.rsplit('/').next() == Some(want))
        };
        let recipient = |domain: &str| {
            m.recipients
                .iter()
                .any(|r| domain_of(r).eq_ignore_ascii_case(domain))
        };
        self.frozen.is_none_or(|f| m.frozen == f)
            && self.sender.as_deref().is_none_or(sender)
            && self.recipient_domain.as_deref().is_none_or(recipient)
            && self.script.as_deref().is_none_or(script)
            && self.uid.is_none_or(|uid| m.uid == Some(uid))
            && self
                .older_than
                .is_none_or(|age| m.received <= now.saturating_sub(age as i64))
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&m.id))
    }

    /// Whether it picks anything at all: `all`, or one selector.
    pub fn is_empty(&self) -> bool {
        *self == Selection::default()
    }
}

/// The domain of an address (after the last `@`), empty for none.
fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            id: "1xVHSh-0001Xe-1g".into(),
            login: "www-data".into(),
            uid: Some(33),
            sender: "www-data@shop.example".into(),
            recipients: vec!["a@Mail.Example".into(), "b@other.example".into()],
            received: 1_000,
            frozen: false,
            php_script: Some(("33".into(), "/var/www/shop/contact-form.php".into())),
        }
    }

    #[test]
    fn every_selector_given_must_hold() {
        let m = message();
        let pick = |s: Selection| s.matches(&m, 2_000);
        assert!(pick(Selection {
            all: true,
            ..Selection::default()
        }));
        assert!(pick(Selection {
            script: Some("contact-form.php".into()),
            older_than: Some(600),
            ..Selection::default()
        }));
        assert!(!pick(Selection {
            script: Some("contact-form.php".into()),
            older_than: Some(1_001),
            ..Selection::default()
        }));
        assert!(pick(Selection {
            sender: Some("@SHOP.example".into()),
            recipient_domain: Some("mail.example".into()),
            uid: Some(33),
            frozen: Some(false),
            ..Selection::default()
        }));
        assert!(!pick(Selection {
            sender: Some("<>".into()),
            ..Selection::default()
        }));
        assert!(!pick(Selection {
            ids: Some(vec!["1xVHSh-0001Xe-1h".into()]),
            ..Selection::default()
        }));
        assert!(!pick(Selection {
            script: Some("form.php".into()),
            ..Selection::default()
        }));
    }

    #[test]
    fn bounces_are_picked_by_the_empty_sender() {
        let bounce = Message {
            sender: String::new(),
            ..message()
        };
        let s = Selection {
            sender: Some("<>".into()),
            ..Selection::default()
        };
        assert!(s.matches(&bounce, 0));
        assert!(!s.matches(&message(), 0));
    }

    #[test]
    fn nothing_given_selects_nothing() {
        assert!(Selection::default().is_empty());
        assert!(
            !Selection {
                frozen: Some(true),
                ..Selection::default()
            }
            .is_empty()
        );
    }
}
