//! A private copy of a Debian root filesystem with real packages (made by
//! `scripts/make-rootfs`; CI names them in RUNBOOK_APACHE_ROOTFS and RUNBOOK_EXIM_ROOTFS),
//! for running runbooks against the real programs chrooted in it.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

pub struct RootFs {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl RootFs {
    /// A copy of the rootfs the variable names (tests that use it are ignored when it
    /// was not set at build time; see build.rs).
    pub fn copy(variable: &str) -> RootFs {
        let Some(src) = std::env::var_os(variable) else {
            panic!(
                "set {variable} (scripts/make-rootfs DIR PACKAGES; needs root), or rebuild so the test is ignored"
            );
        };
        let dir = tempfile::Builder::new()
            .prefix("runbook-rootfs-")
            .tempdir_in("/var/tmp")
            .unwrap();
        let root = dir.path().join("root");
        let status = Command::new("cp")
            .arg("-a")
            .arg(&src)
            .arg(&root)
            .status()
            .unwrap();
        assert!(status.success(), "cannot copy {src:?}");
        RootFs { _dir: dir, root }
    }

    pub fn path(&self, host_path: &str) -> PathBuf {
        self.root.join(host_path.trim_start_matches('/'))
    }

    /// `runbook ARGS --root ROOT`: exit code, stdout, stderr.
    pub fn runbook(&self, args: &[&str]) -> (i32, String, String) {
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

    /// Run a program inside the root as `user` (chroot --userspec): exit code and stderr.
    pub fn chroot_as(&self, user: &str, argv: &[&str]) -> (i32, String) {
        let out = Command::new("chroot")
            .arg(format!("--userspec={user}:{user}"))
            .arg(&self.root)
            .args(argv)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn read(&self, host_path: &str) -> String {
        fs::read_to_string(self.path(host_path)).unwrap()
    }
}
