//! `runbook show`: a runbook's procedure as Markdown for people to read and review.

use std::fmt::Write;

use crate::plan::eval::describe;
use crate::runbook::condition::{Condition, Shape, Subject};
use crate::runbook::model::{Runbook, Step};

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
            if let Some(one_of) = &p.one_of {
                kind = format!("{kind}, one of `{one_of}`");
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
    if let Some(verify) = &rb.verify {
        verify_text(&mut out, verify);
    }
    // Runbooks come from files anyone with RUNBOOK_PATH can point at: no raw controls.
    super::escape::escape_text(&out)
}

/// What "held" means: the window, what a failure does, each check.
fn verify_text(out: &mut String, verify: &crate::runbook::verify::Verify) {
    use crate::runbook::verify::{NewMailFrom, OnFail};
    let when = match &verify.within {
        Some(w) => format!(
            "over `{w}`, facts gathered again every `{}`",
            verify
                .every
                .clone()
                .unwrap_or_else(|| format!("{}s", crate::verify::EVERY_DEFAULT))
        ),
        None => "once".to_string(),
    };
    let on_fail = match verify.on_fail {
        OnFail::Keep => "a failure leaves the run applied",
        OnFail::Rollback => "a failure rolls the run back",
    };
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    let _ = writeln!(out, "## Verify (after apply, {when}; {on_fail})\n");
    for c in &verify.checks {
        let test = match (&c.fact, c.no_new_mail, &c.sites_answer) {
            (Some(fact), _, _) => {
                let cmp = c
                    .comparisons()
                    .first()
                    .map(|cmp| format!(" {}", describe(cmp)));
                format!("`{fact}`{}", cmp.unwrap_or_default())
            }
            (_, Some(NewMailFrom::Scripts), _) => "no new mail from the scripts planned".into(),
            (_, Some(NewMailFrom::Users), _) => "no new mail from the users planned".into(),
            (_, _, Some(sites)) => format!(
                "the scripts' sites answer on 127.0.0.1:{} as before the apply",
                sites.port()
            ),
            _ => "the reloaded services' config tests".into(),
        };
        let _ = writeln!(out, "- **{}**: {} ({test})", c.id, c.title);
    }
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
        let _ = writeln!(out, "   - does: {}", action.describe());
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
                Subject::Changed(s) => format!("step `{s}` changed something"),
                Subject::Item("") => "the item".into(),
                Subject::Item(i) => format!("item `{i}`"),
            };
            match cmp {
                Some(cmp) => format!("{subject} {}", describe(&cmp)),
                None if subject.starts_with("step ") => subject,
                None => format!("{subject} is set"),
            }
        }
        None => "(malformed condition)".into(),
    }
}
