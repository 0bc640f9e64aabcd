//! Integration tests: the real binary on temporary host roots.

mod apply;
mod cli;
mod dry_run;
mod errors;
mod failure;
mod injection;
mod lint;
mod rollback;
mod support;
