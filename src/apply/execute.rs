//! Applying a plan: lock, journal each action before it acts, back up, write atomically,
//! run commands, reload services after their config test; on failure undo in reverse.

use std::collections::HashSet;

use anyhow::{Context, Result, anyhow, bail};

use super::atomic::{self, Ownership};
use super::command;
use super::hook;
use super::journal::{self, Entry, Journal, JournalAction, now};
use super::lock;
use super::quarantine;
use super::state::{self, RunRecord};
use super::state_dir::Dir;
use crate::chase::{Chased, Policy};
use crate::edit::installer::Installer;
use crate::host::Host;
use crate::plan::actions::{DEFAULT_TIMEOUT, read_edited};
use crate::plan::types::{
    CommandOutput, CommandWork, FileEdit, InstallWork, Plan, QueueAction, QueuePlan, QueueWork,
    ReloadWork, Work,
};
use crate::process::{self, interrupted};

/// Something done that can be reversed, newest last.
#[derive(Debug, Clone)]
enum Done {
    Write {
        seq: u64,
        step: String,
        file: String,
        target: Box<Chased>,
        backup: Vec<u8>,
        ownership: Ownership,
    },
    Install {
        seq: u64,
        step: String,
        file: String,
        installer: Installer,
        before: String,
    },
    Command {
        seq: u64,
        step: String,
        argv: Vec<String>,
        undo: Option<Vec<String>>,
    },
    Quarantine {
        seq: u64,
        step: String,
        dir: std::path::PathBuf,
        work: Box<QueueWork>,
    },
    Release {
        seq: u64,
        step: String,
        work: Box<QueueWork>,
        ids: Vec<String>,
    },
    /// Processes ended (`kill_sessions`): never undone.
    Signal {
        step: String,
        user: String,
        record: Vec<String>,
    },
}

impl Done {
    fn step(&self) -> &str {
        match self {
            Done::Write { step, .. }
            | Done::Install { step, .. }
            | Done::Command { step, .. }
            | Done::Quarantine { step, .. }
            | Done::Release { step, .. }
            | Done::Signal { step, .. } => step,
        }
    }
}

/// The result of an apply; `error` is set when it failed (and what was done was undone).
pub struct Applied {
    pub run_id: String,
    pub undone: Vec<String>,
    pub error: Option<anyhow::Error>,
    /// Why the run's final record could not be saved, if it could not.
    pub record_error: Option<String>,
}

/// The plan as applied, in the run's directory.
pub const PLAN_FILE: &str = "plan.json";

/// Apply a plan. `force`: go on although an earlier run was interrupted half-way.
pub fn apply(plan: &mut Plan, host: &Host, state_dir: &Dir, force: bool) -> Result<Applied> {
    let _lock = lock::acquire(state_dir, &format!("apply {}", plan.runbook))?;
    if !force {
        refuse_after_interrupted(state_dir)?;
    }
    let (run_id, run_dir) = state::create_run(state_dir)?;
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
        queues: Vec::new(),
        outcome: "running".into(),
        error: None,
    };
    state::save(state_dir, &record)?;
    let mut run = Run {
        host,
        run_dir: &run_dir,
        journal: Journal::create(&run_dir)?,
        done: Vec::new(),
        all_done: Vec::new(),
        not_undone: HashSet::new(),
    };
    plan.run_id = Some(run_id.clone());

    let result = run.steps(plan).and_then(|_| run.handlers(plan));
    let (undone, error) = match result {
        Ok(()) => (Vec::new(), None),
        Err(e) => {
            let undone = run.undo_all();
            mark_not_run(plan);
            mark_undone(plan, &run);
            (undone, Some(e))
        }
    };
    drop_unheld_results(plan);
    for done in &run.done {
        match done {
            Done::Write { file, .. } | Done::Install { file, .. }
                if !record.changed_files.contains(file) =>
            {
                record.changed_files.push(file.clone())
            }
            Done::Command { argv, .. } | Done::Signal { record: argv, .. } => {
                record.commands.push(argv.clone())
            }
            Done::Quarantine { work, .. } if !record.queues.contains(&work.spool) => {
                record.queues.push(work.spool.clone())
            }
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
    // The journal already holds every action: a run record that cannot be saved (a full
    // disk) leaves the run as interrupted in history, and rollback still works from it.
    let record_error = state::save(state_dir, &record)
        .err()
        .map(|e| format!("{e:#}"));
    plan.outcome = Some(record.outcome.clone());
    // The plan as applied (the facts its checks and checklist cite, the messages it
    // quarantined by sender and script) is what `runbook report` tells the provider;
    // one that may carry a secret is never saved (as `plan::saved`). Not saved is not
    // a failed run: the report then says less.
    if !plan.has_secrets
        && let Err(e) = serde_json::to_vec_pretty(&*plan)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| run_dir.replace(PLAN_FILE, &bytes))
    {
        eprintln!("warning: the plan of run {run_id} was not saved: {e:#}");
    }
    Ok(Applied {
        run_id,
        undone,
        error,
        record_error,
    })
}

