//! Applying a plan: lock, journal each action before it acts, back up, write atomically,
//! run commands, reload services after their config test; on failure undo in reverse.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use super::atomic::{self, Ownership};
use super::command::{self, interrupted};
use super::journal::{self, Entry, Journal, JournalAction, now};
use super::lock;
use super::state::{self, RunRecord};
use crate::host::Host;
use crate::plan::actions::DEFAULT_TIMEOUT;
use crate::plan::types::{CommandWork, FileEdit, Plan, ReloadWork, Work};

/// Something done that can be reversed, newest last.
#[derive(Debug)]
enum Done {
    Write {
        seq: u64,
        file: String,
        real: PathBuf,
        backup: Option<Vec<u8>>,
        ownership: Option<Ownership>,
    },
    Command {
        seq: u64,
        argv: Vec<String>,
        undo: Option<Vec<String>>,
    },
}

/// The result of an apply; `error` is set when it failed (and what was done was undone).
pub struct Applied {
    pub run_id: String,
    pub undone: Vec<String>,
    pub error: Option<anyhow::Error>,
}

pub fn apply(plan: &mut Plan, host: &Host, state_dir: &Path) -> Result<Applied> {
    let _lock = lock::acquire(state_dir, &format!("apply {}", plan.runbook))?;
    let run_id = state::new_run_id(state_dir);
    let run_dir = state::runs_dir(state_dir).join(&run_id);
    std::fs::create_dir_all(&run_dir)?;
    let mut record = RunRecord {
        id: run_id.clone(),
        runbook: plan.runbook.clone(),
        title: plan.title.clone(),
        started: now(),
        finished: None,
        mode: "apply".into(),
        root: plan.root.clone(),
        params: plan.params.clone(),
        changed_files: Vec::new(),
        commands: Vec::new(),
        outcome: "running".into(),
        error: None,
    };
    state::save(state_dir, &record)?;
    let mut run = Run {
        host,
        run_dir: &run_dir,
        journal: Journal::create(&run_dir)?,
        done: Vec::new(),
    };
    plan.run_id = Some(run_id.clone());

    let result = run.steps(plan).and_then(|_| run.handlers(plan));
    let (undone, error) = match result {
        Ok(()) => (Vec::new(), None),
        Err(e) => {
            let undone = run.undo_all();
            mark_not_run(plan);
            (undone, Some(e))
        }
    };
    for done in &run.done {
        match done {
            Done::Write { file, .. } if !record.changed_files.contains(file) => {
                record.changed_files.push(file.clone())
            }
            Done::Command { argv, .. } => record.commands.push(argv.clone()),
            _ => {}
        }
    }
    record.finished = Some(now());
    record.outcome = match &error {
        None => "applied".into(),
        Some(_) if interrupted() => "interrupted".into(),
        Some(_) => "failed".into(),
    };
    record.error = error.as_ref().map(|e| format!("{e:#}"));
    state::save(state_dir, &record)?;
    plan.outcome = Some(record.outcome.clone());
    Ok(Applied {
        run_id,
        undone,
        error,
    })
}

/// Steps that did not get to run are marked so.
fn mark_not_run(plan: &mut Plan) {
    for step in &mut plan.steps {
        if step.chosen && step.outcome.is_none() {
            step.outcome = Some("not-run".into());
        }
    }
    for handler in &mut plan.handlers {
        if handler.outcome.is_none() {
            handler.outcome = Some("not-run".into());
        }
    }
}

struct Run<'a> {
    host: &'a Host,
    run_dir: &'a Path,
    journal: Journal,
    done: Vec<Done>,
}

