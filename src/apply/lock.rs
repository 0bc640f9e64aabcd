//! One apply or rollback per host at a time: an OS file lock in the state dir, with a
//! note saying who holds it.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Held until dropped (the OS releases it if the process dies).
#[derive(Debug)]
pub struct HostLock {
    _file: File,
}

pub fn acquire(state_dir: &Path, what: &str) -> Result<HostLock> {
    create_private_dir(state_dir)?;
    let path = state_dir.join("lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                "another process"
            } else {
                holder
            };
            bail!(
                "this host is locked by {holder} (lock file {}); wait for it to finish",
                path.display()
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_default();
    let note = format!(
        "pid {} (user {user}, `{what}`, since {})\n",
        std::process::id(),
        jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%S UTC")
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(note.as_bytes())?;
    file.sync_all()?;
    Ok(HostLock { _file: file })
}

/// The state dir holds backups of config files: only root may read it.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create state dir {}", dir.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let _held = acquire(dir.path(), "apply php-disable-mail").unwrap();
        let err = acquire(dir.path(), "apply other").unwrap_err().to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("apply php-disable-mail"), "{err}");
    }
}
