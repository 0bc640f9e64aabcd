//! The state dir (runs, journals, backups, the lock): root's alone. It is reached by a
//! safe walk, created 0700 with files 0600, and an existing one, or anything in it, that
//! is not owned by root (or whoever runs runbook) or is writable by group or others is
//! refused, not fixed: a site user who could write there could forge a run for rollback.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use nix::errno::Errno;
use nix::fcntl::{OFlag, openat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat, mkdirat};

use crate::chase::{self, Policy};

/// An open directory of the state dir.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// Modes of what runbook creates there.
const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Open the state dir at `path`, creating it (and missing parents, 0755) when `create`.
/// `within`: the host root the default state dir must stay inside, links or not.
/// `Ok(None)`: it does not exist and `create` is false.
pub fn open(path: &Path, within: Option<&Path>, create: bool) -> Result<Option<Dir>> {
    let text = path
        .to_str()
        .ok_or_else(|| anyhow!("state dir {} is not UTF-8", path.display()))?;
    if !text.starts_with('/') {
        bail!("state dir {} is not an absolute path", path.display());
    }
    let found = match chase::chase(Path::new("/"), text, &Policy::edit(None)) {
        Ok(found) => found,
        Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
            let parent = path.parent().unwrap_or(Path::new("/"));
            ensure_parent(parent)?;
            chase::chase(Path::new("/"), text, &Policy::edit(None))
                .with_context(|| format!("cannot reach state dir {}", path.display()))?
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("refusing state dir {}", path.display()));
        }
    };
    if let Some(root) = within {
        let inside = Path::new(&found.host_path).starts_with(root);
        if !inside {
            bail!(
                "refusing state dir {}: it leads to {}, outside the host root {}",
                path.display(),
                found.host_path,
                root.display()
            );
        }
    }
    let real = PathBuf::from(&found.host_path);
    if found.stat.is_none() {
        if !create {
            return Ok(None);
        }
        mkdir(&found.dir, &found.name, &real)?;
    }
    open_dir(&found.dir, &found.name, &real).map(Some)
}

/// Create the missing parents of the state dir, 0755 (like /var/lib).
fn ensure_parent(dir: &Path) -> Result<()> {
    let text = dir.to_str().unwrap_or("/");
    match chase::chase(Path::new("/"), text, &Policy::edit(None)) {
        Ok(found) if found.stat.is_some() => Ok(()),
        Ok(found) => make_dir(&found.dir, &found.name, 0o755, dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            ensure_parent(dir.parent().unwrap_or(Path::new("/")))?;
            ensure_parent(dir)
        }
        // The path names `/` itself.
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
        Err(e) => Err(e).with_context(|| format!("refusing state dir parent {}", dir.display())),
    }
}

fn mkdir(parent: &OwnedFd, name: &OsStr, path: &Path) -> Result<()> {
    make_dir(parent, name, DIR_MODE, path)
}

fn make_dir(parent: &OwnedFd, name: &OsStr, mode: u32, path: &Path) -> Result<()> {
    match mkdirat(parent, name, Mode::from_bits_truncate(mode)) {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => {
            Err(io::Error::from(e)).with_context(|| format!("cannot create {}", path.display()))
        }
    }
}

fn open_dir(parent: &impl AsFd, name: &OsStr, path: &Path) -> Result<Dir> {
    let fd = openat(
        parent,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io::Error::from)
    .with_context(|| format!("cannot open {}", path.display()))?;
    check(&fstat(&fd)?, path, SFlag::S_IFDIR)?;
    Ok(Dir {
        fd,
        path: path.to_path_buf(),
    })
}

/// Owned by a trusted user, not writable by group or others, of the expected type.
fn check(st: &FileStat, path: &Path, kind: SFlag) -> Result<()> {
    let policy = Policy::read();
    if chase::kind(st) != kind {
        bail!("refusing {}: not a {}", path.display(), what(kind));
    }
    if !policy.is_trusted(st.st_uid) {
        bail!(
            "refusing {}: it is owned by uid {}, not root; the state dir must be root's alone (move it away and run again)",
            path.display(),
            st.st_uid
        );
    }
    if st.st_mode & 0o022 != 0 {
        bail!(
            "refusing {}: it is writable by group or others (mode {:o}); the state dir must be root's alone",
            path.display(),
            st.st_mode & 0o7777
        );
    }
    Ok(())
}

fn what(kind: SFlag) -> &'static str {
    if kind == SFlag::S_IFDIR {
        "directory"
    } else {
        "regular file"
    }
}