/// After a failure undid the run: a step whose every change was reversed is `undone`,
/// and the plan says it changed nothing when nothing is left changed. A step whose undo
/// failed, or that reloaded a service (a reload is not reversed), stays `changed`.
fn mark_undone(plan: &mut Plan, run: &Run) {
    for step in &mut plan.steps {
        let reloaded = step
            .work
            .iter()
            .any(|w| matches!(w, Work::Reload(r) if r.installed));
        let did = run.all_done.iter().any(|d| d.step() == step.id);
        if step.outcome.as_deref() == Some("changed")
            && did
            && !reloaded
            && !run.not_undone.contains(&step.id)
        {
            step.outcome = Some("undone".into());
        }
    }
    plan.changes = plan
        .steps
        .iter()
        .any(|s| s.outcome.as_deref() == Some("changed"))
        || !run.not_undone.is_empty()
        || plan
            .handlers
            .iter()
            .any(|h| h.outcome.as_deref() == Some("reloaded"));
}

/// A step chosen because earlier steps changed something (`changed:`) states a result;
/// when none of them is still `changed` after the apply (undone, failed, not run), the
/// result does not hold: the step is `undone` and its checklist items are dropped.
fn drop_unheld_results(plan: &mut Plan) {
    let changed: HashSet<String> = plan
        .steps
        .iter()
        .filter(|s| s.outcome.as_deref() == Some("changed"))
        .map(|s| s.id.clone())
        .collect();
    for step in &mut plan.steps {
        if !step.depends_on.is_empty()
            && step.outcome.as_deref() != Some("failed")
            && !step.depends_on.iter().any(|d| {
                // An include's changes are its included steps' (`STEP/SUBSTEP`).
                let inner = format!("{d}/");
                changed.contains(d) || changed.iter().any(|c| c.starts_with(&inner))
            })
        {
            step.outcome = Some("undone".into());
            step.manual.clear();
        }
    }
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

/// An earlier apply or rollback that died half-way must be rolled back (or the user
/// says `--force`) before anything else changes the host.
fn refuse_after_interrupted(state_dir: &Dir) -> Result<()> {
    for run in state::list(state_dir, false)? {
        if run.outcome.ends_with("interrupted") && run.changed_something() {
            bail!(
                "run {} ({}) was {} before it finished, and its journal holds changes that were neither completed nor undone; \
                 roll it back first with `runbook rollback {}`, or apply anyway with --force",
                run.id,
                run.runbook,
                if run.outcome == "interrupted" {
                    "interrupted"
                } else {
                    "interrupted while rolling back"
                },
                run.id
            );
        }
    }
    Ok(())
}

struct Run<'a> {
    host: &'a Host,
    run_dir: &'a Dir,
    journal: Journal,
    /// What is done and not yet undone, newest last.
    done: Vec<Done>,
    /// Everything done, undone since or not (for the run's record).
    all_done: Vec<Done>,
    /// Steps with a change that could not be undone after a failure.
    not_undone: HashSet<String>,
}

