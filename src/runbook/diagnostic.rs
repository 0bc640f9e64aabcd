//! Located diagnostics with stable codes, rendered like compiler errors or as JSON.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use serde::{Serialize, Serializer};

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

/// Stable diagnostic codes: scripts may match on them, so never renumber or reuse one.
/// docs/json.md lists each with its description (a test checks the two agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// RB001
    YamlSyntax,
    /// RB002
    UnknownField,
    /// RB003
    InvalidValue,
    /// RB004
    MissingField,
    /// RB010
    DuplicateRunbook,
    /// RB011
    DuplicateId,
    /// RB012
    ActionCount,
    /// RB013
    ConditionShape,
    /// RB014
    StepFields,
    /// RB020
    UndefinedParam,
    /// RB021
    UnknownFact,
    /// RB022
    UndefinedHandler,
    /// RB023
    UndefinedInclude,
    /// RB024
    IncludeCycle,
    /// RB025
    UndefinedCheck,
    /// RB026
    UnknownItem,
    /// RB027
    ConditionType,
    /// RB028
    UndefinedChangedStep,
    /// RB030
    TemplateSyntax,
    /// RB031
    TemplateUnresolved,
    /// RB032
    TemplateTripleBrace,
    /// RB033
    FactsFromTemplate,
    /// RB040
    ParamDeclaration,
    /// RB041
    InvalidRegex,
    /// RB042
    InvalidDuration,
    /// RB043
    IncludeParams,
    /// RB050
    MissingSchemaModeline,
    /// RB060
    UnknownLanguage,
    /// RB061
    UndefinedTranslated,
    /// RB062
    TranslationWithoutSource,
    /// RB063
    TranslationTemplate,
    /// RB090
    Io,
    /// RB091
    ShellScriptTemplate,
    /// RB092
    ProgramTemplate,
    /// RB095
    SecretInArgv,
    /// RB096
    EnvName,
    /// RB097
    SecretToPlainParam,
}

impl Code {
    /// Every code, in numeric order.
    pub const ALL: &[Code] = &[
        Code::YamlSyntax,
        Code::UnknownField,
        Code::InvalidValue,
        Code::MissingField,
        Code::DuplicateRunbook,
        Code::DuplicateId,
        Code::ActionCount,
        Code::ConditionShape,
        Code::StepFields,
        Code::UndefinedParam,
        Code::UnknownFact,
        Code::UndefinedHandler,
        Code::UndefinedInclude,
        Code::IncludeCycle,
        Code::UndefinedCheck,
        Code::UnknownItem,
        Code::ConditionType,
        Code::UndefinedChangedStep,
        Code::TemplateSyntax,
        Code::TemplateUnresolved,
        Code::TemplateTripleBrace,
        Code::FactsFromTemplate,
        Code::ParamDeclaration,
        Code::InvalidRegex,
        Code::InvalidDuration,
        Code::IncludeParams,
        Code::MissingSchemaModeline,
        Code::UnknownLanguage,
        Code::UndefinedTranslated,
        Code::TranslationWithoutSource,
        Code::TranslationTemplate,
        Code::Io,
        Code::ShellScriptTemplate,
        Code::ProgramTemplate,
        Code::SecretInArgv,
        Code::EnvName,
        Code::SecretToPlainParam,
    ];

