//! `vps-spam-source` (article 003) applied, then rolled back, against real exim, real
//! PHP `mail()` and Debian's own `crontab` in each suite's exim root
//! (RUNBOOK_EXIM_ROOTFS_<SUITE>): a site's form script (shop.example.com, PHP as an
//! Apache module, the example's Apache config) and a site user's cron job fill the
//! queue; apply blanks the site's sendmail_path, comments out the job and quarantines
//! the three messages; rollback gives back the config, the table and the queue.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::chown;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::rootfs::{RootFs, Suite};

mod bookworm {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn vps_spam_source_applied_and_rolled_back_on_real_exim() {
        super::vps_spam_source_applied_and_rolled_back(&crate::rootfs::BOOKWORM);
    }
}

mod trixie {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_trixie,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn vps_spam_source_applied_and_rolled_back_on_real_exim() {
        super::vps_spam_source_applied_and_rolled_back(&crate::rootfs::TRIXIE);
    }
}

/// The site's form handler: two messages per request.
const TOOLS: &str = "<?php\nforeach (['a@example.net', 'b@example.org'] as $to) {\n    mail($to, 'Offer', \"Cheap pills\\n\", 'From: noreply@shop.example.com');\n}\n";

/// bob's crontab: the mailing job, and one that must stay.
const TABLE: &str = "MAILTO=\"\"\n*/10 * * * * /usr/bin/php /home/bob/mailer.php >/dev/null 2>&1\n30 3 * * * /home/bob/backup.sh\n";

const VHOST: &str = "/etc/apache2/sites-available/shop.example.com.conf";

/// `sh -c SCRIPT` chrooted in the root as `user`, `input` on stdin: success, stdout.
fn chroot_sh(host: &RootFs, user: &str, script: &str, input: &str) -> (bool, String) {
    let mut child = Command::new("chroot")
        .arg(format!("--userspec={user}:{user}"))
        .arg(&host.root)
        .args(["/bin/sh", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn queue(host: &RootFs) -> serde_json::Value {
    let (code, stdout, stderr) = host.runbook(&["facts", "--only", "queue", "--output", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["queue"].clone()
}

/// The `-H` files of the queue, by name.
fn headers(host: &RootFs) -> BTreeMap<PathBuf, Vec<u8>> {
    host.snapshot("/var/spool/exim4/input")
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().ends_with("-H"))
        .collect()
}

fn vps_spam_source_applied_and_rolled_back(suite: &Suite) {
    let host = RootFs::copy("exim", suite);
    // The shop of the Apache example (PHP as an Apache module, its sendmail_path in
    // the VirtualHost), enabled in the Apache the root has installed (whose config test
    // the reload runs), its form script owned by the site user bob.
    let site = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/hosts/debian-apache-modphp",
        "/etc/apache2/sites-available/shop.example.com.conf"
    );
    fs::copy(site, host.path(VHOST)).unwrap();
    assert!(chroot_sh(&host, "root", "a2ensite -q shop.example.com", "").0);
    assert!(chroot_sh(&host, "root", "useradd -m -u 2002 bob", "").0);
    fs::create_dir_all(host.path("/var/www/shop/public")).unwrap();
    fs::write(host.path("/var/www/shop/public/tools.php"), TOOLS).unwrap();
    chown(
        host.path("/var/www/shop/public/tools.php"),
        Some(2002),
        Some(2002),
    )
    .unwrap();
    assert!(chroot_sh(&host, "root", "crontab -u bob -", TABLE).0);
    let listed = || chroot_sh(&host, "root", "crontab -u bob -l", "").1;
    assert_eq!(listed(), TABLE);

    // The form sends two (the script header on), bob's job one; queued only (-odq).
    let (ok, _) = chroot_sh(
        &host,
        "www-data",
        "/usr/bin/php -d 'sendmail_path=/usr/sbin/exim4 -t -i -odq' -d mail.add_x_header=On /var/www/shop/public/tools.php",
        "",
    );
    assert!(ok);
    let (ok, _) = chroot_sh(
        &host,
        "bob",
        "/usr/sbin/exim4 -odq -t",
        "To: list@example.net\nSubject: Newsletter\n\nBuy now\n",
    );
    assert!(ok);
    let q = queue(&host);
    assert_eq!(q["total"], 3, "{q:#}");
    assert_eq!(q["top_scripts"][0]["script"], "tools.php", "{q:#}");
    assert_eq!(q["top_scripts"][0]["site"], "shop.example.com", "{q:#}");
    let before = headers(&host);
    let vhost = host.read(VHOST);

    let params = ["-p", "cron_user=bob", "-p", r"cron_pattern=mailer\.php"];
    let mut args = vec!["apply", "vps-spam-source", "--dry-run"];
    args.extend(params);
    let (code, stdout, stderr) = host.runbook(&args);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    crate::assert_contains!(
        stdout,
        "  ~ site-block-mail/mod-php-vhost [apache_directive] will change"
    );
    crate::assert_contains!(
        stdout,
        "  ~ cron-disable/disable [cron_disable] will change"
    );
    // bob's own message is the cron user's: no checklist item asks to find his job.
    crate::assert_contains!(stdout, "  - local-user-mail [manual] not chosen");
    crate::assert_contains!(stdout, "  ~ purge-cron-user [queue_purge] will change");
    assert_eq!(headers(&host), before, "the dry run touched the queue");

    let mut args = vec!["apply", "vps-spam-source", "--yes"];
    args.extend(params);
    let (code, stdout, stderr) = host.runbook(&args);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(queue(&host)["total"], 0, "{stdout}");
    crate::assert_contains!(
        host.read(VHOST),
        "\tphp_admin_value sendmail_path \"/bin/true\"\n"
    );
    assert_eq!(
        listed(),
        TABLE.replace("*/10 ", "# disabled by runbook: */10 ")
    );
    let (code, stdout, stderr) = host.runbook(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(queue(&host)["total"], 3);
    assert_eq!(headers(&host), before, "the same messages, byte for byte");
    assert_eq!(host.read(VHOST), vhost);
    assert_eq!(listed(), TABLE);
}
