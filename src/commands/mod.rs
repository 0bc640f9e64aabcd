//! One file per subcommand; each returns the process exit code.

mod apply;
mod confirm;
mod facts;
mod history;
mod host_opts;
mod lint;
mod list;
mod meta;
mod params;
mod plan_file;
mod rollback;
mod show;

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::runbook::catalog::Catalog;

/// Run a command. Under `--output json` a failure is also a JSON object on stdout,
/// `{"error": {"kind", "message"}}`, so programs need not parse stderr.
pub fn run(cli: Cli) -> Result<u8> {
    let json = wants_json(&cli.command);
    match dispatch(cli) {
        Err(e) if json => {
            let kind = crate::plan::error::PlanError::kind_of(&e).unwrap_or("error");
            let message = format!("{e:#}");
            let error = serde_json::json!({ "error": { "kind": kind, "message": message } });
            println!("{}", serde_json::to_string_pretty(&error)?);
            Err(e)
        }
        other => other,
    }
}

fn wants_json(command: &Command) -> bool {
    use crate::cli::Output::Json;
    matches!(
        command,
        Command::List { output: Json }
            | Command::Lint { output: Json, .. }
            | Command::Apply { output: Json, .. }
            | Command::Rollback { output: Json, .. }
            | Command::Facts { output: Json, .. }
            | Command::History { output: Json, .. }
    )
}

fn dispatch(cli: Cli) -> Result<u8> {
    let catalog = || load_catalog(&cli.runbooks);
    match cli.command {
        Command::List { output } => list::run(&catalog(), output),
        Command::Show { ref id } => show::run(&catalog(), id),
        Command::Lint { ref paths, output } => lint::run(&cli.runbooks, paths, output),
        Command::Apply {
            ref id,
            dry_run,
            ref save_plan,
            ref plan,
            ref host,
            ref params,
            ref param_files,
            yes,
            force,
            output,
            detailed_exitcode,
        } => apply::run(
            &catalog(),
            apply::Options {
                id: id.as_deref(),
                dry_run,
                save_plan: save_plan.as_deref(),
                plan: plan.as_deref(),
                host,
                params,
                param_files,
                yes,
                force,
                output,
                detailed_exitcode,
            },
        ),
        Command::Rollback {
            ref run_id,
            last: _,
            yes,
            force,
            ref host,
            output,
        } => rollback::run(run_id.as_deref(), yes, force, host, output),
        Command::History { ref host, output } => history::run(host, output),
        Command::Facts {
            ref root,
            ref only,
            output,
        } => facts::run(root, only, output),
        Command::Dev(ref dev) => meta::dev(dev),
        Command::Schema => meta::schema(),
        Command::Completions { shell } => meta::completions(shell),
        Command::Man => meta::man(),
    }
}

/// Built-ins, `--runbooks` paths and RUNBOOK_PATH.
fn load_catalog(extra: &[PathBuf]) -> Catalog {
    Catalog::load(extra, std::env::var("RUNBOOK_PATH").ok().as_deref())
}
