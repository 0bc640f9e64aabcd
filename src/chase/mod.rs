//! Safe path walking inside a host root, modelled on systemd's `chase()` with
//! `CHASE_SAFE` (src/basic/chase.c).
//!
//! A host path is walked one component at a time from a descriptor of the root: each
//! component is opened with `O_PATH | O_NOFOLLOW` and `fstat`ed through that descriptor,
//! so what is checked is what is used, and nothing a site user swaps in later can
//! redirect the walk. Symlinks are read with `readlinkat` and resolved by us, inside the
//! root (`RESOLVE_IN_ROOT`: an absolute target restarts at the root, `..` stops there),
//! so the kernel never follows a link, magic links under `/proc` included. `openat2`
//! would do the in-root part in one call, but the owner check below needs every
//! component, which is why systemd walks by hand under `CHASE_SAFE` too.
//!
//! The result is the parent directory, held open, and the final name in it: callers
//! read, write and rename through that descriptor, never through a string.

mod policy;

pub use policy::Policy;

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat, readlinkat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat};

/// Symlink hops allowed before giving up (the kernel's ELOOP limit).
const MAX_LINKS: usize = 40;

/// Where a walk ended: the parent directory, open, and the final component in it.
#[derive(Debug, Clone)]
pub struct Chased {
    /// The parent directory, opened `O_RDONLY | O_DIRECTORY` (so it can be fsynced).
    pub dir: Arc<OwnedFd>,
    /// Device and inode of the parent directory.
    pub dir_id: FileId,
    /// The final component's name in `dir`.
    pub name: OsString,
    /// The resolved host path (`/etc/apache2/sites-available/x.conf`).
    pub host_path: String,
    /// The final component's status, when it exists; never a symlink.
    pub stat: Option<FileStat>,
}

/// A file's identity: device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    pub fn of(st: &FileStat) -> FileId {
        FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        }
    }
}

/// One directory of the walk, held open.
struct Level {
    fd: OwnedFd,
    st: FileStat,
    name: String,
}

/// Walk `host_path` inside `root` under `policy`. The final component need not exist.
pub fn chase(root: &Path, host_path: &str, policy: &Policy) -> io::Result<Chased> {
    walk(root, host_path, policy, true)
}

/// Like [`chase`], but a symlink as the final component is the answer itself, not
/// followed (rollback replaces the entry the run wrote, whatever it became since).
pub fn chase_entry(root: &Path, host_path: &str, policy: &Policy) -> io::Result<Chased> {
    walk(root, host_path, policy, false)
}

fn walk(root: &Path, host_path: &str, policy: &Policy, follow_last: bool) -> io::Result<Chased> {
    let root_fd = open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io_error(e, format!("cannot open the host root {}", root.display())))?;
    let root_st = fstat(&root_fd)?;
    let mut stack = vec![Level {
        fd: root_fd,
        st: root_st,
        name: String::new(),
    }];
    let mut todo: VecDeque<String> = components(host_path).collect();
    let mut hops = 0;
    while let Some(part) = todo.pop_front() {
        match part.as_str() {
            "." => continue,
            ".." => {
                if stack.len() > 1 {
                    let child = stack.pop().expect("more than the root");
                    let parent = stack.last().expect("the root stays");
                    policy.check_transition(&child.st, &parent.st, &shown(&stack, ".."))?;
                }
                continue;
            }
            _ => {}
        }
        let last = todo.is_empty();
        let here = stack.last().expect("the root stays");
        let fd = match openat(
            &here.fd,
            part.as_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) if last => return finish(&stack, part, None),
            Err(e) => {
                return Err(io_error(e, format!("cannot open {}", shown(&stack, &part))));
            }
        };
        let st = fstat(&fd)?;
        let path = shown(&stack, &part);
        match kind(&st) {
            SFlag::S_IFLNK if last && !follow_last => return finish(&stack, part, Some(st)),
            SFlag::S_IFLNK => {
                hops += 1;
                if hops > MAX_LINKS {
                    return Err(io::Error::other(format!(
                        "too many symlinks resolving {host_path}"
                    )));
                }
                let target = readlinkat(&fd, "")?;
                let target = String::from_utf8_lossy(target.as_bytes()).into_owned();
                policy.check_link(&here.st, &st, &path, &target)?;
                if target.starts_with('/') {
                    stack.truncate(1);
                    policy.check_transition(&st, &stack[0].st, &format!("{path} -> {target}"))?;
                }
                for (i, p) in components(&target).enumerate() {
                    todo.insert(i, p);
                }
            }
            SFlag::S_IFDIR if !last => {
                policy.check_enter(&here.st, &st, &path)?;
                stack.push(Level { fd, st, name: part });
            }
            _ if !last => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{path} is not a directory"),
                ));
            }
            _ => return finish(&stack, part, Some(st)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{host_path} names a directory, not a file"),
    ))
}

