//! Running one scenario in a fresh container: the binary copied in, the image's start,
//! the setup, then each step and its expectations; the container torn down after.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::engine::{Built, Container, Engine};
use super::images::Definition;
use super::model::{Check, Scenario, Step};

/// One expectation and whether it held.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Expectation {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// A scenario's run on one suite.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub name: String,
    pub image: String,
    pub suite: String,
    pub engine: String,
    pub passed: bool,
    pub expectations: Vec<Expectation>,
    /// The tail of each of the image's logs, on failure.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub logs: BTreeMap<String, String>,
    /// How the container was made (`overlay`, or a copy and why).
    pub container: String,
    /// Where the container was left (`--keep`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<String>,
    /// Seconds making the container, and running the whole scenario.
    pub start_seconds: f64,
    pub seconds: f64,
}

/// The lines of a log tail a failure shows.
const LOG_LINES: usize = 20;

pub struct Run<'a> {
    pub engine: &'a dyn Engine,
    pub built: &'a Built,
    pub definition: &'a Definition,
    /// The `runbook` binary copied into the container.
    pub binary: &'a Path,
    /// Runbook files of `--runbooks` and RUNBOOK_PATH, copied in and named to each
    /// `runbook` invocation with `--runbooks`.
    pub runbooks: &'a [std::path::PathBuf],
    pub keep: bool,
}

/// Where the runbooks of `--runbooks` and RUNBOOK_PATH are copied in the container.
pub const RUNBOOKS_DIR: &str = "/usr/local/share/runbook/runbooks";
/// Where a scenario's own runbooks (its `runbooks:`) are copied in the container.
pub const SCENARIO_RUNBOOKS_DIR: &str = "/usr/local/share/runbook/scenario-runbooks";

