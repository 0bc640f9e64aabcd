//! One queued message, as every queue reader (exim, postfix, qmail) reports it, and the
//! one reader of message headers they share.

/// What the queue facts need from one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// The MTA's id for it (exim `1xVHSh-0001Xe-1g`, postfix `DF9CD164001`, qmail inode).
    pub id: String,
    /// The submitting login and uid where the MTA records them (`www-data`, 33); a login
    /// in parentheses (`(network)`) is no local user.
    pub login: String,
    pub uid: Option<u32>,
    /// Envelope sender without angle brackets; empty for bounces (`<>`).
    pub sender: String,
    /// Recipients still to be delivered.
    pub recipients: Vec<String>,
    /// Arrival time, Unix seconds.
    pub received: i64,
    /// Frozen (exim) or on hold (postfix): not tried until released.
    pub frozen: bool,
    /// `(uid, script name)` from `X-PHP-Originating-Script: UID:NAME`.
    pub php_script: Option<(String, String)>,
}

/// `(uid, name)` from an `X-PHP-Originating-Script` header value (`33:tools.php`; the
/// name may hold spaces and colons: `x.php(2) : eval()'d code`).
pub fn php_script(value: &str) -> (String, String) {
    let value = value.trim().trim_matches('"');
    let (uid, name) = value.split_once(':').unwrap_or(("", value));
    (uid.to_string(), name.to_string())
}

/// Which MTA wrote a message's headers: it decides which `Received:` header names the
/// submitting user. The registry's own kind (`facts/mta/`), under the name the readers
/// know it by.
pub use super::mta::MtaKind as Mta;
use super::mta::Submitter;

/// What a message's headers tell the queue facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// `(uid, script name)` from the last `X-PHP-Originating-Script`.
    pub php_script: Option<(String, String)>,
    /// The submitting uid a `Received:` header records.
    pub uid: Option<u32>,
    /// `(network)`, `(alias)` or `(bounce)` when qmail's `Received:` says so instead of a uid.
    pub login: Option<&'static str>,
}

/// Of one folded header, read line by line, this much is kept to be read: far more than
/// any real `Received:` or script header (postfix's `header_size_limit` for all the
/// headers together is 100 KiB). Only those two headers are kept at all.
pub const FOLDED_MAX: usize = 64 << 10;

/// The one reader of message headers for every queue reader: names compared without
/// regard to case, folded headers unfolded, values read as UTF-8 (invalid bytes
/// replaced). Fed whole headers ([`Headers::header`], exim's `-H` file holds them so)
/// or lines ([`Headers::line`], postfix records and qmail `mess` files).
#[derive(Debug)]
pub struct Headers {
    mta: Mta,
    found: Found,
    /// A `Received:` said who submitted: later ones are relays.
    submitter_read: bool,
    /// The header being read line by line, while it is one of those read.
    pending: Vec<u8>,
    /// The header being read line by line is one of those read.
    keep: bool,
    /// A header line could not be read: the header it belongs to is dropped.
    dropped: bool,
}

impl Headers {
    pub fn new(mta: Mta) -> Headers {
        Headers {
            mta,
            found: Found::default(),
            submitter_read: false,
            pending: Vec::new(),
            keep: false,
            dropped: false,
        }
    }

    /// Read the headers of a message's start (a qmail `mess` file), up to the blank line
    /// that ends them.
    pub fn block(mta: Mta, head: &[u8]) -> Found {
        let mut headers = Headers::new(mta);
        for line in head.split(|b| *b == b'\n') {
            if !headers.line(line) {
                break;
            }
        }
        headers.finish()
    }

    /// One whole header: `Name: value`, its continuation lines and final newline
    /// included.
    pub fn header(&mut self, text: &[u8]) {
        let Some(colon) = memchr::memchr(b':', text) else {
            return;
        };
        let name = text[..colon].trim_ascii();
        let value = &text[colon + 1..];
        if name.eq_ignore_ascii_case(b"X-PHP-Originating-Script") {
            self.found.php_script = Some(php_script(&unfold(value)));
        } else if name.eq_ignore_ascii_case(b"Received") && self.reads_received() {
            self.received(&unfold(value));
        }
    }

    /// One line of the headers, without its newline (a final `\r` is dropped): a line
    /// starting with a space or tab continues the header before it. False at the blank
    /// line that ends the headers.
    pub fn line(&mut self, line: &[u8]) -> bool {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match line.first() {
            None => {
                self.flush();
                return false;
            }
            Some(b' ' | b'\t') => {
                if self.keep && !self.dropped {
                    self.push(b"\n");
                    self.push(line);
                }
            }
            Some(_) => {
                self.flush();
                self.keep = self.interesting(line);
                self.dropped = false;
                if self.keep {
                    self.push(line);
                }
            }
        }
        true
    }

    /// A header line that could not be read (too long): the header it belongs to is
    /// dropped. `first` is its first byte, which says whether it began a header.
    pub fn unreadable_line(&mut self, first: u8) {
        if first != b' ' && first != b'\t' {
            self.flush();
        }
        self.dropped = true;
    }

