//! Developer tools: generators of large queues and logs in the MTAs' real formats, for
//! benchmarks and load tests (`runbook dev ...`, hidden from `--help`).

pub mod exim_gen;
pub mod log_gen;
pub mod postfix_gen;
pub mod qmail_gen;
pub mod read_floor;