impl Run<'_> {
    pub fn scenario(&self, name: &str, scenario: &Scenario) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome {
            name: name.to_string(),
            image: self.built.image.name().into(),
            suite: self.built.suite.name().into(),
            engine: self.engine.name().into(),
            passed: false,
            expectations: Vec::new(),
            logs: BTreeMap::new(),
            container: String::new(),
            kept: None,
            start_seconds: 0.0,
            seconds: 0.0,
        };
        let container = match self.engine.start(self.built) {
            Ok(c) => c,
            Err(e) => {
                outcome
                    .expectations
                    .push(fail("container", format!("{e:#}")));
                outcome.seconds = started.elapsed().as_secs_f64();
                return outcome;
            }
        };
        outcome.start_seconds = started.elapsed().as_secs_f64();
        outcome.container = container.how();
        let mut ex = Vec::new();
        if let Err(e) = self.steps(container.as_ref(), scenario, &mut ex) {
            ex.push(fail("harness", format!("{e:#}")));
        }
        outcome.passed = !ex.is_empty() && ex.iter().all(|e| e.passed);
        if !outcome.passed {
            for log in &self.definition.logs {
                let script = format!(
                    "tail -n {LOG_LINES} {}",
                    shlex::try_quote(log).unwrap_or_default()
                );
                if let Ok(out) = container.exec_to_end(&script)
                    && out.code == 0
                    && !out.stdout.trim().is_empty()
                {
                    outcome.logs.insert(log.clone(), out.stdout);
                }
            }
        }
        if let Some(stop) = &self.definition.stop {
            let _ = container.exec_to_end(stop);
        }
        match container.stop(self.keep) {
            Ok(kept) => outcome.kept = kept,
            Err(e) => outcome
                .expectations
                .push(fail("teardown", format!("{e:#}"))),
        }
        outcome.expectations.splice(0..0, ex);
        outcome.passed &= outcome.expectations.iter().all(|e| e.passed);
        outcome.seconds = started.elapsed().as_secs_f64();
        outcome
    }

    /// Everything in the container; stops at the first setup that fails (the steps
    /// after would only report its consequences).
    fn steps(
        &self,
        c: &dyn Container,
        scenario: &Scenario,
        ex: &mut Vec<Expectation>,
    ) -> Result<()> {
        c.copy_in(self.binary, "/usr/local/bin/runbook", 0o755)?;
        for file in self.runbooks {
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            c.copy_in(file, &format!("{RUNBOOKS_DIR}/{name}"), 0o644)?;
        }
        for file in &scenario.runbook_files {
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            c.copy_in(file, &format!("{SCENARIO_RUNBOOKS_DIR}/{name}"), 0o644)?;
        }
        if let Some(start) = &self.definition.start {
            let out = c.exec(None, start, None)?;
            if out.code != 0 {
                ex.push(fail(
                    "image start",
                    format!("exit {}: {}", out.code, out.stderr.trim()),
                ));
                return Ok(());
            }
        }
        for (i, cmd) in scenario.setup.iter().enumerate() {
            let out = c.exec(cmd.user.as_deref(), &cmd.run, cmd.stdin.as_deref())?;
            let name = format!("setup {}: {}", i + 1, first_line(&cmd.run));
            if out.code != 0 {
                ex.push(fail(
                    &name,
                    format!("exit {}: {}{}", out.code, out.stdout, out.stderr.trim()),
                ));
                return Ok(());
            }
        }
        // What rollbacks must restore, read once the setup is done.
        let mut after_setup: BTreeMap<String, String> = BTreeMap::new();
        for step in &scenario.steps {
            for path in &step.restored {
                if !after_setup.contains_key(path) {
                    after_setup.insert(path.clone(), checksums(c, path)?);
                }
            }
            for check in step.checks.iter().filter(|k| k.as_after_setup) {
                let key = check.subject();
                if let std::collections::btree_map::Entry::Vacant(e) = after_setup.entry(key) {
                    e.insert(read(c, check)?.1.trim().to_string());
                }
            }
        }
        let mut runbooks = Vec::new();
        if !self.runbooks.is_empty() {
            runbooks.push(RUNBOOKS_DIR);
        }
        if !scenario.runbook_files.is_empty() {
            runbooks.push(SCENARIO_RUNBOOKS_DIR);
        }
        for (i, step) in scenario.steps.iter().enumerate() {
            self.step(c, i + 1, step, &runbooks, &after_setup, ex)?;
        }
        Ok(())
    }

    fn step(
        &self,
        c: &dyn Container,
        n: usize,
        step: &Step,
        runbooks: &[&str],
        after_setup: &BTreeMap<String, String>,
        ex: &mut Vec<Expectation>,
    ) -> Result<()> {
        let label = match &step.name {
            Some(name) => format!("step {n} ({name})"),
            None => format!("step {n} (runbook {})", step.runbook.join(" ")),
        };
        let mut before = BTreeMap::new();
        for path in &step.unchanged {
            before.insert(path.clone(), checksums(c, path)?);
        }
        let mut argv = vec!["/usr/local/bin/runbook".to_string()];
        for dir in runbooks {
            argv.extend(["--runbooks".to_string(), dir.to_string()]);
        }
        argv.extend(step.runbook.iter().cloned());
        let out = c.exec_argv(&argv)?;
        let tail = |text: &str| tail_of(text, 15);
        ex.push(expect(
            format!("{label}: exit {}", step.exit),
            out.code == step.exit,
            if out.code == step.exit {
                format!("exit {}", out.code)
            } else {
                format!(
                    "exit {} (expected {})\nstdout:\n{}\nstderr:\n{}",
                    out.code,
                    step.exit,
                    tail(&out.stdout),
                    tail(&out.stderr)
                )
            },
        ));
        for (stream, text, must, lacks) in [
            (
                "stdout",
                &out.stdout,
                &step.stdout_contains,
                &step.stdout_lacks,
            ),
            (
                "stderr",
                &out.stderr,
                &step.stderr_contains,
                &step.stderr_lacks,
            ),
        ] {
            for want in must {
                let ok = text.contains(want.as_str());
                ex.push(expect(
                    format!("{label}: {stream} contains {want:?}"),
                    ok,
                    if ok {
                        "found".into()
                    } else {
                        format!("not in {stream}:\n{}", tail(text))
                    },
                ));
            }
            for bad in lacks {
                let ok = !text.contains(bad.as_str());
                ex.push(expect(
                    format!("{label}: {stream} lacks {bad:?}"),
                    ok,
                    if ok {
                        "absent".into()
                    } else {
                        format!("in {stream}:\n{}", around(text, bad))
                    },
                ));
            }
        }
        for (path, was) in &before {
            let now = checksums(c, path)?;
            ex.push(same(format!("{label}: {path} unchanged"), was, &now));
        }
        for path in &step.restored {
            let now = checksums(c, path)?;
            ex.push(same(
                format!("{label}: {path} as after the setup"),
                &after_setup[path],
                &now,
            ));
        }
        for check in &step.checks {
            ex.extend(self.check(c, &label, check, after_setup)?);
        }
        Ok(())
    }

    fn check(
        &self,
        c: &dyn Container,
        label: &str,
        check: &Check,
        after_setup: &BTreeMap<String, String>,
    ) -> Result<Vec<Expectation>> {
        let subject = check.subject();
        let (code, text) = read(c, check)?;
        let mut ex = Vec::new();
        if check.file.is_some() && code != 0 {
            ex.push(fail(
                &format!("{label}: {subject}"),
                format!("cannot read it: {}", text.trim()),
            ));
            return Ok(ex);
        }
        if check.run.is_some() {
            let want = check.exit.unwrap_or(0);
            ex.push(expect(
                format!("{label}: {subject} exits {want}"),
                code == want,
                format!(
                    "exit {code}{}",
                    if code == want {
                        String::new()
                    } else {
                        format!(":\n{}", tail_of(&text, 15))
                    }
                ),
            ));
        }
        let trimmed = text.trim();
        if let Some(want) = &check.equals {
            let ok = trimmed == want.trim();
            ex.push(expect(
                format!("{label}: {subject} is {:?}", want.trim()),
                ok,
                format!("{:?}", tail_of(trimmed, 10)),
            ));
        }
        for want in &check.contains {
            let ok = text.contains(want.as_str());
            ex.push(expect(
                format!("{label}: {subject} contains {want:?}"),
                ok,
                if ok {
                    "found".into()
                } else {
                    format!("not in:\n{}", tail_of(&text, 15))
                },
            ));
        }
        for bad in &check.lacks {
            let ok = !text.contains(bad.as_str());
            ex.push(expect(
                format!("{label}: {subject} lacks {bad:?}"),
                ok,
                if ok {
                    "absent".into()
                } else {
                    format!("in:\n{}", around(&text, bad))
                },
            ));
        }
        if check.as_after_setup {
            let was = &after_setup[&subject];
            ex.push(expect(
                format!("{label}: {subject} as after the setup"),
                trimmed == was,
                format!("{:?} (after the setup: {was:?})", tail_of(trimmed, 10)),
            ));
        }
        Ok(ex)
    }
}

