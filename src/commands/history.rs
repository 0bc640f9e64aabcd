//! `runbook history`: past runs with what they changed and how they ended.

use anyhow::Result;
use serde_json::json;

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
        Output::Human => {
            let style = Style::detect();
            for run in &runs {
                let changed = if run.changed_files.is_empty() && run.commands.is_empty() {
                    "no changes".to_string()
                } else {
                    format!(
                        "{} file(s), {} command(s)",
                        run.changed_files.len(),
                        run.commands.len()
                    )
                };
                println!(
                    "{}  {}  {}  {}  {}",
                    style.bold(&escape(&run.id)),
                    escape(&run.runbook),
                    escape(run.started.get(..19).unwrap_or(&run.started)),
                    escape(&run.outcome),
                    style.dim(&changed)
                );
                for file in &run.changed_files {
                    println!("    {}", escape(file));
                }
            }
        }
    }
    Ok(0)
}
