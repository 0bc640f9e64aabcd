//! Where the host keeps its php.ini files, across the layouts hosting servers use.

use std::path::{Path, PathBuf};

use crate::host::Host;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PhpIni {
    /// Host path, e.g. `/etc/php/8.2/apache2/php.ini`.
    pub path: PathBuf,
    /// `apache2`, `fpm`, `cgi`, `cli`, `user-cgi` (one user's or domain's own), or `unknown`
    /// (one php.ini for every SAPI, as on RHEL).
    pub sapi: String,
    pub version: Option<String>,
    pub layout: String,
    /// The site user whose own php.ini this is (read from its path), who may own it and
    /// its directory; `None` for a php.ini of the whole server.
    pub user: Option<String>,
}

/// (glob under the root, layout name).
const LAYOUTS: &[(&str, &str)] = &[
    ("/etc/php/*/*/php.ini", "debian"),
    ("/etc/php.ini", "rhel"),
    // Debian before PHP 7 (the ISPmanager 4 era).
    ("/etc/php5/*/php.ini", "debian-php5"),
    ("/etc/opt/remi/php*/php.ini", "remi"),
    ("/opt/cpanel/ea-php*/root/etc/php.ini", "cpanel"),
    ("/opt/plesk/php/*/etc/php.ini", "plesk"),
    ("/var/www/vhosts/system/*/etc/php.ini", "plesk-domain"),
    ("/opt/alt/php*/etc/php.ini", "cloudlinux"),
    // ISPmanager runs CGI sites with the site owner's php.ini from a php-bin directory.
    ("/var/www/php-bin/*/php.ini", "ispmanager-user"),
    ("/var/www/php-bin-*/*/php.ini", "ispmanager-user"),
    // Per site (ISPmanager 6): php-bin/<user>/<domain>/php.ini.
    ("/var/www/php-bin/*/*/php.ini", "ispmanager-user"),
    ("/var/www/*/data/php-bin/php.ini", "ispmanager-user"),
    ("/var/www/*/data/php-bin-*/php.ini", "ispmanager-user"),
];

/// The directory PHP of this php.ini's build scans for more `*.ini` files after it
/// (`--with-config-file-scan-dir`, PHP_CONFIG_FILE_SCAN_DIR), as the layout's packages
/// build it: Debian's beside each SAPI's php.ini (`/etc/php/8.2/cli/conf.d`), the RPM
/// builds' `php.d` (RHEL `/etc/php.d`, Remi, cPanel EA4, Plesk). `None` where the layout
/// has none of its own (a per-user php.ini is read by the server's PHP, whose scan dir is
/// that of its build; CloudLinux's alt-php scans a directory of its selector).
/// PHP_INI_SCAN_DIR in a process's environment overrides it; that is not seen here.
pub fn scan_dir(ini: &PhpIni) -> Option<String> {
    let parent = ini.path.parent()?.to_str()?;
    match ini.layout.as_str() {
        "debian" | "debian-php5" => Some(format!("{parent}/conf.d")),
        "rhel" => Some("/etc/php.d".to_string()),
        "remi" | "cpanel" | "plesk" => Some(format!("{parent}/php.d")),
        _ => None,
    }
}

