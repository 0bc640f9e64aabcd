//! Located diagnostics with stable codes, rendered like compiler errors or as JSON.

use std::ops::Range;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use serde::Serialize;

/// A runbook file's text and the name it is shown under.
#[derive(Debug)]
pub struct SourceFile {
    /// A path, or `builtin:NAME.yaml` for runbooks embedded in the binary.
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Stable diagnostic codes: scripts may match on them, so never renumber.
pub mod code {
    pub const YAML_SYNTAX: &str = "RB001";
    pub const UNKNOWN_FIELD: &str = "RB002";
    pub const INVALID_VALUE: &str = "RB003";
    pub const MISSING_FIELD: &str = "RB004";
    pub const DUPLICATE_RUNBOOK: &str = "RB010";
    pub const DUPLICATE_ID: &str = "RB011";
    pub const ACTION_COUNT: &str = "RB012";
    pub const CONDITION_SHAPE: &str = "RB013";
    pub const STEP_FIELDS: &str = "RB014";
    pub const UNDEFINED_PARAM: &str = "RB020";
    pub const UNKNOWN_FACT: &str = "RB021";
    pub const UNDEFINED_HANDLER: &str = "RB022";
    pub const UNDEFINED_INCLUDE: &str = "RB023";
    pub const INCLUDE_CYCLE: &str = "RB024";
    pub const UNDEFINED_CHECK: &str = "RB025";
    pub const UNKNOWN_ITEM: &str = "RB026";
    pub const TEMPLATE_SYNTAX: &str = "RB030";
    pub const TEMPLATE_UNRESOLVED: &str = "RB031";
    pub const TEMPLATE_TRIPLE_BRACE: &str = "RB032";
    pub const PARAM_DECLARATION: &str = "RB040";
    pub const INVALID_REGEX: &str = "RB041";
    pub const INVALID_DURATION: &str = "RB042";
    pub const INCLUDE_PARAMS: &str = "RB043";
    pub const MISSING_SCHEMA_MODELINE: &str = "RB050";
    pub const IO: &str = "RB090";
    pub const SHELL_SCRIPT_TEMPLATE: &str = "RB091";
    pub const PROGRAM_TEMPLATE: &str = "RB092";
    pub const SECRET_IN_ARGV: &str = "RB095";
    pub const ENV_NAME: &str = "RB096";
    pub const SECRET_TO_PLAIN_PARAM: &str = "RB097";
}

/// One problem in one file.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip)]
    source: Option<Arc<SourceFile>>,
    #[serde(skip)]
    range: Range<usize>,
}

impl Diagnostic {
    /// An error at a byte range of a source file.
    pub fn at(
        source: &Arc<SourceFile>,
        range: Range<usize>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_column(&source.text, range.start);
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            file: source.name.clone(),
            line,
            column,
            help: None,
            source: Some(source.clone()),
            range,
        }
    }

    /// An error about a file as a whole (unreadable, say).
    pub fn file(name: &str, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            file: name.to_string(),
            line: 1,
            column: 1,
            help: None,
            source: None,
            range: 0..0,
        }
    }

    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column: error[CODE]: message`, then the source line with a caret.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut out = format!("{}:{}:{}: ", self.file, self.line, self.column);
        let title = level.primary_title(self.message.as_str()).id(self.code);
        let mut group = match &self.source {
            Some(source) => {
                let len = source.text.len();
                let start = self.range.start.min(len);
                let end = self.range.end.clamp(start, len);
                title.element(
                    Snippet::source(source.text.as_str())
                        .path(self.file.as_str())
                        .fold(true)
                        .annotation(AnnotationKind::Primary.span(start..end)),
                )
            }
            None => title.element(Level::NOTE.message(format!("in {}", self.file))),
        };
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        out.push_str(&renderer.render(&[group]));
        out
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Byte offset of a 1-based line and (character) column.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(b, _)| b)
            .unwrap_or(rest.len())
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_and_offset_round_trip() {
        let text = "a: 1\nbé: 2\n";
        let off = offset_of(text, 2, 3);
        assert_eq!(&text[off..off + 1], ":");
        assert_eq!(line_column(text, off), (2, 3));
    }
}
