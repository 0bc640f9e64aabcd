//! Atomic file replacement through a directory descriptor, keeping mode and owner.
//!
//! Everything happens relative to the directory the plan walked to, and the new file is
//! changed through its own descriptor (`fchown`, `fchmod`), never by name: a site user
//! who owns the directory can rename entries at any moment, but cannot make us write,
//! chown or chmod anything but our own new file, and a swap of the name we rename over
//! is detected afterwards.

use std::ffi::OsStr;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat, renameat};
use nix::sys::stat::{FileStat, Mode, fchmod, fstat, fstatat};
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, unlinkat};

use crate::chase::{FileId, kind};

/// Mode and owner of a file, as saved in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ownership {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Ownership {
    pub fn of(st: &FileStat) -> Ownership {
        Ownership {
            mode: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
        }
    }
}

/// A fresh, unguessable temp name beside `name`: `.php.ini.runbook-1a2b3c4d5e6f7a8b`.
pub fn temp_name(name: &OsStr) -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!(
        ".{}.runbook-{random:016x}",
        String::from_utf8_lossy(name.as_bytes())
    )
}

/// Replace `name` in `dir` with `content`: a new temp file (`O_EXCL`, never following a
/// link), owner and mode set through its descriptor, fsync, rename, fsync the directory.
/// Answers the new file's identity. Any error leaves `name` as it was (and no temp file).
pub fn write_at(
    dir: &OwnedFd,
    name: &OsStr,
    temp: &str,
    content: &[u8],
    ownership: Ownership,
) -> io::Result<FileId> {
    let staged = stage(dir, temp, content, ownership)?;
    commit(dir, temp, name, &staged)
}

/// The first half of [`write_at`]: the complete new file under its temp name.
pub fn stage(dir: &OwnedFd, temp: &str, content: &[u8], ownership: Ownership) -> io::Result<File> {
    let fd = openat(
        dir,
        temp,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    )
    .map_err(io::Error::from)?;
    let mut file = File::from(fd);
    if let Err(e) = fill(&mut file, content, ownership) {
        remove_temp(dir, temp);
        return Err(e);
    }
    Ok(file)
}

/// The second half of [`write_at`]: rename the staged file over `name`.
pub fn commit(dir: &OwnedFd, temp: &str, name: &OsStr, staged: &File) -> io::Result<FileId> {
    let renamed = rename_checked(dir, temp, name, staged);
    if renamed.is_err() {
        remove_temp(dir, temp);
    }
    renamed
}

fn fill(file: &mut File, content: &[u8], ownership: Ownership) -> io::Result<()> {
    file.write_all(content)?;
    // Owner first: chown clears setuid/setgid bits, so the mode goes on after. Someone
    // other than root may only keep their own uid.
    if let Err(e) = fchown(
        file.as_fd(),
        Some(Uid::from_raw(ownership.uid)),
        Some(Gid::from_raw(ownership.gid)),
    ) && !(e == Errno::EPERM && fstat(file.as_fd())?.st_uid == ownership.uid)
    {
        return Err(e.into());
    }
    fchmod(file.as_fd(), Mode::from_bits_truncate(ownership.mode))?;
    file.sync_all()
}

/// Rename the temp file over `name`, sync the directory, and check that `name` now is
/// our file (a swap of the temp name before the rename would show here).
fn rename_checked(dir: &OwnedFd, temp: &str, name: &OsStr, file: &File) -> io::Result<FileId> {
    renameat(dir, temp, dir, name)?;
    nix::unistd::fsync(dir)?;
    let ours = FileId::of(&fstat(file.as_fd())?);
    let there = fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
    if FileId::of(&there) != ours {
        return Err(io::Error::other(format!(
            "{} was replaced by someone else during the write",
            name.to_string_lossy()
        )));
    }
    Ok(ours)
}

/// Remove a temp file left in `dir` (by an interrupted write), if it is still a regular
/// file: nothing else of that name is touched.
pub fn remove_temp(dir: &OwnedFd, temp: &str) {
    if fstatat(dir, temp, AtFlags::AT_SYMLINK_NOFOLLOW)
        .is_ok_and(|st| kind(&st) == nix::sys::stat::SFlag::S_IFREG)
    {
        let _ = unlinkat(dir, temp, UnlinkatFlags::NoRemoveDir);
        let _ = nix::unistd::fsync(dir);
    }
}

/// Remove `name` from `dir` (a file the run created), if it is a regular file.
pub fn remove_file(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    match unlinkat(dir, name, UnlinkatFlags::NoRemoveDir) {
        Ok(()) | Err(Errno::ENOENT) => nix::unistd::fsync(dir).map_err(io::Error::from),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, Permissions};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn dir_fd(path: &std::path::Path) -> OwnedFd {
        File::open(path).unwrap().into()
    }

    #[test]
    fn replaces_content_and_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("php.ini");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        let meta = fs::metadata(&path).unwrap();
        let own = Ownership {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        };
        let name = OsStr::new("php.ini");
        write_at(&dir_fd(dir.path()), name, &temp_name(name), b"new", own).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o640);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[test]
    fn a_planted_temp_name_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("victim"), "keep").unwrap();
        std::os::unix::fs::symlink("victim", dir.path().join(".x.runbook-1")).unwrap();
        let own = Ownership {
            mode: 0o644,
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
        };
        let err = write_at(
            &dir_fd(dir.path()),
            OsStr::new("x"),
            ".x.runbook-1",
            b"evil",
            own,
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(dir.path().join("victim")).unwrap(), b"keep");
        assert!(!dir.path().join("x").exists());
    }
}
