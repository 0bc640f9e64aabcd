//! The whole loop against real exim 4.96 and real PHP 8.2 `mail()` in a Debian 12 root
//! (RUNBOOK_EXIM_ROOTFS, made by `scripts/make-rootfs DIR exim4-daemon-light,php8.2-cli`):
//! a site script fills the queue, runbook finds it, turns on the script header, stops
//! PHP mail, and rolling back lets mail flow again.

use std::fs;
use std::os::unix::fs::chown;

use crate::rootfs::RootFs;

const INI: &str = "/etc/php/8.2/cli/php.ini";
/// Queue only (-odq): exim keeps the messages for us to read instead of delivering.
const SENDMAIL: &str = "sendmail_path=/usr/sbin/exim4 -t -i -odq";

/// A form handler as article 000 meets it: two messages per request.
const TOOLS: &str = "<?php\nforeach (['a@example.net', 'b@example.org'] as $to) {\n    mail($to, 'Offer', \"Cheap pills\\n\", 'From: noreply@shop.example.com');\n}\n";

fn send(host: &RootFs) -> (i32, String) {
    host.chroot_as(
        "www-data",
        &["/usr/bin/php", "-d", SENDMAIL, "/var/www/site/tools.php"],
    )
}

fn queue(host: &RootFs) -> serde_json::Value {
    let (code, stdout, stderr) = host.runbook(&["facts", "--only", "queue", "--output", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["queue"].clone()
}

#[test]
#[cfg_attr(
    no_exim_rootfs,
    ignore = "needs root and RUNBOOK_EXIM_ROOTFS: a Debian root filesystem from scripts/make-rootfs (.ci/run builds it)"
)]
fn php_mail_is_traced_stopped_and_restored() {
    let host = RootFs::copy("RUNBOOK_EXIM_ROOTFS");
    fs::create_dir_all(host.path("/var/www/site")).unwrap();
    fs::write(host.path("/var/www/site/tools.php"), TOOLS).unwrap();
    chown(host.path("/var/www/site/tools.php"), Some(1001), Some(1001)).unwrap();

    // Debian's CLI php.ini has mail.add_x_header = Off: the messages name no script.
    assert_eq!(send(&host).0, 0);
    let q = queue(&host);
    assert_eq!(
        (q["total"].as_u64(), q["without_script_header"].as_u64()),
        (Some(2), Some(2))
    );

    let (code, stdout, stderr) = host.runbook(&["apply", "php-enable-x-header", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(send(&host).0, 0);
    let q = queue(&host);
    assert_eq!(q["total"], 4);
    assert_eq!(q["top_scripts"][0]["script"], "tools.php");
    assert_eq!(
        q["top_scripts"][0]["uid"], "1001",
        "the owner of the script file"
    );
    assert_eq!(q["top_scripts"][0]["class"], "form");
    assert_eq!(q["top_scripts"][0]["count"], 2);

    // Stop PHP mail in the php.ini the script runs with.
    let (code, stdout, stderr) = host.runbook(&[
        "apply",
        "php-disable-mail",
        "-p",
        &format!("ini={INI}"),
        "--yes",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    crate::assert_contains!(host.read(INI), "\ndisable_functions = mail\n");
    let (code, _) = send(&host);
    assert_ne!(code, 0, "mail() is disabled, so the script fails");
    assert_eq!(queue(&host)["total"], 4, "and queues nothing");

    // Rolling back the last run lets the site send again.
    let (code, stdout, stderr) = host.runbook(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(send(&host).0, 0);
    assert_eq!(queue(&host)["total"], 6);
}
