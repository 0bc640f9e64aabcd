//! Host data shown to people with its control characters made visible.
//!
//! Queue headers, file names, log lines and config files are written by whoever broke
//! into a site. Printed raw, `ESC [2J`, a carriage return or a right-to-left override
//! in an `X-PHP-Originating-Script` header clears the screen or rewrites what the
//! operator reads ("All clear"). Every human rendering of host data goes through
//! [`escape`] (one-line fields) or [`escape_text`] (multi-line text); JSON output keeps
//! the exact bytes.

use std::fmt::Write;

/// Control and invisible formatting characters as visible escapes: `\x1b`, `\r`, `\n`,
/// `\t`, `\u{85}`, `\u{202e}`. Everything else is kept as it is.
pub fn escape(text: &str) -> String {
    escape_with(text, false)
}

/// Like [`escape`], but line breaks and tabs stay: for multi-line text (diffs, error
/// messages, Markdown) whose lines are meant to be lines.
pub fn escape_text(text: &str) -> String {
    escape_with(text, true)
}

fn escape_with(text: &str, keep_lines: bool) -> String {
    if !text.chars().any(|c| needs_escape(c, keep_lines)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !needs_escape(c, keep_lines) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    out
}

fn needs_escape(c: char, keep_lines: bool) -> bool {
    if keep_lines && (c == '\n' || c == '\t') {
        return false;
    }
    // C0, DEL and C1 controls.
    c.is_control()
        // Bidirectional marks, embeddings, overrides and isolates.
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        // Line and paragraph separators, zero-width characters and the BOM.
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(
            escape("a\x1b[2Jb\rc\x07d\x08e"),
            "a\\x1b[2Jb\\rc\\x07d\\x08e"
        );
        assert_eq!(escape("x\u{85}y\u{9b}z"), "x\\u{85}y\\u{9b}z");
        assert_eq!(escape("evil\u{202e}php.txt"), "evil\\u{202e}php.txt");
        assert_eq!(escape("a\nb\tc\x7f"), "a\\nb\\tc\\x7f");
        assert_eq!(
            escape("\u{2066}\u{200b}\u{feff}"),
            "\\u{2066}\\u{200b}\\u{feff}"
        );
    }

    #[test]
    fn plain_text_and_other_scripts_are_kept() {
        for text in [
            "tools.php",
            "gsdjkjhkll.php(2) : eval()'d code",
            "Привет, 日本語",
            r"C:\x1b \d+",
        ] {
            assert_eq!(escape(text), text);
        }
    }

    #[test]
    fn text_keeps_its_lines() {
        assert_eq!(escape_text("a\nb\tc\r\n\x1b"), "a\nb\tc\\r\n\\x1b");
    }
}
