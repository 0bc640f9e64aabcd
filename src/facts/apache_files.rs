//! Apache's config files: the main one and everything it includes, in Apache's order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::php_paths::glob_host;
use crate::host::Host;

#[derive(Debug, Clone, PartialEq)]
pub struct ApacheLayout {
    /// Host paths.
    pub main_config: PathBuf,
    pub server_root: PathBuf,
    /// The main config first, then every included file in include order.
    pub files: Vec<PathBuf>,
    /// Included files that were not read (host path, why): larger than
    /// [`APACHE_FILE_MAX`], or an I/O error.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Apache config files larger than this are not read (a big vhosts file is a few MiB).
pub const APACHE_FILE_MAX: u64 = 16 << 20;

/// Main configs with their default ServerRoot: Debian, RHEL, cPanel.
const MAIN_CONFIGS: &[(&str, &str)] = &[
    ("/etc/apache2/apache2.conf", "/etc/apache2"),
    ("/etc/httpd/conf/httpd.conf", "/etc/httpd"),
    // cPanel: EasyApache 4, then EasyApache 3.
    ("/etc/apache2/conf/httpd.conf", "/etc/apache2"),
    ("/usr/local/apache/conf/httpd.conf", "/usr/local/apache"),
];

/// Include nesting deeper than this is a loop Apache itself would refuse.
const MAX_DEPTH: usize = 16;

pub fn discover(root: &Path) -> Option<ApacheLayout> {
    let host = Host::new(root);
    let (main, default_root) = MAIN_CONFIGS
        .iter()
        .find(|(main, _)| host.resolve(main).is_ok_and(|p| p.is_file()))?;
    let mut walk = Walk {
        host: &host,
        server_root: default_root.to_string(),
        files: Vec::new(),
        unreadable: Vec::new(),
        seen: HashSet::new(),
    };
    walk.file(main, 0);
    Some(ApacheLayout {
        main_config: PathBuf::from(main),
        server_root: PathBuf::from(&walk.server_root),
        files: walk.files.into_iter().map(PathBuf::from).collect(),
        unreadable: walk.unreadable,
    })
}

struct Walk<'a> {
    host: &'a Host,
    server_root: String,
    files: Vec<String>,
    unreadable: Vec<(PathBuf, String)>,
    seen: HashSet<String>,
}

impl Walk<'_> {
    fn file(&mut self, path: &str, depth: usize) {
        let Ok(resolved) = self.host.resolve_host(path) else {
            return;
        };
        if depth > MAX_DEPTH || !self.seen.insert(resolved) {
            return;
        }
        let bytes = match self.host.read_max(path, APACHE_FILE_MAX) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return,
            Err(e) => {
                self.unreadable.push((PathBuf::from(path), e.to_string()));
                return;
            }
        };
        self.files.push(path.to_string());
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some((directive, args)) = words.split_first() else {
                continue;
            };
            let arg = args.first().map(|a| a.trim_matches('"'));
            match (directive.to_ascii_lowercase().as_str(), arg) {
                ("serverroot", Some(dir)) => {
                    self.server_root = dir.trim_end_matches('/').to_string()
                }
                ("include" | "includeoptional", Some(target)) => self.include(target, depth),
                _ => {}
            }
        }
    }

    /// A file, a directory (every file in it, recursively), or a wildcard, relative paths
    /// taken from ServerRoot; matches in alphabetical order, as Apache reads them.
    fn include(&mut self, target: &str, depth: usize) {
        let path = if target.starts_with('/') {
            target.to_string()
        } else {
            format!("{}/{target}", self.server_root)
        };
        let matches = if path.contains(['*', '?', '[']) {
            glob_host(self.host.root(), &path)
        } else {
            vec![path]
        };
        for m in matches {
            match self.host.resolve(&m) {
                Ok(real) if real.is_dir() => {
                    for inner in glob_host(
                        self.host.root(),
                        &format!("{}/**/*", m.trim_end_matches('/')),
                    ) {
                        if self.host.resolve(&inner).is_ok_and(|r| r.is_file()) {
                            self.file(&inner, depth + 1);
                        }
                    }
                }
                Ok(real) if real.is_file() => self.file(&m, depth + 1),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn write(root: &Path, host_path: &str, text: &str) {
        let p = root.join(host_path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn follows_debian_includes_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "/etc/apache2/apache2.conf",
            "IncludeOptional mods-enabled/*.load\nInclude ports.conf\n# Include nothing.conf\nIncludeOptional conf-enabled/*.conf\nIncludeOptional sites-enabled/*.conf\n",
        );
        write(root, "/etc/apache2/ports.conf", "Listen 80\n");
        write(
            root,
            "/etc/apache2/mods-available/php8.2.load",
            "LoadModule php_module x.so\n",
        );
        write(
            root,
            "/etc/apache2/sites-available/b.conf",
            "<VirtualHost *:80>\n</VirtualHost>\n",
        );
        write(
            root,
            "/etc/apache2/sites-available/a.conf",
            "Include sites-enabled/b.conf\n",
        );
        fs::create_dir_all(root.join("etc/apache2/sites-enabled")).unwrap();
        fs::create_dir_all(root.join("etc/apache2/mods-enabled")).unwrap();
        symlink(
            "../mods-available/php8.2.load",
            root.join("etc/apache2/mods-enabled/php8.2.load"),
        )
        .unwrap();
        symlink(
            "/etc/apache2/sites-available/a.conf",
            root.join("etc/apache2/sites-enabled/a.conf"),
        )
        .unwrap();
        symlink(
            "../sites-available/b.conf",
            root.join("etc/apache2/sites-enabled/b.conf"),
        )
        .unwrap();
        let layout = discover(root).unwrap();
        let files: Vec<&str> = layout.files.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(
            files,
            [
                "/etc/apache2/apache2.conf",
                "/etc/apache2/mods-enabled/php8.2.load",
                "/etc/apache2/ports.conf",
                "/etc/apache2/sites-enabled/a.conf",
                "/etc/apache2/sites-enabled/b.conf",
            ],
            "b.conf is read once although included twice"
        );
        assert_eq!(layout.server_root, Path::new("/etc/apache2"));
    }

    #[test]
    fn rhel_server_root_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "/etc/httpd/conf/httpd.conf",
            "ServerRoot \"/etc/httpd\"\nInclude conf.modules.d/*.conf\nIncludeOptional conf.d\n",
        );
        write(root, "/etc/httpd/conf.modules.d/00-base.conf", "\n");
        write(root, "/etc/httpd/conf.d/vhosts/site.conf", "\n");
        let files: Vec<PathBuf> = discover(root).unwrap().files;
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(files.contains(&PathBuf::from("/etc/httpd/conf.d/vhosts/site.conf")));
        assert!(discover(dir.path().join("nothing").as_path()).is_none());
    }

    #[test]
    fn oversized_includes_are_listed_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "/etc/apache2/apache2.conf",
            "Include big.conf\nInclude small.conf\n",
        );
        write(root, "/etc/apache2/small.conf", "\n");
        let big = fs::File::create(root.join("etc/apache2/big.conf")).unwrap();
        big.set_len(APACHE_FILE_MAX + 1).unwrap();
        let layout = discover(root).unwrap();
        assert_eq!(layout.files.len(), 2, "{:?}", layout.files);
        assert_eq!(layout.unreadable.len(), 1);
        assert_eq!(layout.unreadable[0].0, Path::new("/etc/apache2/big.conf"));
        assert!(layout.unreadable[0].1.contains("larger than"));
    }
}
