//! `runbook apply ID`: plan; with --dry-run print it (and with --save-plan save it);
//! otherwise confirm, apply, report. `runbook apply --plan FILE` applies a saved plan.

use std::path::Path;

use anyhow::{Result, anyhow};

use super::confirm;
use crate::apply::execute;
use crate::apply::state;
use crate::apply::state_dir::Dir;
use crate::cli::{HostArgs, Output};
use crate::facts::{Facts, Group};
use crate::host::Host;
use crate::plan::builder::{Request, build_with_facts};
use crate::plan::types::{Mode, Plan};
use crate::report::escape::{escape, escape_text};
use crate::report::style::Style;
use crate::runbook::catalog::Catalog;
use crate::runbook::validate::validate;
use crate::verify::basis::Basis;
use crate::verify::site;

pub struct Options<'a> {
    /// The runbook to plan; with `plan`, optional and checked against the saved plan's.
    pub id: Option<&'a str>,
    pub dry_run: bool,
    /// `--save-plan FILE` (with `dry_run`): also save the plan there.
    pub save_plan: Option<&'a Path>,
    /// `--plan FILE`: apply the plan saved there instead of planning.
    pub plan: Option<&'a Path>,
    pub host: &'a HostArgs,
    /// `-p KEY=VALUE` pairs as given.
    pub params: &'a [(String, String)],
    /// `--param-file KEY=PATH` pairs as given.
    pub param_files: &'a [(String, String)],
    pub yes: bool,
    pub force: bool,
    pub output: Output,
    pub detailed_exitcode: bool,
    /// `--on-fail`: what a failed verify does, over the runbook's `on_fail`.
    pub on_fail: Option<crate::runbook::verify::OnFail>,
}

pub fn run(catalog: &Catalog, opts: Options) -> Result<u8> {
    let (host_opts, mut plan, facts) = match opts.plan {
        Some(file) => {
            let host_opts = super::host_opts::resolve(opts.host)?;
            let plan = super::plan_file::load(file, opts.id, &host_opts.host)?;
            (host_opts, plan, None)
        }
        None => {
            let id = opts
                .id
                .ok_or_else(|| anyhow!("give a runbook id, or --plan FILE"))?;
            refuse_invalid(catalog, id)?;
            let host_opts = super::host_opts::resolve(opts.host)?;
            let (plan, facts) = make_plan(catalog, id, &opts, &host_opts.host)?;
            (host_opts, plan, Some(facts))
        }
    };
    let host = &host_opts.host;
    let pending = if plan.changes { 2 } else { 0 };
    // A checklist for a person changes nothing, but applying it is recorded (who was told
    // to do what, and when), without asking.
    let checklist = plan.steps.iter().any(|s| s.chosen && !s.manual.is_empty());
    if let Some(file) = opts.save_plan {
        super::plan_file::save(file, &plan)?;
        print(&plan, opts.output)?;
        let note = format!(
            "Saved the plan to {}. Apply exactly it with: runbook apply --plan {}{}",
            file.display(),
            file.display(),
            root_flag(opts.host)
        );
        match opts.output {
            Output::Human => println!("{}", escape_text(&note)),
            Output::Json => eprintln!("{}", escape_text(&note)),
        }
        return Ok(if opts.detailed_exitcode { pending } else { 0 });
    }
    if opts.dry_run || (!plan.changes && !checklist) {
        print(&plan, opts.output)?;
        return Ok(if opts.detailed_exitcode { pending } else { 0 });
    }
    if !opts.yes && plan.changes {
        if opts.output == Output::Human {
            print(&plan, opts.output)?;
        }
        let question = format!(
            "Apply these changes to the host at {}?",
            host.root().display()
        );
        if !confirm::ask(&question)? {
            eprintln!("Nothing was changed.");
            return Ok(1);
        }
    }
    crate::process::install_interrupt_handler();
    let state_dir = host_opts
        .state_dir(true)?
        .ok_or_else(|| anyhow!("cannot create the state dir"))?;
    let facts = facts.unwrap_or_else(|| Facts::new(host));
    let log_mark = runbook_verify(catalog, &plan)
        .is_some_and(|v| v.counts_arrivals())
        .then(|| crate::verify::arrivals::mark(host, &facts))
        .flatten();
    let planned = planned_facts(facts);
    let sites = sites_before(catalog, &plan, &planned);
    let applied = execute::apply(&mut plan, host, &state_dir, opts.force)?;
    if opts.output == Output::Human {
        print(&plan, opts.output)?;
    }
    if let Some(why) = &applied.record_error {
        eprintln!(
            "warning: the end of run {} could not be recorded ({why}); its journal holds every action, \
             so `runbook history` shows it as interrupted and `runbook rollback {}` undoes it",
            applied.run_id, applied.run_id
        );
    }
    match applied.error {
        None => {
            if opts.output == Output::Human && plan.changes {
                println!(
                    "Undo with: runbook rollback {}{}",
                    applied.run_id,
                    host_flags(opts.host, &host_opts)
                );
            }
            let mut basis = Basis::of(&plan, planned, sites);
            basis.log = log_mark;
            let verified = verify_applied(
                catalog,
                host,
                &state_dir,
                basis,
                &applied.run_id,
                opts.on_fail,
                opts.output,
            )?;
            if opts.output == Output::Json {
                let mut out = serde_json::to_value(&plan)?;
                if let (Some(v), Some(map)) = (&verified, out.as_object_mut()) {
                    map.insert("verify".into(), serde_json::to_value(v)?);
                }
                println!("{}", serde_json::to_string_pretty(&out)?);
            }
            if verified.as_ref().is_some_and(|v| !v.passed()) {
                return Ok(1);
            }
            Ok(if opts.detailed_exitcode { pending } else { 0 })
        }
        Some(error) => {
            if opts.output == Output::Json {
                print(&plan, opts.output)?;
            }
            let style = Style::detect_stderr();
            eprintln!(
                "{} {}",
                style.red("error:"),
                escape_text(&format!("{error:#}"))
            );
            if applied.undone.is_empty() {
                eprintln!("Nothing had been changed yet.");
            } else {
                eprintln!("Undid what this run had done, newest first:");
                for line in &applied.undone {
                    eprintln!("  - {}", escape(line));
                }
            }
            Ok(1)
        }
    }
}

