//! A saved plan: what `apply --dry-run --save-plan FILE` showed, plus the work that applies
//! exactly that (format in docs/json.md, "Saved plans"). Loading it back re-walks every
//! file the plan edits, the way the planner did, and refuses when one no longer holds what
//! the plan read: the facts and the planner's choices are not made again.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::actions::{read_edited, read_installed};
use super::builder::{changes, describe_work};
use super::redact::Redactor;
use super::types::{CommandWork, FileEdit, InstallWork, Mode, Plan, ReloadWork, Work};
use crate::chase::Policy;
use crate::digest::sha256;
use crate::host::Host;

/// The version of the saved plan's shape; a file of another format is refused.
pub const FORMAT: u64 = 1;

/// The runbook version that saves and applies plans; a plan saved by another is refused.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The file: a header, the plan as the dry run showed it, and each step's work.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan<P> {
    pub format: u64,
    pub runbook_version: String,
    pub runbook: String,
    pub root: String,
    pub params: IndexMap<String, Value>,
    pub plan: P,
    /// One entry per step of the plan, in its order.
    pub work: Vec<StepWork>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepWork {
    pub step: String,
    pub items: Vec<SavedWork>,
}

/// A unit of work as stored: an edit names its file (re-walked at load time) and the
/// SHA-256 of the content it expects there, instead of the open directory and old bytes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SavedWork {
    Write {
        /// Host path, symlinks resolved, as the plan's diff names it.
        file: String,
        /// The uid of the site user the step allows to own the file and its directories.
        owner: Option<u32>,
        /// SHA-256 (hex) of the content the plan read (for a file an earlier step of the
        /// plan edits too: of what that step leaves).
        before_sha256: String,
        /// The new content.
        after: String,
    },
    Install {
        /// The file the program keeps, as the plan's diff names it.
        file: String,
        installer: crate::edit::installer::Installer,
        /// SHA-256 (hex) of the content as the program listed it when planned.
        before_sha256: String,
        after: String,
    },
    Command {
        argv: Vec<String>,
        undo: Option<Vec<String>>,
        timeout_secs: u64,
        mutating: bool,
        stdin: Option<String>,
        env: IndexMap<String, String>,
    },
    /// Queued messages to quarantine or retry, by id; each is looked for again when
    /// applied (one delivered meanwhile is reported gone).
    Queue(super::types::QueueWork),
    Reload(ReloadWork),
    Manual {
        text: String,
    },
    /// `kill_sessions`: the user, uid, wait and the processes planned (PID, start time,
    /// real uid: what apply checks again before it signals).
    Signal(super::types::SignalWork),
}

