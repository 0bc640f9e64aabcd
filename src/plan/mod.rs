//! Planning: evaluate checks and conditions, render templates, compute edits and commands.

pub mod actions;
pub mod builder;
pub mod error;
pub mod eval;
pub mod i18n;
pub mod queue;
pub mod redact;
pub mod saved;
pub mod signal;
pub mod types;
