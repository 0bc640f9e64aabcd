//! One serde-saphyr error as a located diagnostic, with a hint saying what to do.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::diagnostic::{Code, Diagnostic, SourceFile, offset_of};
use super::model::ACTION_NAMES;
use super::spans::SpanIndex;

static LOCATION_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" at line \d+, column \d+$").unwrap());

/// Whether the text could not be read as YAML at all (rather than as a runbook).
pub fn is_syntax(err: &serde_saphyr::Error) -> bool {
    matches!(err, serde_saphyr::Error::ExternalMessage { .. })
}

/// The byte offset in `text` where `err` is located.
pub fn offset(text: &str, err: &serde_saphyr::Error) -> usize {
    err.location()
        .map(|l| offset_of(text, l.line() as usize, l.column() as usize))
        .unwrap_or(0)
}

/// The diagnostic of `err`, found at byte `offset`; `spans` index the text parsed (the
/// source, or a copy with earlier errors blanked: offsets are the same).
pub fn diagnostic(
    source: &Arc<SourceFile>,
    spans: &SpanIndex,
    err: &serde_saphyr::Error,
    offset: usize,
) -> Diagnostic {
    let full = err.to_string();
    let message = LOCATION_SUFFIX
        .replace(full.lines().next().unwrap_or(""), "")
        .into_owned();
    let code = if message.starts_with("unknown field") {
        Code::UnknownField
    } else if message.starts_with("missing field") {
        Code::MissingField
    } else if is_syntax(err) {
        Code::YamlSyntax
    } else {
        Code::InvalidValue
    };
    let d = Diagnostic::at(source, token(&source.text, offset), code, message);
    match err {
        serde_saphyr::Error::SerdeUnknownField {
            field, expected, ..
        } => match unknown_field_help(spans, offset, field, expected) {
            Some(help) => d.help(help),
            None => d,
        },
        _ => d,
    }
}

/// The token at `start`: up to the next colon, comma, bracket or line end.
fn token(text: &str, start: usize) -> std::ops::Range<usize> {
    let rest = &text[start.min(text.len())..];
    let len = rest
        .find([':', '\n', ',', '}', ']'])
        .unwrap_or(rest.len())
        .max(1)
        .min(rest.len());
    start..start + len
}

/// The field an unknown `field` was likely meant to be, among the `expected` ones.
pub fn meant<'n>(field: &str, expected: &[&'n str]) -> Option<&'n str> {
    super::validate::closest(field, expected.iter().copied())
}

/// "did you mean", or for a step the actions there are.
fn unknown_field_help(
    spans: &SpanIndex,
    offset: usize,
    field: &str,
    expected: &[&str],
) -> Option<String> {
    if let Some(best) = meant(field, expected) {
        return Some(format!("did you mean `{best}`?"));
    }
    let in_step = spans.key_starting_at(offset).is_some_and(|path| {
        let parts: Vec<&str> = path.split('.').collect();
        parts.len() == 3 && parts[0] == "steps"
    });
    in_step.then(|| {
        format!(
            "a step's action is one of: {}",
            ACTION_NAMES
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}