/// A check's text: the file's content or the command's stdout, with the exit code.
fn read(c: &dyn Container, check: &Check) -> Result<(i32, String)> {
    let out = match (&check.file, &check.run) {
        (Some(file), _) => c.exec(None, &format!("cat -- {}", quote(file)), None)?,
        (_, Some(run)) => c.exec(None, run, None)?,
        _ => unreachable!("load refuses a check with neither"),
    };
    if check.file.is_some() && out.code != 0 {
        return Ok((out.code, out.stderr));
    }
    Ok((out.code, out.stdout))
}

/// `sha256sum` of every file under `path` (a file or a directory), sorted, with
/// symlinks' targets; a missing path reads as such.
fn checksums(c: &dyn Container, path: &str) -> Result<String> {
    let p = quote(path);
    let script = format!(
        "if [ -e {p} ] || [ -L {p} ]; then find {p} \\( -type f -exec sha256sum {{}} + \\) -o \\( -type l -printf 'link %p -> %l\\n' \\) | LC_ALL=C sort; else echo missing; fi"
    );
    let out = c.exec(None, &script, None)?;
    Ok(out.stdout)
}

fn same(name: String, was: &str, now: &str) -> Expectation {
    if was == now {
        let files = now.lines().count();
        return expect(name, true, format!("{files} file(s), same checksums"));
    }
    let was_lines: std::collections::BTreeSet<&str> = was.lines().collect();
    let now_lines: std::collections::BTreeSet<&str> = now.lines().collect();
    let mut detail = String::new();
    for l in was_lines.difference(&now_lines).take(10) {
        detail.push_str(&format!("- {l}\n"));
    }
    for l in now_lines.difference(&was_lines).take(10) {
        detail.push_str(&format!("+ {l}\n"));
    }
    expect(name, false, format!("changed:\n{}", detail.trim_end()))
}

fn quote(s: &str) -> String {
    shlex::try_quote(s)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| "''".into())
}

fn expect(name: String, passed: bool, detail: String) -> Expectation {
    Expectation {
        name,
        passed,
        detail,
    }
}

fn fail(name: &str, detail: String) -> Expectation {
    expect(name.to_string(), false, detail)
}

fn first_line(s: &str) -> String {
    let line = s.trim().lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(60).collect::<String>())
    } else {
        line.to_string()
    }
}

/// The last `n` lines of `text`.
fn tail_of(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The lines of `text` holding `needle`, a few at most.
fn around(text: &str, needle: &str) -> String {
    text.lines()
        .filter(|l| l.contains(needle))
        .take(5)
        .collect::<Vec<_>>()
        .join("\n")
}
