//! The plan for people: checks, steps with why and diffs, handlers, a summary line.
//! Every text that can hold host data (fact values, `why`, diffs, commands, manual
//! texts) is escaped before it is styled: see `report::escape`.

use std::fmt::Write;

use super::escape::{escape, escape_text};
use super::style::Style;
use crate::plan::eval::short;
use crate::plan::types::{Mode, Plan, PlannedStep, Work};

pub fn render(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}",
        style.bold(&escape(&plan.runbook)),
        style.dim(&format!("- {}", escape(&plan.title)))
    );
    let what = match plan.mode {
        Mode::DryRun => "dry run: nothing will be written",
        Mode::Apply => "apply",
    };
    let _ = writeln!(
        out,
        "{}",
        style.dim(&format!("host root {} ({what})", escape(&plan.root)))
    );
    if !plan.params.is_empty() {
        let params: Vec<String> = plan
            .params
            .iter()
            .map(|(k, v)| escape(&format!("{k}={}", short(v))))
            .collect();
        let _ = writeln!(
            out,
            "{}",
            style.dim(&format!("params: {}", params.join(" ")))
        );
    }
    if !plan.checks.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Checks"));
        for check in &plan.checks {
            // A fact the host could not tell (null) is unknown, not failed.
            let mark = if check.value.is_null() && !check.expected.is_empty() {
                style.dim("?  ")
            } else if check.ok {
                style.green("yes")
            } else {
                style.yellow("no ")
            };
            let expected = if check.expected.is_empty() {
                String::new()
            } else {
                format!(" (want {})", escape(&check.expected))
            };
            let _ = writeln!(
                out,
                "  {mark} {}: {} = {}{expected}",
                escape(&check.id),
                escape(&check.fact),
                escape(&short(&check.value))
            );
            let _ = writeln!(out, "      {}", style.dim(&escape(&check.title)));
        }
    }
    let _ = writeln!(out, "\n{}", style.bold("Steps"));
    for step in &plan.steps {
        // An include changes nothing itself: the steps it brings in, listed after it, do.
        let inner = format!("{}/", step.id);
        let brings_changes = step.kind == "include"
            && plan
                .steps
                .iter()
                .any(|s| s.id.starts_with(&inner) && s.changes());
        step_lines(&mut out, step, plan.mode, style, brings_changes);
    }
    let fired: Vec<_> = plan.handlers.iter().filter(|h| h.fires).collect();
    if !fired.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Handlers"));
        for h in fired {
            let status = match (&h.outcome, h.installed) {
                (Some(outcome), _) => outcome.clone(),
                (None, true) => format!(
                    "would test `{}`, then run `{}`",
                    quoted(&h.test),
                    quoted(&h.reload)
                ),
                (None, false) => format!("{} is not installed: skipped", escape(&h.service)),
            };
            let _ = writeln!(out, "  {}: {status}", escape(&h.name));
        }
    }
    let _ = writeln!(out, "\n{}", summary(plan));
    out
}

fn step_lines(out: &mut String, step: &PlannedStep, mode: Mode, style: Style, brings: bool) {
    let (mark, state) = match (&step.outcome, step.chosen, step.changes()) {
        (Some(outcome), _, _) => (outcome_mark(outcome, style), escape(outcome)),
        (None, false, _) => (style.dim("-"), "not chosen".into()),
        (None, true, false) if brings => (style.yellow("~"), "its steps below will change".into()),
        (None, true, true) => (style.yellow("~"), "will change".into()),
        (None, true, false) if !step.manual.is_empty() => {
            (style.yellow("!"), "for a person to do".into())
        }
        (None, true, false) => (style.green("="), "no change needed".into()),
    };
    let _ = writeln!(
        out,
        "  {mark} {} {}",
        style.bold(&escape(&step.id)),
        style.dim(&format!("[{}] {state}", step.kind))
    );
    let _ = writeln!(out, "      {}", escape(&step.title));
    let _ = writeln!(
        out,
        "      {}",
        style.dim(&format!("why: {}", escape(&step.why)))
    );
    for diff in &step.diffs {
        // Line by line: a CR or an escape sequence inside a line of a site's file is
        // shown, never obeyed, and the diff keeps its lines.
        let lines: Vec<String> = diff.diff.split('\n').map(escape_text).collect();
        for line in style.diff(&lines.join("\n")).lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
    for queue in &step.queue {
        super::queue::lines(out, queue, mode, style);
    }
    let verb = if mode == Mode::DryRun {
        "would run"
    } else {
        "runs"
    };
    for cmd in &step.commands {
        let _ = writeln!(out, "      {verb}: {}{}", shortened(cmd), inputs(step, cmd));
    }
    super::signal::lines(out, step, mode == Mode::DryRun, style);
    for run in &step.output {
        // A command that succeeded quietly has nothing to show.
        if run.status == Some(0) && run.stdout.is_empty() && run.stderr.is_empty() {
            continue;
        }
        let status = match run.status {
            Some(code) => format!("exit status {code}"),
            None => "killed".to_string(),
        };
        // The command is on the `runs:` line above; name it again only among several.
        let of = if step.output.len() > 1 {
            format!(" of {}", quoted(&run.command))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "      {}",
            style.dim(&format!("output{of} ({status}):"))
        );
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            // Line by line, escaped: a program's output is host data.
            for line in text.split('\n').filter(|_| !text.is_empty()) {
                let _ = writeln!(out, "        {stream}| {}", escape(line));
            }
        }
    }
    for item in &step.manual {
        let _ = writeln!(
            out,
            "      {} {}",
            style.yellow("[ ] by hand:"),
            escape(&item.text)
        );
        for (fact, value) in &item.evidence {
            let _ = writeln!(
                out,
                "          {}",
                style.dim(&escape(&format!("{fact} = {}", short(value))))
            );
        }
    }
}

