//! Runbooks against a real Apache, on each Debian suite: a root filesystem with apache2
//! and mod_php (Debian 12: Apache 2.4 + PHP 8.2, Debian 13: Apache 2.4 + PHP 8.4; built
//! by `scripts/make-rootfs`, named by RUNBOOK_APACHE_ROOTFS_<SUITE>; CI sets both up).
//! Apache's own `apache2ctl configtest` runs chrooted in it and gates every reload.

use std::fs;
use std::os::unix::fs::symlink;

use crate::rootfs::{RootFs, Suite};

mod bookworm {
    use crate::rootfs::BOOKWORM as SUITE;

    #[test]
    #[cfg_attr(
        no_apache_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_APACHE_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn blank_sendmail_path_passes_apaches_own_config_test_and_rolls_back() {
        super::blank_sendmail_path_passes_apaches_own_config_test_and_rolls_back(&SUITE);
    }

    #[test]
    #[cfg_attr(
        no_apache_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_APACHE_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn a_config_apache_rejects_stops_the_apply_and_undoes_it() {
        super::a_config_apache_rejects_stops_the_apply_and_undoes_it(&SUITE);
    }
}

mod trixie {
    use crate::rootfs::TRIXIE as SUITE;

    #[test]
    #[cfg_attr(
        no_apache_rootfs_trixie,
        ignore = "needs root and RUNBOOK_APACHE_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn blank_sendmail_path_passes_apaches_own_config_test_and_rolls_back() {
        super::blank_sendmail_path_passes_apaches_own_config_test_and_rolls_back(&SUITE);
    }

    #[test]
    #[cfg_attr(
        no_apache_rootfs_trixie,
        ignore = "needs root and RUNBOOK_APACHE_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn a_config_apache_rejects_stops_the_apply_and_undoes_it() {
        super::a_config_apache_rejects_stops_the_apply_and_undoes_it(&SUITE);
    }
}

fn host(suite: &Suite) -> RootFs {
    RootFs::copy("apache", suite)
}

/// Add and enable a site, as `a2ensite` would.
fn site(host: &RootFs, name: &str, config: &str) {
    fs::write(
        host.path(&format!("/etc/apache2/sites-available/{name}.conf")),
        config,
    )
    .unwrap();
    symlink(
        format!("../sites-available/{name}.conf"),
        host.path(&format!("/etc/apache2/sites-enabled/{name}.conf")),
    )
    .unwrap();
}

const SHOP: &str = "<VirtualHost *:80>
\tServerName shop.example.com
\tDocumentRoot /var/www/html
\tphp_admin_value sendmail_path \"/usr/sbin/sendmail -t -i -f webmaster@shop.example.com\"
</VirtualHost>
";

fn blank_sendmail_path_passes_apaches_own_config_test_and_rolls_back(suite: &Suite) {
    let host = host(suite);
    site(&host, "shop", SHOP);
    let site = "/etc/apache2/sites-available/shop.conf";
    let (code, stdout, stderr) = host.runbook(&[
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
    let (code, stdout, stderr) = host.runbook(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(host.read(site), SHOP);
}

fn a_config_apache_rejects_stops_the_apply_and_undoes_it(suite: &Suite) {
    let host = host(suite);
    site(
        &host,
        "broken",
        "<VirtualHost *:80>\n\tServerName broken.example\n\tBogusDirective on\n</VirtualHost>\n",
    );
    let ini = format!("/etc/php/{}/apache2/php.ini", suite.php);
    let before = host.read(&ini);
    let (code, stdout, stderr) = host.runbook(&["apply", "php-disable-mail", "--yes"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    // Apache's own complaint reaches the person applying.
    crate::assert_contains!(
        stderr,
        "config test `apache2ctl configtest` exited with status 1"
    );
    crate::assert_contains!(stderr, "Invalid command 'BogusDirective'");
    crate::assert_contains!(stderr, &format!("restored {ini}"));
    assert_eq!(host.read(&ini), before);
}
