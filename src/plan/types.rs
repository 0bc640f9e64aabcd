//! The plan: what a runbook would do on this host. Serialized as the JSON contract
//! documented in `docs/json.md`; the fields marked `skip` carry the work for `apply`.
//! It also reads back from that JSON, inside a saved plan (`plan::saved`).

use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::i18n::Translations;
use super::redact::Redactor;
use crate::chase::Chased;
pub use crate::queue::QueueAction;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Mode {
    #[serde(rename = "dry-run")]
    DryRun,
    #[serde(rename = "apply")]
    Apply,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Plan {
    pub runbook: String,
    pub title: String,
    /// Translations of the title (the runbook's `i18n`), by language.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub i18n: Translations,
    pub mode: Mode,
    pub root: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Effective params; secrets appear as `********`.
    pub params: IndexMap<String, Value>,
    pub checks: Vec<CheckResult>,
    pub steps: Vec<PlannedStep>,
    pub handlers: Vec<PlannedHandler>,
    /// Whether applying would change the host (a diff, a mutating command, a reload).
    pub changes: bool,
    /// After an apply: `applied`, `unchanged`, `failed` or `interrupted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Whether a secret param has a value: its plan may carry it (in a command's stdin,
    /// an edited file), so it is never saved (`plan::saved`).
    #[serde(skip)]
    pub has_secrets: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    /// Translations of the title (the runbook's `i18n`), by language.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub i18n: Translations,
    pub fact: String,
    pub value: Value,
    pub ok: bool,
    /// The comparison in words (`gt 1000`), empty when the check only reports a value.
    pub expected: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    /// Translations of the title (the runbook's `i18n`), by language.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub i18n: Translations,
    /// The action type (`ini_set`, `run`, ...).
    pub kind: String,
    pub chosen: bool,
    /// The condition that chose or ruled out the step, in words.
    pub why: String,
    pub diffs: Vec<FileDiff>,
    /// Commands this step would run, argv lists (secrets redacted).
    pub commands: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual: Vec<ManualItem>,
    /// The queued messages the step quarantines or retries, per queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<QueuePlan>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// Ids (as in `steps[].id`) of the steps its condition's `changed:` names: after an
    /// apply, when none of them is still `changed`, this step is `undone` and its
    /// checklist items are dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// After an apply: `changed`, `unchanged`, `skipped`, `failed`, `undone`, `not-run`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// After an apply: what each command the step ran printed (the last lines, redacted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<CommandOutput>,
    /// `kill_sessions`: the processes to end, per user (after an apply, with results).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<SignalWork>,
    #[serde(skip)]
    pub work: Vec<Work>,
}

impl PlannedStep {
    /// Whether the step would change the host.
    pub fn changes(&self) -> bool {
        self.chosen && self.work.iter().any(Work::changes)
    }
}

/// What a command run by an apply printed: the last lines of each stream, secrets masked.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommandOutput {
    /// The argv as shown (secrets redacted).
    pub command: Vec<String>,
    /// The exit status; `null` when it was killed (a signal, the timeout).
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileDiff {
    pub file: String,
    pub diff: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManualItem {
    pub text: String,
    /// Translations of the text, rendered with the same values (the runbook's `i18n`), by language.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub i18n: Translations,
    /// The facts that justify the item, with their values.
    pub evidence: IndexMap<String, Value>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PlannedHandler {
    pub name: String,
    pub title: String,
    /// Translations of the title (the runbook's `i18n`), by language.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub i18n: Translations,
    pub service: String,
    pub test: Vec<String>,
    pub reload: Vec<String>,
    /// Succeeds when the service runs (empty: assume it does).
    pub running: Vec<String>,
    /// Whether the service's control program exists on the host.
    pub installed: bool,
    /// Whether a step that changes something notifies it.
    pub fires: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// One unit of work of a chosen step.
#[derive(Debug, Clone)]
pub enum Work {
    Write(FileEdit),
    Install(InstallWork),
    Command(CommandWork),
    Queue(QueueWork),
    Reload(ReloadWork),
    Manual(String),
    Signal(SignalWork),
}

impl Work {
    pub fn changes(&self) -> bool {
        match self {
            Work::Write(edit) => edit.before.as_deref() != Some(edit.after.as_slice()),
            Work::Install(install) => install.before != install.after,
            Work::Command(cmd) => cmd.mutating,
            Work::Queue(queue) => !queue.messages.is_empty(),
            Work::Reload(reload) => reload.installed,
            Work::Manual(_) => false,
            Work::Signal(signal) => !signal.processes.is_empty(),
        }
    }
}

/// Replace a file's content.
#[derive(Debug, Clone)]
pub struct FileEdit {
    /// Host path of the file really written (symlinks resolved).
    pub file: String,
    /// Where the file is: its directory, held open since the plan read it, so the file
    /// diffed is the file written whatever is renamed or swapped on the way meanwhile.
    pub target: Chased,
    /// The site user the step allows to own the file and its directories.
    pub owner: Option<u32>,
    /// Content expected on disk just before this edit (`None`: the file does not exist).
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
}

/// Replace a file's content through the program that owns it (`crontab -u USER -`),
/// which reads the new content on stdin.
#[derive(Debug, Clone)]
pub struct InstallWork {
    /// Host path of the file the program keeps: shown in the diff, read again to check
    /// that it still holds what the plan read.
    pub file: String,
    pub installer: crate::edit::installer::Installer,
    /// The content as the program lists it, before and after.
    pub before: String,
    pub after: String,
}

/// Run a command (argv, no shell; a `shell` step is `/bin/sh -e -c SCRIPT`).
#[derive(Clone)]
pub struct CommandWork {
    pub argv: Vec<String>,
    /// The argv as shown and journaled, secrets redacted.
    pub shown: Vec<String>,
    pub undo: Option<Vec<String>>,
    pub undo_shown: Option<Vec<String>>,
    pub timeout: Duration,
    pub mutating: bool,
    /// Fed to the program's stdin (may hold secrets: never shown).
    pub stdin: Option<String>,
    /// Added to the program's environment (values may hold secrets: never shown).
    pub env: Vec<(String, String)>,
    /// The run's secrets: whatever the command prints is redacted with it before it is
    /// shown, journaled or stored (`apply::command::run_work`).
    pub redactor: Redactor,
}

/// Names only: stdin and env values may be secrets.
impl std::fmt::Debug for CommandWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandWork")
            .field("argv", &self.shown)
            .field("undo", &self.undo_shown)
            .field("timeout", &self.timeout)
            .field("mutating", &self.mutating)
            .field("stdin", &self.stdin.as_ref().map(|_| "..."))
            .field(
                "env",
                &self.env.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Act on queued messages: move them into the run's quarantine (`purge`), or release
/// and retry them (`retry`, through the commands `queue::retry_commands` gives).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueWork {
    pub action: QueueAction,
    /// The MTA's name (`mta.kind`).
    pub mta: String,
    /// Host path of its queue directory.
    pub spool: String,
    /// Its binary, as `mta.binary` names it (`/usr/sbin/exim4`).
    pub binary: String,
    /// The messages selected, oldest first.
    pub messages: Vec<crate::queue::Queued>,
    /// Queue files that could not be read (never selected).
    pub unreadable: usize,
}

/// The plan's view of one `QueueWork`: how many messages, the first ids, who sent
/// them; after an apply what became of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueuePlan {
    /// `purge` or `retry`.
    pub action: QueueAction,
    pub mta: String,
    pub spool: String,
    pub count: usize,
    /// The first ids, oldest first (at most [`QueuePlan::IDS_SHOWN`]).
    pub ids: Vec<String>,
    pub by_sender: Vec<Count>,
    pub by_script: Vec<Count>,
    /// Queue files that could not be read, so were not selected.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unreadable: usize,
    /// After an apply of a purge: the quarantine, relative to the state dir.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
    /// After an apply: how many were quarantined (purge) or retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<usize>,
    /// After an apply: messages left in the queue, and why (being delivered, gone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

impl QueuePlan {
    pub const IDS_SHOWN: usize = 20;
    pub const TOP: usize = 10;
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub name: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub id: String,
    pub reason: String,
}

/// Test a service's config, then reload it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReloadWork {
    pub service: String,
    pub test: Vec<String>,
    pub reload: Vec<String>,
    pub running: Vec<String>,
    pub installed: bool,
}

/// End a user's processes: TERM, wait, then KILL to those still running; each one
/// checked first to be the process planned (same start time, same real uid). Not
/// reversible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalWork {
    pub user: String,
    pub uid: u32,
    /// Seconds between TERM and KILL.
    pub wait_secs: u64,
    /// Always `false`: an ended process cannot be brought back; rollback says so.
    pub reversible: bool,
    pub processes: Vec<crate::facts::processes::Process>,
    /// The user's processes runbook runs under (the session an operator started it
    /// from): never signalled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spared: Vec<crate::facts::processes::Process>,
}
