//! The measures report (`runbook report`): what a run did to the host, read back from
//! its run record and journal, for the provider's support ("tell us what measures you
//! took", article 002) and the site owner. [`gather`] reads it; [`document`] words it
//! in a language; `text`, `markdown` and `html` lay the words out; JSON is [`Measures`]
//! itself.

mod document;
mod held;
mod html;
mod text;
mod translated;

pub use document::{Document, Section, document};
pub use html::html;
pub use text::{markdown, text};

use anyhow::Result;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apply::journal::{self, Entry, JournalAction};
use crate::apply::signal;
use crate::apply::state::RunRecord;
use crate::apply::state_dir::Dir;
use crate::edit::installer::Installer;
use crate::host::Host;
use crate::plan::i18n::Translations;
use crate::plan::types::{CheckResult, Count, Plan, QueueAction};

/// What one run did, and what is left.
#[derive(Debug, Serialize)]
pub struct Measures {
    pub run_id: String,
    pub runbook: String,
    pub title: String,
    /// The title translated, by language (from the saved plan).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub i18n: Translations,
    /// The language asked for with `--lang`: the one to pick from the `i18n` maps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<&'static str>,
    /// The host's name (its /etc/hostname).
    pub host: String,
    /// The host root the run worked on (`/` on a live host).
    pub root: String,
    pub started: String,
    pub finished: Option<String>,
    /// As `runbook history` says: `applied`, `failed`, `rolled-back`, ...
    pub outcome: String,
    pub error: Option<String>,
    /// When it was rolled back, if it was.
    pub rolled_back: Option<String>,
    /// As given, secrets masked.
    pub params: IndexMap<String, Value>,
    /// The runbook's checks as the plan found the host, one per fact.
    pub found: Vec<CheckResult>,
    /// The scripts that sent the queued mail (`queue.top_scripts` as planned).
    pub scripts: Vec<Script>,
    pub files: Vec<FileChange>,
    pub cron: Vec<CronChange>,
    pub quarantined: Vec<QueueChange>,
    pub released: Vec<QueueChange>,
    pub processes: Vec<ProcessesEnded>,
    pub commands: Vec<Vec<String>>,
    /// Services reloaded after their config test.
    pub reloaded: Vec<String>,
    /// Every verify of the run, oldest first (`verify.json`): the last one decides.
    pub verified: Vec<crate::verify::Verified>,
    /// Checklist items shown to the person applying: what is left for a person.
    pub manual: Vec<ManualItem>,
    /// The command that undoes the run, while something of it is still applied.
    pub undo: Option<String>,
}

/// A script named by the queued messages' `X-PHP-Originating-Script`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Script {
    pub script: String,
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub count: u64,
    /// `form`, `random`, `cron` or `unknown`.
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub site: Option<String>,
    /// Where files of that name are on the host.
    #[serde(default)]
    pub locations: Vec<Location>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
}

/// A file the run wrote.
#[derive(Debug, Serialize)]
pub struct FileChange {
    pub path: String,
    /// Lines added and removed by the run (`None` when its bytes are no longer as the
    /// run left them).
    pub added: Option<usize>,
    pub removed: Option<usize>,
    /// `in-place` (as the run left it), `changed-since`, `gone`, `restored` (undone).
    pub state: String,
}

/// A crontab whose jobs the run commented out.
#[derive(Debug, Serialize)]
pub struct CronChange {
    pub user: String,
    /// The crontab's file.
    pub file: String,
    /// The jobs disabled, as they were written (empty once restored: the table no
    /// longer marks them).
    pub jobs: Vec<String>,
    pub restored: bool,
}

/// Messages moved out of a queue (into the run's quarantine) or released.
#[derive(Debug, Serialize)]
pub struct QueueChange {
    pub step: String,
    pub mta: String,
    pub count: usize,
    /// As planned: the messages by envelope sender and by script (empty when the plan
    /// was not saved).
    pub by_sender: Vec<Count>,
    pub by_script: Vec<Count>,
    pub restored: bool,
}

/// Processes of a user the run ended.
#[derive(Debug, Serialize)]
pub struct ProcessesEnded {
    pub user: String,
    pub uid: u32,
    /// Ended by TERM or KILL.
    pub ended: usize,
    /// Planned, but gone or skipped when the signal was to be sent.
    pub not_signalled: usize,
}

