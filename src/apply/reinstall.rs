//! Rollback of files changed through their program (`crontab -u USER -`): each checked
//! before anything changes, as written files are, then given back to the program.

use std::collections::HashMap;

use anyhow::{Result, bail};

use super::command;
use super::journal::{self, JournalAction, Pending};
use super::state_dir::Dir;
use crate::edit::installer::Installer;
use crate::host::Host;

/// One install to reverse, checked.
pub struct Reinstall {
    pub seq: u64,
    pub file: String,
    pub installer: Installer,
    /// What the program lists now, for `rollback --dry-run`'s diff.
    pub now: String,
    /// The content to give back; `None` when the program already lists it.
    pub old: Option<String>,
}

impl Reinstall {
    pub fn apply(&self, host: &Host) -> Result<()> {
        let Some(old) = &self.old else {
            return Ok(());
        };
        let finished = command::install(host, &self.installer, old)?;
        if !finished.success() {
            bail!(
                "cannot reinstall {}: `{}` {}",
                self.file,
                self.installer.program().join(" "),
                finished.summary()
            );
        }
        Ok(())
    }
}

/// Check every pending install, newest first, following each file back through the
/// run's chained changes: it must list what the run installed (or, after an interrupted
/// rollback, what it listed before), unless `force`, and its backup must match.
pub fn check(
    host: &Host,
    run_dir: &Dir,
    pending: &[Pending],
    force: bool,
) -> Result<Vec<Reinstall>> {
    let mut now_holds: HashMap<String, String> = HashMap::new();
    let mut drifted: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for p in pending.iter().rev() {
        let JournalAction::Install {
            file,
            installer,
            backup,
            before_sha256,
            after_sha256,
        } = &p.action
        else {
            continue;
        };
        let now = match command::installed_now(host, installer)? {
            Some((found, listed)) if found == *file => listed,
            // Removed since (`crontab -r`): reinstalling brings the old table back.
            _ => String::new(),
        };
        let holds = now_holds
            .get(file)
            .cloned()
            .unwrap_or_else(|| crate::digest::sha256(now.as_bytes()));
        let old = journal::read_backup(run_dir, backup, Some(before_sha256))?;
        let old = String::from_utf8(old)
            .map_err(|_| anyhow::anyhow!("backup {backup} of {file} is not UTF-8 text"))?;
        let already = holds == *before_sha256;
        if !already && holds != *after_sha256 && !drifted.contains(file) {
            drifted.push(file.clone());
        }
        now_holds.insert(file.clone(), before_sha256.clone());
        out.push(Reinstall {
            seq: p.seq,
            file: file.clone(),
            installer: installer.clone(),
            now,
            old: (!already).then_some(old),
        });
    }
    if !drifted.is_empty() && !force {
        drifted.sort();
        bail!(
            "{} changed since the run installed {}: refusing to overwrite; use --force to reinstall the old content anyway",
            drifted.join(", "),
            if drifted.len() == 1 { "it" } else { "them" }
        );
    }
    Ok(out)
}
