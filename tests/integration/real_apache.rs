//! Runbooks against a real Apache: a Debian 12 root filesystem with apache2 and mod_php
//! (built by `scripts/make-rootfs`, named by RUNBOOK_APACHE_ROOTFS; CI sets both up).
//! Apache's own `apache2ctl configtest` runs chrooted in it and gates every reload.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Host {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// A private copy of the rootfs, or `None` (with a note) where there is none.
fn host() -> Option<Host> {
    let Some(src) = std::env::var_os("RUNBOOK_APACHE_ROOTFS") else {
        eprintln!("skipped: set RUNBOOK_APACHE_ROOTFS (scripts/make-rootfs DIR; needs root)");
        return None;
    };
    let dir = tempfile::Builder::new()
        .prefix("runbook-apache-")
        .tempdir_in("/var/tmp")
        .unwrap();
    let root = dir.path().join("root");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&src)
        .arg(&root)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cannot copy {}",
        Path::new(&src).display()
    );
    Some(Host { _dir: dir, root })
}

impl Host {
    fn path(&self, host_path: &str) -> PathBuf {
        self.root.join(host_path.trim_start_matches('/'))
    }

    /// Add and enable a site, as `a2ensite` would.
    fn site(&self, name: &str, config: &str) {
        fs::write(
            self.path(&format!("/etc/apache2/sites-available/{name}.conf")),
            config,
        )
        .unwrap();
        symlink(
            format!("../sites-available/{name}.conf"),
            self.path(&format!("/etc/apache2/sites-enabled/{name}.conf")),
        )
        .unwrap();
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .args(args)
            .arg("--root")
            .arg(&self.root)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            out.status.code().unwrap_or(-1),
            text(&out.stdout),
            text(&out.stderr),
        )
    }

    fn read(&self, host_path: &str) -> String {
        fs::read_to_string(self.path(host_path)).unwrap()
    }
}

const SHOP: &str = "<VirtualHost *:80>
\tServerName shop.example.com
\tDocumentRoot /var/www/html
\tphp_admin_value sendmail_path \"/usr/sbin/sendmail -t -i -f webmaster@shop.example.com\"
</VirtualHost>
";

#[test]
fn blank_sendmail_path_passes_apaches_own_config_test_and_rolls_back() {
    let Some(host) = host() else { return };
    host.site("shop", SHOP);
    let site = "/etc/apache2/sites-available/shop.conf";
    let (code, stdout, stderr) = host.run(&[
        "apply",
        "php-blank-sendmail-path",
        "-p",
        "domain=shop.example.com",
        "--yes",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    // The real apache2ctl ran; Apache is not running in the rootfs, so it was not started.
    crate::assert_contains!(
        stdout,
        "reload-apache2: config tested; not running, so not reloaded"
    );
    assert!(
        host.read(site)
            .contains("\tphp_admin_value sendmail_path \"/bin/true\"\n")
    );
    // On a Debian host only Debian's handler runs: no second reload through `apachectl`.
    crate::assert_contains!(stdout, "reload-httpd: skipped (not installed)");
    let (code, stdout, stderr) = host.run(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(host.read(site), SHOP);
}

#[test]
fn a_config_apache_rejects_stops_the_apply_and_undoes_it() {
    let Some(host) = host() else { return };
    host.site(
        "broken",
        "<VirtualHost *:80>\n\tServerName broken.example\n\tBogusDirective on\n</VirtualHost>\n",
    );
    let ini = "/etc/php/8.2/apache2/php.ini";
    let before = host.read(ini);
    let (code, stdout, stderr) = host.run(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    // Apache's own complaint reaches the person applying.
    crate::assert_contains!(
        stderr,
        "config test `apache2ctl configtest` exited with status 1"
    );
    crate::assert_contains!(stderr, "Invalid command 'BogusDirective'");
    crate::assert_contains!(stderr, &format!("restored {ini}"));
    assert_eq!(host.read(ini), before);
}
