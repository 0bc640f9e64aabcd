//! The time "now" is, for output that says how long ago something happened.
//!
//! `RUNBOOK_NOW` (RFC 3339) fixes it, so tests and examples show the same ages on every
//! day they run; unset, it is the system clock.

use anyhow::{Context, Result};
use jiff::Timestamp;

pub const ENV: &str = "RUNBOOK_NOW";

pub fn now() -> Result<Timestamp> {
    match std::env::var(ENV) {
        Ok(text) if !text.is_empty() => text.parse().with_context(|| {
            format!("{ENV}={text:?} is not an RFC 3339 time (2026-11-26T00:11:00Z)")
        }),
        _ => Ok(Timestamp::now()),
    }
}
