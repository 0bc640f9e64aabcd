//! Parse one runbook file with serde-saphyr (strict booleans, leading zeros kept as text).
//! A file that does not deserialize is read again for every error (`recover`).

use std::sync::Arc;

use super::diagnostic::{Code, Diagnostic, SourceFile};
use super::model::Runbook;
use super::recover;
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

/// Parse a runbook; a syntax error becomes one located diagnostic, shape errors one each.
pub fn parse(source: SourceFile) -> Result<Loaded, Vec<Diagnostic>> {
    let source = Arc::new(source);
    match strict(&source.text) {
        Ok(runbook) => Ok(Loaded {
            spans: SpanIndex::build(&source.text),
            runbook,
            source,
        }),
        Err(err) => Err(recover::shape_errors(&source, err)),
    }
}

/// The runbook in `text`, deserialized as the format says: strict booleans (`yes` is
/// text), leading zeros kept as text (`0644`).
pub fn strict(text: &str) -> Result<Runbook, serde_saphyr::Error> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<Runbook>(text, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first diagnostic of a text that does not load.
    fn load(text: &str) -> Result<Loaded, Box<Diagnostic>> {
        parse(SourceFile {
            name: "t.yaml".into(),
            text: text.into(),
        })
        .map_err(|mut all| Box::new(all.remove(0)))
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
