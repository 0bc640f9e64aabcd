//! `runbook test`: load every scenario (all errors located), pick the engine, build or
//! reuse each image once, run each scenario per suite in a fresh container, report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::exit;
use crate::cli::{Output, TestEngine, TestImage, TestSuite};
use crate::harness::engine::Built;
use crate::harness::model::{Image, Scenario, Suite};
use crate::harness::{choose, images, load, report, runner};

pub struct Options<'a> {
    /// `--runbooks` paths: copied into each container with RUNBOOK_PATH's.
    pub runbooks: &'a [PathBuf],
    pub scenarios: &'a [PathBuf],
    pub image: Option<TestImage>,
    pub suite: Option<TestSuite>,
    pub engine: TestEngine,
    /// Flags before every podman/docker subcommand (else RUNBOOK_PODMAN_FLAGS, ...).
    pub engine_flags: Option<&'a str>,
    /// Flags of `run` (else RUNBOOK_RUN_FLAGS).
    pub run_flags: Option<&'a str>,
    pub keep: bool,
    pub output: Output,
}

pub fn run(o: Options) -> Result<u8> {
    let files = scenario_files(o.scenarios)?;
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        match load::load(file) {
            Ok(s) => scenarios.push((name_of(file), s)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        // main prints the first `error: `; each further one gets its own.
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        let first = errors.swap_remove(0);
        return Err(anyhow::Error::new(super::Located {
            message: text.join("\nerror: "),
            file: first.file,
            line: first.line,
            column: first.column,
        }));
    }
    let engine = choose::engine(o.engine, o.engine_flags, o.run_flags)?;
    let want_image = o.image.map(|i| match i {
        TestImage::Exim => Image::Exim,
        TestImage::Postfix => Image::Postfix,
        TestImage::Qmail => Image::Qmail,
    });
    let want_suite = o.suite.map(|s| match s {
        TestSuite::Bookworm => Suite::Bookworm,
        TestSuite::Trixie => Suite::Trixie,
    });
    let runs: Vec<(&String, &Scenario, Suite)> = scenarios
        .iter()
        .filter(|(_, s)| want_image.is_none_or(|i| i == s.image))
        .flat_map(|(name, s)| {
            let suites = if s.suites.is_empty() {
                Suite::ALL.to_vec()
            } else {
                s.suites.clone()
            };
            suites
                .into_iter()
                .filter(|suite| want_suite.is_none_or(|w| w == *suite))
                .map(move |suite| (name, s, suite))
        })
        .collect();
    if runs.is_empty() {
        bail!(
            "no scenario to run (of {} read) for this --image and --suite",
            scenarios.len()
        );
    }
    // Ctrl-C ends the running command, then the scenario's container is torn down.
    crate::process::install_interrupt_handler();
    let runbooks = runbook_files(o.runbooks)?;
    let binary = std::env::current_exe().context("the running runbook binary")?;
    let human = o.output == Output::Human;
    let mut built: BTreeMap<(&'static str, &'static str), (Built, images::Definition)> =
        BTreeMap::new();
    let mut outcomes = Vec::new();
    for (name, scenario, suite) in runs {
        let key = (scenario.image.name(), suite.name());
        if let std::collections::btree_map::Entry::Vacant(slot) = built.entry(key) {
            let definition = images::definition(scenario.image)?;
            let started = Instant::now();
            let b = engine.build(scenario.image, suite, &definition)?;
            if human {
                eprintln!(
                    "image {} {}: {} {} ({:.1}s)",
                    key.0,
                    key.1,
                    if b.reused { "reused" } else { "built" },
                    b.id,
                    started.elapsed().as_secs_f64()
                );
            }
            slot.insert((b, definition));
        }
        let (b, definition) = &built[&key];
        let run = runner::Run {
            engine: engine.as_ref(),
            built: b,
            definition,
            binary: &binary,
            runbooks: &runbooks,
            keep: o.keep,
        };
        let outcome = run.scenario(name, scenario);
        if human {
            print!("{}", report::human(&outcome));
        }
        outcomes.push(outcome);
        if crate::process::interrupted() {
            if human {
                println!("{}", report::summary(&outcomes));
            }
            bail!(
                "interrupted (Ctrl-C): the scenarios after this one were not run; its container was torn down"
            );
        }
    }
    if human {
        println!("{}", report::summary(&outcomes));
    } else {
        println!("{}", report::json(&outcomes));
    }
    Ok(if outcomes.iter().all(|o| o.passed) {
        exit::OK
    } else {
        exit::ERROR
    })
}

/// The scenario files: each file named, every *.yaml of each directory named (default
/// runbooks/tests), sorted.
fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let default = [PathBuf::from("runbooks/tests")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| path.display().to_string())?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{}: no such scenario file or directory", path.display());
        }
    }
    if files.is_empty() {
        bail!(
            "no scenario files in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(files)
}

/// The runbook files of `--runbooks` and RUNBOOK_PATH (files, and the *.yaml of
/// directories), to copy into each container: the runbooks a scenario proves.
fn runbook_files(extra: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let from_env = std::env::var("RUNBOOK_PATH").unwrap_or_default();
    let mut files = Vec::new();
    let paths = extra.iter().cloned().chain(
        from_env
            .split(':')
            .filter(|p| !p.is_empty())
            .map(PathBuf::from),
    );
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&path)
                .with_context(|| path.display().to_string())?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

fn name_of(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
