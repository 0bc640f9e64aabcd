//! The `postfix` fact group: what postfix's main.cf says about relaying and the
//! hardening of article 004 (open relay, HELO name, DKIM signing, greylisting), read as
//! postfix reads it (`edit::postfix::get`: continuation lines, comments, the last
//! definition winning). Bounded: main.cf is read only up to [`MAIN_CF_MAX`] bytes,
//! through the same safe walk as every fact. Values main.cf does not set are `null`
//! (postfix's built-in default applies, which only `postconf -d` knows).

use schemars::JsonSchema;
use serde::Serialize;

use crate::edit::postfix::get;
use crate::host::Host;

/// main.cf is a few KiB; anything past this is not read.
pub const MAIN_CF_MAX: u64 = 4 << 20;

const MAIN_CF: &str = "/etc/postfix/main.cf";

/// postfix's default `smtpd_relay_restrictions` (`postconf -d`, since 2.10).
const DEFAULT_RELAY: &str = "permit_mynetworks permit_sasl_authenticated defer_unauth_destination";

/// The `postfix` fact group. On a host without postfix's main.cf every field is null
/// and `note` says why.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct PostfixFacts {
    /// The main.cf read (`/etc/postfix/main.cf`)
    pub main_cf: Option<String>,
    /// `mynetworks` as main.cf sets it (null: not set, postfix's default from mynetworks_style)
    pub mynetworks: Option<String>,
    /// mynetworks trusts every address (an item with prefix length 0: `0.0.0.0/0`, `0/0`, `[::]/0`)
    pub mynetworks_open: Option<bool>,
    /// `smtpd_relay_restrictions` as main.cf sets it (null: not set, postfix's default `permit_mynetworks permit_sasl_authenticated defer_unauth_destination`)
    pub relay_restrictions: Option<String>,
    /// `smtpd_recipient_restrictions` as main.cf sets it (null: not set)
    pub recipient_restrictions: Option<String>,
    /// The relay or recipient restrictions refuse unauthenticated clients' mail to other domains (`reject_unauth_destination` or `defer_unauth_destination`; an unset smtpd_relay_restrictions has it)
    pub unauth_destination_refused: Option<bool>,
    /// An open relay: mynetworks trusts everyone, or no restriction refuses mail to other domains
    pub open_relay: Option<bool>,
    /// The name postfix sends in HELO/EHLO: `smtp_helo_name`, else `myhostname` (null: neither is set, the system's host name)
    pub helo_name: Option<String>,
    /// helo_name is a fully qualified name (a dot in it, not `localhost...`)
    pub helo_fqdn: Option<bool>,
    /// What may sign outgoing mail with DKIM: `smtpd_milters`/`non_smtpd_milters` (OpenDKIM), or a `content_filter` to amavis (iRedMail signs in amavisd); null when none is set
    pub dkim_signer: Option<String>,
    /// dkim_signer is set: main.cf hands outgoing mail to something that can sign it
    pub dkim_signing: Option<bool>,
    /// A greylisting policy service in the restrictions: postgrey (`check_policy_service` on port 10023 or named postgrey) or iRedAPD (port 7777)
    pub greylisting: Option<bool>,
    /// Why nothing was read (absent when main.cf was)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The `postfix` group of the host.
pub fn gather(host: &Host) -> PostfixFacts {
    match host.read_max(MAIN_CF, MAIN_CF_MAX) {
        Ok(Some(bytes)) => from_text(&String::from_utf8_lossy(&bytes)),
        Ok(None) => PostfixFacts {
            note: Some(format!("no {MAIN_CF}: not a postfix host")),
            ..PostfixFacts::default()
        },
        Err(e) => PostfixFacts {
            note: Some(format!("{MAIN_CF} not read: {e}")),
            ..PostfixFacts::default()
        },
    }
}

/// The facts of a main.cf's text.
pub fn from_text(text: &str) -> PostfixFacts {
    let param = |name: &str| get(text, name);
    let mynetworks = param("mynetworks");
    let relay = param("smtpd_relay_restrictions");
    let recipient = param("smtpd_recipient_restrictions");
    let mynetworks_open = mynetworks
        .as_deref()
        .is_some_and(|v| items(v).any(everyone));
    let refuses = |list: &str| {
        items(list).any(|i| i == "reject_unauth_destination" || i == "defer_unauth_destination")
    };
    let unauth = refuses(relay.as_deref().unwrap_or(DEFAULT_RELAY))
        || recipient.as_deref().is_some_and(refuses);
    let helo_name = param("smtp_helo_name")
        .filter(|v| v != "$myhostname" && v != "${myhostname}")
        .or_else(|| param("myhostname"));
    let helo_fqdn = helo_name.as_deref().map(fqdn);
    let milters: Vec<String> = ["smtpd_milters", "non_smtpd_milters"]
        .iter()
        .filter_map(|p| {
            param(p)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{p} = {v}"))
        })
        .collect();
    let dkim_signer = if !milters.is_empty() {
        Some(milters.join(", "))
    } else {
        param("content_filter")
            .filter(|v| v.contains("amavis"))
            .map(|v| format!("content_filter = {v}"))
    };
    let policy = [relay.as_deref(), recipient.as_deref()]
        .into_iter()
        .flatten()
        .any(greylists);
    PostfixFacts {
        dkim_signing: Some(dkim_signer.is_some()),
        main_cf: Some(MAIN_CF.to_string()),
        mynetworks,
        mynetworks_open: Some(mynetworks_open),
        relay_restrictions: relay,
        recipient_restrictions: recipient,
        unauth_destination_refused: Some(unauth),
        open_relay: Some(mynetworks_open || !unauth),
        helo_name,
        helo_fqdn,
        dkim_signer,
        greylisting: Some(policy),
        note: None,
    }
}

