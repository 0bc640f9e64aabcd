//! `runbook test`: scenarios (`runbooks/tests/*.yaml`) run in fresh containers of real
//! mail servers. One file per concern: the scenario format and its loading, the image
//! definitions, the engine interface and the namespace engine, the runner, the report.

pub mod bounded;
pub mod choose;
pub mod containerfile;
pub mod engine;
pub mod images;
pub mod load;
pub mod model;
pub mod namespace;
pub mod oci;
pub mod report;
pub mod runner;