/// Every php.ini that exists (symlinks resolved inside the root), sorted by path.
pub fn discover(root: &Path) -> Vec<PhpIni> {
    let host = Host::new(root);
    let mut found = Vec::new();
    for (pattern, layout) in LAYOUTS {
        for path in glob_host(root, pattern) {
            // Anything but a directory is listed: one that is not a regular file (a FIFO
            // planted by a site user) is then reported as not read, not left out.
            let exists = host
                .resolve(&path)
                .is_ok_and(|real| real.symlink_metadata().is_ok_and(|m| !m.is_dir()));
            if exists {
                found.push(PhpIni {
                    sapi: sapi_of(Path::new(&path), layout).to_string(),
                    version: version_of(&path, layout),
                    layout: layout.to_string(),
                    user: user_of(&path, layout),
                    path: PathBuf::from(path),
                });
            }
        }
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    found
}

/// Host paths matching a glob under the root.
pub fn glob_host(root: &Path, pattern: &str) -> Vec<String> {
    let base = glob::Pattern::escape(&root.to_string_lossy());
    let full = format!(
        "{}/{}",
        base.trim_end_matches('/'),
        pattern.trim_start_matches('/')
    );
    let Ok(paths) = glob::glob(&full) else {
        return Vec::new();
    };
    let mut out: Vec<String> = paths
        .flatten()
        .filter_map(|p| {
            p.strip_prefix(root)
                .ok()
                .map(|rel| format!("/{}", rel.display()))
        })
        .collect();
    out.sort();
    out
}

/// The SAPI a php.ini serves, from where it sits.
pub fn sapi_of(path: &Path, layout: &str) -> &'static str {
    match layout {
        "debian" | "debian-php5" => match path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
        {
            Some("apache2") => "apache2",
            Some("fpm") => "fpm",
            Some("cgi") => "cgi",
            Some("cli") => "cli",
            _ => "unknown",
        },
        "plesk-domain" | "ispmanager-user" => "user-cgi",
        _ => "unknown",
    }
}

/// `8.2` from `/etc/php/8.2/...`, `php82`, `ea-php82`, `/opt/plesk/php/8.2/...`.
/// The user an ISPmanager per-user php.ini belongs to: `/var/www/php-bin[-X]/<user>/...`
/// or `/var/www/<user>/data/php-bin[-X]/php.ini`.
fn user_of(path: &str, layout: &str) -> Option<String> {
    if layout != "ispmanager-user" {
        return None;
    }
    let parts: Vec<&str> = path.split('/').collect();
    let user = if parts.get(3).is_some_and(|p| p.starts_with("php-bin")) {
        parts.get(4)?
    } else {
        parts.get(3)?
    };
    Some(user.to_string())
}

