//! One serde-saphyr error as a located diagnostic, with a hint saying what to do.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::diagnostic::{Code, Diagnostic, SourceFile, offset_of};
use super::model::ACTION_NAMES;
use super::schema_fields::{self, Expected};
use super::spans::SpanIndex;
use super::syntax_hint;

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
    let text = &source.text;
    let (range, message, help) = match err {
        serde_saphyr::Error::SerdeUnknownField {
            field, expected, ..
        } => (
            token(text, offset),
            message,
            unknown_field_help(spans, offset, field, expected),
        ),
        serde_saphyr::Error::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            token(text, offset),
            message,
            meant(variant, expected).map(|best| format!("did you mean `{best}`?")),
        ),
        serde_saphyr::Error::InvalidBooleanStrict { .. } => (
            token(text, offset),
            message,
            Some("write `true` or `false`".into()),
        ),
        serde_saphyr::Error::Unexpected { expected, .. } => {
            match wrong_shape(text, spans, offset, expected) {
                Some((message, help)) => (token(text, offset), message, help),
                None => (token(text, offset), message, None),
            }
        }
        _ if is_syntax(err) => match syntax_hint::hint(text, offset, &message) {
            // The one character the hint points at (a tab), or the token at the error.
            Some(hint) => (
                hint.at.map_or_else(|| token(text, offset), |at| at..at + 1),
                hint.message.unwrap_or(message),
                Some(hint.help),
            ),
            None => (token(text, offset), message, None),
        },
        _ => (token(text, offset), message, None),
    };
    let d = Diagnostic::at(source, range, code, message);
    match help {
        Some(help) => d.help(help),
        None => d,
    }
}

/// A scalar or list where a mapping belongs, or the other way round: what was written,
/// and the shape the format wants there with its field names.
fn wrong_shape(
    text: &str,
    spans: &SpanIndex,
    offset: usize,
    expected: &str,
) -> Option<(String, Option<String>)> {
    let path = spans.value_starting_at(offset)?;
    let want = match expected {
        "mapping start" => "a mapping",
        "sequence start" => "a list",
        _ => return None,
    };
    let rest = &text[offset..];
    let found = if rest.starts_with(['[', '-']) {
        "a list"
    } else if rest.starts_with('{') {
        "a mapping"
    } else if rest.trim_start().is_empty() || rest.starts_with(['\n', '#']) {
        "empty"
    } else {
        "a string"
    };
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let element = key.parse::<usize>().is_ok();
    let message = if element {
        format!("each element of `{parent}` is {want}, not {found}")
    } else {
        format!("`{key}:` takes {want}, not {found}")
    };
    let written = if element {
        "- ".to_string()
    } else {
        format!("{key}: ")
    };
    let help = match schema_fields::expected_at(path) {
        Some(Expected::Fields { required, optional }) if !required.is_empty() => {
            let fields: Vec<String> = required.iter().map(|f| format!("{f}: ...")).collect();
            let others = if optional.is_empty() {
                String::new()
            } else {
                format!(" (other fields: {})", optional.join(", "))
            };
            Some(format!(
                "write `{written}{{ {} }}`{others}",
                fields.join(", ")
            ))
        }
        Some(Expected::Fields { optional, .. }) => Some(format!(
            "write `{written}{{ ... }}` with one or more of: {}",
            optional.join(", ")
        )),
        Some(Expected::List) => Some(format!(
            "write `{written}[a, b]`, or one `- ...` line per element"
        )),
        Some(Expected::Names) => Some(format!("write one `NAME: ...` per line under `{key}:`")),
        Some(Expected::Other) | None => None,
    };
    Some((message, help))
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