    /// The end of the headers: the last header read line by line is read.
    pub fn finish(mut self) -> Found {
        self.flush();
        self.found
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = FOLDED_MAX.saturating_sub(self.pending.len());
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn flush(&mut self) {
        if self.keep && !self.dropped {
            let pending = std::mem::take(&mut self.pending);
            self.header(&pending);
            self.pending = pending;
        }
        self.pending.clear();
        self.keep = false;
        self.dropped = false;
    }

    /// Whether a header's first line names a header this reads.
    fn interesting(&self, line: &[u8]) -> bool {
        let name = memchr::memchr(b':', line).map_or(&[][..], |colon| line[..colon].trim_ascii());
        name.eq_ignore_ascii_case(b"X-PHP-Originating-Script")
            || (name.eq_ignore_ascii_case(b"Received") && self.reads_received())
    }

    /// A `Received:` may still name the submitter: the MTA writes one that does, and
    /// none has yet.
    fn reads_received(&self) -> bool {
        !self.submitter_read && super::mta::get(self.mta).names_submitter_in_received()
    }

    /// The MTA says which `Received:` names the submitter (`Mta::received`).
    fn received(&mut self, value: &str) {
        if self.submitter_read {
            return;
        }
        let said = super::mta::get(self.mta).received(value);
        self.submitter_read = said != Submitter::NotSaid;
        match said {
            Submitter::Uid(uid) => self.found.uid = Some(uid),
            Submitter::Login(login) => self.found.login = Some(login),
            Submitter::NotSaid | Submitter::Nobody => {}
        }
    }
}

/// A header value unfolded (RFC 5322: the line breaks, `\n` or `\r\n`, before
/// continuation whitespace removed; so is the final one). A `\r` alone stays: it is part
/// of the value.
fn unfold(value: &[u8]) -> String {
    if memchr::memchr(b'\n', value).is_none() {
        return crate::text::lossy(value).into_owned();
    }
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        let line = &rest[..nl];
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        rest = &rest[nl + 1..];
    }
    out.extend_from_slice(rest);
    crate::text::lossy(&out).into_owned()
}

/// The text between `marker` and the next `)`, trimmed: `from userid 33)` gives `33`.
pub(crate) fn after<'a>(value: &'a str, marker: &str) -> Option<&'a str> {
    let rest = value.split(marker).nth(1)?;
    rest.split(')').next().map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_header_values() {
        assert_eq!(
            php_script(" 33:tools.php"),
            ("33".into(), "tools.php".into())
        );
        assert_eq!(
            php_script("\"1001:x.php(2) : eval()'d code\""),
            ("1001".into(), "x.php(2) : eval()'d code".into())
        );
        assert_eq!(php_script("tools.php"), ("".into(), "tools.php".into()));
    }

    #[test]
    fn whole_headers_of_any_case_folded_or_not() {
        let mut h = Headers::new(Mta::Postfix);
        h.header(b"x-php-originating-script : 1001:x.php(2) :\n eval()'d code\n");
        h.header(b"Received: by vm (Postfix,\n\tfrom userid 33)\n\tid F0020164004;\n");
        h.header(b"no colon here\n");
        let mut cr = Headers::new(Mta::Exim);
        cr.header(b"X-PHP-Originating-Script: 1:a\rb.php\r\n");
        assert_eq!(
            cr.finish().php_script,
            Some(("1".into(), "a\rb.php".into()))
        );
        let found = h.finish();
        assert_eq!(
            found.php_script,
            Some(("1001".into(), "x.php(2) : eval()'d code".into()))
        );
        assert_eq!(found.uid, Some(33));
    }

    #[test]
    fn lines_fold_and_stop_at_the_blank_line() {
        let head = b"Received: (qmail 19514 invoked\r\n by uid 10003); 13 Sep 2005\r\n\
            Received: (qmail 1 invoked by uid 48)\r\n\
            X-PHP-Originating-Script: 10003:send mail.php\r\n\
            \r\n\
            X-PHP-Originating-Script: 1:body.php\r\n";
        let found = Headers::block(Mta::Qmail, head);
        assert_eq!(found.uid, Some(10003), "the first qmail Received counts");
        assert_eq!(
            found.php_script,
            Some(("10003".into(), "send mail.php".into()))
        );
        let network = Headers::block(Mta::Qmail, b"Received: (qmail 2 invoked from network)\n");
        assert_eq!((network.uid, network.login), (None, Some("(network)")));
        let alias = Headers::block(Mta::Qmail, b"received: (qmail 3 invoked by alias)\n\n");
        assert_eq!(alias.login, Some("(alias)"));
    }

    #[test]
    fn postfix_takes_the_first_received_with_a_uid_and_exim_none() {
        let head = b"Received: from a by b\nReceived: by vm (Postfix, from userid x)\n\
            Received: by vm (Postfix, from userid 33)\nReceived: by vm (Postfix, from userid 34)\n";
        assert_eq!(Headers::block(Mta::Postfix, head).uid, Some(33));
        assert_eq!(Headers::block(Mta::Exim, head).uid, None);
    }

    #[test]
    fn unreadable_lines_drop_their_header_only() {
        let mut h = Headers::new(Mta::Postfix);
        h.line(b"X-PHP-Originating-Script: 1:a.php");
        h.unreadable_line(b'h');
        h.line(b" continued");
        h.line(b"Received: by vm (Postfix, from userid 5)");
        h.unreadable_line(b' ');
        assert!(!h.line(b""));
        let found = h.finish();
        assert_eq!(found.php_script, Some(("1".into(), "a.php".into())));
        assert_eq!(found.uid, None, "its continuation was unreadable");
    }

    #[test]
    fn folded_headers_are_bounded() {
        let mut h = Headers::new(Mta::Exim);
        h.line(b"X-PHP-Originating-Script: 1:a.php");
        let long = vec![b'x'; FOLDED_MAX];
        h.line(&[b"\t", &long[..]].concat());
        assert!(h.pending.len() <= FOLDED_MAX);
        let (_, name) = h.finish().php_script.unwrap();
        assert!(name.starts_with("a.php\txx") && name.len() < FOLDED_MAX);
    }
}
