//! `runbook history`: past runs with what they changed and how they ended.

use anyhow::Result;
use serde_json::json;

use crate::apply::state::RunRecord;
use crate::apply::{lock, state};
use crate::cli::{HostArgs, Output};
use crate::report::escape::escape;
use crate::report::style::Style;

pub fn run(host: &HostArgs, output: Output) -> Result<u8> {
    let opts = super::host_opts::resolve(host)?;
    let runs = match opts.state_dir(false)? {
        Some(dir) => state::list(&dir, lock::held(&dir)?)?,
        None => Vec::new(),
    };
    match output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "runs": runs }))?
        ),
        Output::Human if runs.is_empty() => {
            println!(
                "No runs yet in {}.",
                escape(&opts.state_path().display().to_string())
            )
        }
        Output::Human => print!("{}", table(&runs, Style::detect())),
    }
    Ok(0)
}

/// The runs as a table with a header, columns aligned, times in UTC (and saying so),
/// each changed file on its own line under its run.
fn table(runs: &[RunRecord], style: Style) -> String {
    use std::fmt::Write;
    let header = ["RUN", "RUNBOOK", "STARTED (UTC)", "OUTCOME", "CHANGES"];
    let rows: Vec<[String; 5]> = runs
        .iter()
        .map(|run| {
            let changes = if !run.changed_something() {
                "no changes".to_string()
            } else {
                let mut text = format!(
                    "{} file(s), {} command(s)",
                    run.changed_files.len(),
                    run.commands.len()
                );
                if !run.queues.is_empty() {
                    text.push_str(&format!(", {} queue(s) purged", run.queues.len()));
                }
                text
            };
            [
                escape(&run.id),
                escape(&run.runbook),
                escape(&utc(&run.started)),
                escape(&run.outcome),
                changes,
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Padding is computed on the plain text, then styled, so colours keep the columns.
    let pad = |text: &str, i: usize| {
        let fill = " ".repeat(width[i] - text.chars().count());
        format!("{text}{fill}")
    };
    let mut out = String::new();
    let head: Vec<String> = (0..4).map(|i| pad(header[i], i)).collect();
    let _ = writeln!(
        out,
        "{}  {}",
        style.bold(&head.join("  ")),
        style.bold(header[4])
    );
    for (run, row) in runs.iter().zip(&rows) {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {}",
            style.bold(&pad(&row[0], 0)),
            pad(&row[1], 1),
            pad(&row[2], 2),
            pad(&row[3], 3),
            style.dim(&row[4])
        );
        for file in &run.changed_files {
            let _ = writeln!(out, "    {}", escape(file));
        }
        for queue in &run.queues {
            let _ = writeln!(out, "    {} (messages quarantined)", escape(queue));
        }
    }
    out
}

/// `2026-11-22T23:19:45.123Z` as `2026-11-22 23:19:45` (the header says UTC).
fn utc(stamp: &str) -> String {
    match stamp.parse::<jiff::Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => stamp.to_string(),
    }
}