fn version_of(path: &str, layout: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let raw = match layout {
        "debian" => parts.get(3)?,
        "plesk" => parts.get(4)?,
        "remi" => parts.get(4)?,
        "cloudlinux" => parts.get(3)?,
        "cpanel" => parts.get(3)?,
        // /var/www/php-bin-isp-php82/<user>/php.ini
        "ispmanager-user" => parts.get(3).filter(|p| p.starts_with("php-bin-"))?,
        _ => return None,
    };
    let digits = raw.rsplit("php").next()?;
    if digits.contains('.') {
        return Some(digits.to_string());
    }
    let mut chars = digits.chars();
    let major = chars.next().filter(char::is_ascii_digit)?;
    let minor: String = chars.collect();
    (!minor.is_empty() && minor.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{major}.{minor}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(root: &Path, host_path: &str) {
        let p = root.join(host_path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "[PHP]\n").unwrap();
    }

    #[test]
    fn finds_every_layout_with_sapi_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "/etc/php/8.2/apache2/php.ini",
            "/etc/php/8.2/cli/php.ini",
            "/etc/php/7.4/fpm/php.ini",
            "/etc/php.ini",
            "/etc/opt/remi/php81/php.ini",
            "/opt/cpanel/ea-php74/root/etc/php.ini",
            "/opt/plesk/php/8.1/etc/php.ini",
            "/var/www/vhosts/system/shop.example/etc/php.ini",
            "/opt/alt/php56/etc/php.ini",
            "/var/www/php-bin/bob/php.ini",
            "/var/www/php-bin-isp-php74/carol/php.ini",
            "/etc/php5/apache2/php.ini",
        ] {
            touch(root, p);
        }
        let found = discover(root);
        let get = |p: &str| {
            found
                .iter()
                .find(|f| f.path == Path::new(p))
                .unwrap_or_else(|| panic!("{p} not found"))
        };
        assert_eq!(found.len(), 12);
        assert_eq!(
            get("/var/www/php-bin-isp-php74/carol/php.ini")
                .version
                .as_deref(),
            Some("7.4")
        );
        assert_eq!(get("/etc/php5/apache2/php.ini").sapi, "apache2");
        assert_eq!(
            (
                get("/etc/php/8.2/apache2/php.ini").sapi.as_str(),
                get("/etc/php/8.2/apache2/php.ini").version.as_deref()
            ),
            ("apache2", Some("8.2"))
        );
        assert_eq!(get("/etc/php/7.4/fpm/php.ini").sapi, "fpm");
        assert_eq!(get("/etc/php.ini").layout, "rhel");
        assert_eq!(
            get("/etc/opt/remi/php81/php.ini").version.as_deref(),
            Some("8.1")
        );
        assert_eq!(
            get("/opt/cpanel/ea-php74/root/etc/php.ini")
                .version
                .as_deref(),
            Some("7.4")
        );
        assert_eq!(
            get("/opt/plesk/php/8.1/etc/php.ini").version.as_deref(),
            Some("8.1")
        );
        assert_eq!(
            get("/opt/alt/php56/etc/php.ini").version.as_deref(),
            Some("5.6")
        );
        assert_eq!(get("/var/www/php-bin/bob/php.ini").sapi, "user-cgi");
    }

    #[test]
    fn scan_dirs_follow_the_layouts_builds() {
        let ini = |path: &str, layout: &str| PhpIni {
            path: PathBuf::from(path),
            sapi: sapi_of(Path::new(path), layout).to_string(),
            version: version_of(path, layout),
            layout: layout.to_string(),
            user: user_of(path, layout),
        };
        for (path, layout, dir) in [
            (
                "/etc/php/8.2/cli/php.ini",
                "debian",
                Some("/etc/php/8.2/cli/conf.d"),
            ),
            (
                "/etc/php/8.4/fpm/php.ini",
                "debian",
                Some("/etc/php/8.4/fpm/conf.d"),
            ),
            (
                "/etc/php5/apache2/php.ini",
                "debian-php5",
                Some("/etc/php5/apache2/conf.d"),
            ),
            ("/etc/php.ini", "rhel", Some("/etc/php.d")),
            (
                "/etc/opt/remi/php81/php.ini",
                "remi",
                Some("/etc/opt/remi/php81/php.d"),
            ),
            (
                "/opt/cpanel/ea-php74/root/etc/php.ini",
                "cpanel",
                Some("/opt/cpanel/ea-php74/root/etc/php.d"),
            ),
            (
                "/opt/plesk/php/8.1/etc/php.ini",
                "plesk",
                Some("/opt/plesk/php/8.1/etc/php.d"),
            ),
            ("/var/www/php-bin/bob/php.ini", "ispmanager-user", None),
            (
                "/var/www/vhosts/system/shop.example/etc/php.ini",
                "plesk-domain",
                None,
            ),
        ] {
            assert_eq!(scan_dir(&ini(path, layout)).as_deref(), dir, "{path}");
        }
    }

    #[test]
    fn absolute_symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "/etc/php/8.2/php.ini.shared");
        fs::create_dir_all(root.join("etc/php/8.2/cli")).unwrap();
        std::os::unix::fs::symlink(
            "/etc/php/8.2/php.ini.shared",
            root.join("etc/php/8.2/cli/php.ini"),
        )
        .unwrap();
        // A dangling link (its target exists only on the real machine) does not count.
        fs::create_dir_all(root.join("etc/php/8.2/fpm")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", root.join("etc/php/8.2/fpm/php.ini")).unwrap();
        let found = discover(root);
        assert_eq!(
            found
                .iter()
                .map(|f| f.path.to_str().unwrap())
                .collect::<Vec<_>>(),
            ["/etc/php/8.2/cli/php.ini"]
        );
    }
}