impl Run<'_> {
    fn steps(&mut self, plan: &mut Plan) -> Result<()> {
        for step in plan.steps.iter_mut() {
            if !step.chosen {
                step.outcome = Some("skipped".into());
                continue;
            }
            let changes = step.changes();
            let mut queues = step.queue.iter_mut();
            for work in &step.work {
                if interrupted() {
                    bail!("interrupted");
                }
                let result = match work {
                    Work::Write(edit) => self.write(&step.id, edit),
                    Work::Install(install) => self.install(&step.id, install, &mut step.output),
                    Work::Command(cmd) => self.command(&step.id, cmd, &mut step.output),
                    Work::Queue(queue) => {
                        self.queue(&step.id, queue, &mut step.output, queues.next())
                    }
                    Work::Reload(reload) => self.reload(&step.id, reload).map(|_| ()),
                    Work::Manual(text) => self.journal.write(&Entry::Manual {
                        at: now(),
                        step: step.id.clone(),
                        text: text.clone(),
                    }),
                    Work::Signal(work) => self.signal(&step.id, work, &mut step.signals),
                };
                if let Err(e) = result {
                    step.outcome = Some("failed".into());
                    return Err(e.context(format!("step `{}` failed", step.id)));
                }
            }
            let changes = changes && !super::signal::nothing_signalled(step);
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

    /// Replace a file through the directory the plan walked to: check it still holds
    /// what the plan read, back it up, journal, write the temp file, rename.
    fn write(&mut self, step: &str, edit: &FileEdit) -> Result<()> {
        let policy = Policy::edit(edit.owner);
        let (current, st) = read_edited(&edit.target, &policy)
            .with_context(|| format!("cannot write {}", edit.file))?;
        if Some(&current) != edit.before.as_ref() {
            bail!(
                "{} changed since the plan was made; run the plan again",
                edit.file
            );
        }
        let ownership = Ownership::of(&st);
        let seq = self.journal.seq();
        let backup = journal::backup(self.run_dir, seq, &current)?;
        let temp = atomic::temp_name(&edit.target.name);
        self.journal.write(&Entry::Begin {
            seq,
            at: now(),
            step: step.to_string(),
            action: JournalAction::Write {
                file: edit.file.clone(),
                dir: edit.target.dir_id,
                owner: edit.owner,
                temp: temp.clone(),
                backup: Some(backup),
                ownership: Some(ownership),
                before_sha256: Some(crate::digest::sha256(&current)),
                after_sha256: crate::digest::sha256(&edit.after),
            },
        })?;
        hook::point("after-journal");
        let dir = &edit.target.dir;
        let written = atomic::stage(dir, &temp, &edit.after, ownership).and_then(|staged| {
            hook::point("after-temp");
            atomic::commit(dir, &temp, &edit.target.name, &staged)
        });
        if let Err(e) = written {
            self.journal.write(&Entry::Failed {
                seq,
                at: now(),
                error: e.to_string(),
            })?;
            return Err(e).with_context(|| format!("cannot write {}", edit.file));
        }
        hook::point("after-rename");
        self.push(Done::Write {
            seq,
            step: step.to_string(),
            file: edit.file.clone(),
            target: Box::new(edit.target.clone()),
            backup: current,
            ownership,
        });
        self.journal.write(&Entry::Done { seq, at: now() })?;
        hook::point("after-done");
        Ok(())
    }

    /// Change a file through its program: check it still lists what the plan read, back
    /// that up, journal, give the program the new content, check it lists that now.
    fn install(
        &mut self,
        step: &str,
        work: &InstallWork,
        outputs: &mut Vec<CommandOutput>,
    ) -> Result<()> {
        let file = &work.file;
        match command::installed_now(self.host, &work.installer)? {
            Some((found, now)) if found == *file && now == work.before => {}
            _ => bail!("{file} changed since the plan was made; run the plan again"),
        }
        let seq = self.journal.seq();
        let backup = journal::backup(self.run_dir, seq, work.before.as_bytes())?;
        let program = work.installer.program();
        self.journal.write(&Entry::Begin {
            seq,
            at: now(),
            step: step.to_string(),
            action: JournalAction::Install {
                file: file.clone(),
                installer: work.installer.clone(),
                backup,
                before_sha256: crate::digest::sha256(work.before.as_bytes()),
                after_sha256: crate::digest::sha256(work.after.as_bytes()),
            },
        })?;
        hook::point("after-journal");
        let finished = match command::install(self.host, &work.installer, &work.after) {
            Ok(finished) => finished,
            Err(e) => return Err(self.failed(seq, format!("{e:#}"))),
        };
        self.finished(seq, &program, &finished, outputs)?;
        // Installed: from here on the change is undone by reinstalling the old content.
        self.push(Done::Install {
            seq,
            step: step.to_string(),
            file: file.clone(),
            installer: work.installer.clone(),
            before: work.before.clone(),
        });
        hook::point("after-install");
        match command::installed_now(self.host, &work.installer)? {
            Some((_, now)) if now == work.after => {}
            _ => bail!(
                "`{}` ran, but {file} does not hold what the plan said",
                program.join(" ")
            ),
        }
        self.journal.write(&Entry::Done { seq, at: now() })
    }

    /// End a user's processes (`apply::signal`); each one's result goes to `shown`, the
    /// step's view of the work. A process that could not be ended fails the step.
    fn signal(
        &mut self,
        step: &str,
        work: &crate::plan::types::SignalWork,
        shown: &mut [crate::plan::types::SignalWork],
    ) -> Result<()> {
        // Only processes runbook runs under: nothing to end.
        if work.processes.is_empty() {
            return Ok(());
        }
        let seq = self.journal.seq();
        let ended = super::signal::end(&mut self.journal, self.host, seq, step, work)?;
        if let Some(record) = super::signal::record(&ended) {
            self.push(Done::Signal {
                step: step.to_string(),
                user: work.user.clone(),
                record,
            });
        }
        if let Some(view) = shown.iter_mut().find(|s| s.user == work.user) {
            for p in &mut view.processes {
                p.result = ended
                    .iter()
                    .find(|e| e.pid == p.pid && e.start_time == p.start_time)
                    .map(|e| e.result.clone());
            }
        }
        let unended = super::signal::unended(&ended);
        if !unended.is_empty() {
            let what: Vec<String> = unended
                .iter()
                .map(|e| format!("PID {}: {}", e.pid, e.result))
                .collect();
            bail!(
                "not every process of `{}` ended: {}",
                work.user,
                what.join("; ")
            );
        }
        Ok(())
    }

    /// Act on queued messages. A retry runs its commands (each journaled and undone as
    /// any command). A purge creates the quarantine with its manifest, journals it, and
    /// moves the messages; it is undone, after a failure half-way too, by putting back
    /// whatever the quarantine holds.
    fn queue(
        &mut self,
        step: &str,
        work: &QueueWork,
        outputs: &mut Vec<CommandOutput>,
        view: Option<&mut QueuePlan>,
    ) -> Result<()> {
        if work.action == QueueAction::Retry {
            let (release, attempt): (Vec<_>, Vec<_>) = crate::plan::queue::commands(work)
                .into_iter()
                .partition(|c| c.undo.is_some());
            if !release.is_empty() {
                self.release(step, work, release, outputs)?;
            }
            for c in attempt {
                let cmd = CommandWork {
                    shown: c.argv.clone(),
                    argv: c.argv,
                    undo_shown: c.undo.clone(),
                    undo: c.undo,
                    timeout: RETRY_TIMEOUT,
                    mutating: true,
                    stdin: None,
                    env: Vec::new(),
                    redactor: Default::default(),
                };
                self.command(step, &cmd, outputs)?;
            }
            if let Some(view) = view {
                view.done = Some(work.messages.len());
            }
            return Ok(());
        }
        let restart = quarantine::preflight(self.host, work)?;
        let seq = self.journal.seq();
        let dir = quarantine::prepare(self.run_dir, seq, work)?;
        self.journal.write(&Entry::Begin {
            seq,
            at: now(),
            step: step.to_string(),
            action: JournalAction::Quarantine {
                mta: work.mta.clone(),
                spool: work.spool.clone(),
                binary: work.binary.clone(),
                quarantine: quarantine::name(seq),
                count: work.messages.len(),
                restart,
            },
        })?;
        hook::point("after-journal");
        // Undone from here on, whatever moved before a failure: never journaled failed,
        // which would leave moved messages to nobody.
        self.push(Done::Quarantine {
            seq,
            step: step.to_string(),
            dir: dir.clone(),
            work: Box::new(work.clone()),
        });
        let purged = quarantine::purge(self.host, &dir, work);
        let (status, stdout) = match &purged {
            Ok(p) => (Some(0), purge_summary(p, work)),
            Err(e) => (None, format!("{e:#}")),
        };
        self.journal.write(&Entry::Output {
            seq,
            at: now(),
            status,
            stdout: command::tail(&stdout),
            stderr: String::new(),
        })?;
        let purged = purged?;
        if let Some(view) = view {
            view.quarantine = Some(dir.display().to_string());
            view.done = Some(purged.moved);
            view.skipped = purged.skipped;
        }
        self.journal.write(&Entry::Done { seq, at: now() })?;
        hook::point("after-done");
        Ok(())
    }

    /// Release the frozen or held messages of a retry: one journaled action, undone by
    /// holding again those still queued (a release command's own undo would fail on a
    /// message delivered since, and stop the rollback).
    fn release(
        &mut self,
        step: &str,
        work: &QueueWork,
        commands: Vec<crate::queue::RetryCommand>,
        outputs: &mut Vec<CommandOutput>,
    ) -> Result<()> {
        let ids: Vec<String> = work
            .messages
            .iter()
            .filter(|m| m.frozen)
            .map(|m| m.id.clone())
            .collect();
        let seq = self.journal.seq();
        self.journal.write(&Entry::Begin {
            seq,
            at: now(),
            step: step.to_string(),
            action: JournalAction::Release {
                mta: work.mta.clone(),
                spool: work.spool.clone(),
                binary: work.binary.clone(),
                ids: ids.clone(),
            },
        })?;
        self.push(Done::Release {
            seq,
            step: step.to_string(),
            work: Box::new(work.clone()),
            ids,
        });
        for c in commands {
            let finished = match process::run(self.host, &c.argv, RETRY_TIMEOUT) {
                Ok(f) => f,
                Err(e) => return Err(self.failed(seq, format!("{e:#}"))),
            };
            self.finished(seq, &c.argv, &finished, outputs)?;
        }
        self.journal.write(&Entry::Done { seq, at: now() })
    }

    fn push(&mut self, done: Done) {
        self.all_done.push(done.clone());
        self.done.push(done);
    }

    /// Run a command; what it printed (the tail, redacted) goes to the journal and to
    /// `outputs`, and a non-zero exit fails the step.
    fn command(
        &mut self,
        step: &str,
        cmd: &CommandWork,
        outputs: &mut Vec<CommandOutput>,
    ) -> Result<()> {
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
            Err(e) => return Err(self.failed(seq, cmd.redactor.redact(&format!("{e:#}")))),
        };
        self.finished(seq, &cmd.shown, &finished, outputs)?;
        if cmd.mutating {
            self.push(Done::Command {
                seq,
                step: step.to_string(),
                argv: cmd.shown.clone(),
                undo: cmd.undo.clone(),
            });
        }
        self.journal.write(&Entry::Done { seq, at: now() })
    }

    /// Journal and keep what the program of action `seq` printed; a non-zero exit (or
    /// a kill) fails the action.
    fn finished(
        &mut self,
        seq: u64,
        shown: &[String],
        finished: &process::Finished,
        outputs: &mut Vec<CommandOutput>,
    ) -> Result<()> {
        let output = CommandOutput {
            command: shown.to_vec(),
            status: if finished.timed_out {
                None
            } else {
                finished.code
            },
            stdout: command::tail(&finished.stdout),
            stderr: command::tail(&finished.stderr),
        };
        self.journal.write(&Entry::Output {
            seq,
            at: now(),
            status: output.status,
            stdout: output.stdout.clone(),
            stderr: output.stderr.clone(),
        })?;
        outputs.push(output);
        if !finished.success() {
            let error = format!("`{}` {}", shown.join(" "), finished.summary());
            return Err(self.failed(seq, error));
        }
        Ok(())
    }

    /// Journal that action `seq` failed; the error to return.
    fn failed(&mut self, seq: u64, error: String) -> anyhow::Error {
        match self.journal.write(&Entry::Failed {
            seq,
            at: now(),
            error: error.clone(),
        }) {
            Ok(()) => anyhow!(error),
            Err(e) => e.context(error),
        }
    }

    /// Test the config, then reload. A service that is not installed is skipped; one that
    /// is not running is tested but not reloaded (a reload must never start it).
    fn reload(&mut self, name: &str, work: &ReloadWork) -> Result<&'static str> {
        let result = if !work.installed {
            "skipped (not installed)"
        } else {
            test_config(self.host, work)?;
            if running(self.host, work) {
                // Journaled before it runs: a crash mid-reload still has rollback reload.
                self.journal_handler(name, work, "started")?;
                let reload = process::run(self.host, &work.reload, DEFAULT_TIMEOUT)?;
                if !reload.success() {
                    bail!("`{}` {}", work.reload.join(" "), reload.summary());
                }
                "reloaded"
            } else {
                "config tested; not running, so not reloaded"
            }
        };
        self.journal_handler(name, work, result)?;
        Ok(result)
    }

    fn journal_handler(&mut self, name: &str, work: &ReloadWork, result: &str) -> Result<()> {
        self.journal.write(&Entry::Handler {
            at: now(),
            name: name.to_string(),
            service: work.service.clone(),
            result: result.to_string(),
            test: work.test.clone(),
            reload: work.reload.clone(),
            running: work.running.clone(),
        })
    }

    /// Reverse everything done, newest first; says what was undone (and what could not be).
    fn undo_all(&mut self) -> Vec<String> {
        let mut report = Vec::new();
        // Not undone, so still done (the run's record lists them).
        let mut kept = Vec::new();
        while let Some(done) = self.done.pop() {
            let (seq, result) = match &done {
                Done::Write {
                    seq,
                    file,
                    target,
                    backup,
                    ownership,
                    ..
                } => {
                    let temp = atomic::temp_name(&target.name);
                    let result =
                        atomic::write_at(&target.dir, &target.name, &temp, backup, *ownership)
                            .map(|_| format!("restored {file}"))
                            .with_context(|| format!("cannot restore {file}"));
                    (*seq, result)
                }
                Done::Install {
                    seq,
                    file,
                    installer,
                    before,
                    ..
                } => {
                    let result = command::install(self.host, installer, before).and_then(|f| {
                        if f.success() {
                            Ok(format!("reinstalled {file}"))
                        } else {
                            Err(anyhow!(
                                "`{}` {}",
                                installer.program().join(" "),
                                f.summary()
                            ))
                        }
                    });
                    (*seq, result)
                }
                Done::Release { seq, work, ids, .. } => {
                    let result = hold_again(self.host, work, ids)
                        .map(|n| format!("held {n} messages again"));
                    (*seq, result)
                }
                Done::Quarantine { seq, dir, work, .. } => {
                    let result = quarantine::restore(self.host, dir, work)
                        .map(|r| format!("requeued {} messages into {}", r.restored, work.spool));
                    (*seq, result)
                }
                Done::Command {
                    seq, argv, undo, ..
                } => {
                    let result = match undo {
                        Some(undo) => {
                            process::run(self.host, undo, DEFAULT_TIMEOUT).and_then(|f| {
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
                Done::Signal { user, .. } => {
                    self.not_undone.insert(done.step().to_string());
                    report.push(format!(
                        "could not undo: the processes of `{user}` were ended, which is not reversible"
                    ));
                    kept.push(done);
                    continue;
                }
            };
            match result {
                Ok(what) => {
                    let _ = self.journal.write(&Entry::Undone { seq, at: now() });
                    report.push(what);
                }
                Err(e) => {
                    self.not_undone.insert(done.step().to_string());
                    report.push(format!("could not undo: {e:#}"))
                }
            }
        }
        kept.reverse();
        self.done.extend(kept);
        report
    }
}

/// The longest a retry's command may run: a delivery attempt of 500 messages.
const RETRY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Hold again the released messages still queued.
pub fn hold_again(host: &Host, work: &QueueWork, ids: &[String]) -> Result<usize> {
    let kind = crate::plan::queue::kind_of(work)?;
    let spool = host
        .resolve(&work.spool)
        .with_context(|| format!("cannot reach the queue {}", work.spool))?;
    crate::queue::hold_again(host, crate::queue::ops(kind), &spool, &work.binary, ids)
}

/// What a purge did, in words, for the journal.
fn purge_summary(p: &quarantine::Purged, work: &QueueWork) -> String {
    let mut out = format!(
        "quarantined {} of {} messages",
        p.moved,
        work.messages.len()
    );
    for s in &p.skipped {
        out.push_str(&format!("\nleft {}: {}", s.id, s.reason));
    }
    out
}

/// Run the service's config test; failing it is an error naming the test's complaint.
pub fn test_config(host: &Host, work: &ReloadWork) -> Result<()> {
    let test = process::run(host, &work.test, DEFAULT_TIMEOUT)?;
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
        Some(_) => process::run(host, &work.running, DEFAULT_TIMEOUT).is_ok_and(|f| f.success()),
    }
}