/// The walk's end: reopen the parent so it can be read, written and fsynced.
fn finish(stack: &[Level], name: String, stat: Option<FileStat>) -> io::Result<Chased> {
    let parent = stack.last().expect("the root stays");
    let dir = openat(
        &parent.fd,
        ".",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let dir_st = fstat(&dir)?;
    if FileId::of(&dir_st) != FileId::of(&parent.st) {
        return Err(io::Error::other("directory changed while it was opened"));
    }
    Ok(Chased {
        dir_id: FileId::of(&dir_st),
        dir: Arc::new(dir),
        host_path: shown(stack, &name),
        name: name.into(),
        stat,
    })
}

impl Chased {
    /// Open the final component for reading: no link followed, the same file the walk saw.
    pub fn open_read(&self) -> io::Result<Option<std::fs::File>> {
        match openat(
            self.dir.as_fd(),
            self.name.as_os_str(),
            READ_FLAGS,
            Mode::empty(),
        ) {
            Ok(fd) => regular(std::fs::File::from(fd)).map(Some),
            Err(Errno::ENOENT) => Ok(None),
            Err(Errno::ELOOP) => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} became a symlink; refusing to follow it", self.host_path),
            )),
            Err(e) => Err(io_error(e, format!("cannot open {}", self.host_path))),
        }
    }
}

/// The flags every reader of host data opens with: not blocking (a FIFO planted where a
/// file should be must not hang us), the last component not followed (a spool file is
/// never a symlink; a link to `/dev/zero` must not be read), no controlling terminal.
const READ_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_NOFOLLOW)
    .union(OFlag::O_CLOEXEC)
    .union(OFlag::O_NOCTTY)
    .union(OFlag::O_NONBLOCK);

/// Open a real path (one already resolved under the root, or a queue file found by
/// listing its directory) to read it, if it is a regular file. Anything else (a FIFO,
/// a device, a socket, a symlink) is an error saying what it is.
pub fn open_regular(path: &Path) -> io::Result<std::fs::File> {
    match open(path, READ_FLAGS, Mode::empty()) {
        Ok(fd) => regular(std::fs::File::from(fd)),
        Err(Errno::ELOOP) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a symlink, not a regular file: not read",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The same for `name` in a directory held open (a queue reader keeps its spool
/// directory open): the kernel walks one component, not the whole path again.
pub fn open_regular_at(
    dir: std::os::fd::BorrowedFd<'_>,
    name: &std::ffi::OsStr,
) -> io::Result<std::fs::File> {
    open_regular_at_stat(dir, name).map(|(file, _)| file)
}

/// [`open_regular_at`] with the status its check read (a reader that needs the file's
/// size or time asks the kernel once, not twice).
pub fn open_regular_at_stat(
    dir: std::os::fd::BorrowedFd<'_>,
    name: &std::ffi::OsStr,
) -> io::Result<(std::fs::File, FileStat)> {
    match openat(dir, name, READ_FLAGS, Mode::empty()) {
        Ok(fd) => regular_stat(std::fs::File::from(fd)),
        Err(Errno::ELOOP) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a symlink, not a regular file: not read",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The same for a file the operator names (a runbook, `runbook lint FILE`): symlinks
/// followed, as any tool would, but only a regular file read.
pub fn open_regular_following(path: &Path) -> io::Result<std::fs::File> {
    let fd = open(
        path,
        READ_FLAGS.difference(OFlag::O_NOFOLLOW),
        Mode::empty(),
    )?;
    regular(std::fs::File::from(fd))
}

/// `file` if it is a regular file, checked on the open descriptor (no race).
fn regular(file: std::fs::File) -> io::Result<std::fs::File> {
    regular_stat(file).map(|(file, _)| file)
}

/// The same, with the status read to check it.
fn regular_stat(file: std::fs::File) -> io::Result<(std::fs::File, FileStat)> {
    let st = fstat(file.as_fd())?;
    let what = match kind(&st) {
        SFlag::S_IFREG => return Ok((file, st)),
        SFlag::S_IFIFO => "a FIFO",
        SFlag::S_IFCHR => "a character device",
        SFlag::S_IFBLK => "a block device",
        SFlag::S_IFSOCK => "a socket",
        SFlag::S_IFDIR => "a directory",
        _ => "not a regular file",
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what}, not a regular file: not read"),
    ))
}

/// The file type bits of a status.
pub fn kind(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits())
}

fn components(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
}

/// The host path of the walk so far plus `next`, for messages.
fn shown(stack: &[Level], next: &str) -> String {
    let mut out: String = stack
        .iter()
        .skip(1)
        .map(|l| format!("/{}", l.name))
        .collect();
    out.push('/');
    out.push_str(next);
    out
}

fn io_error(e: Errno, context: String) -> io::Error {
    let err = io::Error::from(e);
    io::Error::new(err.kind(), format!("{context}: {err}"))
}

#[cfg(test)]
mod tests;
