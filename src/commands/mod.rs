//! One file per subcommand; each returns the process exit code.

mod apply;
mod confirm;
mod facts;
mod facts_view;
mod history;
mod host_opts;
mod lint;
mod list;
mod meta;
mod pager;
mod params;
mod plan_file;
mod report;
mod rollback;
mod show;
mod test;
mod verify;

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, Color, Command};
use crate::report::style::Choice;
use crate::runbook::catalog::Catalog;

/// The exit codes (docs/json.md, the man page's EXIT STATUS). No error shares a code
/// with success or with `--detailed-exitcode`'s "changes".
pub mod exit {
    /// Success; with `--detailed-exitcode`, nothing changes (or changed).
    pub const OK: u8 = 0;
    /// An error while running: nothing was changed, or everything was undone; also
    /// `lint` finding errors, and a "no" at a confirmation.
    pub const ERROR: u8 = 1;
    /// With `--detailed-exitcode`: changes pending (dry run) or made.
    pub const CHANGES: u8 = 2;
    /// The command line is wrong (an unknown flag, a bad value): EX_USAGE of sysexits.h.
    pub const USAGE: u8 = 64;
}

/// An error at a place in a file (a runbook's YAML error): `--output json` gives the
/// place as `file`, `line` and `column`. Shown as its message alone.
#[derive(Debug)]
pub struct Located {
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Located {}

/// Run a command. Under `--output json` a failure is also a JSON object on stdout,
/// `{"error": {"kind", "message", "code", ...}}`, so programs need not parse stderr.
pub fn run(cli: Cli) -> Result<u8> {
    crate::report::style::init(match cli.color {
        Color::Auto => Choice::Auto,
        Color::Always => Choice::Always,
        Color::Never => Choice::Never,
    });
    let json = wants_json(&cli.command);
    let pager = if !cli.no_pager && is_long(&cli.command) {
        pager::Pager::start()
    } else {
        None
    };
    let result = dispatch(cli);
    if let Some(pager) = pager {
        pager.finish();
    }
    match result {
        Err(e) if json => {
            println!("{}", serde_json::to_string_pretty(&error_json(&e))?);
            Err(e)
        }
        other => other,
    }
}

/// `{"error": {...}}` for a runtime error (exit code 1).
fn error_json(e: &anyhow::Error) -> serde_json::Value {
    let kind = crate::plan::error::PlanError::kind_of(e).unwrap_or("error");
    let mut error = serde_json::json!({
        "kind": kind,
        "message": format!("{e:#}"),
        "code": exit::ERROR,
    });
    if let Some(at) = e.chain().find_map(|c| c.downcast_ref::<Located>()) {
        error["file"] = at.file.clone().into();
        error["line"] = at.line.into();
        error["column"] = at.column.into();
    }
    serde_json::json!({ "error": error })
}

/// A command line clap refused (or `--help`, `--version`): print it as clap does and
/// return the exit code, 64 for a usage error. With `--output json` on the command line
/// the error is also a JSON object on stdout, kind `usage`.
pub fn usage_error(error: clap::Error, args: &[std::ffi::OsString]) -> u8 {
    let _ = error.print();
    if error.exit_code() == 0 {
        return exit::OK;
    }
    if json_asked(args) {
        let text = error.render().to_string();
        let message = text.trim_start_matches("error: ").trim_end();
        let json = serde_json::json!({ "error": {
            "kind": "usage",
            "message": message,
            "code": exit::USAGE,
        }});
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    }
    exit::USAGE
}

/// Whether the arguments hold `--output json` (or `--output=json`) before any `--`.
fn json_asked(args: &[std::ffi::OsString]) -> bool {
    flag_values(args, "--output").any(|v| v == "json")
}

/// The values given to a `--flag VALUE` or `--flag=VALUE` before any `--`, read before
/// clap parses (or when it cannot).
fn flag_values<'a>(
    args: &'a [std::ffi::OsString],
    flag: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    let args: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str().unwrap_or(""))
        .take_while(|a| *a != "--")
        .collect();
    let joined: Vec<&str> = args
        .iter()
        .filter_map(|a| a.strip_prefix(flag)?.strip_prefix('='))
        .collect();
    let separate: Vec<&str> = args
        .windows(2)
        .filter(|w| w[0] == flag)
        .map(|w| w[1])
        .collect();
    joined.into_iter().chain(separate)
}

/// Parse the command line, clap's own help and errors coloured as `--color` says.
pub fn parse(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let color = match flag_values(args, "--color").last() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    };
    let mut command = Cli::command().color(color);
    let matches = command.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.with_cmd(&command))
}

fn wants_json(command: &Command) -> bool {
    use crate::cli::Output::Json;
    matches!(
        command,
        Command::List { output: Json }
            | Command::Lint { output: Json, .. }
            | Command::Apply { output: Json, .. }
            | Command::Rollback { output: Json, .. }
            | Command::Verify { output: Json, .. }
            | Command::Facts { output: Json, .. }
            | Command::History { output: Json, .. }
            | Command::Test { output: Json, .. }
    )
}

/// The commands whose output for people can run past a screen: paged on a terminal.
fn is_long(command: &Command) -> bool {
    use crate::cli::Output::Human;
    matches!(
        command,
        Command::Show { .. }
            | Command::Apply {
                dry_run: true,
                output: Human,
                ..
            }
            | Command::Facts { output: Human, .. }
            | Command::History { output: Human, .. }
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
            on_fail,
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
                on_fail,
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
        Command::Verify {
            ref run_id,
            last: _,
            ref host,
            on_fail,
            output,
        } => verify::run(&catalog(), run_id.as_deref(), host, on_fail, output),
        Command::History { ref host, output } => history::run(host, output),
        Command::Report {
            ref run_id,
            last: _,
            format,
            lang,
            ref host,
        } => report::run(run_id.as_deref(), format, lang, host),
        Command::Facts {
            ref root,
            ref only,
            output,
        } => facts::run(root, only, output),
        Command::Dev(ref dev) => meta::dev(dev),
        Command::Schema { scenario } => meta::schema(scenario),
        Command::Test {
            ref scenarios,
            image,
            suite,
            engine,
            ref engine_flags,
            ref run_flags,
            keep,
            output,
        } => test::run(test::Options {
            runbooks: &cli.runbooks,
            scenarios,
            image,
            suite,
            engine,
            engine_flags: engine_flags.as_deref(),
            run_flags: run_flags.as_deref(),
            keep,
            output,
        }),
        Command::Completions { shell } => meta::completions(shell),
        Command::Man {
            ref command,
            ref out_dir,
        } => meta::man(command.as_deref(), out_dir.as_deref()),
    }
}

/// Built-ins, `--runbooks` paths and RUNBOOK_PATH.
fn load_catalog(extra: &[PathBuf]) -> Catalog {
    Catalog::load(extra, std::env::var("RUNBOOK_PATH").ok().as_deref())
}