#[derive(Debug, Serialize)]
pub struct ManualItem {
    pub step: String,
    pub text: String,
    /// The text translated, by language (from the saved plan's checklist item).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub i18n: Translations,
}

/// Read what run `record` did on `host` from its directory in `state_dir`.
pub fn gather(host: &Host, run_dir: &Dir, record: &RunRecord) -> Result<Measures> {
    let entries = journal::read(run_dir)?;
    // Runs from before plans were saved, and runs with a secret, have none.
    let mut plan: Option<Plan> = run_dir
        .read(crate::apply::execute::PLAN_FILE)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let undone: std::collections::HashSet<u64> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Undone { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    let done: std::collections::HashSet<u64> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Done { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    let mut m = Measures {
        run_id: record.id.clone(),
        runbook: record.runbook.clone(),
        title: record.title.clone(),
        i18n: plan.as_ref().map(|p| p.i18n.clone()).unwrap_or_default(),
        lang: None,
        host: host_name(host),
        root: record.root.clone(),
        started: record.started.clone(),
        finished: record.finished.clone(),
        outcome: record.outcome.clone(),
        error: record.error.clone(),
        rolled_back: None,
        params: record.params.clone(),
        found: plan.as_mut().map(findings).unwrap_or_default(),
        scripts: plan.as_ref().map(scripts).unwrap_or_default(),
        files: Vec::new(),
        cron: Vec::new(),
        quarantined: Vec::new(),
        released: Vec::new(),
        processes: Vec::new(),
        commands: Vec::new(),
        reloaded: Vec::new(),
        verified: crate::verify::record::load(run_dir)?,
        manual: Vec::new(),
        undo: None,
    };
    for entry in &entries {
        match entry {
            Entry::Begin {
                seq, step, action, ..
            } if done.contains(seq) => {
                let restored = undone.contains(seq);
                add_action(host, run_dir, &mut m, step, action, restored);
            }
            Entry::Signalled { processes, .. } => {
                if let Some(last) = m.processes.last_mut() {
                    last.ended = processes
                        .iter()
                        .filter(|p| p.result == signal::BY_TERM || p.result == signal::BY_KILL)
                        .count();
                    last.not_signalled = processes.len() - last.ended;
                }
            }
            Entry::Handler {
                service, result, ..
            } if result == "reloaded" => m.reloaded.push(service.clone()),
            Entry::Manual { step, text, .. } => m.manual.push(ManualItem {
                step: step.clone(),
                text: text.clone(),
                i18n: translated::manual(plan.as_ref(), step, text),
            }),
            Entry::RolledBack { at, .. } => m.rolled_back = Some(at.clone()),
            _ => {}
        }
    }
    if let Some(plan) = &plan {
        add_planned_counts(&mut m, plan);
    }
    let still_applied = m.rolled_back.is_none() && record.outcome == "applied";
    if still_applied && record.changed_something() {
        m.undo = Some(undo_command(record));
    }
    Ok(m)
}

fn add_action(
    host: &Host,
    run_dir: &Dir,
    m: &mut Measures,
    step: &str,
    action: &JournalAction,
    restored: bool,
) {
    match action {
        JournalAction::Write {
            file,
            backup,
            before_sha256,
            after_sha256,
            ..
        } => {
            let old = match backup {
                Some(name) => journal::read_backup(run_dir, name, before_sha256.as_deref()).ok(),
                None => Some(Vec::new()),
            };
            m.files
                .push(file_change(host, file, old, after_sha256, restored));
        }
        JournalAction::Install {
            file,
            installer: Installer::Crontab { user },
            backup,
            before_sha256,
            ..
        } => {
            let old =
                journal::read_backup(run_dir, backup, Some(before_sha256)).unwrap_or_default();
            let jobs = disabled_jobs(&String::from_utf8_lossy(&old), host, file);
            m.cron.push(CronChange {
                user: user.clone(),
                file: file.clone(),
                jobs,
                restored,
            });
        }
        JournalAction::Quarantine { mta, count, .. } => m.quarantined.push(QueueChange {
            step: step.to_string(),
            mta: mta.clone(),
            count: *count,
            by_sender: Vec::new(),
            by_script: Vec::new(),
            restored,
        }),
        JournalAction::Release { mta, ids, .. } => m.released.push(QueueChange {
            step: step.to_string(),
            mta: mta.clone(),
            count: ids.len(),
            by_sender: Vec::new(),
            by_script: Vec::new(),
            restored,
        }),
        JournalAction::Command { argv, mutating, .. } => {
            if *mutating {
                m.commands.push(argv.clone());
            }
        }
        JournalAction::Signal {
            user,
            uid,
            processes,
        } => m.processes.push(ProcessesEnded {
            user: user.clone(),
            uid: *uid,
            ended: 0,
            not_signalled: processes.len(),
        }),
    }
}

/// Each fact the runbook's checks read, once, as the plan found it (the top
/// runbook's; an included one's repeat them).
fn findings(plan: &mut Plan) -> Vec<CheckResult> {
    let mut seen = std::collections::HashSet::new();
    std::mem::take(&mut plan.checks)
        .into_iter()
        .filter(|c| !c.id.contains('/') && seen.insert(c.fact.clone()))
        .collect()
}

/// `queue.top_scripts` as a checklist item of the plan cited it.
fn scripts(plan: &Plan) -> Vec<Script> {
    plan.steps
        .iter()
        .flat_map(|s| &s.manual)
        .find_map(|item| item.evidence.get("queue.top_scripts"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The planned senders and scripts of each quarantine and release, matched to the
/// journal's by step and order within the step.
fn add_planned_counts(m: &mut Measures, plan: &Plan) {
    for (changes, action) in [
        (&mut m.quarantined, QueueAction::Purge),
        (&mut m.released, QueueAction::Retry),
    ] {
        let mut nth: std::collections::HashMap<String, usize> = Default::default();
        for change in changes.iter_mut() {
            let n = nth.entry(change.step.clone()).or_default();
            let planned = plan
                .steps
                .iter()
                .filter(|s| s.id == change.step)
                .flat_map(|s| &s.queue)
                .filter(|q| q.action == action && q.done.is_some())
                .nth(*n);
            *n += 1;
            if let Some(q) = planned {
                change.by_sender = q.by_sender.clone();
                change.by_script = q.by_script.clone();
            }
        }
    }
}

/// A written file: lines added and removed, counted against the file as it is now when
/// it is still as the run left it.
fn file_change(
    host: &Host,
    path: &str,
    old: Option<Vec<u8>>,
    after_sha256: &str,
    restored: bool,
) -> FileChange {
    let now = host.read_max(path, FILE_MAX).ok().flatten();
    let (state, counts) = match (&now, restored) {
        (_, true) => ("restored", None),
        (None, false) => ("gone", None),
        (Some(now), false) if crate::digest::sha256(now) != after_sha256 => ("changed-since", None),
        (Some(now), false) => ("in-place", old.map(|old| line_counts(&old, now))),
    };
    FileChange {
        path: path.to_string(),
        added: counts.map(|c| c.0),
        removed: counts.map(|c| c.1),
        state: state.to_string(),
    }
}

/// Files larger than this are not diffed for the report (php.ini is 70 KiB).
const FILE_MAX: u64 = 16 << 20;

fn line_counts(old: &[u8], new: &[u8]) -> (usize, usize) {
    let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut counts = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => counts.0 += 1,
            similar::ChangeTag::Delete => counts.1 += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    counts
}

/// The jobs a crontab edit commented out: lines of the table before that are
/// `# disabled by runbook: LINE` in the table now (or were, if it was restored since).
fn disabled_jobs(before: &str, host: &Host, file: &str) -> Vec<String> {
    let now = host
        .read_max(file, FILE_MAX)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let marked: std::collections::HashSet<&str> = now
        .lines()
        .filter_map(|l| l.strip_prefix(crate::edit::crontab::MARKER))
        .collect();
    before
        .lines()
        .filter(|l| marked.contains(l))
        .map(str::to_string)
        .collect()
}

fn host_name(host: &Host) -> String {
    let from_file = host
        .read_max("/etc/hostname", 4096)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|s| !s.is_empty());
    from_file
        .or_else(|| {
            (host.root() == std::path::Path::new("/"))
                .then(|| nix::unistd::gethostname().ok())
                .flatten()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| host.root().display().to_string())
}

fn undo_command(record: &RunRecord) -> String {
    if record.root == "/" {
        format!("runbook rollback {}", record.id)
    } else {
        format!("runbook rollback {} --root {}", record.id, record.root)
    }
}