/// The facts the plan was made from (a saved plan keeps none: then they are read now,
/// before anything changes), with the queue.
fn planned_facts(facts: Facts) -> serde_json::Map<String, serde_json::Value> {
    facts.group(Group::Queue);
    facts.gathered()
}

/// How the sites of the scripts found answer before anything changes, when the
/// runbook's verify asks (`sites_answer`).
fn sites_before(
    catalog: &Catalog,
    plan: &Plan,
    planned: &serde_json::Map<String, serde_json::Value>,
) -> Vec<site::Answer> {
    let port = runbook_verify(catalog, plan).and_then(|v| v.sites_port());
    let (Some(port), Some(queue)) = (port, planned.get("queue")) else {
        return Vec::new();
    };
    site::planned_sites(queue)
        .iter()
        .map(|s| site::ask(s, port))
        .collect()
}

/// The `verify:` of the plan's runbook.
fn runbook_verify<'a>(
    catalog: &'a Catalog,
    plan: &Plan,
) -> Option<&'a crate::runbook::verify::Verify> {
    catalog
        .get(&plan.runbook)
        .and_then(|e| e.loaded.runbook.verify.as_ref())
}

/// Save what verify compares with, then run the runbook's verify (if it has one).
fn verify_applied(
    catalog: &Catalog,
    host: &Host,
    state_dir: &Dir,
    basis: Basis,
    run_id: &str,
    on_fail: Option<crate::runbook::verify::OnFail>,
    output: Output,
) -> Result<Option<crate::verify::Verified>> {
    let run_dir = state::run_dir(state_dir, run_id)?;
    basis.save(&run_dir)?;
    let run = state::find(state_dir, Some(run_id), false)?;
    super::verify::verify_run(catalog, host, state_dir, &run, on_fail, output)
}

/// Plan runbook `id` on the host: params from every source, then the planner.
fn make_plan(catalog: &Catalog, id: &str, opts: &Options, host: &Host) -> Result<(Plan, Facts)> {
    let params = match catalog.get(id) {
        Some(entry) => {
            super::params::gather(&entry.loaded.runbook, opts.params, opts.param_files, host)?
        }
        None => opts.params.to_vec(),
    };
    let mode = if opts.dry_run {
        Mode::DryRun
    } else {
        Mode::Apply
    };
    build_with_facts(&Request {
        catalog,
        id,
        host,
        params: &params,
        mode,
    })
}

fn root_flag(host: &HostArgs) -> String {
    if host.root == Path::new("/") {
        String::new()
    } else {
        format!(" --root {}", host.root.display())
    }
}

/// The `--root` and `--state-dir` this apply used, for the commands it suggests (both
/// resolved: the suggestion works from any directory), shell-quoted.
fn host_flags(args: &HostArgs, opts: &super::host_opts::HostOpts) -> String {
    let mut words = Vec::new();
    if args.root != Path::new("/") {
        words.push("--root".to_string());
        words.push(opts.host.root().display().to_string());
    }
    if args.state_dir.is_some() {
        words.push("--state-dir".to_string());
        words.push(opts.state_path().display().to_string());
    }
    if words.is_empty() {
        return String::new();
    }
    format!(" {}", crate::report::plan::quoted(&words))
}

fn print(plan: &Plan, output: Output) -> Result<()> {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(plan)?),
        Output::Human => print!("{}", crate::report::plan::render(plan, Style::detect())),
    }
    Ok(())
}

/// A runbook (or one it includes) with errors is never run: lint says why.
fn refuse_invalid(catalog: &Catalog, id: &str) -> Result<()> {
    let resolve = |i: &str| catalog.get(i).map(|e| &e.loaded);
    let mut pending = vec![id.to_string()];
    let mut seen = Vec::new();
    let mut problems = Vec::new();
    while let Some(next) = pending.pop() {
        if seen.contains(&next) {
            continue;
        }
        seen.push(next.clone());
        let Some(entry) = catalog.get(&next) else {
            continue;
        };
        problems.extend(
            validate(&entry.loaded, &resolve)
                .into_iter()
                .filter(|d| d.is_error()),
        );
        pending.extend(
            entry
                .loaded
                .runbook
                .steps
                .iter()
                .filter_map(|s| s.include.as_ref().map(|i| i.runbook.clone())),
        );
    }
    // A duplicate id makes it ambiguous which runbook would run.
    problems.extend(catalog.duplicates(id).cloned());
    if catalog.get(id).is_none() && !catalog.diagnostics.is_empty() {
        problems.extend(catalog.diagnostics.iter().cloned());
    }
    if problems.is_empty() {
        return Ok(());
    }
    let style = Style::detect_stderr();
    for d in &problems {
        eprintln!("{}\n", d.render(style.color));
    }
    // Located: `--output json` gives the first problem's place.
    Err(super::Located {
        message: format!(
            "runbook `{id}` has {} error(s); nothing was changed",
            problems.len()
        ),
        file: problems[0].file.clone(),
        line: problems[0].line,
        column: problems[0].column,
    }
    .into())
}
