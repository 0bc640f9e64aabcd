//! `runbook lint [PATH...]`: every diagnostic of every file, then exit 0 (clean) or 1.

use std::path::PathBuf;

use anyhow::Result;
use serde_json::json;

use crate::cli::Output;
use crate::report::style::Style;
use crate::runbook::catalog::Catalog;
use crate::runbook::diagnostic::Diagnostic;
use crate::runbook::validate::validate;

pub fn run(extra: &[PathBuf], paths: &[PathBuf], output: Output) -> Result<u8> {
    let known = super::load_catalog(extra);
    // Linting given files: their includes may name any known runbook.
    let linted = if paths.is_empty() {
        None
    } else {
        Some(Catalog::from_paths(paths))
    };
    let target = linted.as_ref().unwrap_or(&known);
    let resolve = |id: &str| target.get(id).or_else(|| known.get(id)).map(|e| &e.loaded);
    let mut diagnostics: Vec<Diagnostic> = target.diagnostics.clone();
    for entry in &target.entries {
        diagnostics.extend(validate(&entry.loaded, &resolve));
    }
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
    });
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    // Files that loaded, and those that did not (a file has one or more errors then).
    let files = target.entries.len()
        + target
            .diagnostics
            .iter()
            .map(|d| &d.file)
            .collect::<std::collections::HashSet<_>>()
            .len();
    match output {
        Output::Json => {
            let report = json!({ "diagnostics": diagnostics, "errors": errors, "warnings": warnings, "files": files });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Output::Human => {
            let style = Style::detect();
            for d in &diagnostics {
                println!("{}\n", d.render(style.color));
            }
            println!(
                "{errors} error{}, {warnings} warning{} in {files} runbook file{}",
                s(errors),
                s(warnings),
                s(files)
            );
        }
    }
    Ok(if errors > 0 { 1 } else { 0 })
}

fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
