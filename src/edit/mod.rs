//! Text edits that keep everything they do not change: ini files, Apache directives,
//! lines; and the unified diffs that show them.

pub mod apache;
pub mod crontab;
pub mod diff;
pub mod error;
pub mod ini;
pub mod installer;
pub mod line;
pub mod postfix;
#[cfg(test)]
mod testgen;
