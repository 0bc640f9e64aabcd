//! The host's filesystem, seen through `--root DIR` (a fixture, a copied rootfs) or `/`.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::chase::{Chased, Policy, chase};

/// Maps host paths (`/etc/php.ini`) to real paths under the root, resolving symlinks the
/// way the host would: an absolute link target is relative to the root, never to our `/`.
#[derive(Debug, Clone)]
pub struct Host {
    root: PathBuf,
}

impl Host {
    pub fn new(root: impl Into<PathBuf>) -> Host {
        Host { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether this is the machine itself (no chroot needed).
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The real path of a host path, without following symlinks (lexical join).
    pub fn lexical(&self, host_path: &str) -> PathBuf {
        let mut out = self.root.clone();
        for c in Path::new(host_path).components() {
            match c {
                Component::Normal(part) => out.push(part),
                Component::ParentDir if out != self.root => {
                    out.pop();
                }
                _ => {}
            }
        }
        out
    }

    /// The real path of a host path with every symlink resolved inside the root, under
    /// the read policy (see [`crate::chase`]). The last component need not exist.
    pub fn resolve(&self, host_path: &str) -> io::Result<PathBuf> {
        Ok(self.lexical(&self.resolve_host(host_path)?))
    }

    /// Like [`Host::resolve`], but answers with the host path (`/etc/apache2/sites-available/x.conf`).
    pub fn resolve_host(&self, host_path: &str) -> io::Result<String> {
        match self.chase(host_path, &Policy::read()) {
            Ok(found) => Ok(found.host_path),
            // The path names a directory by `..` or `/`: nothing to resolve past it.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                Ok(self.host_path(&self.lexical(host_path)))
            }
            Err(e) => Err(e),
        }
    }

    /// Walk a host path safely (see [`crate::chase`]): the parent directory, held open,
    /// and the final name in it.
    pub fn chase(&self, host_path: &str, policy: &Policy) -> io::Result<Chased> {
        chase(&self.root, host_path, policy)
    }

    /// The host path of a real path under the root (for messages and diffs).
    pub fn host_path(&self, real: &Path) -> String {
        match real.strip_prefix(&self.root) {
            Ok(rel) => format!("/{}", rel.display()),
            Err(_) => real.display().to_string(),
        }
    }

    /// Open a host file for reading; `Ok(None)` when it does not exist.
    pub fn open(&self, host_path: &str) -> io::Result<Option<fs::File>> {
        match self.chase(host_path, &Policy::read()) {
            Ok(found) => found.open_read(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Read a host file; `Ok(None)` when it does not exist.
    pub fn read(&self, host_path: &str) -> io::Result<Option<Vec<u8>>> {
        use std::io::Read;
        let Some(mut file) = self.open(host_path)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }

    /// Read a host file of at most `max` bytes; `Ok(None)` when it does not exist. A
    /// larger file is an error (`InvalidData`, saying so), read no further than
    /// `max + 1` bytes: a hostile 100 GB file costs no more memory than the cap.
    pub fn read_max(&self, host_path: &str, max: u64) -> io::Result<Option<Vec<u8>>> {
        let Some(file) = self.open(host_path)? else {
            return Ok(None);
        };
        read_capped(file, max).map(Some)
    }

    /// Find an executable the way a shell would, in the host's standard PATH.
    pub fn find_program(&self, name: &str) -> Option<String> {
        if name.contains('/') {
            return self.is_executable(name).then(|| name.to_string());
        }
        SEARCH_PATH
            .split(':')
            .map(|dir| format!("{dir}/{name}"))
            .find(|candidate| self.is_executable(candidate))
    }

    fn is_executable(&self, host_path: &str) -> bool {
        use std::os::unix::fs::PermissionsExt;
        self.resolve(host_path)
            .and_then(fs::metadata)
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
}

/// Read all of `file` if it holds at most `max` bytes; otherwise an `InvalidData`
/// error "larger than N bytes", having read at most `max + 1` of them (none when its
/// length says so). The buffer is sized from that length up front: grown by doubling,
/// a 16 MiB cap would cost 32 MiB and, in a thread's heap, copies that stay resident.
pub fn read_capped(file: fs::File, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let too_large = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes: not read"),
        )
    };
    // A file that says it is too large is not read at all; one that grows while we
    // read is cut by `take`.
    let len = file.metadata().map_or(0, |m| m.len());
    if len > max {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The PATH commands get, on the host and in a chroot alike.
pub const SEARCH_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// The walk itself is tested in `chase::tests`; this is the `Host` face of it.
    #[test]
    fn reads_follow_trusted_links_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let host = Host::new(dir.path());
        fs::create_dir(dir.path().join("etc")).unwrap();
        fs::write(dir.path().join("etc/a.conf"), "x").unwrap();
        symlink("/etc/a.conf", dir.path().join("etc/b.conf")).unwrap();
        assert_eq!(host.resolve_host("/etc/b.conf").unwrap(), "/etc/a.conf");
        assert_eq!(host.read("/etc/b.conf").unwrap().unwrap(), b"x");
        assert_eq!(host.read("/nope").unwrap(), None);
    }

    #[test]
    fn dot_dot_cannot_escape_the_root() {
        let host = Host::new("/srv/root");
        assert_eq!(
            host.lexical("/../../etc/passwd"),
            Path::new("/srv/root/etc/passwd")
        );
    }

    #[test]
    fn symlink_loops_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        symlink("/loop", dir.path().join("loop")).unwrap();
        assert!(Host::new(dir.path()).resolve("/loop").is_err());
    }
}
