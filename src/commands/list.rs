//! `runbook list`: every known runbook and where it comes from.

use anyhow::Result;
use serde_json::json;

use crate::cli::Output;
use crate::report::style::Style;
use crate::runbook::catalog::Catalog;

pub fn run(catalog: &Catalog, output: Output) -> Result<u8> {
    match output {
        Output::Json => {
            let items: Vec<_> = catalog
                .entries
                .iter()
                .map(|e| {
                    json!({
                        "id": e.loaded.runbook.id,
                        "title": e.loaded.runbook.title,
                        "applies_to": e.loaded.runbook.applies_to,
                        "origin": e.origin,
                        "file": e.loaded.source.name,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({ "runbooks": items }))?
            );
        }
        Output::Human => {
            let style = Style::detect();
            let width = catalog
                .entries
                .iter()
                .map(|e| e.loaded.runbook.id.len())
                .max()
                .unwrap_or(0);
            let fits = |e: &crate::runbook::catalog::Entry| {
                e.loaded
                    .runbook
                    .applies_to
                    .as_ref()
                    .map(|a| a.describe())
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| "any host".into())
            };
            let for_width = catalog
                .entries
                .iter()
                .map(|e| fits(e).len())
                .max()
                .unwrap_or(0);
            for e in &catalog.entries {
                let id = format!("{:width$}", e.loaded.runbook.id);
                let host = format!("{:for_width$}", fits(e));
                println!(
                    "{}  {}  {}  {}",
                    style.bold(&id),
                    style.dim(&host),
                    e.loaded.runbook.title,
                    style.dim(&format!("({})", e.loaded.source.name))
                );
            }
        }
    }
    for d in &catalog.diagnostics {
        eprintln!(
            "warning: {}:{}:{}: {} (run `runbook lint`)",
            d.file, d.line, d.column, d.message
        );
    }
    Ok(0)
}