/// The items of a postfix list: separated by commas or white space.
fn items(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|i| !i.is_empty())
}

/// A network of prefix length 0: every address.
fn everyone(item: &str) -> bool {
    item.rsplit_once('/')
        .is_some_and(|(net, len)| len == "0" && !net.is_empty())
}

fn fqdn(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.contains('.')
        && !name.starts_with('$')
        && !name.eq_ignore_ascii_case("localhost")
        && !name.to_ascii_lowercase().starts_with("localhost.")
}

/// `check_policy_service` of postgrey (port 10023, or a socket named for it) or iRedAPD
/// (port 7777, whose greylisting plugin iRedMail enables).
fn greylists(list: &str) -> bool {
    let words: Vec<&str> = items(list).collect();
    words.windows(2).any(|w| {
        w[0] == "check_policy_service"
            && (w[1].ends_with(":10023") || w[1].ends_with(":7777") || w[1].contains("postgrey"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = include_str!("../../tests/fixtures/postfix-main.cf-bookworm");

    #[test]
    fn debians_main_cf_is_no_open_relay_and_says_helo_with_a_bare_name() {
        let f = from_text(DEBIAN);
        assert_eq!(f.mynetworks_open, Some(false));
        assert_eq!(f.unauth_destination_refused, Some(true));
        assert_eq!(f.open_relay, Some(false));
        assert_eq!(f.helo_name.as_deref(), Some("vm"));
        assert_eq!(f.helo_fqdn, Some(false));
        assert_eq!((f.dkim_signer, f.dkim_signing), (None, Some(false)));
        assert_eq!(f.greylisting, Some(false));
    }

    #[test]
    fn open_networks_or_no_unauth_destination_make_an_open_relay() {
        let open = DEBIAN.replace(
            "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
            "mynetworks = 127.0.0.0/8, 0.0.0.0/0",
        );
        assert_eq!(from_text(&open).mynetworks_open, Some(true));
        assert_eq!(from_text(&open).open_relay, Some(true));
        let permissive = DEBIAN.replace(
            "permit_sasl_authenticated defer_unauth_destination",
            "permit_sasl_authenticated",
        );
        let f = from_text(&permissive);
        assert_eq!(
            (f.unauth_destination_refused, f.open_relay),
            (Some(false), Some(true))
        );
        // The recipient restrictions may refuse it instead (pre-2.10 configs).
        let old = format!(
            "{permissive}smtpd_recipient_restrictions = permit_mynetworks,\n    reject_unauth_destination,\n    check_policy_service inet:127.0.0.1:10023\n"
        );
        let f = from_text(&old);
        assert_eq!((f.open_relay, f.greylisting), (Some(false), Some(true)));
        assert_eq!(from_text("mynetworks = [::]/0\n").open_relay, Some(true));
    }

    #[test]
    fn iredmail_signs_in_amavisd_and_greylists_in_iredapd() {
        let text = "myhostname = mail.example.com\ncontent_filter = smtp-amavis:[127.0.0.1]:10024\nsmtpd_recipient_restrictions = reject_unknown_recipient_domain, reject_non_fqdn_recipient, reject_unlisted_recipient, check_policy_service inet:127.0.0.1:7777, permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination\n";
        let f = from_text(text);
        assert_eq!(f.helo_fqdn, Some(true));
        assert_eq!(
            f.dkim_signer.as_deref(),
            Some("content_filter = smtp-amavis:[127.0.0.1]:10024")
        );
        assert_eq!(f.greylisting, Some(true));
        assert_eq!(f.open_relay, Some(false));
    }

    /// A main.cf past the cap is not read, and says so; one of garbage bytes is read
    /// without a panic; a host without one is no postfix host.
    #[test]
    fn oversized_garbage_or_missing_main_cf() {
        let dir = tempfile::tempdir().unwrap();
        let host = Host::new(dir.path());
        assert!(gather(&host).note.unwrap().contains("not a postfix host"));
        std::fs::create_dir_all(dir.path().join("etc/postfix")).unwrap();
        let path = dir.path().join("etc/postfix/main.cf");
        std::fs::write(&path, vec![b'x'; MAIN_CF_MAX as usize + 1]).unwrap();
        let f = gather(&host);
        assert!(f.note.unwrap().contains("larger than"));
        assert_eq!(f.open_relay, None);
        std::fs::write(&path, b"mynetworks = \xff\x00 0/0\n \\\n=\n\tx").unwrap();
        assert_eq!(gather(&host).mynetworks_open, Some(true));
    }

    #[test]
    fn smtp_helo_name_wins_and_localhost_is_no_fqdn() {
        let f = from_text("myhostname = vm\nsmtp_helo_name = mx1.example.com\n");
        assert_eq!(f.helo_name.as_deref(), Some("mx1.example.com"));
        assert_eq!(
            from_text("myhostname = localhost.localdomain\n").helo_fqdn,
            Some(false)
        );
        assert_eq!(
            from_text("smtpd_milters = inet:localhost:8891\n")
                .dkim_signer
                .as_deref(),
            Some("smtpd_milters = inet:localhost:8891")
        );
    }
}
