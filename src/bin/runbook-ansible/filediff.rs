//! Ansible's diff mode: one `{before_header, after_header, before, after}` per changed file.
//!
//! runbook's plan carries each edit as a unified diff, not the whole file; Ansible's diff
//! callback wants both texts. The file on the host is one of them (before the change in
//! check mode, after it once applied); the other is that text with the plan's hunks
//! applied forwards or backwards. Where that does not fit (a crontab as `crontab -l`
//! lists it, a file changed meanwhile, one too large to show), the entry carries
//! runbook's own diff as `prepared`, which the callback prints as it is.
use serde_json::{Value, json};
use std::path::Path;

/// Whole texts larger than this are not sent back (Ansible's own modules stop near 100 KiB).
const MAX_TEXT: usize = 1 << 20;

/// One entry per file, in the order the plan first touches it; `done`: the change has
/// been made, so the host holds the after side.
pub fn entries(root: &Path, diffs: &[(String, String)], done: bool) -> Vec<Value> {
    let mut files: Vec<(&str, Vec<&str>)> = Vec::new();
    for (file, diff) in diffs {
        match files.iter_mut().find(|(f, _)| f == file) {
            Some((_, list)) => list.push(diff),
            None => files.push((file, vec![diff])),
        }
    }
    files
        .into_iter()
        .map(|(file, list)| entry(root, file, &list, done))
        .collect()
}

fn entry(root: &Path, file: &str, diffs: &[&str], done: bool) -> Value {
    let whole = std::fs::read(root.join(file.trim_start_matches('/')))
        .ok()
        .filter(|bytes| bytes.len() <= MAX_TEXT)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|now| {
            if done {
                let before = diffs
                    .iter()
                    .rev()
                    .try_fold(now.clone(), |text, d| patch(&text, d, true))?;
                Some((before, now))
            } else {
                let after = diffs
                    .iter()
                    .try_fold(now.clone(), |text, d| patch(&text, d, false))?;
                Some((now, after))
            }
        });
    match whole {
        Some((before, after)) => json!({
            "before_header": file, "after_header": file, "before": before, "after": after,
        }),
        None => json!({ "prepared": diffs.concat() }),
    }
}

/// `text` with a unified diff's hunks applied (`reverse`: undone), or None when a line
/// the diff expects is not there.
pub fn patch(text: &str, diff: &str, reverse: bool) -> Option<String> {
    let source: Vec<&str> = text.split_inclusive('\n').collect();
    let (take, give) = if reverse { ('+', '-') } else { ('-', '+') };
    let mut out = String::with_capacity(text.len());
    let mut at = 0; // next source line to copy
    // Lines with their ends: a CRLF file's diff keeps its `\r`.
    let mut lines = diff.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let Some(header) = line.trim_end().strip_prefix("@@ ") else {
            continue;
        };
        let start = hunk_start(header, reverse)?;
        // `-l,0` names the line before an insertion; lines count from 1.
        let start = if hunk_len(header, reverse)? == 0 {
            start
        } else {
            start.checked_sub(1)?
        };
        if start < at || start > source.len() {
            return None;
        }
        source[at..start].iter().for_each(|l| out.push_str(l));
        at = start;
        while let Some(body) = lines.peek().copied() {
            let Some(kind) = body.chars().next().filter(|c| matches!(c, ' ' | '-' | '+')) else {
                break;
            };
            lines.next();
            let mut content = body[1..].to_string();
            if !content.ends_with('\n') {
                content.push('\n');
            }
            if lines.peek().is_some_and(|next| next.starts_with('\\')) {
                lines.next();
                content.pop();
            }
            if kind == ' ' || kind == take {
                if source.get(at) != Some(&content.as_str()) {
                    return None;
                }
                at += 1;
            }
            if kind == ' ' || kind == give {
                out.push_str(&content);
            }
        }
    }
    source[at..].iter().for_each(|l| out.push_str(l));
    Some(out)
}

/// The start line of the side being read: `-a,b +c,d`; `reverse` reads the `+` side.
fn hunk_start(header: &str, reverse: bool) -> Option<usize> {
    side(header, reverse)?.split(',').next()?.parse().ok()
}

fn hunk_len(header: &str, reverse: bool) -> Option<usize> {
    let range = side(header, reverse)?;
    Some(match range.split_once(',') {
        Some((_, len)) => len.parse().ok()?,
        None => 1,
    })
}

fn side(header: &str, reverse: bool) -> Option<&str> {
    let mut parts = header.split_whitespace();
    let old = parts.next()?.strip_prefix('-')?;
    let new = parts.next()?.strip_prefix('+')?;
    Some(if reverse { new } else { old })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "a\nb\nc\nd\ne\nf\ng\nh\n";
    const AFTER: &str = "a\nB\nc\nd\ne\nf\ng\nh\nnew\n";
    const DIFF: &str =
        "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -8,1 +8,2 @@\n h\n+new\n";

    #[test]
    fn hunks_apply_both_ways() {
        assert_eq!(patch(BEFORE, DIFF, false).as_deref(), Some(AFTER));
        assert_eq!(patch(AFTER, DIFF, true).as_deref(), Some(BEFORE));
    }

    #[test]
    fn a_file_that_does_not_match_is_refused() {
        assert_eq!(patch("a\nx\nc\n", DIFF, false), None);
        assert_eq!(patch("a\n", DIFF, false), None);
    }

    #[test]
    fn insertions_into_empty_files_and_missing_final_newlines() {
        let diff = "@@ -0,0 +1,1 @@\n+only\n\\ No newline at end of file\n";
        assert_eq!(patch("", diff, false).as_deref(), Some("only"));
        assert_eq!(patch("only", diff, true).as_deref(), Some(""));
    }

    #[test]
    fn crlf_lines_keep_their_carriage_return() {
        let diff = "@@ -1,2 +1,2 @@\n a\r\n-b\r\n+B\r\n";
        assert_eq!(
            patch("a\r\nb\r\n", diff, false).as_deref(),
            Some("a\r\nB\r\n")
        );
        assert_eq!(patch("a\nb\n", diff, false), None);
    }

    #[test]
    fn entries_are_one_per_file_with_whole_texts_or_the_diff() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("x"), BEFORE).unwrap();
        let diffs = [
            ("/x".to_string(), DIFF.to_string()),
            ("/gone".to_string(), DIFF.to_string()),
        ];
        let got = entries(root.path(), &diffs, false);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0]["before"], BEFORE);
        assert_eq!(got[0]["after"], AFTER);
        assert_eq!(got[0]["after_header"], "/x");
        assert_eq!(got[1]["prepared"], DIFF);
    }
}
