//! `runbook rollback [RUN_ID | --last] [--dry-run]`.

use anyhow::{Result, bail};

use super::confirm;
use crate::apply::{lock, rollback, state};
use crate::cli::{Output, RollbackArgs};
use crate::report::escape::{escape, escape_text};
use crate::report::plan::quoted;
use crate::report::style::Style;

pub fn run(
    run_id: Option<&str>,
    yes: bool,
    force: bool,
    args: &RollbackArgs,
    output: Output,
) -> Result<u8> {
    let opts = super::host_opts::resolve(&args.host)?;
    let Some(state_dir) = opts.state_dir(false)? else {
        bail!(
            "no run that changed something in {} (no runs yet); see `runbook history`",
            opts.state_path().display()
        );
    };
    if args.dry_run {
        let plan = rollback::plan(&opts.host, &state_dir, run_id, force)?;
        match output {
            Output::Json => println!("{}", serde_json::to_string_pretty(&plan)?),
            Output::Human => print!("{}", render_plan(&plan, Style::detect())),
        }
        return Ok(0);
    }
    if !yes {
        let record = state::find(&state_dir, run_id, lock::held(&state_dir)?)?;
        let question = format!(
            "Roll back run {} ({}, {} file(s), {} command(s))?",
            record.id,
            record.runbook,
            record.changed_files.len(),
            record.commands.len()
        );
        if !confirm::ask(&question)? {
            eprintln!("Nothing was changed.");
            return Ok(1);
        }
    }
    let done = rollback::rollback(&opts.host, &state_dir, run_id, force)?;
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&done)?),
        Output::Human => print_done(&done),
    }
    Ok(0)
}

/// What a rollback did, for people.
pub(super) fn print_done(done: &rollback::RolledBack) {
    println!("Rolled back run {} ({}).", done.run_id, done.runbook);
    for file in &done.restored {
        println!("  restored {file}");
    }
    for cmd in &done.commands {
        println!("  ran {}", quoted(cmd));
    }
    for service in &done.reloaded {
        println!("  reloaded {service}");
    }
    for line in &done.queue {
        println!("  {line}");
    }
    for warning in &done.warnings {
        eprintln!("warning: {warning}");
    }
}

/// `rollback --dry-run` for people: each file's diff (now → backup), the undo commands.
fn render_plan(plan: &rollback::RollbackPlan, style: Style) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rollback of run {} ({}) would, newest first:",
        escape(&plan.run_id),
        escape(&plan.runbook)
    );
    for restore in &plan.restores {
        let _ = writeln!(out, "  restore {}", escape(&restore.file));
        let lines: Vec<String> = restore.diff.split('\n').map(escape_text).collect();
        for line in style.diff(&lines.join("\n")).lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
    for cmd in &plan.commands {
        let _ = writeln!(out, "  run {}", quoted(cmd));
    }
    for service in &plan.reloads {
        let _ = writeln!(
            out,
            "  test and reload {} again (if running)",
            escape(service)
        );
    }
    for line in &plan.queue {
        let _ = writeln!(out, "  {}", escape(line));
    }
    for warning in &plan.warnings {
        let _ = writeln!(out, "  warning: {}", escape(warning));
    }
    // A run that only did what cannot be undone has its warnings, not this.
    if plan.restores.is_empty()
        && plan.commands.is_empty()
        && plan.queue.is_empty()
        && plan.warnings.is_empty()
    {
        let _ = writeln!(
            out,
            "  nothing to restore: the files already hold their backups"
        );
    }
    let _ = writeln!(out, "Dry run: nothing was changed.");
    out
}
