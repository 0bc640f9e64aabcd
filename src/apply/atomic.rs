//! Atomic file replacement that keeps the file's mode and owner.

use std::fs::{self, File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::path::Path;

/// Mode and owner of a file, as saved in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ownership {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Ownership {
    pub fn of(path: &Path) -> io::Result<Ownership> {
        let meta = fs::metadata(path)?;
        Ok(Ownership {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        })
    }
}

/// Replace `path` with `content`: temp file in the same directory, fsync, rename, fsync
/// the directory. The new file gets `ownership` (the old file's, normally).
pub fn write(path: &Path, content: &[u8], ownership: Ownership) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("file has no parent directory"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.runbook-"))
        .tempfile_in(dir)?;
    temp.write_all(content)?;
    let file = temp.as_file();
    // Owner first: chown clears setuid/setgid bits, so the mode goes on after.
    if let Err(e) = chown(temp.path(), Some(ownership.uid), Some(ownership.gid))
        && !(e.kind() == io::ErrorKind::PermissionDenied
            && Ownership::of(temp.path())?.uid == ownership.uid)
    {
        return Err(e);
    }
    file.set_permissions(Permissions::from_mode(ownership.mode))?;
    file.sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

/// SHA-256 of bytes, hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("php.ini");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        let own = Ownership::of(&path).unwrap();
        write(&path, b"new", own).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(Ownership::of(&path).unwrap(), own);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }
}
