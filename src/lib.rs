//! `runbook`: declarative remediation runbooks for mail servers blocked for spam.

pub mod apply;
pub mod chase;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod dev;
pub mod digest;
pub mod edit;
pub mod facts;
pub mod harness;
pub mod host;
pub mod i18n;
pub mod plan;
pub mod process;
pub mod progress;
pub mod queue;
pub mod report;
pub mod runbook;
pub mod text;
pub mod verify;
