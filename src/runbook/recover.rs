//! Every shape error of a runbook, not only the first. The deserializer stops at the
//! first unknown field, missing field or wrong type, so after each one the offending
//! entry (an unknown key) or item (the step, check, param or handler holding the error)
//! is blanked out with spaces, which keeps every line, column and byte offset, and the
//! text is parsed again. Deserializing the text again, rather than a generic tree of it,
//! keeps YAML's own typing (`value: 0` is text for a text field) and the same messages.

use std::ops::Range;
use std::sync::Arc;

use serde_saphyr::granit_parser::Parser;

use super::diagnostic::{Diagnostic, SourceFile};
use super::load::strict;
use super::spans::SpanIndex;
use super::yaml_error;

/// Enough for any file a person fixes by hand; bounds the re-parsing.
const MAX_ERRORS: usize = 100;

/// The diagnostics of a runbook text that does not deserialize, `first` its first error.
pub fn shape_errors(source: &Arc<SourceFile>, first: serde_saphyr::Error) -> Vec<Diagnostic> {
    // A syntax error met only after blanking is one the blanking made, unless the
    // file has one of its own.
    let syntax_ok = Parser::new_from_str(&source.text).all(|event| event.is_ok());
    let mut text = source.text.clone();
    let mut err = first;
    let mut out = Vec::new();
    // Fields already reported (misspelled, or of the wrong type, and blanked), by the
    // range of their mapping: that they are then missing is no news.
    let mut reported: Vec<(Range<usize>, String)> = Vec::new();
    loop {
        let spans = SpanIndex::build(&text);
        let offset = yaml_error::offset(&text, &err);
        let known = match &err {
            serde_saphyr::Error::SerdeMissingField { field, .. } => reported
                .iter()
                .any(|(range, f)| f == field && range.contains(&offset)),
            _ => false,
        };
        if !known {
            out.push(yaml_error::diagnostic(source, &spans, &err, offset));
        }
        if yaml_error::is_syntax(&err) || out.len() >= MAX_ERRORS {
            break;
        }
        let Some(path) = blanked_path(&spans, &err, offset) else {
            break; // a top-level field is missing: nothing to go on with
        };
        if let (Some(field), Some(mapping)) = (reported_field(path, &err), parent(&spans, path)) {
            reported.push((mapping.start..mapping.end + 1, field));
        }
        let Some((range, filler)) = entry(&text, &spans, path) else {
            break;
        };
        if text[range.clone()].trim().is_empty() {
            break; // no progress
        }
        blank(&mut text, range, filler);
        match strict(&text) {
            Ok(_) => break,
            Err(e) if yaml_error::is_syntax(&e) && syntax_ok => break,
            Err(e) => err = e,
        }
    }
    out
}

/// What to blank after `err`: the entry of an unknown key or of a value of the wrong
/// type, else the item (step, check, param, handler) holding the error.
fn blanked_path<'s>(
    spans: &'s SpanIndex,
    err: &serde_saphyr::Error,
    offset: usize,
) -> Option<&'s str> {
    match err {
        serde_saphyr::Error::SerdeUnknownField { .. } => spans.key_starting_at(offset),
        _ => spans
            .value_starting_at(offset)
            .filter(|path| spans.key_exact(path).is_some()),
    }
    .or_else(|| spans.item_at(offset))
}

/// The field that blanking `path` leaves missing though it was reported: the one a
/// misspelled key was meant to be, or the key whose value was wrong.
fn reported_field(path: &str, err: &serde_saphyr::Error) -> Option<String> {
    match err {
        serde_saphyr::Error::SerdeUnknownField {
            field, expected, ..
        } => yaml_error::meant(field, expected).map(str::to_string),
        _ => Some(path.rsplit_once('.').map_or(path, |(_, f)| f).to_string()),
    }
}

/// The range of the mapping or list holding `path`.
fn parent(spans: &SpanIndex, path: &str) -> Option<Range<usize>> {
    spans.value_exact(path.rsplit_once('.').map_or("", |(p, _)| p))
}

/// The text of the entry or element at `path`, with a flow collection's comma after it.
fn entry(text: &str, spans: &SpanIndex, path: &str) -> Option<(Range<usize>, &'static str)> {
    let value = spans.value_exact(path)?;
    let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
    let (start, element) = match spans.key_exact(path) {
        Some(key) => (key.start, false),
        None => (dash_before(text, value.start).unwrap_or(value.start), true),
    };
    let mut end = value.end;
    let after = &text[end..];
    let rest = after.trim_start();
    if rest.starts_with(',') {
        end += after.len() - rest.len() + 1;
    }
    let parent_text = &text[spans.value_exact(parent)?.start..];
    let flow = parent_text.starts_with(['[', '{']);
    let filler = match (flow, spans.children(parent)) {
        (false, 1) if element => "[]",
        (false, 1) => "{}",
        _ => "",
    };
    Some((start..end, filler))
}

/// The `-` that opens the block list element starting at `start`, if it is one.
fn dash_before(text: &str, start: usize) -> Option<usize> {
    if text[start..].starts_with('-') {
        return Some(start);
    }
    let before = text[..start].trim_end();
    before.ends_with('-').then(|| before.len() - 1)
}

/// Spaces over `range` (as many as each character's bytes; line ends kept), `filler` first.
fn blank(text: &mut String, range: Range<usize>, filler: &str) {
    let mut blanked: String = text[range.clone()]
        .chars()
        .map(|c| match c {
            '\n' | '\r' => c.to_string(),
            _ => " ".repeat(c.len_utf8()),
        })
        .collect();
    if filler.len() <= blanked.len() && !blanked[..filler.len()].contains('\n') {
        blanked.replace_range(..filler.len(), filler);
    }
    text.replace_range(range, &blanked);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(usize, usize, String)> {
        let source = Arc::new(SourceFile {
            name: "t.yaml".into(),
            text: text.into(),
        });
        let Err(first) = strict(text) else {
            return Vec::new();
        };
        shape_errors(&source, first)
            .into_iter()
            .map(|d| (d.line, d.column, d.message))
            .collect()
    }

    #[test]
    fn every_step_and_every_unknown_key_is_reported() {
        let found = errors(
            "id: x\ntitle: t\nstepz: 1\nsteps:\n  - id: a\n    titel: A\n    manual: { txt: a, text: b }\n  - id: b\n    title: B\n    run: { argv: x, mutating: false }\n  - { id: c, title: C, shell: { script: s, mutating: true, tiemout: 1s } }\n",
        );
        let lines: Vec<(usize, usize)> = found.iter().map(|(l, c, _)| (*l, *c)).collect();
        assert_eq!(
            lines,
            [(3, 1), (6, 5), (7, 15), (10, 18), (11, 60)],
            "{found:?}"
        );
    }

    #[test]
    fn a_blanked_only_element_leaves_an_empty_list() {
        let found = errors("id: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    kee: 1\n");
        assert_eq!(found.len(), 1, "{found:?}");
        let found = errors("id: x\ntitle: t\nsteps:\n  - id: a\n    title: [A]\n");
        assert_eq!(found.len(), 1, "{found:?}");
        let found = errors("id: x\ntitle: t\nhandlers:\n  h:\n    titl: x\n");
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn a_missing_top_level_field_comes_after_the_items() {
        let found = errors("id: x\nsteps:\n  - id: a\n    title: A\n    kee: 1\n");
        let messages: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
        assert_eq!(messages.len(), 2, "{found:?}");
        assert!(
            messages[1].starts_with("missing field `title`"),
            "{found:?}"
        );
    }
}
