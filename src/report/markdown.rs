//! `runbook show`: a runbook's procedure as Markdown for people to read and review.

use std::fmt::Write;

use crate::plan::eval::describe;
use crate::runbook::condition::{Condition, Shape, Subject};
use crate::runbook::model::{Action, Runbook, Step};
use crate::runbook::steps::apache_directive::Presence;
use crate::runbook::steps::line::LineState;

pub fn render(rb: &Runbook, origin: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}: {}\n", rb.id, rb.title);
    let _ = writeln!(out, "_Source: {origin}_\n");
    if let Some(d) = &rb.description {
        let _ = writeln!(out, "{}\n", d.trim());
    }
    if !rb.params.is_empty() {
        let _ = writeln!(
            out,
            "## Parameters\n\n| name | type | default | description |\n|---|---|---|---|"
        );
        for (name, p) in &rb.params {
            let default = p
                .default
                .as_ref()
                .map(|d| format!("`{d}`"))
                .unwrap_or_else(|| "required".into());
            let mut kind = format!("{:?}", p.kind).to_lowercase();
            if !p.values.is_empty() {
                kind = format!("{kind}: {}", p.values.join(", "));
            }
            let _ = writeln!(
                out,
                "| `{name}` | {kind} | {default} | {} |",
                p.description.as_deref().unwrap_or("")
            );
        }
        out.push('\n');
    }
    if !rb.checks.is_empty() {
        let _ = writeln!(out, "## Checks (read-only, also in dry runs)\n");
        for c in &rb.checks {
            let test = c
                .comparisons()
                .first()
                .map(|cmp| format!(" {}", describe(cmp)))
                .unwrap_or_default();
            let _ = writeln!(out, "- **{}**: {} (`{}`{test})", c.id, c.title, c.fact);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Steps\n");
    for (i, step) in rb.steps.iter().enumerate() {
        step_text(&mut out, i + 1, step);
    }
    if !rb.handlers.is_empty() {
        let _ = writeln!(
            out,
            "## Handlers (run once, after the steps, when notified)\n"
        );
        for (name, h) in &rb.handlers {
            if let Some(r) = &h.service_reload {
                let _ = writeln!(
                    out,
                    "- **{name}**: test the {0} config, then reload {0}; skipped if {0} is not installed",
                    r.service
                );
            }
        }
    }
    // Runbooks come from files anyone with RUNBOOK_PATH can point at: no raw controls.
    super::escape::escape_text(&out)
}

fn step_text(out: &mut String, n: usize, step: &Step) {
    let _ = writeln!(out, "{n}. **{}**: {}", step.id, step.title);
    if let Some(d) = &step.description {
        let _ = writeln!(out, "   {}", d.trim().replace('\n', "\n   "));
    }
    if let Some(when) = &step.when {
        let _ = writeln!(out, "   - when: {}", condition(when));
    }
    if let Some(fe) = &step.for_each {
        let _ = writeln!(out, "   - for each item of `{}`", fe.fact);
    }
    if let Some(action) = step.action() {
        let _ = writeln!(out, "   - does: {}", action_text(action));
    }
    if !step.notify.is_empty() {
        let _ = writeln!(out, "   - then notifies: {}", step.notify.join(", "));
    }
    out.push('\n');
}

/// A condition in words, without values (those come from the host at plan time).
pub fn condition(c: &Condition) -> String {
    match c.shape() {
        Some(Shape::All(list)) => list
            .iter()
            .map(condition)
            .collect::<Vec<_>>()
            .join(" **and** "),
        Some(Shape::Any(list)) => format!(
            "({})",
            list.iter()
                .map(condition)
                .collect::<Vec<_>>()
                .join(" **or** ")
        ),
        Some(Shape::Not(inner)) => format!("not ({})", condition(inner)),
        Some(Shape::Leaf(subject, cmp)) => {
            let subject = match subject {
                Subject::Fact(f) => format!("fact `{f}`"),
                Subject::Param(p) => format!("param `{p}`"),
                Subject::Check(c) => format!("check `{c}` passed"),
                Subject::Item("") => "the item".into(),
                Subject::Item(i) => format!("item `{i}`"),
            };
            match cmp {
                Some(cmp) => format!("{subject} {}", describe(&cmp)),
                None => format!("{subject} is set"),
            }
        }
        None => "(malformed condition)".into(),
    }
}

fn action_text(action: Action) -> String {
    match action {
        Action::IniSet(a) => format!("set `{} = {}` in `{}`", a.key, a.value, a.file),
        Action::IniListAdd(a) => format!("add `{}` to `{}` in `{}`", a.item, a.key, a.file),
        Action::IniListRemove(a) => format!("remove `{}` from `{}` in `{}`", a.item, a.key, a.file),
        Action::ApacheDirective(a) => {
            let scope = a
                .server_name
                .as_deref()
                .map(|s| format!("the VirtualHost of `{s}`"))
                .unwrap_or("every VirtualHost".into());
            let directive = format!("{} {}", a.directive, a.arg.as_deref().unwrap_or(""))
                .trim()
                .to_string();
            match a.state {
                Presence::Present => format!(
                    "set `{directive} {}` in {scope} of `{}`",
                    a.value.as_deref().unwrap_or(""),
                    a.file
                ),
                Presence::Absent => format!("remove `{directive}` from {scope} of `{}`", a.file),
            }
        }
        Action::Line(a) => match a.state {
            LineState::Present => format!(
                "ensure line `{}` in `{}`",
                a.line.as_deref().unwrap_or(""),
                a.file
            ),
            LineState::Absent => format!(
                "remove lines matching `{}` from `{}`",
                a.regex.as_deref().unwrap_or(""),
                a.file
            ),
            LineState::Replace => {
                format!(
                    "replace `{}` with `{}` in `{}`",
                    a.regex.as_deref().unwrap_or(""),
                    a.with.as_deref().unwrap_or(""),
                    a.file
                )
            }
        },
        Action::Run(a) => {
            let undo = a
                .undo
                .as_ref()
                .map(|u| format!(" (undo: `{}`)", u.join(" ")))
                .unwrap_or_default();
            let kind = if a.mutating { "run" } else { "run (read-only)" };
            let input = inputs(a.stdin.as_deref(), &a.env);
            format!("{kind} `{}`{undo}{input}", a.argv.join(" "))
        }
        Action::Shell(a) => format!(
            "run shell script `{}`{}",
            a.script.trim(),
            inputs(a.stdin.as_deref(), &a.env)
        ),
        Action::Manual(a) => format!("by hand: {}", a.text.trim()),
        Action::ServiceReload(a) => format!("test the {0} config, then reload {0}", a.service),
        Action::Include(a) => format!("the steps of runbook `{}`", a.runbook),
    }
}

/// What a command gets besides its argv: `, stdin `T`, env `NAME`=`T`` (templates).
fn inputs(stdin: Option<&str>, env: &indexmap::IndexMap<String, String>) -> String {
    let mut out = String::new();
    if let Some(stdin) = stdin {
        let _ = write!(out, ", stdin `{stdin}`");
    }
    for (name, value) in env {
        let _ = write!(out, ", env `{name}`=`{value}`");
    }
    out
}
