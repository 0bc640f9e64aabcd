//! `runbook rollback [RUN_ID | --last]`.

use anyhow::{Result, bail};

use super::confirm;
use crate::apply::{lock, rollback, state};
use crate::cli::{HostArgs, Output};

pub fn run(
    run_id: Option<&str>,
    yes: bool,
    force: bool,
    host_args: &HostArgs,
    output: Output,
) -> Result<u8> {
    let opts = super::host_opts::resolve(host_args)?;
    let Some(state_dir) = opts.state_dir(false)? else {
        bail!(
            "no run that changed something in {} (no runs yet); see `runbook history`",
            opts.state_path().display()
        );
    };
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
        Output::Human => {
            println!("Rolled back run {} ({}).", done.run_id, done.runbook);
            for file in &done.restored {
                println!("  restored {file}");
            }
            for cmd in &done.commands {
                println!("  ran {}", crate::report::plan::quoted(cmd));
            }
            for service in &done.reloaded {
                println!("  reloaded {service}");
            }
            for warning in &done.warnings {
                eprintln!("warning: {warning}");
            }
        }
    }
    Ok(0)
}
