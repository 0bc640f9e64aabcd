//! Command-line definitions (clap) only; the work is in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "runbook",
    version,
    about = "Find and stop the spam source on a mail server, clean the queue, and undo it all if needed",
    long_about = "Declarative remediation runbooks for mail servers blocked for spam. \
                  `runbook apply ID --dry-run` shows what a runbook would change; \
                  `runbook apply ID` does it, journaled; `runbook rollback --last` undoes it."
)]
pub struct Cli {
    /// Extra runbook file or directory (repeatable); RUNBOOK_PATH (colon-separated) adds more.
    #[arg(long = "runbooks", global = true, value_name = "PATH")]
    pub runbooks: Vec<PathBuf>,

    /// Colour output for people; auto: only on a terminal, and not when NO_COLOR is set
    /// or TERM=dumb.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    pub color: Color,

    /// Never page long output (show, dry-run plans, facts, history) through $PAGER.
    #[arg(long, global = true)]
    pub no_pager: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// How `runbook report` lays the report out.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// Plain text, short enough to paste into a support ticket.
    #[default]
    Text,
    Markdown,
    /// One self-contained HTML file, for the screen and for print.
    Html,
    /// For programs (docs/json.md).
    Json,
}

/// Output for people (coloured on a terminal) or for programs (docs/json.md).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Output {
    #[default]
    Human,
    Json,
}

/// When to colour output for people (`--color`).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

/// An image of `runbook test` (tests/containers/NAME.yaml).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TestImage {
    Exim,
    Postfix,
    Qmail,
}

/// A Debian release of `runbook test`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TestSuite {
    Bookworm,
    Trixie,
}

/// The container engine of `runbook test`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum TestEngine {
    #[default]
    Auto,
    Podman,
    Docker,
    Namespace,
}