    /// `RB0xx`, as shown in `error[RB0xx]` and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::YamlSyntax => "RB001",
            Code::UnknownField => "RB002",
            Code::InvalidValue => "RB003",
            Code::MissingField => "RB004",
            Code::DuplicateRunbook => "RB010",
            Code::DuplicateId => "RB011",
            Code::ActionCount => "RB012",
            Code::ConditionShape => "RB013",
            Code::StepFields => "RB014",
            Code::UndefinedParam => "RB020",
            Code::UnknownFact => "RB021",
            Code::UndefinedHandler => "RB022",
            Code::UndefinedInclude => "RB023",
            Code::IncludeCycle => "RB024",
            Code::UndefinedCheck => "RB025",
            Code::UnknownItem => "RB026",
            Code::ConditionType => "RB027",
            Code::UndefinedChangedStep => "RB028",
            Code::TemplateSyntax => "RB030",
            Code::TemplateUnresolved => "RB031",
            Code::TemplateTripleBrace => "RB032",
            Code::FactsFromTemplate => "RB033",
            Code::ParamDeclaration => "RB040",
            Code::InvalidRegex => "RB041",
            Code::InvalidDuration => "RB042",
            Code::IncludeParams => "RB043",
            Code::MissingSchemaModeline => "RB050",
            Code::UnknownLanguage => "RB060",
            Code::UndefinedTranslated => "RB061",
            Code::TranslationWithoutSource => "RB062",
            Code::TranslationTemplate => "RB063",
            Code::Io => "RB090",
            Code::ShellScriptTemplate => "RB091",
            Code::ProgramTemplate => "RB092",
            Code::SecretInArgv => "RB095",
            Code::EnvName => "RB096",
            Code::SecretToPlainParam => "RB097",
        }
    }

    /// One line saying what the code means (the table in docs/json.md).
    pub fn description(self) -> &'static str {
        match self {
            Code::YamlSyntax => "YAML syntax error",
            Code::UnknownField => "unknown field",
            Code::InvalidValue => "invalid value (wrong type, non-strict boolean such as `yes`)",
            Code::MissingField => "missing field",
            Code::DuplicateRunbook => "a runbook id is defined in two files",
            Code::DuplicateId => "a check or step id is used twice",
            Code::ActionCount => "a step has no action, or more than one",
            Code::ConditionShape => "a malformed condition",
            Code::StepFields => {
                "an action misses fields its state needs, or names an unknown service without commands"
            }
            Code::UndefinedParam => "undefined param",
            Code::UnknownFact => "unknown fact",
            Code::UndefinedHandler => "undefined handler",
            Code::UndefinedInclude => "include of an unknown runbook",
            Code::IncludeCycle => "include cycle",
            Code::UndefinedCheck => "undefined check",
            Code::UnknownItem => "`item` used outside a `for_each` step, or an unknown item field",
            Code::ConditionType => {
                "a comparison of a fact with a value of another type, which never holds (`eq: \"true\"` on a boolean fact, `gt` on text)"
            }
            Code::UndefinedChangedStep => {
                "`changed:` names a step that is not defined before this one"
            }
            Code::TemplateSyntax => {
                "template syntax error, or a helper/block (only `{{name}}` is allowed)"
            }
            Code::FactsFromTemplate => {
                "`facts_from` names something other than a param: it is rendered before any fact is read"
            }
            Code::TemplateUnresolved => "template variable that cannot resolve",
            Code::TemplateTripleBrace => "triple-brace template (would skip shell quoting)",
            Code::ParamDeclaration => "bad param declaration or default",
            Code::InvalidRegex => "invalid regular expression",
            Code::InvalidDuration => "invalid duration",
            Code::IncludeParams => {
                "include params that the included runbook does not declare, or misses"
            }
            Code::MissingSchemaModeline => {
                "warning: no `# yaml-language-server: $schema=` first line"
            }
            Code::UnknownLanguage => "an `i18n` language other than `ru` and `ja`",
            Code::UndefinedTranslated => {
                "an `i18n` translation names a check, step, handler or verify check the runbook does not define"
            }
            Code::TranslationWithoutSource => {
                "an `i18n` translation of a text the runbook does not have (a `manual` for a step that is not a manual step, a description never written)"
            }
            Code::TranslationTemplate => {
                "a translated manual text whose template does not parse, or reads other variables than the English text"
            }
            Code::Io => "a runbook file could not be read",
            Code::ShellScriptTemplate => {
                "a template in the script of a shell's `-c` in a `run` argv (or its `undo`): use a `shell:` step, or pass the value as an argument after the script"
            }
            Code::ProgramTemplate => {
                "a template as the program of a `run` argv (argv[0], what `env` or `busybox` runs, or the script file a shell runs)"
            }
            Code::SecretInArgv => {
                "a secret param in a `run` argv or `undo`, or a `shell` script or undo (every user can read a program's argv): pass it with `stdin:` or `env:`"
            }
            Code::EnvName => "an `env:` name that is not an environment variable name",
            Code::SecretToPlainParam => {
                "a secret passed to an included runbook's param that is not `type: secret`"
            }
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Code {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

/// A string that is not one of the `RB0xx` codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode(pub String);

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown diagnostic code `{}`", self.0)
    }
}

impl std::error::Error for UnknownCode {}

/// Serialized as its `RB0xx` string, the JSON contract.
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One problem in one file.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The runbook id a catalog diagnostic is about (the duplicated id of RB010), so
    /// callers need not read it out of the message. Not part of the JSON.
    #[serde(skip)]
    pub runbook_id: Option<String>,
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
        code: Code,
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
            runbook_id: None,
            source: Some(source.clone()),
            range,
        }
    }

    /// An error about a file as a whole (unreadable, say).
    pub fn file(name: &str, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            file: name.to_string(),
            line: 1,
            column: 1,
            help: None,
            runbook_id: None,
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

    /// Say which runbook id this diagnostic is about.
    pub fn about_runbook(mut self, id: impl Into<String>) -> Self {
        self.runbook_id = Some(id.into());
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
        let title = level
            .primary_title(self.message.as_str())
            .id(self.code.as_str());
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

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for &code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{} is used twice", code);
            assert_eq!(code.as_str().parse::<Code>(), Ok(code));
            assert!(
                code.as_str().len() == 5 && code.as_str().starts_with("RB"),
                "{code} is not RB + three digits"
            );
            assert!(!code.description().is_empty() && !code.description().contains('\n'));
        }
        assert!(
            Code::ALL.windows(2).all(|w| w[0] < w[1]),
            "ALL is in numeric order"
        );
        assert!("RB999".parse::<Code>().is_err());
    }

    /// A renumbering, removal or new code shows up in review.
    #[test]
    fn list_of_codes() {
        let list: String = Code::ALL
            .iter()
            .map(|c| format!("{} {}\n", c.as_str(), c.description()))
            .collect();
        insta::assert_snapshot!(list);
    }

    /// The hand-written table in docs/json.md lists exactly these codes, described alike.
    #[test]
    fn docs_table_lists_every_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md");
        let doc = std::fs::read_to_string(path).unwrap();
        // Rows look like `| RB010 | a runbook id is defined in two files |`.
        let documented: Vec<(&str, &str)> = doc
            .lines()
            .filter(|l| l.starts_with("| RB"))
            .map(|l| {
                l.strip_prefix("| ")
                    .and_then(|l| l.strip_suffix(" |"))
                    .and_then(|l| l.split_once(" | "))
                    .unwrap_or_else(|| panic!("malformed row in docs/json.md: {l}"))
            })
            .collect();
        let codes: Vec<(&str, &str)> = Code::ALL
            .iter()
            .map(|c| (c.as_str(), c.description()))
            .collect();
        assert_eq!(
            documented, codes,
            "docs/json.md's code table and enum Code differ"
        );
    }
}
