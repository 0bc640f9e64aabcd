//! The library's runbooks applied and rolled back on the real daemons (issue "The
//! runbook library"): `exim-block-unlock` on real exim with a queue that real PHP
//! `mail()` filled, on each Debian suite. The queue (exim's own `exim -bp`) and php.ini
//! are checked before, after the apply and after the rollback.

use serde_json::Value;

use crate::real_queue::{exim_bp, exim_queue, rollback};
use crate::rootfs::Suite;

mod bookworm {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn exim_block_unlock_applies_and_rolls_back_on_real_exim() {
        super::exim_block_unlock(&crate::rootfs::BOOKWORM);
    }
}

mod trixie {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_trixie,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn exim_block_unlock_applies_and_rolls_back_on_real_exim() {
        super::exim_block_unlock(&crate::rootfs::TRIXIE);
    }
}

fn exim_block_unlock(suite: &Suite) {
    // Four messages of the site's form (one frozen) and one legitimate message.
    let (host, form) = exim_queue(suite);
    let ini = format!("/etc/php/{}/cli/php.ini", suite.php);
    let php_ini = host.read(&ini);
    let listed = exim_bp(&host);
    let spool = host.snapshot("/var/spool/exim4/input");

    let (code, stdout, stderr) = host.runbook(&[
        "apply",
        "exim-block-unlock",
        "--dry-run",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    let step = |id: &str| {
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id}: {plan:#}"))
            .clone()
    };
    assert_eq!(step("form-captcha")["chosen"], true);
    assert_eq!(step("purge-source")["queue"][0]["count"], 4, "{plan:#}");
    assert_eq!(host.read(&ini), php_ini, "the dry run wrote php.ini");
    assert_eq!(exim_bp(&host), listed);

    let (code, stdout, stderr) =
        host.runbook(&["apply", "exim-block-unlock", "--yes", "--output", "json"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let applied: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(applied["outcome"], "applied");
    // The script header is on for the next messages; the form's four left the queue.
    assert!(host.read(&ini).contains("\nmail.add_x_header = On\n"));
    let left: Vec<String> = exim_bp(&host).into_iter().map(|(id, _)| id).collect();
    assert_eq!(left.len(), 1, "only the legitimate message: {left:?}");
    assert!(form.iter().all(|id| !left.contains(id)));

    // A second apply has nothing left to do but the checklist.
    let (code, stdout, _) = host.runbook(&[
        "apply",
        "exim-block-unlock",
        "--dry-run",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0);
    let again: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(again["changes"], false, "{again:#}");

    rollback(&host, None);
    assert_eq!(host.read(&ini), php_ini, "php.ini byte for byte");
    assert_eq!(
        exim_bp(&host),
        listed,
        "exim lists every message again, frozen as before"
    );
    assert_eq!(host.snapshot("/var/spool/exim4/input"), spool);
}
