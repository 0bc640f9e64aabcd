//! Reading a scenario file: every error located as `FILE:LINE:COLUMN: message`, as
//! `runbook lint` locates a runbook's.

use std::path::{Path, PathBuf};

use schemars::generate::SchemaSettings;

use super::model::Scenario;
use crate::runbook::diagnostic::line_column;
use crate::runbook::spans::SpanIndex;

/// A scenario file that cannot be used, at a place in it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// The error `message` at byte `offset` of `file`'s `text`.
    fn at(file: &str, text: &str, offset: usize, message: String) -> LoadError {
        let (line, column) = line_column(text, offset);
        LoadError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    }
}

/// The scenario in `path`, its `runbooks` found from the file's directory.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: file.clone(),
        line: 1,
        column: 1,
        message: format!("cannot read: {e}"),
    })?;
    let mut scenario = parse(&file, &text)?;
    let dir = path.parent().unwrap_or(Path::new(""));
    scenario.runbook_files = runbook_files(&file, &text, &scenario, dir)?;
    Ok(scenario)
}

/// The files of `scenario.runbooks`, relative to `dir` (the scenario file's): each must
/// be a file, and no two may share a name (they are copied into one directory).
fn runbook_files(
    file: &str,
    text: &str,
    scenario: &Scenario,
    dir: &Path,
) -> Result<Vec<PathBuf>, LoadError> {
    let spans = SpanIndex::build(text);
    let at = |i: usize, message: String| {
        let offset = spans.value(&format!("runbooks.{i}")).map_or(0, |r| r.start);
        LoadError::at(file, text, offset, message)
    };
    let mut names = std::collections::BTreeMap::new();
    let mut files = Vec::new();
    for (i, entry) in scenario.runbooks.iter().enumerate() {
        let path = dir.join(entry);
        if !path.is_file() {
            return Err(at(
                i,
                format!(
                    "no runbook file {} (`runbooks` are relative to the scenario file)",
                    path.display()
                ),
            ));
        }
        let name = path.file_name().unwrap_or_default().to_os_string();
        if let Some(first) = names.insert(name, entry) {
            return Err(at(
                i,
                format!(
                    "`{entry}` has the file name of `{first}`: they would be copied to one file"
                ),
            ));
        }
        files.push(path);
    }
    Ok(files)
}

/// The scenario in `text`, read from `file`: strict booleans, then the rules the types
/// cannot say (a check reads exactly one of `file` and `run`).
pub fn parse(file: &str, text: &str) -> Result<Scenario, LoadError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    };
    let at = |offset: usize, message: String| LoadError::at(file, text, offset, message);
    let scenario: Scenario = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((1, 1));
        let full = e.to_string();
        let first = full.lines().next().unwrap_or("").to_string();
        let message = match first.find(" at line ") {
            Some(i) => first[..i].to_string(),
            None => first,
        };
        LoadError {
            file: file.to_string(),
            line: line.max(1),
            column: column.max(1),
            message,
        }
    })?;
    let spans = SpanIndex::build(text);
    if scenario.steps.is_empty() {
        let offset = spans.key("steps").map_or(0, |r| r.start);
        return Err(at(offset, "a scenario needs at least one step".into()));
    }
    for (s, step) in scenario.steps.iter().enumerate() {
        if step.runbook.is_empty() {
            let offset = spans
                .value(&format!("steps.{s}.runbook"))
                .map_or(0, |r| r.start);
            return Err(at(
                offset,
                "`runbook` needs its arguments (`[facts]`)".into(),
            ));
        }
        for (c, check) in step.checks.iter().enumerate() {
            let path = format!("steps.{s}.checks.{c}");
            let offset = spans.value(&path).map_or(0, |r| r.start);
            match (&check.file, &check.run) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(at(
                        offset,
                        "a check reads exactly one of `file` and `run`".into(),
                    ));
                }
                (Some(_), None) if check.exit.is_some() => {
                    let offset = spans
                        .key(&format!("{path}.exit"))
                        .map_or(offset, |r| r.start);
                    return Err(at(offset, "`exit` is for a `run` check".into()));
                }
                _ => {}
            }
            if check.equals.is_none()
                && check.contains.is_empty()
                && check.lacks.is_empty()
                && !check.as_after_setup
                && check.exit.is_none()
            {
                return Err(at(
                    offset,
                    "a check expects nothing: give `equals`, `contains`, `lacks`, `as_after_setup` or `exit`".into(),
                ));
            }
        }
    }
    Ok(scenario)
}

/// The JSON Schema of the scenario format, pretty, with a final newline (the committed
/// file's exact bytes).
pub fn schema_json() -> String {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Scenario>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_field_is_located() {
        let text = "image: exim\nsteps:\n  - runbook: [facts]\n    exitt: 0\n";
        let err = parse("t.yaml", text).unwrap_err();
        assert_eq!((err.line, err.column), (4, 5), "{err}");
        assert!(err.message.contains("unknown field `exitt`"), "{err}");
    }

    #[test]
    fn a_check_needs_one_subject() {
        let text = "image: exim\nsteps:\n  - runbook: [facts]\n    checks:\n      - equals: '0'\n";
        let err = parse("t.yaml", text).unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        assert!(err.message.contains("exactly one of"), "{err}");
    }

    #[test]
    fn runbooks_are_found_beside_the_scenario() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("runbooks")).unwrap();
        std::fs::write(dir.path().join("runbooks/fails.yaml"), "id: fails\n").unwrap();
        let file = dir.path().join("s.yaml");
        std::fs::write(
            &file,
            "image: exim\nrunbooks: [runbooks/fails.yaml]\nsteps:\n  - runbook: [list]\n",
        )
        .unwrap();
        let scenario = load(&file).unwrap();
        assert_eq!(
            scenario.runbook_files,
            [dir.path().join("runbooks/fails.yaml")]
        );

        std::fs::write(
            &file,
            "image: exim\nrunbooks:\n  - runbooks/fails.yaml\n  - runbooks/gone.yaml\nsteps:\n  - runbook: [list]\n",
        )
        .unwrap();
        let err = load(&file).unwrap_err();
        assert_eq!((err.line, err.column), (4, 5), "{err}");
        assert!(err.message.contains("no runbook file"), "{err}");
        assert!(err.message.contains("runbooks/gone.yaml"), "{err}");

        std::fs::create_dir(dir.path().join("other")).unwrap();
        std::fs::write(dir.path().join("other/fails.yaml"), "id: other\n").unwrap();
        std::fs::write(
            &file,
            "image: exim\nrunbooks: [runbooks/fails.yaml, other/fails.yaml]\nsteps:\n  - runbook: [list]\n",
        )
        .unwrap();
        let err = load(&file).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("the file name of"), "{err}");
    }

    #[test]
    fn an_unknown_image_is_located() {
        let err = parse("t.yaml", "image: sendmail\nsteps: []\n").unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }
}