#[derive(Debug, Args)]
pub struct HostArgs {
    /// Treat DIR as the host's filesystem (a fixture, a copied rootfs); commands run chrooted into it.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Where runs, journals and backups live [default: ROOT/var/lib/runbook].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// `rollback`'s host options and `--dry-run`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub host: HostArgs,
    /// Show what would be restored (diffs from each file now to its backup) and the undo
    /// commands that would run; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the known runbooks and where each comes from.
    List {
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// Show a runbook's procedure as Markdown.
    Show {
        /// Runbook id (see `runbook list`).
        #[arg(value_parser = RunbookId, hide_possible_values = true)]
        id: String,
    },
    /// Check runbook files; all problems are reported, with file:line:column.
    Lint {
        /// Files or directories (default: every known runbook).
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// Run a runbook: plan, then (unless --dry-run) apply with journal and rollback.
    Apply {
        /// Runbook id (see `runbook list`); with --plan, optional (it must match the plan's).
        #[arg(required_unless_present = "plan", value_parser = RunbookId, hide_possible_values = true)]
        id: Option<String>,
        /// Show the plan (checks, chosen steps, diffs, commands) and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: also save the plan to FILE (mode 0600), to apply exactly it
        /// later with `--plan FILE`. Refused for a runbook with secret params set.
        #[arg(
            long,
            value_name = "FILE",
            requires = "dry_run",
            conflicts_with = "plan"
        )]
        save_plan: Option<PathBuf>,
        /// Apply exactly the plan saved in FILE by `--dry-run --save-plan`, after checking
        /// that every file it edits still holds what the plan read.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["dry_run", "params", "param_files"])]
        plan: Option<PathBuf>,
        #[command(flatten)]
        host: HostArgs,
        /// Set a param (repeatable). Not for secrets: every user can read a command line.
        #[arg(short = 'p', long = "param", value_name = "KEY=VALUE", value_parser = KeyValue, hide_possible_values = true)]
        params: Vec<(String, String)>,
        /// Set a param to a file's content, one trailing newline stripped (repeatable); the
        /// way to pass a secret, with RUNBOOK_PARAM_KEY in the environment or, on a
        /// terminal, being asked for it.
        #[arg(long = "param-file", value_name = "KEY=PATH", value_parser = KeyValue, hide_possible_values = true)]
        param_files: Vec<(String, String)>,
        /// Apply without asking for confirmation.
        #[arg(long)]
        yes: bool,
        /// Apply although an earlier run on this host was interrupted half-way.
        #[arg(long)]
        force: bool,
        #[arg(long, value_enum, default_value_t)]
        output: Output,
        /// Exit 0 when nothing changes (or would), 2 when something does, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// What a failed verify does, instead of what the runbook's `on_fail` says.
        #[arg(long, value_enum, value_name = "WHAT")]
        on_fail: Option<crate::runbook::verify::OnFail>,
    },
    /// Undo a run: restore files byte for byte, run undo commands in reverse.
    Rollback {
        /// The run to undo (see `runbook history`).
        #[arg(required_unless_present = "last", conflicts_with = "last")]
        run_id: Option<String>,
        /// The newest run still applied (not rolled back, not failed and undone).
        #[arg(long)]
        last: bool,
        #[arg(long)]
        yes: bool,
        /// Restore files even if they changed since the run.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        host: RollbackArgs,
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// Run a past run's `verify:` checks again: did the fix hold?
    Verify {
        /// The run to verify (see `runbook history`).
        #[arg(required_unless_present = "last", conflicts_with = "last")]
        run_id: Option<String>,
        /// The newest run still applied.
        #[arg(long)]
        last: bool,
        #[command(flatten)]
        host: HostArgs,
        /// What a failed verify does, instead of what the runbook's `on_fail` says.
        #[arg(long, value_enum, value_name = "WHAT")]
        on_fail: Option<crate::runbook::verify::OnFail>,
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// Show what runbooks see of the host: mail server, queue, PHP, web server.
    Facts {
        /// Treat DIR as the host's filesystem.
        #[arg(long, value_name = "DIR", default_value = "/")]
        root: PathBuf,
        /// Only these fact groups (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "GROUP,...")]
        only: Vec<crate::facts::Group>,
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// List past runs.
    History {
        #[command(flatten)]
        host: HostArgs,
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// Say what a run did, for the provider's support and the site owner: the host and
    /// time, what was changed, what is left for a person, how to undo it.
    Report {
        /// The run (see `runbook history`).
        #[arg(required_unless_present = "last", conflicts_with = "last")]
        run_id: Option<String>,
        /// The newest run.
        #[arg(long)]
        last: bool,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
        /// The report's language [default: from LC_ALL, LC_MESSAGES or LANG; else en].
        #[arg(long, value_enum)]
        lang: Option<crate::i18n::Lang>,
        #[command(flatten)]
        host: HostArgs,
    },
    /// Developer tools: generate large queues and logs in real formats.
    #[command(hide = true, subcommand)]
    Dev(DevCommand),
    /// Print the runbook JSON Schema (draft-07), or with --scenario the scenario's.
    Schema {
        /// The schema of `runbook test`'s scenario files (schemas/scenario.schema.json).
        #[arg(long)]
        scenario: bool,
    },
    /// Run scenarios (runbooks/tests/*.yaml) in fresh containers of real mail servers:
    /// pass or fail per expectation; exit 1 if any fails.
    Test {
        /// Scenario files or directories (default: runbooks/tests).
        scenarios: Vec<PathBuf>,
        /// Only the scenarios of this image.
        #[arg(long, value_enum, value_name = "NAME")]
        image: Option<TestImage>,
        /// Only this Debian release (default: each the scenario names, else both).
        #[arg(long, value_enum)]
        suite: Option<TestSuite>,
        /// How containers are made; auto: docker if a daemon answers, else podman, else
        /// namespace (root, debootstrap, unshare, chroot).
        #[arg(long, value_enum, default_value_t, value_name = "E")]
        engine: TestEngine,
        /// Flags put before every podman or docker subcommand (`--runtime runc
        /// --cgroup-manager cgroupfs`); default: $RUNBOOK_PODMAN_FLAGS or $RUNBOOK_DOCKER_FLAGS.
        #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
        engine_flags: Option<String>,
        /// Flags of each container's `run` (`--ulimit nofile=20000:20000`); default:
        /// $RUNBOOK_RUN_FLAGS.
        #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
        run_flags: Option<String>,
        /// Leave each container after its scenario and print where it is.
        #[arg(long)]
        keep: bool,
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) of runbook, or of one command.
    Man {
        /// The command whose page to print (`apply` for runbook-apply(1)).
        command: Option<String>,
        /// Write every page (runbook.1 and one per command) into DIR instead.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Write COUNT messages into an exim spool directory (its `input/`).
    EximSpool {
        spool: PathBuf,
        #[arg(long, default_value_t = 1000)]
        messages: u64,
        /// Lay files out as `split_spool_directory` does.
        #[arg(long)]
        split: bool,
        /// Give every message a sender and recipient domain of its own (the worst case
        /// for the summaries' memory).
        #[arg(long)]
        distinct: bool,
    },
    /// Write an exim mainlog of about SIZE megabytes.
    EximLog {
        file: PathBuf,
        #[arg(long, default_value_t = 100)]
        megabytes: u64,
    },
    /// Write a postfix mail.log of about SIZE megabytes.
    PostfixLog {
        file: PathBuf,
        #[arg(long, default_value_t = 100)]
        megabytes: u64,
    },
    /// Write a Plesk qmail maillog (qmail-send through splogger) of about SIZE megabytes.
    QmailLog {
        file: PathBuf,
        #[arg(long, default_value_t = 100)]
        megabytes: u64,
    },
    /// Read every file under each DIR whose name ends in SUFFIX once, nothing parsed:
    /// the floor the queue readers are measured against (scripts/bench, bench-queues).
    ReadFloor {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long, default_value = "-H")]
        suffix: String,
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
}

/// A runbook id: any text (runbooks come also from `--runbooks` and RUNBOOK_PATH), with
/// the built-in ids as possible values, so shell completions offer them.
#[derive(Debug, Clone, Copy)]
struct RunbookId;

impl clap::builder::TypedValueParser for RunbookId {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let ids = builtins().into_iter().map(|(id, _)| id);
        // Leaked as in `KeyValue::possible_values`.
        Some(Box::new(ids.map(|id| {
            let text: &'static str = Box::leak(id.into_boxed_str());
            clap::builder::PossibleValue::new(text)
        })))
    }
}

/// `KEY=VALUE`, offering `NAME=` of every built-in runbook's params to completions.
#[derive(Debug, Clone, Copy)]
struct KeyValue;

impl clap::builder::TypedValueParser for KeyValue {
    type Value = (String, String);

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<(String, String), clap::Error> {
        let text = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        parse_key_value(&text).map_err(|reason| {
            let arg = arg.map(|a| a.to_string()).unwrap_or_default();
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value '{text}' for '{arg}': {reason}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let mut names: Vec<String> = builtins().into_iter().flat_map(|(_, p)| p).collect();
        names.sort();
        names.dedup();
        // Leaked: clap's `Str` takes owned text only with its `string` feature, and this
        // runs once per completion script or help page.
        Some(Box::new(names.into_iter().map(|n| {
            let text: &'static str = Box::leak(format!("{n}=").into_boxed_str());
            clap::builder::PossibleValue::new(text)
        })))
    }
}

/// The built-in runbooks' ids and param names (compiled in: see build.rs).
fn builtins() -> Vec<(String, Vec<String>)> {
    crate::runbook::catalog::Catalog::load(&[], None)
        .entries
        .iter()
        .map(|e| {
            let runbook = &e.loaded.runbook;
            (runbook.id.clone(), runbook.params.keys().cloned().collect())
        })
        .collect()
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))?;
    if k.is_empty() {
        return Err(format!("`{s}` has an empty KEY"));
    }
    Ok((k.to_string(), v.to_string()))
}
