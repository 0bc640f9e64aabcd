//! `runbook rollback [RUN_ID | --last]`.

use anyhow::{Result, bail};

use super::confirm;
use crate::apply::{rollback, state};
use crate::cli::{HostArgs, Output};
use crate::host::Host;

pub fn run(
    run_id: Option<&str>,
    yes: bool,
    force: bool,
    host_args: &HostArgs,
    output: Output,
) -> Result<u8> {
    if !host_args.root.is_dir() {
        bail!("--root {} is not a directory", host_args.root.display());
    }
    let host = Host::new(host_args.root.canonicalize()?);
    let state_dir = host_args
        .state_dir
        .clone()
        .unwrap_or_else(|| host.root().join("var/lib/runbook"));
    if !yes {
        let record = state::find(&state_dir, run_id)?;
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
    let done = rollback::rollback(&host, &state_dir, run_id, force)?;
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
