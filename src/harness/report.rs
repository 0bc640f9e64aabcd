//! The report of `runbook test`: per scenario and suite, each expectation PASS or FAIL
//! with its detail, the image's log tails on failure; or JSON (docs/json.md).

use super::runner::Outcome;

/// One scenario's result for people.
pub fn human(o: &Outcome) -> String {
    let mut out = format!(
        "{} {} ({}, {}, {} engine, {}: {:.1}s, in all {:.1}s)\n",
        if o.passed { "PASS" } else { "FAIL" },
        o.name,
        o.image,
        o.suite,
        o.engine,
        if o.container.is_empty() {
            "no container"
        } else {
            &o.container
        },
        o.start_seconds,
        o.seconds
    );
    for e in &o.expectations {
        out.push_str(&format!(
            "  {} {}",
            if e.passed { "PASS" } else { "FAIL" },
            e.name
        ));
        if !e.passed {
            out.push('\n');
            for line in e.detail.lines() {
                out.push_str(&format!("       {line}\n"));
            }
        } else {
            out.push_str(&format!(": {}\n", e.detail.lines().next().unwrap_or("")));
        }
    }
    for (log, tail) in &o.logs {
        out.push_str(&format!("  last lines of {log}:\n"));
        for line in tail.lines() {
            out.push_str(&format!("       {line}\n"));
        }
    }
    if let Some(kept) = &o.kept {
        out.push_str(&format!("  kept: {kept}\n"));
    }
    out
}

/// The summary line after every scenario.
pub fn summary(outcomes: &[Outcome]) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    format!(
        "{} scenario run(s): {} passed, {failed} failed",
        outcomes.len(),
        outcomes.len() - failed
    )
}

/// The JSON of every run: a list (docs/json.md).
pub fn json(outcomes: &[Outcome]) -> String {
    serde_json::to_string_pretty(outcomes).expect("outcomes serialize")
}
