//! Generic line edits, like Ansible's `lineinfile` and `replace`; also the line
//! splitting the ini and Apache editors share.
//!
//! Every edit keeps the other lines byte for byte, writes new lines with the file's own
//! line ending, and keeps a missing final newline missing.

use regex::Regex;

use super::error::EditError;

/// One physical line: its text and its terminator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Line<'a> {
    pub text: &'a str,
    /// `"\n"`, `"\r\n"`, or `""` for a last line without one.
    pub eol: &'a str,
}

impl Line<'_> {
    /// The line as it stands in the file, terminator included.
    pub fn raw(&self) -> String {
        format!("{}{}", self.text, self.eol)
    }
}

/// Split `text` into lines; concatenating their `raw()` gives `text` back.
pub(super) fn split(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .map(|raw| {
            let body = raw
                .strip_suffix("\r\n")
                .or_else(|| raw.strip_suffix('\n'))
                .unwrap_or(raw);
            Line {
                text: body,
                eol: &raw[body.len()..],
            }
        })
        .collect()
}

/// The line ending new lines get: the file's first one, `\n` for a file without any.
pub(super) fn eol_style(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// `text` with `new` as its last line. A file that lacks a final newline still lacks
/// one afterwards: the newline goes before the new line instead (an empty last line
/// cannot exist without one, so that alone gets one).
pub(super) fn append(text: &str, new: &str) -> String {
    let eol = eol_style(text);
    if text.is_empty() || text.ends_with('\n') {
        format!("{text}{new}{eol}")
    } else if new.is_empty() {
        format!("{text}{eol}{eol}")
    } else {
        format!("{text}{eol}{new}")
    }
}

/// `text` with `new` inserted as a line before line `at` (0-based), or appended when
/// `at` is past the last line.
pub(super) fn insert(text: &str, lines: &[Line], at: usize, new: &str) -> String {
    if at >= lines.len() {
        return append(text, new);
    }
    // The line before has a terminator (it is not the last); reuse it for a mixed file.
    let eol = match at.checked_sub(1) {
        Some(prev) => lines[prev].eol,
        None => eol_style(text),
    };
    let mut out: String = lines[..at].iter().map(Line::raw).collect();
    out.push_str(new);
    out.push_str(eol);
    out.extend(lines[at..].iter().map(Line::raw));
    out
}

/// `text` with line `at` (0-based) made to read `new`, its terminator kept (an empty
/// last line gets one, or it would vanish).
pub(super) fn rewrite(lines: &[Line], at: usize, new: &str) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i != at {
            out.push_str(l.text);
            out.push_str(l.eol);
            continue;
        }
        out.push_str(new);
        let eol = match (new.is_empty(), l.eol) {
            (true, "") => lines
                .iter()
                .map(|l| l.eol)
                .find(|e| !e.is_empty())
                .unwrap_or("\n"),
            (_, eol) => eol,
        };
        out.push_str(eol);
    }
    out
}

/// Refuse text meant to stay one line: a CR or LF would start another line (another
/// directive), and a NUL or other control character is read differently by different
/// parsers, or hidden on a terminal. Tabs are ordinary spacing.
pub(super) fn check_single_line(text: &str) -> Result<(), EditError> {
    if text.contains(['\n', '\r']) {
        return Err(EditError::MultilineValue);
    }
    if text.chars().any(|c| c.is_control() && c != '\t') {
        return Err(EditError::ControlCharacter(text.to_string()));
    }
    Ok(())
}

/// Make `line` present.
///
/// With `regex`, the last line it matches becomes `line`. Without a match, or without a
/// regex, `line` is appended unless an identical line exists. When `line` itself does
/// not match `regex`, an identical line after the last match counts as done: otherwise
/// a second run would rewrite an earlier match too.
///
/// `line` must be one line of printable text (see `check_single_line`).
pub fn ensure_present(text: &str, line: &str, regex: Option<&Regex>) -> Result<String, EditError> {
    check_single_line(line)?;
    let lines = split(text);
    let last_match = regex.and_then(|re| lines.iter().rposition(|l| re.is_match(l.text)));
    Ok(match last_match {
        Some(m) if lines[m..].iter().any(|l| l.text == line) => text.to_string(),
        Some(m) => rewrite(&lines, m, line),
        None if lines.iter().any(|l| l.text == line) => text.to_string(),
        None => append(text, line),
    })
}

