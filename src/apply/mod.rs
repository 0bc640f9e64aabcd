//! Changing the host: lock, journal, atomic writes, commands, rollback.

pub mod atomic;
pub mod command;
pub mod execute;
pub mod hook;
pub mod journal;
pub mod lock;
pub mod quarantine;
pub mod reinstall;
pub mod rollback;
pub mod signal;
pub mod state;
pub mod state_dir;
