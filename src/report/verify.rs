//! A verify's result for people: the outcome, then each check with its numbers.

use std::fmt::Write;

use super::escape::escape;
use super::style::Style;
use crate::verify::Verified;

pub fn render(v: &Verified, style: Style) -> String {
    let mut out = String::new();
    let over = if v.within_secs == 0 {
        "once".to_string()
    } else {
        format!(
            "{} sample(s) over {}s of {}s",
            v.samples, v.elapsed_secs, v.within_secs
        )
    };
    let outcome = match v.outcome.as_str() {
        "passed" => style.green("passed"),
        "failed" => style.red("FAILED"),
        other => style.yellow(other),
    };
    let _ = writeln!(
        out,
        "\n{} of run {}: {outcome} ({over})",
        style.bold("Verify"),
        escape(&v.run_id)
    );
    for check in &v.checks {
        let mark = if check.ok {
            style.green("ok  ")
        } else {
            style.red("FAIL")
        };
        let _ = writeln!(
            out,
            "  {mark} {}: {}",
            escape(&check.id),
            escape(&check.detail)
        );
        let _ = writeln!(out, "       {}", style.dim(&escape(&check.title)));
    }
    match (v.outcome.as_str(), v.action.as_deref()) {
        ("failed", Some("rollback")) => {
            let _ = writeln!(
                out,
                "The fix did not hold: rolling the run back (on_fail: rollback)."
            );
        }
        ("failed", _) => {
            let failed: Vec<&str> = v.failures().map(|c| c.id.as_str()).collect();
            let _ = writeln!(
                out,
                "The fix did not hold ({}); the run stays applied.",
                escape(&failed.join(", "))
            );
        }
        ("interrupted", _) => {
            let _ = writeln!(
                out,
                "Interrupted: the checks held until then; the run stays applied."
            );
        }
        _ => {}
    }
    out
}
