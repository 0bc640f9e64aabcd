//! The two modules: each turns its options into runbook commands and runbook's JSON
//! into Ansible's result (`changed`, `diff`, `warnings`, `failed` with `msg`).
use crate::call::{self, Outcome};
use crate::filediff;
use crate::options::{FactsOptions, RunbookOptions, State};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// `runbook.fleet.runbook_facts`: `runbook facts`, as `ansible_facts.runbook`.
pub fn facts(options: &FactsOptions) -> Value {
    let mut args = vec!["facts".to_string()];
    push_opt(&mut args, "--root", options.common.root.as_deref());
    if !options.only.is_empty() {
        args.extend(["--only".to_string(), options.only.join(",")]);
    }
    let outcome = call::run(&call::binary(options.common.runbook_bin.as_deref()), &args);
    match outcome.json {
        Some(facts) if outcome.ok() => {
            json!({ "changed": false, "ansible_facts": { "runbook": facts } })
        }
        _ => crate::fail(outcome.message()),
    }
}

/// `runbook.fleet.runbook`: apply, plan or roll back one runbook.
pub fn runbook(options: &RunbookOptions) -> Value {
    match options.state {
        State::Applied | State::Planned => apply(options),
        State::RolledBack => rollback(options),
    }
}

fn apply(options: &RunbookOptions) -> Value {
    // Check mode is a dry run, and so is `planned` in any mode: Ansible runs a binary
    // module under --check trusting it to change nothing.
    let dry_run = options.common.check_mode || options.state == State::Planned;
    let Some(id) = options.id.as_deref() else {
        return crate::fail("missing required arguments: id".into());
    };
    let mut args = vec!["apply".to_string(), id.to_string(), "--yes".to_string()];
    if dry_run {
        args.push("--dry-run".to_string());
    }
    located(&mut args, options);
    // Params go in files, not argv: a secret must not show in /proc/PID/cmdline, and
    // runbook refuses a param it does not know from a file as it does from -p.
    let dir = match tempfile::Builder::new().prefix("runbook-params-").tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            return crate::fail(format!("cannot make a directory for the params: {error}"));
        }
    };
    for (n, (key, value)) in options.params.iter().enumerate() {
        let file = dir.path().join(n.to_string());
        if let Err(error) = std::fs::write(&file, format!("{value}\n")) {
            return crate::fail(format!("cannot write param {key}: {error}"));
        }
        args.extend([
            "--param-file".to_string(),
            format!("{key}={}", file.display()),
        ]);
    }
    let outcome = call::run(&call::binary(options.common.runbook_bin.as_deref()), &args);
    let Some(plan) = outcome.json.clone().filter(|j| j.get("steps").is_some()) else {
        return crate::fail(outcome.message());
    };
    let mut result = Map::new();
    result.insert("changed".into(), json!(plan["changes"] == true));
    if let Some(run_id) = plan.get("run_id") {
        result.insert("run_id".into(), run_id.clone());
    }
    let warnings = manual_items(&plan);
    if !warnings.is_empty() {
        result.insert("warnings".into(), json!(warnings));
    }
    if options.common.diff {
        let root = PathBuf::from(plan["root"].as_str().unwrap_or("/"));
        result.insert(
            "diff".into(),
            json!(filediff::entries(
                &root,
                &plan_diffs(&plan, dry_run),
                !dry_run
            )),
        );
    }
    result.insert("msg".into(), json!(summary(&plan, dry_run)));
    if !outcome.ok() {
        // A verify that failed leaves the run applied: the plan still says what changed.
        result.insert("failed".into(), json!(true));
        result.insert("msg".into(), json!(outcome.message()));
    }
    result.insert("plan".into(), plan);
    Value::Object(result)
}

fn rollback(options: &RunbookOptions) -> Value {
    let bin = call::binary(options.common.runbook_bin.as_deref());
    // With an id, the newest run of that runbook still applied; else runbook's --last.
    let target = match options.id.as_deref() {
        None => "--last".to_string(),
        Some(id) => match last_run_of(&bin, options, id) {
            Ok(Some(run)) => run,
            Ok(None) => return unchanged(format!("no run of {id} is left to roll back")),
            Err(outcome) => return crate::fail(outcome.message()),
        },
    };
    let mut dry = vec![
        "rollback".to_string(),
        target,
        "--yes".to_string(),
        "--dry-run".to_string(),
    ];
    located(&mut dry, options);
    // The dry run is what check mode reports, and what diff mode shows for a real one.
    let preview = if options.common.check_mode || options.common.diff {
        let outcome = call::run(&bin, &dry);
        if !outcome.ok() {
            return nothing_or_fail(&outcome);
        }
        outcome.json
    } else {
        None
    };
    let root = root_of(options);
    let (report, done) = if options.common.check_mode {
        (preview.clone().unwrap_or(Value::Null), false)
    } else {
        dry.retain(|arg| arg != "--dry-run");
        let outcome = call::run(&bin, &dry);
        match outcome.json.clone() {
            Some(report) if outcome.ok() => (report, true),
            _ => return nothing_or_fail(&outcome),
        }
    };
    let mut result = Map::new();
    result.insert("changed".into(), json!(true));
    result.insert("run_id".into(), report["run_id"].clone());
    if let Some(warnings) = report["warnings"].as_array().filter(|w| !w.is_empty()) {
        result.insert("warnings".into(), Value::Array(warnings.clone()));
    }
    if options.common.diff {
        result.insert(
            "diff".into(),
            json!(filediff::entries(&root, &restores(preview.as_ref()), done)),
        );
    }
    let verb = if done {
        "rolled back"
    } else {
        "would roll back"
    };
    result.insert(
        "msg".into(),
        json!(format!(
            "{verb} run {}",
            report["run_id"].as_str().unwrap_or("?")
        )),
    );
    result.insert("rollback".into(), report);
    Value::Object(result)
}

