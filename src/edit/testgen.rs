//! Property-test inputs shared by the editors' tests: files made of generated lines, with
//! LF or CRLF endings and with or without a final newline.

use proptest::prelude::*;

/// Up to `max` lines from `line`, joined as a file.
pub fn file_of(line: impl Strategy<Value = String>, max: usize) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line, 0..max),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, final_eol)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join(eol);
            if final_eol && !lines.is_empty() {
                text.push_str(eol);
            }
            text
        })
}

/// Values an attacker on the host controls: pieces that end a line, a directive, a
/// quote, a section or a block, start a comment or continue a line, mixed with plain
/// words, unicode, control characters and sometimes a very long run of text.
pub fn hostile_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(HOSTILE_PIECES).prop_map(str::to_string),
        "[a-z0-9/._-]{1,8}",
        any::<char>().prop_map(String::from),
    ];
    let pieces = prop::collection::vec(piece, 0..8).prop_map(|p| p.concat());
    let long =
        (pieces.clone(), 1000usize..20_000).prop_map(|(p, n)| format!("{p}{}", "x".repeat(n)));
    // Some values end in what would run on into the next line: a `\`, an open quote.
    let tail = prop::sample::select(HOSTILE_TAILS);
    let tailed = (pieces.clone(), tail).prop_map(|(p, t)| format!("{p}{t}"));
    prop_oneof![6 => pieces, 3 => tailed, 1 => long]
}

const HOSTILE_TAILS: &[&str] = &[
    "\\", "\\", "\\", "\\ ", "\\\t", "\\\\", "\"", "'", ";", "#", "\n", "\r",
];

const HOSTILE_PIECES: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\0",
    "\x1b[2J",
    "\x7f",
    "\u{85}",
    "\u{2028}",
    "\t",
    " ",
    ";",
    "#",
    "\"",
    "'",
    "\\",
    "\\\"",
    "=",
    ",",
    "${HOME}",
    "[PHP]",
    "[PATH=/var/www/a]",
    "<VirtualHost *:80>",
    "</VirtualHost>",
    "</IfModule>",
    "<Directory />",
    "sendmail_path = /bin/evil",
    "php_admin_value sendmail_path /bin/evil",
    "mail",
    "On",
    "\"\"",
    "é",
    "日本語",
    "🦀",
];