/// Drop every line `regex` matches.
pub fn ensure_absent(text: &str, regex: &Regex) -> String {
    let lines = split(text);
    let kept: Vec<&Line> = lines.iter().filter(|l| !re_match(regex, l)).collect();
    if kept.len() == lines.len() {
        return text.to_string();
    }
    let mut out: String = kept.iter().map(|l| l.raw()).collect();
    // A file without a final newline keeps lacking one when its last line goes (an
    // empty last line cannot lose its newline: it would vanish).
    if let Some(last) = kept
        .last()
        .filter(|l| !text.ends_with('\n') && !l.text.is_empty())
    {
        out.truncate(out.len() - last.eol.len());
    }
    out
}

fn re_match(regex: &Regex, line: &Line) -> bool {
    regex.is_match(line.text)
}

/// Replace every match of `regex` by `replacement` (`$1`, `${name}` expand as in the
/// regex crate), line by line so that `^` and `$` anchor to each line. `replacement`
/// must be one line of printable text, so that every line stays one line; groups only
/// copy text from the line they match.
pub fn replace(text: &str, regex: &Regex, replacement: &str) -> Result<String, EditError> {
    check_single_line(replacement)?;
    let lines = split(text);
    let mut out = String::with_capacity(text.len());
    for l in &lines {
        out.push_str(&regex.replace_all(l.text, replacement));
        out.push_str(l.eol);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn re(pattern: &str) -> Regex {
        Regex::new(pattern).unwrap()
    }

    fn present(text: &str, line: &str, regex: Option<&Regex>) -> String {
        ensure_present(text, line, regex).unwrap()
    }

    fn repl(text: &str, regex: &Regex, with: &str) -> String {
        replace(text, regex, with).unwrap()
    }

    /// A few real lines from Debian's php.ini, the kind of file these edits target.
    const PHP: &str = "[mail function]\n; https://php.net/sendmail-path\n;sendmail_path =\nmail.add_x_header = Off\n";

    #[test]
    fn split_gives_the_text_back() {
        for text in ["", "a", "a\n", "a\r\nb", "a\n\r\nb\r\n", "\n\n", "x\r"] {
            let joined: String = split(text).iter().map(Line::raw).collect();
            assert_eq!(joined, text);
        }
        assert_eq!(
            split("a\r\nb"),
            vec![
                Line {
                    text: "a",
                    eol: "\r\n"
                },
                Line { text: "b", eol: "" }
            ]
        );
    }

    #[test]
    fn eol_style_follows_the_first_line_ending() {
        assert_eq!(eol_style("a\r\nb\n"), "\r\n");
        assert_eq!(eol_style("a\nb\r\n"), "\n");
        assert_eq!(eol_style("no newline"), "\n");
    }

    #[test]
    fn present_replaces_the_last_match() {
        let out = present(
            PHP,
            "mail.add_x_header = On",
            Some(&re(r"^;?\s*mail\.add_x_header\s*=")),
        );
        assert_eq!(
            out,
            "[mail function]\n; https://php.net/sendmail-path\n;sendmail_path =\nmail.add_x_header = On\n"
        );
        assert_eq!(
            present(&out, "mail.add_x_header = On", Some(&re("add_x_header"))),
            out
        );
    }

    #[test]
    fn present_appends_without_a_match() {
        let out = present(PHP, "mail.log = syslog", Some(&re("^mail\\.log")));
        assert_eq!(out, format!("{PHP}mail.log = syslog\n"));
        assert_eq!(
            present(&out, "mail.log = syslog", Some(&re("^mail\\.log"))),
            out
        );
    }

    #[test]
    fn present_without_regex_appends_once() {
        let out = present(PHP, "mail.log = syslog", None);
        assert_eq!(out, format!("{PHP}mail.log = syslog\n"));
        assert_eq!(present(&out, "mail.log = syslog", None), out);
        assert_eq!(present(PHP, ";sendmail_path =", None), PHP);
    }

    #[test]
    fn present_is_idempotent_when_the_line_does_not_match_the_regex() {
        let text = "#a=1\n#a=2\n";
        let once = present(text, "a=3", Some(&re("^#a=")));
        assert_eq!(once, "#a=1\na=3\n");
        assert_eq!(present(&once, "a=3", Some(&re("^#a="))), once);
    }

    #[test]
    fn present_keeps_crlf_and_a_missing_final_newline() {
        assert_eq!(present("a\r\nb\r\n", "c", None), "a\r\nb\r\nc\r\n");
        assert_eq!(present("a\r\nb", "c", None), "a\r\nb\r\nc");
        assert_eq!(present("a\nb", "c", None), "a\nb\nc");
        assert_eq!(present("a\r\nb", "B", Some(&re("^b$"))), "a\r\nB");
        assert_eq!(present("", "c", None), "c\n");
    }

    #[test]
    fn absent_drops_every_match() {
        let text = "a\n# x\nb\n# y\n";
        assert_eq!(ensure_absent(text, &re("^#")), "a\nb\n");
        assert_eq!(ensure_absent(text, &re("^zzz")), text);
        assert_eq!(ensure_absent("# only\n", &re("^#")), "");
    }

    #[test]
    fn absent_keeps_crlf_and_a_missing_final_newline() {
        assert_eq!(ensure_absent("a\r\nx\r\nb\r\n", &re("^x$")), "a\r\nb\r\n");
        assert_eq!(ensure_absent("a\r\nb\r\nx", &re("^x$")), "a\r\nb");
        assert_eq!(ensure_absent("a\nx\nb", &re("^x$")), "a\nb");
    }

    #[test]
    fn replace_anchors_to_lines_and_expands_groups() {
        let text = "sendmail_path = /usr/sbin/sendmail -t -i\r\n;sendmail_path = x\r\n";
        let out = repl(text, &re(r"^(sendmail_path\s*=\s*).*$"), "${1}/bin/true");
        assert_eq!(out, "sendmail_path = /bin/true\r\n;sendmail_path = x\r\n");
        assert_eq!(repl("a1 b2\nc3", &re(r"([a-z])(\d)"), "$2$1"), "1a 2b\n3c");
        assert_eq!(repl(PHP, &re("nothing"), "x"), PHP);
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        let line = prop_oneof![Just(String::new()), "[a-c#; =]{0,6}", "[ -~]{0,20}",];
        super::super::testgen::file_of(line, 12)
    }

    proptest! {
        #[test]
        fn present_twice_is_present_once(
            text in text_strategy(),
            line in "[a-c#; =]{0,6}",
            pattern in prop::option::of(prop_oneof![Just("^a"), Just("b"), Just("^#"), Just("=$")]),
        ) {
            let regex = pattern.map(re);
            let once = present(&text, &line, regex.as_ref());
            prop_assert_eq!(present(&once, &line, regex.as_ref()), once.clone());
            prop_assert!(split(&once).iter().any(|l| l.text == line));
        }

        #[test]
        fn absent_keeps_the_other_lines_in_order(
            text in text_strategy(),
            pattern in prop_oneof![Just("^a"), Just("b"), Just("^#"), Just("=$"), Just("")],
        ) {
            let regex = re(pattern);
            let out = ensure_absent(&text, &regex);
            let kept: Vec<&str> = split(&text).iter().map(|l| l.text).filter(|t| !regex.is_match(t)).collect();
            let got: Vec<&str> = split(&out).iter().map(|l| l.text).collect();
            prop_assert_eq!(got, kept);
            prop_assert_eq!(ensure_absent(&out, &regex), out.clone());
            // Only an empty last line may gain a newline (it cannot exist without one).
            if split(&out).last().is_some_and(|l| !l.text.is_empty()) {
                prop_assert_eq!(out.ends_with('\n'), text.ends_with('\n'));
            }
        }
    }

    // ---- hostile values ----

    use super::super::testgen::hostile_value;

    fn control(c: char) -> bool {
        c.is_control() && c != '\t'
    }

    #[test]
    fn hostile_lines_are_refused_with_a_reason() {
        let text = "a = 1\n";
        let evil = "b = 2\n[PATH=/x]\nsendmail_path = /bin/evil";
        assert_eq!(
            ensure_present(text, evil, None),
            Err(EditError::MultilineValue)
        );
        assert_eq!(
            ensure_present(text, "b\r", None),
            Err(EditError::MultilineValue)
        );
        assert_eq!(
            ensure_present(text, "b\0", None),
            Err(EditError::ControlCharacter("b\0".into()))
        );
        assert_eq!(
            replace(text, &re("1"), "1\nb = 2"),
            Err(EditError::MultilineValue)
        );
        assert_eq!(
            replace(text, &re("1"), "\x1b[2J"),
            Err(EditError::ControlCharacter("\x1b[2J".into()))
        );
        // What is special to a file format is plain text to a line edit.
        assert_eq!(
            present(text, "; [PHP] # \"'\\", None),
            "a = 1\n; [PHP] # \"'\\\n"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A line that is accepted is then in the file exactly as given, and the other
        /// lines are as they were: at most one of them replaced, or one line added.
        #[test]
        fn present_hostile_refuses_or_adds_exactly_that_line(
            text in text_strategy(),
            line in hostile_value(),
            pattern in prop::option::of(prop_oneof![Just("^a"), Just("b"), Just("^#"), Just("=$")]),
        ) {
            let regex = pattern.map(re);
            let out = match ensure_present(&text, &line, regex.as_ref()) {
                Err(e) => {
                    prop_assert!(!e.to_string().contains(control), "{:?}", e.to_string());
                    return Ok(());
                }
                Ok(out) => out,
            };
            let before: Vec<&str> = split(&text).iter().map(|l| l.text).collect();
            let after: Vec<&str> = split(&out).iter().map(|l| l.text).collect();
            prop_assert!(after.contains(&line.as_str()));
            prop_assert!(!after.iter().any(|l| l.contains(control)) || text.contains(control));
            match after.len() as isize - before.len() as isize {
                0 => {
                    let changed: Vec<usize> = (0..after.len()).filter(|&i| after[i] != before[i]).collect();
                    prop_assert!(changed.len() <= 1);
                    if let Some(&i) = changed.first() {
                        prop_assert_eq!(after[i], line.as_str());
                    }
                }
                1 => {
                    prop_assert_eq!(&after[..before.len()], before.as_slice());
                    prop_assert_eq!(after[before.len()], line.as_str());
                }
                n => prop_assert!(false, "{} lines added", n),
            }
        }

        /// A replacement that is accepted keeps every line one line: the same number of
        /// lines, the unmatched ones unchanged.
        #[test]
        fn replace_hostile_refuses_or_keeps_every_line_one_line(
            text in text_strategy(),
            with in hostile_value(),
            pattern in prop_oneof![Just("^a"), Just("b"), Just("^#"), Just("=$"), Just("(a)(b)?")],
        ) {
            let regex = re(pattern);
            let out = match replace(&text, &regex, &with) {
                Err(e) => {
                    prop_assert!(!e.to_string().contains(control), "{:?}", e.to_string());
                    return Ok(());
                }
                Ok(out) => out,
            };
            // No line break added or lost (a last line left empty may lose its place).
            for eol in ['\n', '\r'] {
                prop_assert_eq!(out.matches(eol).count(), text.matches(eol).count());
            }
            let (before, after) = (split(&text), split(&out));
            prop_assert!(!after.iter().any(|l| l.text.contains(control)) || text.contains(control));
            for (b, a) in before.iter().zip(&after) {
                prop_assert_eq!(a.eol, b.eol);
                if !regex.is_match(b.text) {
                    prop_assert_eq!(a.text, b.text);
                }
            }
        }
    }
}
