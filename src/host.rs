//! The host's filesystem, seen through `--root DIR` (a fixture, a copied rootfs) or `/`.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Maps host paths (`/etc/php.ini`) to real paths under the root, resolving symlinks the
/// way the host would: an absolute link target is relative to the root, never to our `/`.
#[derive(Debug, Clone)]
pub struct Host {
    root: PathBuf,
}

/// Symlink hops allowed before giving up (like the kernel's ELOOP limit).
const MAX_LINKS: usize = 40;

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

    /// The real path of a host path with every symlink resolved inside the root. The last
    /// component need not exist (a file about to be created).
    pub fn resolve(&self, host_path: &str) -> io::Result<PathBuf> {
        Ok(self.lexical(&self.resolve_host(host_path)?))
    }

    /// Like [`Host::resolve`], but answers with the host path (`/etc/apache2/sites-available/x.conf`).
    pub fn resolve_host(&self, host_path: &str) -> io::Result<String> {
        let mut pending: Vec<String> = split(host_path).into_iter().rev().collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            done.push(part);
            let real = self.lexical(&join(&done));
            let Ok(meta) = fs::symlink_metadata(&real) else {
                continue;
            };
            if !meta.file_type().is_symlink() {
                continue;
            }
            hops += 1;
            if hops > MAX_LINKS {
                return Err(io::Error::other(format!(
                    "too many symlinks resolving {host_path}"
                )));
            }
            let target = fs::read_link(&real)?;
            let target = target.to_string_lossy();
            done.pop();
            if target.starts_with('/') {
                done.clear();
            }
            pending.extend(split(&target).into_iter().rev());
        }
        Ok(join(&done))
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
        match fs::File::open(self.resolve(host_path)?) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Read a host file; `Ok(None)` when it does not exist.
    pub fn read(&self, host_path: &str) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.resolve(host_path)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
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

/// The PATH commands get, on the host and in a chroot alike.
pub const SEARCH_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn split(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn join(parts: &[String]) -> String {
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let host = Host::new(dir.path());
        fs::create_dir_all(dir.path().join("etc/apache2/sites-available")).unwrap();
        fs::create_dir_all(dir.path().join("etc/apache2/sites-enabled")).unwrap();
        fs::write(dir.path().join("etc/apache2/sites-available/a.conf"), "x").unwrap();
        symlink(
            "/etc/apache2/sites-available/a.conf",
            dir.path().join("etc/apache2/sites-enabled/a.conf"),
        )
        .unwrap();
        symlink(
            "../sites-available/a.conf",
            dir.path().join("etc/apache2/sites-enabled/b.conf"),
        )
        .unwrap();
        for link in [
            "/etc/apache2/sites-enabled/a.conf",
            "/etc/apache2/sites-enabled/b.conf",
        ] {
            assert_eq!(
                host.resolve_host(link).unwrap(),
                "/etc/apache2/sites-available/a.conf"
            );
        }
        assert_eq!(
            host.read("/etc/apache2/sites-enabled/a.conf")
                .unwrap()
                .unwrap(),
            b"x"
        );
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