/// The saved form of a dry run's plan. A plan with a secret param set is refused: its
/// commands' input or an edited file may carry the secret, and a saved plan never does.
pub fn save(plan: &Plan) -> Result<SavedPlan<&Plan>> {
    if plan.has_secrets {
        bail!(
            "runbook `{}` has secret params set, and a saved plan must never hold a secret \
             (a command's input or an edited file may carry it); nothing was saved: apply \
             it directly with `runbook apply {}`",
            plan.runbook,
            plan.runbook
        );
    }
    let work = plan
        .steps
        .iter()
        .map(|step| {
            Ok(StepWork {
                step: step.id.clone(),
                items: step.work.iter().map(save_work).collect::<Result<_>>()?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(SavedPlan {
        format: FORMAT,
        runbook_version: VERSION.to_string(),
        runbook: plan.runbook.clone(),
        root: plan.root.clone(),
        params: plan.params.clone(),
        plan,
        work,
    })
}

fn save_work(work: &Work) -> Result<SavedWork> {
    Ok(match work {
        Work::Write(edit) => SavedWork::Write {
            file: edit.file.clone(),
            owner: edit.owner,
            before_sha256: sha256(
                edit.before
                    .as_deref()
                    .ok_or_else(|| anyhow!("{} has no content to check", edit.file))?,
            ),
            after: String::from_utf8(edit.after.clone())
                .map_err(|_| anyhow!("the new content of {} is not UTF-8 text", edit.file))?,
        },
        Work::Install(install) => SavedWork::Install {
            file: install.file.clone(),
            installer: install.installer.clone(),
            before_sha256: sha256(install.before.as_bytes()),
            after: install.after.clone(),
        },
        Work::Command(cmd) => SavedWork::Command {
            argv: cmd.argv.clone(),
            undo: cmd.undo.clone(),
            timeout_secs: cmd.timeout.as_secs(),
            mutating: cmd.mutating,
            stdin: cmd.stdin.clone(),
            env: cmd.env.iter().cloned().collect(),
        },
        Work::Queue(queue) => SavedWork::Queue(queue.clone()),
        Work::Reload(reload) => SavedWork::Reload(reload.clone()),
        Work::Manual(text) => SavedWork::Manual { text: text.clone() },
        Work::Signal(signal) => SavedWork::Signal(signal.clone()),
    })
}

/// Read a saved plan's JSON: format and runbook version first (another format may have
/// another shape), then the shape, then that its parts agree.
pub fn parse(bytes: &[u8]) -> Result<SavedPlan<Plan>> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| anyhow!("not a saved plan: not JSON ({e})"))?;
    let format = value
        .get("format")
        .ok_or_else(|| anyhow!("not a saved plan: it has no `format` field"))?;
    if format.as_u64() != Some(FORMAT) {
        bail!(
            "a saved plan of format {format}, but this runbook reads format {FORMAT} only; \
             make the plan again"
        );
    }
    let version = value.get("runbook_version").and_then(Value::as_str);
    if version != Some(VERSION) {
        bail!(
            "saved by runbook {}, but this is runbook {VERSION}, which may plan differently; \
             make the plan again with this version",
            version.unwrap_or("(no version)")
        );
    }
    let saved: SavedPlan<Plan> = serde_json::from_value(value)
        .map_err(|e| anyhow!("not a saved plan of format {FORMAT}: {e}"))?;
    let plan = &saved.plan;
    let same_steps = saved.work.len() == plan.steps.len()
        && saved
            .work
            .iter()
            .zip(&plan.steps)
            .all(|(w, s)| w.step == s.id);
    if plan.runbook != saved.runbook
        || plan.root != saved.root
        || plan.params != saved.params
        || plan.mode != Mode::DryRun
        || !same_steps
    {
        bail!("not a saved plan of format {FORMAT}: its header, plan and work do not agree");
    }
    Ok(saved)
}

impl SavedPlan<Plan> {
    /// The plan to apply on `host`: every edit's file walked again under the edit policy
    /// and read through the directory found, as the planner does, and required to hold
    /// the content the plan read; what is shown (diffs, commands) made from the work.
    pub fn into_plan(self, host: &Host) -> Result<Plan> {
        let root = host.root().display().to_string();
        if self.root != root {
            bail!(
                "it was saved for the host root {}, not {root}; apply it with --root {}",
                self.root,
                self.root
            );
        }
        let mut plan = self.plan;
        let mut planned: HashMap<String, Vec<u8>> = HashMap::new();
        let mut changed = Vec::new();
        for (step, saved) in plan.steps.iter_mut().zip(self.work) {
            for item in saved.items {
                match load_work(host, item, &mut planned) {
                    Ok(work) => step.work.push(work),
                    Err(e) => {
                        // A file edited twice is named once.
                        let e = format!("{e:#}");
                        if !changed.contains(&e) {
                            changed.push(e);
                        }
                    }
                }
            }
            step.diffs.clear();
            step.commands.clear();
            step.signals.clear();
            describe_work(step, &Redactor::default());
        }
        if !changed.is_empty() {
            bail!(
                "the host changed since the plan was saved, so it cannot apply as reviewed:\n  - {}\n\
                 make the plan again with `runbook apply {} --dry-run{}`",
                changed.join("\n  - "),
                plan.runbook,
                if root == "/" {
                    String::new()
                } else {
                    format!(" --root {root}")
                }
            );
        }
        plan.mode = Mode::Apply;
        plan.changes = changes(&plan.steps, &plan.handlers);
        plan.has_secrets = false;
        Ok(plan)
    }
}

/// Rebuild one unit of work. `planned` holds what earlier edits of the plan leave in a
/// file, which is what a later edit of it expects.
fn load_work(host: &Host, item: SavedWork, planned: &mut HashMap<String, Vec<u8>>) -> Result<Work> {
    Ok(match item {
        SavedWork::Write {
            file,
            owner,
            before_sha256,
            after,
        } => {
            let after = after.into_bytes();
            let earlier = planned.insert(file.clone(), after.clone());
            let policy = Policy::edit(owner);
            let target = host
                .chase(&file, &policy)
                .map_err(|e| anyhow!("{file}: cannot walk to it ({e})"))?;
            if target.host_path != file {
                bail!("{file} now resolves to {}", target.host_path);
            }
            let before = match earlier {
                Some(content) => content,
                None => read_edited(&target, &policy)?.0,
            };
            let now = sha256(&before);
            if now != before_sha256 {
                bail!("{file} changed (SHA-256 {now}; the plan read {before_sha256})");
            }
            Work::Write(FileEdit {
                file,
                target,
                owner,
                before: Some(before),
                after,
            })
        }
        SavedWork::Install {
            file,
            installer,
            before_sha256,
            after,
        } => {
            // Keyed apart from written files: these hold the listed table, not the file.
            let key = format!("install:{file}");
            let earlier = planned.insert(key, after.clone().into_bytes());
            let before = match earlier {
                Some(content) => String::from_utf8_lossy(&content).into_owned(),
                None => match read_installed(host, &installer, &HashMap::new())? {
                    Some((found, listed)) if found == file => listed,
                    _ => bail!("{file} is gone or moved since the plan was saved"),
                },
            };
            let now = sha256(before.as_bytes());
            if now != before_sha256 {
                bail!("{file} changed (SHA-256 {now}; the plan read {before_sha256})");
            }
            Work::Install(InstallWork {
                file,
                installer,
                before,
                after,
            })
        }
        SavedWork::Command {
            argv,
            undo,
            timeout_secs,
            mutating,
            stdin,
            env,
        } => Work::Command(CommandWork {
            shown: argv.clone(),
            undo_shown: undo.clone(),
            argv,
            undo,
            timeout: Duration::from_secs(timeout_secs),
            mutating,
            stdin,
            env: env.into_iter().collect(),
            redactor: Redactor::default(),
        }),
        SavedWork::Queue(queue) => Work::Queue(queue),
        SavedWork::Reload(reload) => Work::Reload(reload),
        SavedWork::Manual { text } => Work::Manual(text),
        SavedWork::Signal(signal) => {
            // The account as the host has it now: root and system users stay refused
            // whatever the file says.
            let account = crate::facts::account::read(host, &signal.user)?;
            account.refuse_system("end the sessions of")?;
            if account.uid != signal.uid {
                bail!(
                    "`{}` is uid {} now, not {} as planned",
                    signal.user,
                    account.uid,
                    signal.uid
                );
            }
            Work::Signal(signal)
        }
    })
}