/// What a command gets besides its argv, by name only: its stdin and env values may be
/// secrets.
fn inputs(step: &PlannedStep, shown: &[String]) -> String {
    let Some(work) = step.work.iter().find_map(|w| match w {
        Work::Command(c) if c.shown == shown => Some(c),
        _ => None,
    }) else {
        return String::new();
    };
    let mut parts = Vec::new();
    if work.stdin.is_some() {
        parts.push("stdin".to_string());
    }
    if !work.env.is_empty() {
        let names: Vec<String> = work.env.iter().map(|(k, _)| escape(k)).collect();
        parts.push(format!("env {}", names.join(" ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (with {})", parts.join(", "))
    }
}

fn outcome_mark(outcome: &str, style: Style) -> String {
    match outcome {
        "changed" => style.green("+"),
        "unchanged" | "skipped" => style.dim("="),
        "failed" => style.red("!"),
        "undone" => style.yellow("<"),
        _ => style.dim("-"),
    }
}

/// argv as a shell would need it typed, for reading only; control characters escaped.
pub fn quoted(argv: &[String]) -> String {
    escape(&shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" ")))
}

/// A command as [`quoted`], its long lists of message ids cut for the screen (the JSON
/// plan has every one).
fn shortened(argv: &[String]) -> String {
    const SHOWN: usize = 12;
    if argv.len() <= SHOWN {
        return quoted(argv);
    }
    format!(
        "{} ... ({} more arguments)",
        quoted(&argv[..SHOWN]),
        argv.len() - SHOWN
    )
}

fn summary(plan: &Plan) -> String {
    let files: usize = plan
        .steps
        .iter()
        .filter(|s| s.chosen)
        .map(|s| s.diffs.len())
        .sum();
    let commands: usize = plan
        .steps
        .iter()
        .filter(|s| s.chosen)
        .map(|s| s.commands.len())
        .sum();
    let manual: usize = plan
        .steps
        .iter()
        .filter(|s| s.chosen)
        .map(|s| s.manual.len())
        .sum();
    let handlers = plan.handlers.iter().filter(|h| h.fires).count();
    let messages: usize = plan
        .steps
        .iter()
        .filter(|s| s.chosen)
        .flat_map(|s| &s.queue)
        .map(|q| q.count)
        .sum();
    let ended = super::signal::count(plan);
    if let (Mode::Apply, Some(outcome), false) = (plan.mode, &plan.outcome, plan.changes)
        && outcome != "applied"
    {
        return format!(
            "Run {}: {outcome}; nothing it did is left changed.",
            plan.run_id.as_deref().unwrap_or("-")
        );
    }
    if !plan.changes && manual == 0 {
        return "No changes: the host is already as this runbook wants it.".into();
    }
    let mut counts = format!(
        "{files} file edit{}, {commands} command{}, {handlers} handler{}, {manual} manual item{}",
        plural(files),
        plural(commands),
        plural(handlers),
        plural(manual)
    );
    if messages > 0 {
        counts.push_str(&format!(", {messages} queued message{}", plural(messages)));
    }
    counts.push_str(&ended);
    match (plan.mode, &plan.outcome) {
        (Mode::DryRun, _) => format!("Plan: {counts}. Dry run: nothing was written."),
        (Mode::Apply, Some(outcome)) => format!(
            "Run {}: {outcome} ({counts}).",
            plan.run_id.as_deref().unwrap_or("-")
        ),
        (Mode::Apply, None) => format!("Plan: {counts}."),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