impl Dir {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A subdirectory (created 0700 when `create`); `Ok(None)` when missing.
    pub fn sub(&self, name: &str, create: bool) -> Result<Option<Dir>> {
        let path = self.path.join(name);
        if create {
            mkdir(&self.fd, OsStr::new(name), &path)?;
        }
        match open_dir(&self.fd, OsStr::new(name), &path) {
            Ok(dir) => Ok(Some(dir)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A checked file opened with `flags` (`O_NOFOLLOW` always); `Ok(None)` when missing.
    fn open_file(&self, name: &str, flags: OFlag) -> Result<Option<File>> {
        let path = self.path.join(name);
        let fd = match openat(
            &self.fd,
            name,
            flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NOCTTY,
            Mode::from_bits_truncate(FILE_MODE),
        ) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => return Ok(None),
            Err(Errno::ELOOP) => bail!("refusing {}: it is a symlink", path.display()),
            Err(e) => {
                return Err(io::Error::from(e))
                    .with_context(|| format!("cannot open {}", path.display()));
            }
        };
        check(&fstat(&fd)?, &path, SFlag::S_IFREG)?;
        Ok(Some(File::from(fd)))
    }

    /// A file's bytes; `Ok(None)` when missing.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        use std::io::Read;
        let Some(mut file) = self.open_file(name, OFlag::O_RDONLY)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", self.path.join(name).display()))?;
        Ok(Some(bytes))
    }

    /// A file for appending, created 0600.
    pub fn append(&self, name: &str) -> Result<File> {
        self.open_file(name, OFlag::O_WRONLY | OFlag::O_APPEND | OFlag::O_CREAT)?
            .ok_or_else(|| anyhow!("cannot create {}", self.path.join(name).display()))
    }

    /// A file for reading and writing (the lock), created 0600.
    pub fn open_rw(&self, name: &str) -> Result<File> {
        self.open_file(name, OFlag::O_RDWR | OFlag::O_CREAT)?
            .ok_or_else(|| anyhow!("cannot create {}", self.path.join(name).display()))
    }

    /// An existing file for reading (to probe a lock); `Ok(None)` when missing.
    pub fn open_existing(&self, name: &str) -> Result<Option<File>> {
        self.open_file(name, OFlag::O_RDONLY)
    }

    /// Write a new file (never replacing one), synced with its directory entry.
    pub fn create_new(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path.join(name);
        let mut file = self
            .open_file(name, OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL)?
            .ok_or_else(|| anyhow!("cannot create {}", path.display()))?;
        file.write_all(bytes)
            .and_then(|_| file.sync_all())
            .and_then(|_| self.sync())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Replace a file atomically (temp file, fsync, rename, fsync), 0600.
    pub fn replace(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let own = super::atomic::Ownership {
            mode: FILE_MODE,
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
        };
        let temp = super::atomic::temp_name(OsStr::new(name));
        super::atomic::write_at(&self.fd, OsStr::new(name), &temp, bytes, own)
            .with_context(|| format!("cannot write {}", self.path.join(name).display()))
            .map(|_| ())
    }

    /// Names in the directory, sorted.
    pub fn entries(&self) -> Result<Vec<String>> {
        // A fresh descriptor: a dup would share (and move) this one's read position.
        let fresh = openat(
            &self.fd,
            ".",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let mut dir = nix::dir::Dir::from_fd(fresh)?;
        let mut names: Vec<String> = dir
            .iter()
            .filter_map(|e| e.ok())
            .map(|e| String::from_utf8_lossy(e.file_name().to_bytes()).into_owned())
            .filter(|n| n != "." && n != "..")
            .collect();
        names.sort();
        Ok(names)
    }

    pub fn sync(&self) -> io::Result<()> {
        nix::unistd::fsync(&self.fd).map_err(io::Error::from)
    }
}

fn is_not_found(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::NotFound)
}

/// A name safe to use as one component in the state dir (a run id from the command line).
pub fn check_name(name: &str) -> Result<&str> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.as_bytes().contains(&b'/')
        && !OsStr::new(name).as_bytes().contains(&0);
    if ok {
        Ok(name)
    } else {
        bail!("`{name}` is not a run id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn state() -> (tempfile::TempDir, Dir) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = open(&tmp.path().join("a/b/state"), None, true)
            .unwrap()
            .unwrap();
        (tmp, dir)
    }

    #[test]
    fn creates_private_dirs_and_files_and_lists_them_every_time() {
        let (tmp, dir) = state();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&tmp.path().join("a/b/state")), 0o700);
        dir.create_new("one", b"1").unwrap();
        dir.sub("runs", true).unwrap().unwrap();
        assert_eq!(mode(&tmp.path().join("a/b/state/one")), 0o600);
        assert_eq!(mode(&tmp.path().join("a/b/state/runs")), 0o700);
        for _ in 0..2 {
            assert_eq!(dir.entries().unwrap(), ["one", "runs"]);
        }
        assert!(dir.create_new("one", b"2").is_err(), "never replaces");
        dir.replace("one", b"3").unwrap();
        assert_eq!(dir.read("one").unwrap().unwrap(), b"3");
        assert_eq!(dir.read("missing").unwrap(), None);
    }

    #[test]
    fn links_and_loose_modes_inside_are_refused() {
        let (tmp, dir) = state();
        let path = tmp.path().join("a/b/state");
        std::fs::write(tmp.path().join("elsewhere"), "x").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), path.join("journal.jsonl"))
            .unwrap();
        let err = dir.read("journal.jsonl").unwrap_err().to_string();
        assert!(err.contains("is a symlink"), "{err}");
        assert!(dir.append("journal.jsonl").is_err());
        std::fs::write(path.join("run.json"), "{}").unwrap();
        std::fs::set_permissions(
            path.join("run.json"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        let err = format!("{:#}", dir.read("run.json").unwrap_err());
        assert!(err.contains("writable by group or others"), "{err}");
        assert!(check_name("../x").is_err() && check_name("20261202T000000Z-1a2b").is_ok());
    }
}
