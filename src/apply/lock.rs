//! One apply or rollback per host at a time: an OS file lock in the state dir, with a
//! note saying who holds it.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};

use anyhow::{Context, Result, bail};

use super::state_dir::Dir;

/// Held until dropped (the OS releases it if the process dies).
#[derive(Debug)]
pub struct HostLock {
    _file: File,
}

pub fn acquire(state_dir: &Dir, what: &str) -> Result<HostLock> {
    let path = state_dir.path().join("lock");
    let mut file = state_dir.open_rw("lock")?;
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

/// Whether some process holds the lock now (an apply or rollback under way).
pub fn held(state_dir: &Dir) -> Result<bool> {
    let Some(file) = state_dir.open_existing("lock")? else {
        return Ok(false);
    };
    match file.try_lock_shared() {
        Ok(()) => {
            file.unlock()?;
            Ok(false)
        }
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = super::super::state_dir::open(&tmp.path().join("state"), None, true)
            .unwrap()
            .unwrap();
        let _held = acquire(&dir, "apply php-disable-mail").unwrap();
        assert!(held(&dir).unwrap());
        let err = acquire(&dir, "apply other").unwrap_err().to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("apply php-disable-mail"), "{err}");
    }
}
