//! `lock_user` with Debian's own `usermod` and `chage`, chrooted in the real roots
//! (RUNBOOK_EXIM_ROOTFS_<SUITE>): locked and expired, then /etc/shadow byte for byte
//! as it was after rollback.

use std::process::Command;

use crate::rootfs::{RootFs, Suite};

mod bookworm {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_bookworm,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_BOOKWORM: a Debian 12 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn lock_user_locks_expires_and_rolls_back_byte_for_byte() {
        super::lock_user_locks_expires_and_rolls_back_byte_for_byte(&crate::rootfs::BOOKWORM);
    }
}

mod trixie {
    #[test]
    #[cfg_attr(
        no_exim_rootfs_trixie,
        ignore = "needs root and RUNBOOK_EXIM_ROOTFS_TRIXIE: a Debian 13 root from scripts/make-rootfs (.ci/run builds it)"
    )]
    fn lock_user_locks_expires_and_rolls_back_byte_for_byte() {
        super::lock_user_locks_expires_and_rolls_back_byte_for_byte(&crate::rootfs::TRIXIE);
    }
}

const RUNBOOK: &str = "id: lock\ntitle: Lock a hacked user\nsteps:\n  - { id: lock, title: Lock bob, lock_user: { user: bob } }\n";

fn chroot(host: &RootFs, script: &str) {
    let status = Command::new("chroot")
        .arg(&host.root)
        .args(["/bin/sh", "-c", script])
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
}

fn bob(shadow: &str) -> Vec<String> {
    let line = shadow.lines().find(|l| l.starts_with("bob:")).unwrap();
    line.split(':').map(String::from).collect()
}

fn lock_user_locks_expires_and_rolls_back_byte_for_byte(suite: &Suite) {
    let host = RootFs::copy("exim", suite);
    chroot(
        &host,
        "useradd -m -u 2001 bob && echo 'bob:S3cret-pw' | chpasswd",
    );
    let before = host.read("/etc/shadow");
    let run = |args: &[&str]| host.runbook_with("lock", RUNBOOK, args);

    let (code, stdout, stderr) = run(&["apply", "lock", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("would run: usermod -L bob"), "{stdout}");
    assert_eq!(
        host.read("/etc/shadow"),
        before,
        "the dry run changed /etc/shadow"
    );

    let (code, stdout, stderr) = run(&["apply", "lock", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let locked = bob(&host.read("/etc/shadow"));
    let was = bob(&before);
    assert_eq!(
        locked[1],
        format!("!{}", was[1]),
        "the hash is kept behind `!`"
    );
    assert_eq!(locked[2], "0", "expired: a new password at the next login");

    let (code, stdout, _) = run(&["apply", "lock", "--yes"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("No changes"), "{stdout}");

    let (code, stdout, stderr) = run(&["rollback", "--last", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(host.read("/etc/shadow"), before);
}
