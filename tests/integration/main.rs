//! Integration tests: the real binary on temporary host roots.

mod agent_cli;
mod apply;
mod cli;
mod cron_disable;
mod diagnose;
mod dry_run;
mod errors;
mod facts;
mod failure;
mod faults;
mod hostile_output;
mod injection;
mod journal;
mod lint;
mod log_arguments;
mod pipe;
mod plan_file;
mod real_apache;
mod real_exim;
mod real_roots;
mod rollback;
mod rootfs;
mod runs_ux;
mod safety;
mod secrets;
mod support;
