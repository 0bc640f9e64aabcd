//! A queue step's messages for people: how many, the first ids, the top senders and
//! scripts; after an apply how many moved and which stayed, and why.

use std::fmt::Write;

use super::escape::escape;
use super::style::Style;
use crate::plan::types::{Count, Mode, QueueAction, QueuePlan};

pub fn lines(out: &mut String, q: &QueuePlan, mode: Mode, style: Style) {
    let what = match (q.action, mode) {
        (QueueAction::Purge, Mode::DryRun) => "would quarantine",
        (QueueAction::Purge, Mode::Apply) => "quarantines",
        (QueueAction::Retry, Mode::DryRun) => "would release and retry",
        (QueueAction::Retry, Mode::Apply) => "releases and retries",
    };
    let unreadable = if q.unreadable > 0 {
        format!(
            " ({} unreadable queue file{} not selected)",
            q.unreadable,
            if q.unreadable == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "      {what} {} message{} of {}'s queue {}{unreadable}",
        q.count,
        if q.count == 1 { "" } else { "s" },
        escape(&q.mta),
        escape(&q.spool)
    );
    let more = q.count.saturating_sub(q.ids.len());
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let ids: Vec<String> = q.ids.iter().map(|id| escape(id)).collect();
    let _ = writeln!(out, "        ids: {}{tail}", ids.join(" "));
    counts(out, "by sender", &q.by_sender, style);
    counts(out, "by script", &q.by_script, style);
    if let Some(done) = q.done {
        let into = q
            .quarantine
            .as_deref()
            .map(|d| format!(" into {}", escape(d)))
            .unwrap_or_default();
        let verb = match q.action {
            QueueAction::Purge => "quarantined",
            QueueAction::Retry => "retried",
        };
        let _ = writeln!(out, "        {verb} {done} of {}{into}", q.count);
    }
    for s in &q.skipped {
        let _ = writeln!(
            out,
            "        {} {}: {}",
            style.yellow("left in the queue:"),
            escape(&s.id),
            escape(&s.reason)
        );
    }
}

fn counts(out: &mut String, label: &str, list: &[Count], style: Style) {
    if list.is_empty() {
        return;
    }
    let parts: Vec<String> = list
        .iter()
        .map(|c| format!("{} ({})", escape(&c.name), c.count))
        .collect();
    let _ = writeln!(
        out,
        "        {}",
        style.dim(&format!("{label}: {}", parts.join(", ")))
    );
}