impl Run<'_> {
    fn steps(&mut self, plan: &mut Plan) -> Result<()> {
        for step in plan.steps.iter_mut() {
            if !step.chosen {
                step.outcome = Some("skipped".into());
                continue;
            }
            let changes = step.changes();
            for work in &step.work {
                if interrupted() {
                    bail!("interrupted");
                }
                let result = match work {
                    Work::Write(edit) => self.write(&step.id, edit),
                    Work::Command(cmd) => self.command(&step.id, cmd),
                    Work::Reload(reload) => self.reload(&step.id, reload).map(|_| ()),
                    Work::Manual(text) => self.journal.write(&Entry::Manual {
                        at: now(),
                        step: step.id.clone(),
                        text: text.clone(),
                    }),
                };
                if let Err(e) = result {
                    step.outcome = Some("failed".into());
                    return Err(e.context(format!("step `{}` failed", step.id)));
                }
            }
            step.outcome = Some(if changes { "changed" } else { "unchanged" }.into());
        }
        Ok(())
    }

    fn handlers(&mut self, plan: &mut Plan) -> Result<()> {
        for handler in plan.handlers.iter_mut().filter(|h| h.fires) {
            let work = ReloadWork {
                service: handler.service.clone(),
                test: handler.test.clone(),
                reload: handler.reload.clone(),
                running: handler.running.clone(),
                installed: handler.installed,
            };
            match self.reload(&handler.name, &work) {
                Ok(result) => handler.outcome = Some(result.into()),
                Err(e) => {
                    handler.outcome = Some("failed".into());
                    return Err(e.context(format!("handler `{}` failed", handler.name)));
                }
            }
        }
        Ok(())
    }

    fn write(&mut self, step: &str, edit: &FileEdit) -> Result<()> {
        let current = match std::fs::read(&edit.real) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", edit.file)),
        };
        if current != edit.before {
            bail!(
                "{} changed since the plan was made; run the plan again",
                edit.file
            );
        }
        let ownership = current
            .as_ref()
            .map(|_| Ownership::of(&edit.real))
            .transpose()?;
        let seq = self.journal.seq();
        let backup = current
            .as_deref()
            .map(|b| journal::backup(self.run_dir, seq, b))
            .transpose()?;
        self.journal.write(&Entry::Begin {
            seq,
            at: now(),
            step: step.to_string(),
            action: JournalAction::Write {
                file: edit.file.clone(),
                real: edit.real.clone(),
                backup,
                ownership,
                before_sha256: current.as_deref().map(atomic::sha256),
                after_sha256: atomic::sha256(&edit.after),
            },
        })?;
        let target = ownership.unwrap_or(Ownership {
            mode: 0o644,
            uid: 0,
            gid: 0,
        });
        if let Err(e) = atomic::write(&edit.real, &edit.after, target) {
            self.journal.write(&Entry::Failed {
                seq,
                at: now(),
                error: e.to_string(),
            })?;
            return Err(e).with_context(|| format!("cannot write {}", edit.file));
        }
        self.done.push(Done::Write {
            seq,
            file: edit.file.clone(),
            real: edit.real.clone(),
            backup: current,
            ownership,
        });
        self.journal.write(&Entry::Done { seq, at: now() })
    }

    fn command(&mut self, step: &str, cmd: &CommandWork) -> Result<()> {
        let seq = self.journal.seq();
        // An undo that holds a secret is not journaled, so rollback cannot replay it.
        let undo_journaled = match (&cmd.undo, &cmd.undo_shown) {
            (Some(undo), Some(shown)) if undo == shown => Some(undo.clone()),
            _ => None,
        };
        self.journal.write(&Entry::Begin {
            seq,
            at: now(),
            step: step.to_string(),
            action: JournalAction::Command {
                argv: cmd.shown.clone(),
                undo: undo_journaled,
                mutating: cmd.mutating,
            },
        })?;
        // run_work redacts the command's output with the run's secrets: a failing
        // command that echoes one cannot carry it into the journal, run.json or stderr.
        let finished = match command::run_work(self.host, cmd) {
            Ok(finished) => finished,
            Err(e) => {
                let error = cmd.redactor.redact(&format!("{e:#}"));
                self.journal.write(&Entry::Failed {
                    seq,
                    at: now(),
                    error: error.clone(),
                })?;
                bail!(error);
            }
        };
        if !finished.success() {
            let error = format!("`{}` {}", cmd.shown.join(" "), finished.summary());
            self.journal.write(&Entry::Failed {
                seq,
                at: now(),
                error: error.clone(),
            })?;
            bail!(error);
        }
        if cmd.mutating {
            self.done.push(Done::Command {
                seq,
                argv: cmd.shown.clone(),
                undo: cmd.undo.clone(),
            });
        }
        self.journal.write(&Entry::Done { seq, at: now() })
    }

    /// Test the config, then reload. A service that is not installed is skipped; one that
    /// is not running is tested but not reloaded (a reload must never start it).
    fn reload(&mut self, name: &str, work: &ReloadWork) -> Result<&'static str> {
        let result = if !work.installed {
            "skipped (not installed)"
        } else {
            test_config(self.host, work)?;
            if running(self.host, work) {
                let reload = command::run(self.host, &work.reload, DEFAULT_TIMEOUT)?;
                if !reload.success() {
                    bail!("`{}` {}", work.reload.join(" "), reload.summary());
                }
                "reloaded"
            } else {
                "config tested; not running, so not reloaded"
            }
        };
        self.journal.write(&Entry::Handler {
            at: now(),
            name: name.to_string(),
            service: work.service.clone(),
            result: result.to_string(),
            test: work.test.clone(),
            reload: work.reload.clone(),
            running: work.running.clone(),
        })?;
        Ok(result)
    }

    /// Reverse everything done, newest first; says what was undone (and what could not be).
    fn undo_all(&mut self) -> Vec<String> {
        let mut report = Vec::new();
        while let Some(done) = self.done.pop() {
            let (seq, result) = match &done {
                Done::Write {
                    seq,
                    file,
                    real,
                    backup,
                    ownership,
                } => {
                    let result = restore(real, backup.as_deref(), *ownership)
                        .map(|_| format!("restored {file}"));
                    (*seq, result)
                }
                Done::Command { seq, argv, undo } => {
                    let result = match undo {
                        Some(undo) => {
                            command::run(self.host, undo, DEFAULT_TIMEOUT).and_then(|f| {
                                if f.success() {
                                    Ok(format!("ran `{}`", undo.join(" ")))
                                } else {
                                    Err(anyhow!("`{}` {}", undo.join(" "), f.summary()))
                                }
                            })
                        }
                        None => Err(anyhow!("`{}` has no undo command", argv.join(" "))),
                    };
                    (*seq, result)
                }
            };
            match result {
                Ok(what) => {
                    let _ = self.journal.write(&Entry::Undone { seq, at: now() });
                    report.push(what);
                }
                Err(e) => report.push(format!("could not undo: {e:#}")),
            }
        }
        report
    }
}

/// Run the service's config test; failing it is an error naming the test's complaint.
pub fn test_config(host: &Host, work: &ReloadWork) -> Result<()> {
    let test = command::run(host, &work.test, DEFAULT_TIMEOUT)?;
    if !test.success() {
        bail!(
            "config test `{}` {}; not reloading {}",
            work.test.join(" "),
            test.summary(),
            work.service
        );
    }
    Ok(())
}

/// Whether the service runs (no check given: assume it does). A missing check program
/// means we cannot tell, and a reload of a maybe-stopped service is not worth the risk.
pub fn running(host: &Host, work: &ReloadWork) -> bool {
    match work.running.first() {
        None => true,
        Some(program) if host.find_program(program).is_none() => false,
        Some(_) => command::run(host, &work.running, DEFAULT_TIMEOUT).is_ok_and(|f| f.success()),
    }
}

/// Put a file back as it was (`None`: it did not exist; it is removed).
pub fn restore(real: &Path, old: Option<&[u8]>, ownership: Option<Ownership>) -> Result<()> {
    match (old, ownership) {
        (Some(bytes), Some(own)) => atomic::write(real, bytes, own)
            .with_context(|| format!("cannot restore {}", real.display())),
        _ => match std::fs::remove_file(real) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        },
    }
}
