//! The whole loop against real exim and real PHP `mail()`, on each Debian suite
//! (Debian 12: exim 4.96 + PHP 8.2, Debian 13: exim 4.98 + PHP 8.4; RUNBOOK_EXIM_ROOTFS_<SUITE>,
//! made by `scripts/make-rootfs` from scripts/rootfs-packages): a site script fills the
//! queue, runbook finds it, turns on the script header, stops PHP mail, and rolling back
//! lets mail flow again.

use std::fs;
use std::os::unix::fs::chown;

use crate::rootfs::{RootFs, Suite};

mod bookworm {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn php_mail_is_traced_stopped_and_restored() {
        super::php_mail_is_traced_stopped_and_restored(&crate::rootfs::BOOKWORM);
    }
}

mod trixie {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_trixie,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn php_mail_is_traced_stopped_and_restored() {
        super::php_mail_is_traced_stopped_and_restored(&crate::rootfs::TRIXIE);
    }
}

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

/// One group of `runbook facts`.
fn facts(host: &RootFs, group: &str) -> serde_json::Value {
    let (code, stdout, stderr) = host.runbook(&["facts", "--only", group, "--output", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str::<serde_json::Value>(&stdout).unwrap()[group].clone()
}

fn queue(host: &RootFs) -> serde_json::Value {
    facts(host, "queue")
}

/// Every line of exim's mainlog understood, and the messages the site's user submitted.
fn assert_log_arrivals(host: &RootFs, count: u64) {
    let log = facts(host, "log");
    assert_eq!(log["file"], "/var/log/exim4/mainlog");
    assert_eq!(log["skipped_lines"], 0, "{log:#}");
    assert_eq!(
        log["arrivals_by_user"],
        serde_json::json!([{"user": "www-data", "count": count}]),
        "{log:#}"
    );
}

fn php_mail_is_traced_stopped_and_restored(suite: &Suite) {
    // The php.ini the script runs with.
    let ini = format!("/etc/php/{}/cli/php.ini", suite.php);
    let host = RootFs::copy("exim", suite);
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
    // This suite's own exim, and its own form of message id in the spool (and the log).
    let mta = facts(&host, "mta");
    let version = mta["version"].as_str().unwrap_or_default();
    assert!(version.starts_with(suite.exim), "{mta:#}");
    let ids: Vec<String> = fs::read_dir(host.path("/var/spool/exim4/input"))
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .file_name()
                .into_string()
                .ok()?
                .strip_suffix("-H")
                .map(String::from)
        })
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        ids.iter().all(|id| id.len() == suite.exim_id_len),
        "{ids:?}"
    );
    assert_log_arrivals(&host, 2);

    let (code, stdout, stderr) = host.runbook(&["apply", "php-enable-x-header", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(send(&host).0, 0);
    let q = queue(&host);
    assert_eq!(q["total"], 4);
    assert_eq!(q["top_scripts"][0]["script"], "tools.php");
    assert_eq!(
        q["top_scripts"][0]["uid"], 1001,
        "the owner of the script file"
    );
    assert_eq!(q["top_scripts"][0]["class"], "form");
    assert_eq!(q["top_scripts"][0]["count"], 2);

    // Stop PHP mail in the php.ini the script runs with.
    let (code, stdout, stderr) = host.runbook(&[
        "apply",
        "php-disable-mail",
        "-p",
        &format!("ini={ini}"),
        "--yes",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    crate::assert_contains!(host.read(&ini), "\ndisable_functions = mail\n");
    let (code, _) = send(&host);
    assert_ne!(code, 0, "mail() is disabled, so the script fails");
    assert_eq!(queue(&host)["total"], 4, "and queues nothing");

    // Rolling back the last run lets the site send again.
    let (code, stdout, stderr) = host.runbook(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(send(&host).0, 0);
    assert_eq!(queue(&host)["total"], 6);
    assert_log_arrivals(&host, 6);
}