/// The files a rollback dry run would restore, with their diffs (now → backup).
fn restores(preview: Option<&Value>) -> Vec<(String, String)> {
    let list = preview.and_then(|p| p["restores"].as_array());
    list.into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                r["file"].as_str()?.to_string(),
                r["diff"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// A rollback with nothing left to undo is the state asked for: not a failure.
fn nothing_or_fail(outcome: &Outcome) -> Value {
    let message = outcome.message();
    if message.starts_with("no run that changed something")
        || message.contains("has nothing to roll back")
    {
        unchanged(message)
    } else {
        crate::fail(message)
    }
}

fn unchanged(msg: String) -> Value {
    json!({ "changed": false, "msg": msg })
}

/// The id of the newest run of `id` that `runbook history` shows with changes still applied.
fn last_run_of(bin: &Path, options: &RunbookOptions, id: &str) -> Result<Option<String>, Outcome> {
    let mut args = vec!["history".to_string()];
    located(&mut args, options);
    let outcome = call::run(bin, &args);
    let runs = match outcome.json.as_ref().and_then(|h| h["runs"].as_array()) {
        Some(runs) if outcome.ok() => runs.clone(),
        _ => return Err(outcome),
    };
    let left = |run: &Value| {
        ["changed_files", "commands", "queues"]
            .iter()
            .any(|key| run[key].as_array().is_some_and(|list| !list.is_empty()))
    };
    Ok(runs
        .iter()
        .rev()
        .filter(|run| run["runbook"] == id)
        .find(|run| {
            matches!(
                run["outcome"].as_str(),
                Some("applied" | "interrupted" | "rollback-interrupted")
            ) && left(run)
        })
        .and_then(|run| run["id"].as_str().map(str::to_string)))
}

fn located(args: &mut Vec<String>, options: &RunbookOptions) {
    push_opt(args, "--root", options.common.root.as_deref());
    push_opt(args, "--state-dir", options.state_dir.as_deref());
}

fn push_opt(args: &mut Vec<String>, flag: &str, value: Option<&str>) {
    if let Some(value) = value {
        args.extend([flag.to_string(), value.to_string()]);
    }
}

fn root_of(options: &RunbookOptions) -> PathBuf {
    let root = PathBuf::from(options.common.root.as_deref().unwrap_or("/"));
    root.canonicalize().unwrap_or(root)
}

/// The plan's diffs in order: of the chosen steps in a dry run, of those that changed after.
fn plan_diffs(plan: &Value, dry_run: bool) -> Vec<(String, String)> {
    steps(plan)
        .filter(|step| {
            if dry_run {
                step["chosen"] == true
            } else {
                step["outcome"] == "changed"
            }
        })
        .flat_map(|step| step["diffs"].as_array().cloned().unwrap_or_default())
        .filter_map(|d| {
            Some((
                d["file"].as_str()?.to_string(),
                d["diff"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The checklist for a person, as Ansible warnings: `STEP: TEXT`.
fn manual_items(plan: &Value) -> Vec<String> {
    steps(plan)
        .filter(|step| step["chosen"] == true && step["outcome"] != "undone")
        .flat_map(|step| {
            let id = step["id"].as_str().unwrap_or("").to_string();
            let items = step["manual"].as_array().cloned().unwrap_or_default();
            items
                .into_iter()
                .filter_map(move |item| Some(format!("{id}: {}", item["text"].as_str()?)))
        })
        .collect()
}

fn summary(plan: &Value, dry_run: bool) -> String {
    let runbook = plan["runbook"].as_str().unwrap_or("?");
    let changes = plan["changes"] == true;
    match (dry_run, changes) {
        (true, true) => format!("{runbook}: changes pending"),
        (true, false) => format!("{runbook}: nothing to change"),
        (false, true) => format!(
            "{runbook}: applied, run {}",
            plan["run_id"].as_str().unwrap_or("?")
        ),
        (false, false) => format!("{runbook}: nothing changed"),
    }
}

fn steps(plan: &Value) -> impl Iterator<Item = &Value> {
    plan["steps"].as_array().into_iter().flatten()
}
