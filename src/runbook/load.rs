//! Parse one runbook file with serde-saphyr (strict booleans, leading zeros kept as text).

use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::diagnostic::{Code, Diagnostic, SourceFile, offset_of};
use super::model::Runbook;
use super::spans::SpanIndex;

/// A parsed runbook with its source and the positions of its keys and values.
#[derive(Debug)]
pub struct Loaded {
    pub source: Arc<SourceFile>,
    pub runbook: Runbook,
    pub spans: SpanIndex,
}

impl Loaded {
    /// A diagnostic pointing at the value at `path` (`steps.0.when.param`).
    pub fn at_value(&self, path: &str, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(
            &self.source,
            self.spans.value(path).unwrap_or(0..0),
            code,
            message,
        )
    }

    /// A diagnostic pointing at the key at `path`.
    pub fn at_key(&self, path: &str, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(
            &self.source,
            self.spans.key(path).unwrap_or(0..0),
            code,
            message,
        )
    }
}

static LOCATION_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" at line \d+, column \d+$").unwrap());

/// Parse a runbook; a syntax or shape error becomes one located diagnostic.
pub fn parse(source: SourceFile) -> Result<Loaded, Box<Diagnostic>> {
    let source = Arc::new(source);
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    };
    match serde_saphyr::from_str_with_options::<Runbook>(&source.text, options) {
        Ok(runbook) => Ok(Loaded {
            spans: SpanIndex::build(&source.text),
            runbook,
            source,
        }),
        Err(err) => Err(Box::new(to_diagnostic(&source, &err))),
    }
}

fn to_diagnostic(source: &Arc<SourceFile>, err: &serde_saphyr::Error) -> Diagnostic {
    let full = err.to_string();
    let message = LOCATION_SUFFIX
        .replace(full.lines().next().unwrap_or(""), "")
        .into_owned();
    let code = if message.starts_with("unknown field") {
        Code::UnknownField
    } else if message.starts_with("missing field") {
        Code::MissingField
    } else if matches!(err, serde_saphyr::Error::ExternalMessage { .. }) {
        Code::YamlSyntax
    } else {
        Code::InvalidValue
    };
    let start = err
        .location()
        .map(|l| offset_of(&source.text, l.line() as usize, l.column() as usize))
        .unwrap_or(0);
    // Underline the token at the location: up to the next space, colon or line end.
    let rest = &source.text[start..];
    let len = rest
        .find([':', '\n', ',', '}', ']'])
        .unwrap_or(rest.len())
        .max(1)
        .min(rest.len());
    Diagnostic::at(source, start..start + len, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Loaded, Box<Diagnostic>> {
        parse(SourceFile {
            name: "t.yaml".into(),
            text: text.into(),
        })
    }

    #[test]
    fn unknown_field_points_at_the_key() {
        let err = load("id: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    ini_set: { file: /f, kee: k, value: v }\n")
            .unwrap_err();
        assert_eq!(err.code, Code::UnknownField);
        assert_eq!((err.line, err.column), (6, 26));
        assert!(
            err.message.starts_with("unknown field `kee`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn strict_booleans_reject_yes() {
        let err = load("id: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    run: { argv: [true], mutating: yes }\n")
            .unwrap_err();
        assert_eq!(err.code, Code::InvalidValue);
        assert_eq!(err.line, 6);
    }
}
