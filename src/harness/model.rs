//! The typed scenario format (`runbooks/tests/*.yaml`). The JSON Schema in
//! `schemas/scenario.schema.json` is generated from these types: every field documented
//! here is what editors complete and `runbook test` accepts.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A scenario: a fresh container of an image, setup commands run in it, then `runbook`
/// invocations, each with what must be true after it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "runbook test scenario")]
pub struct Scenario {
    /// What the scenario proves, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The image its container is made from (`tests/containers/NAME.yaml`).
    pub image: Image,
    /// The Debian releases it runs on; absent: every one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suites: Vec<Suite>,
    /// Runbook files the scenario brings, paths relative to the scenario file (test
    /// fixtures beside it, such as `runbooks/failing-midway.yaml`, not in the library):
    /// copied into the container and named to every step's `runbook` with `--runbooks`,
    /// beside those of `runbook --runbooks` and RUNBOOK_PATH. Keep them in a
    /// subdirectory: every `*.yaml` of the scenario directory itself is read as a
    /// scenario.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runbooks: Vec<String>,
    /// `runbooks` found from the scenario file's directory (set by `load`).
    #[serde(skip)]
    #[schemars(skip)]
    pub runbook_files: Vec<PathBuf>,
    /// Commands run in the container, in order, before the steps (create users and
    /// sites, send mail); each must exit 0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<Command>,
    /// `runbook` invocations, in order, each with its expectations.
    pub steps: Vec<Step>,
}

/// An image definition of `tests/containers/`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Image {
    Exim,
    Postfix,
    Qmail,
}

impl Image {
    pub const ALL: [Image; 3] = [Image::Exim, Image::Postfix, Image::Qmail];

    pub fn name(self) -> &'static str {
        match self {
            Image::Exim => "exim",
            Image::Postfix => "postfix",
            Image::Qmail => "qmail",
        }
    }
}

/// A Debian release.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Suite {
    /// Debian 12.
    Bookworm,
    /// Debian 13.
    Trixie,
}

impl Suite {
    pub const ALL: [Suite; 2] = [Suite::Bookworm, Suite::Trixie];

    pub fn name(self) -> &'static str {
        match self {
            Suite::Bookworm => "bookworm",
            Suite::Trixie => "trixie",
        }
    }
}

/// A shell command (`sh -c`) run in the container.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// The command line, run with `/bin/sh -c` (several lines: a script).
    pub run: String,
    /// The user it runs as (default: root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Text given on its standard input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
}

/// One `runbook` invocation and what must be true after it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Its name in the report (default: the arguments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The arguments of `runbook` (`[apply, exim-block-unlock, --dry-run]`), run as root
    /// in the container.
    pub runbook: Vec<String>,
    /// The exit code it must end with.
    #[serde(default)]
    pub exit: i32,
    /// Texts its standard output must contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stdout_contains: Vec<String>,
    /// Texts its standard output must not contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stdout_lacks: Vec<String>,
    /// Texts its standard error must contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stderr_contains: Vec<String>,
    /// Texts its standard error must not contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stderr_lacks: Vec<String>,
    /// Files or directories (container paths) whose every byte must be as before this
    /// step (checksums): what a dry run must not touch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<String>,
    /// Files or directories whose every byte must be as after the setup (checksums):
    /// what a rollback must restore.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restored: Vec<String>,
    /// Checks of the container made after the step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

/// A check of a file's content or of a command's output, in the container. Exactly one
/// of `file` and `run`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// A file (container path) whose content is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A command (`sh -c`, as root) whose standard output is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The exit code `run` must end with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    /// The whole text, leading and trailing whitespace aside (`exim4 -bpc` prints `0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// Texts it must contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    /// Texts it must not contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<String>,
    /// The text, whitespace aside, must equal what the same `run` (or `file`) gave
    /// after the setup: a count back to what it was.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub as_after_setup: bool,
}

impl Check {
    /// What the check reads, for the report: `file PATH` or `run CMD`.
    pub fn subject(&self) -> String {
        match (&self.file, &self.run) {
            (Some(f), _) => format!("file {f}"),
            (_, Some(r)) => format!("`{r}`"),
            _ => "nothing".into(),
        }
    }
}
