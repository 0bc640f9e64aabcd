//! Verify results kept in the run's directory (`verify.json`, every verify of the run,
//! oldest first), for `runbook report` and a later look.

use anyhow::{Context as _, Result};

use super::Verified;
use crate::apply::journal::{Entry, Journal};
use crate::apply::state_dir::Dir;

const FILE: &str = "verify.json";

pub fn load(run_dir: &Dir) -> Result<Vec<Verified>> {
    match run_dir.read(FILE)? {
        None => Ok(Vec::new()),
        Some(bytes) => {
            serde_json::from_slice(&bytes).with_context(|| format!("{FILE} is not valid"))
        }
    }
}

/// Add one verify to the run's record, and its outcome to the run's journal.
pub fn append(run_dir: &Dir, verified: &Verified) -> Result<()> {
    let mut all = load(run_dir)?;
    all.push(verified.clone());
    run_dir.replace(FILE, &serde_json::to_vec_pretty(&all)?)?;
    Journal::create(run_dir)?.write(&Entry::Verified {
        at: verified.finished.clone(),
        outcome: verified.outcome.clone(),
        failed: verified.failures().map(|c| c.id.clone()).collect(),
    })
}
