//! What to do about a YAML syntax error: the parser's words name its state ("mapping
//! values are not allowed in this context"), not the usual mistakes behind it, a tab or a
//! line indented too little or too much.

/// A better place, message and help for one syntax error.
#[derive(Debug, PartialEq)]
pub struct Hint {
    /// Where the mistake is, when the parser noticed it elsewhere (a tab).
    pub at: Option<usize>,
    pub message: Option<String>,
    pub help: String,
}

const INDENT_HELP: &str = "check the indentation: the keys of one mapping, and the `-` of one list, start in the same column, further right than the key they belong to";

/// The hint for the parser's `message` about the text at byte `offset`.
pub fn hint(text: &str, offset: usize, message: &str) -> Option<Hint> {
    if message.contains("tab") {
        return Some(match indenting_tab(text, offset) {
            Some(at) => Hint {
                at: Some(at),
                message: Some("a tab indents this line: YAML forbids tabs for indentation".into()),
                help: "indent with spaces, as many as the lines around it".into(),
            },
            None => Hint {
                at: tab_on_line(text, offset),
                message: None,
                help: "replace the tab with spaces".into(),
            },
        });
    }
    if message.contains("mapping values are not allowed") {
        return Some(Hint {
            at: None,
            message: None,
            help: format!(
                "{INDENT_HELP}; a value that holds `: ` must be quoted (`text: \"Note: ...\"`)"
            ),
        });
    }
    if message.contains("while parsing a flow") {
        return Some(Hint {
            at: None,
            message: None,
            help: "inside `{ ... }` and `[ ... ]`, quote a value that holds `: `, `,` or a bracket (`{ text: \"Note: ...\" }`)".into(),
        });
    }
    let indentation = [
        "did not find expected key",
        "did not find expected '-' indicator",
        "block sequence entries are not allowed",
        "invalid indentation",
        "wrongly indented",
    ];
    indentation
        .iter()
        .any(|m| message.contains(m))
        .then(|| Hint {
            at: None,
            message: None,
            help: INDENT_HELP.into(),
        })
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// A tab in the indentation of the error's line or the next two: the parser may stop at
/// the scalar before the line the tab indents.
fn indenting_tab(text: &str, offset: usize) -> Option<usize> {
    let mut at = line_start(text, offset);
    for line in text[at..].split_inclusive('\n').take(3) {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(i) = line[..indent].find('\t') {
            return Some(at + i);
        }
        at += line.len();
    }
    None
}

fn tab_on_line(text: &str, offset: usize) -> Option<usize> {
    let start = line_start(text, offset);
    let line = text[start..].split('\n').next().unwrap_or("");
    line.find('\t').map(|i| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tab_is_found_on_a_later_line() {
        let text = "steps:\n  - id: a\n\ttitle: A\n";
        let hint = hint(text, 14, "while scanning a plain scalar, found a tab").unwrap();
        assert_eq!(hint.at, Some(17));
        assert!(hint.message.unwrap().contains("forbids tabs"));
    }

    #[test]
    fn other_errors_have_no_hint() {
        assert_eq!(hint("a: 'x\n", 3, "unclosed quote"), None);
    }
}
