//! A private copy of a Debian root filesystem with real packages (made by
//! `scripts/make-rootfs` from scripts/rootfs-packages; CI names each in
//! RUNBOOK_<NAME>_ROOTFS_<SUITE>), for running runbooks against the real programs
//! chrooted in it.

use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::real_roots::{is_ci, variable};

/// A Debian release the real tests run on, and what differs between them.
pub struct Suite {
    /// As in scripts/rootfs-packages and the variables' names.
    pub name: &'static str,
    /// PHP's version, the directory under /etc/php.
    pub php: &'static str,
    /// exim's version (the start of Debian's package version).
    pub exim: &'static str,
    /// The length of exim's message ids: 16, or 23 from exim 4.97.
    pub exim_id_len: usize,
    /// postfix's version (`postconf -h mail_version`, to the minor).
    pub postfix: &'static str,
}

pub const BOOKWORM: Suite = Suite {
    name: "bookworm",
    php: "8.2",
    exim: "4.96",
    exim_id_len: 16,
    postfix: "3.7.",
};
pub const TRIXIE: Suite = Suite {
    name: "trixie",
    php: "8.4",
    exim: "4.98",
    exim_id_len: 23,
    postfix: "3.10.",
};

pub struct RootFs {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl RootFs {
    /// A copy of the root NAME of SUITE (tests that use it are ignored when its variable
    /// was not set at build time, except under CI; see build.rs).
    pub fn copy(name: &str, suite: &Suite) -> RootFs {
        let var = variable(name, suite.name);
        let src = source(&var, std::env::var_os(&var), crate::support::is_root())
            .unwrap_or_else(|e| panic!("{e}"));
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
        // A root of another release named by the variable would test the wrong programs.
        let os = fs::read_to_string(root.join("etc/os-release")).unwrap_or_default();
        assert!(
            os.lines()
                .any(|l| l.trim_matches('"') == format!("VERSION_CODENAME={}", suite.name)),
            "{var}={}: not a Debian {} root:\n{os}",
            src.display(),
            suite.name
        );
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
        outcome(out)
    }

    /// `runbook ARGS --root ROOT` with the runbook `yaml` (saved in the root's
    /// /tmp/runbooks as ID.yaml) on RUNBOOK_PATH: exit code, stdout, stderr.
    pub fn runbook_with(&self, id: &str, yaml: &str, args: &[&str]) -> (i32, String, String) {
        let runbooks = self.path("/tmp/runbooks");
        fs::create_dir_all(&runbooks).unwrap();
        fs::write(runbooks.join(format!("{id}.yaml")), yaml).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .args(args)
            .arg("--root")
            .arg(&self.root)
            .env("RUNBOOK_PATH", &runbooks)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        outcome(out)
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

    /// Run a program chrooted in the root as root: exit code, stdout, stderr.
    pub fn chroot(&self, argv: &[&str]) -> (i32, String, String) {
        let out = Command::new("chroot")
            .arg(&self.root)
            .args(argv)
            .output()
            .unwrap();
        outcome(out)
    }

    /// Every file under `dir` (a host path) with its bytes.
    pub fn snapshot(&self, dir: &str) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
        fn walk(path: &std::path::Path, out: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>) {
            let Ok(entries) = fs::read_dir(path) else {
                return;
            };
            for entry in entries.flatten() {
                let p = entry.path();
                let t = entry.file_type().unwrap();
                if t.is_dir() {
                    walk(&p, out);
                } else if t.is_file() {
                    out.insert(p.clone(), fs::read(&p).unwrap_or_default());
                }
            }
        }
        let mut out = std::collections::BTreeMap::new();
        walk(&self.path(dir), &mut out);
        out
    }

    pub fn read(&self, host_path: &str) -> String {
        fs::read_to_string(self.path(host_path)).unwrap()
    }
}

/// A finished program's exit code (-1 when killed), stdout and stderr, as text.
pub fn outcome(out: std::process::Output) -> (i32, String, String) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Where the root the variable names is, or what is missing, said so that the reader of
/// a failed CI run can fix it.
fn source(var: &str, value: Option<OsString>, root: bool) -> Result<PathBuf, String> {
    let why = if is_ci(std::env::var("CI").ok().as_deref()) {
        "CI is set, so the real tests run instead of being ignored"
    } else {
        "or rebuild without it so the test is ignored"
    };
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Err(format!(
            "{var} is not set: build the root with scripts/make-rootfs (its suite and packages are in scripts/rootfs-packages; .ci/run builds them all) and set {var} to it ({why})"
        ));
    };
    let path = PathBuf::from(value);
    if !path.join(".runbook-rootfs").is_file() {
        return Err(format!(
            "{var}={}: no root made by scripts/make-rootfs there ({why})",
            path.display()
        ));
    }
    if !root {
        return Err(format!(
            "{var} is set, but the real tests need root to chroot ({why})"
        ));
    }
    Ok(path)
}

#[test]
fn a_missing_root_fails_saying_how_to_make_it() {
    let err = source("RUNBOOK_EXIM_ROOTFS_TRIXIE", None, true).unwrap_err();
    crate::assert_contains!(err, "RUNBOOK_EXIM_ROOTFS_TRIXIE is not set");
    crate::assert_contains!(err, "scripts/make-rootfs");
    let empty = Some(OsString::new());
    assert_eq!(source("RUNBOOK_EXIM_ROOTFS_TRIXIE", empty, true), Err(err));

    let dir = tempfile::tempdir().unwrap();
    let set = || Some(dir.path().as_os_str().to_owned());
    let err = source("RUNBOOK_APACHE_ROOTFS_BOOKWORM", set(), true).unwrap_err();
    crate::assert_contains!(err, "no root made by scripts/make-rootfs there");
    fs::write(dir.path().join(".runbook-rootfs"), "bookworm apache2\n").unwrap();
    let err = source("RUNBOOK_APACHE_ROOTFS_BOOKWORM", set(), false).unwrap_err();
    crate::assert_contains!(err, "need root");
    assert_eq!(
        source("RUNBOOK_APACHE_ROOTFS_BOOKWORM", set(), true),
        Ok(dir.path().to_path_buf())
    );
}

/// `scripts/make-rootfs ARGS --print-mirror` under an apt configured by APT_CONFIG, with
/// RUNBOOK_MIRROR set to ENV if given: exit code, stdout, stderr.
fn print_mirror(
    apt_config: &std::path::Path,
    args: &[&str],
    env: Option<&str>,
) -> (i32, String, String) {
    let mut command = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/make-rootfs"));
    command
        .args(args)
        .arg("--print-mirror")
        .env("APT_CONFIG", apt_config)
        .env_remove("RUNBOOK_MIRROR");
    if let Some(mirror) = env {
        command.env("RUNBOOK_MIRROR", mirror);
    }
    let out = command.output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
#[cfg_attr(
    no_apt_get,
    ignore = "needs apt-get: make-rootfs asks apt for the machine's mirror"
)]
fn make_rootfs_takes_the_mirror_of_this_release_from_apts_sources_in_either_form() {
    // make-rootfs picks the repository of the machine's own release, as os-release names it.
    let os = fs::read_to_string("/etc/os-release").unwrap();
    let release = os
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .expect("VERSION_CODENAME in /etc/os-release")
        .trim_matches('"');
    let dir = tempfile::tempdir().unwrap();
    let (list, parts) = (dir.path().join("sources.list"), dir.path().join("parts"));
    fs::create_dir(&parts).unwrap();
    let config = dir.path().join("apt.conf");
    fs::write(
        &config,
        format!(
            "Dir::Etc::sourcelist \"{}\";\nDir::Etc::sourceparts \"{}\";\n",
            list.display(),
            parts.display()
        ),
    )
    .unwrap();

    // One-line form, with options, after a security and a source-only line.
    fs::write(
        &list,
        format!(
            "deb http://security.invalid/debian-security {release}-security main\n\
             deb-src http://src.invalid/debian {release} main\n\
             deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://one-line.invalid/debian {release} main\n"
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = print_mirror(&config, &[], None);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "http://one-line.invalid/debian/\n"),
        "{stderr}"
    );

    // deb822 form: a disabled stanza and another release's come first.
    fs::write(&list, "").unwrap();
    fs::write(
        parts.join("debian.sources"),
        format!(
            "Types: deb\nURIs: http://disabled.invalid/debian\nSuites: {release}\nComponents: main\nEnabled: no\n\n\
             Types: deb\nURIs: http://other.invalid/debian\nSuites: {release}-updates\nComponents: main\n\n\
             Types: deb deb-src\nURIs: http://deb822.invalid/debian\nSuites: {release}-updates {release}\nComponents: main\n\
             Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = print_mirror(&config, &[], None);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "http://deb822.invalid/debian/\n"),
        "{stderr}"
    );

    // RUNBOOK_MIRROR overrides the sources, and the flag overrides both.
    let env = Some("http://env.invalid/debian");
    let (code, stdout, _) = print_mirror(&config, &[], env);
    assert_eq!((code, stdout.as_str()), (0, "http://env.invalid/debian\n"));
    let flag = ["--mirror", "http://flag.invalid/debian"];
    let (code, stdout, _) = print_mirror(&config, &flag, env);
    assert_eq!((code, stdout.as_str()), (0, "http://flag.invalid/debian\n"));

    // No repository of this release: an error saying how to name one.
    fs::remove_file(parts.join("debian.sources")).unwrap();
    let (code, stdout, stderr) = print_mirror(&config, &[], None);
    assert_eq!((code, stdout.as_str()), (1, ""));
    crate::assert_contains!(stderr, "pass --mirror URL or set RUNBOOK_MIRROR");
}

/// `scripts/make-rootfs ARGS`: exit code, stdout, stderr.
fn make_rootfs<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String, String) {
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/make-rootfs"))
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn sha256(path: &std::path::Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

#[test]
fn make_rootfs_keeps_a_root_built_from_the_same_setup_script_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let (setup, tarball) = (dir.path().join("qmail"), dir.path().join("src-1.tar.gz"));
    fs::write(&setup, "make setup check\n").unwrap();
    fs::write(&tarball, "not really a tarball").unwrap();
    let root = dir.path().join("root");
    fs::create_dir(&root).unwrap();
    fs::write(root.join("kept"), "").unwrap();
    // The key make-rootfs wrote when it built this root: suite, packages, and the
    // checksums of the setup script and of each file by name.
    let key = format!(
        "trixie gcc,php8.4-cli setup:{} src-1.tar.gz:{}\n",
        sha256(&setup),
        sha256(&tarball)
    );
    fs::write(root.join(".runbook-rootfs"), &key).unwrap();
    fn with<'a>(
        setup: &'a std::path::Path,
        tarball: &'a std::path::Path,
        root: &'a std::path::Path,
    ) -> [&'a std::ffi::OsStr; 8] {
        [
            "--suite".as_ref(),
            "trixie".as_ref(),
            "--setup".as_ref(),
            setup.as_os_str(),
            "--with".as_ref(),
            tarball.as_os_str(),
            root.as_os_str(),
            "gcc,php8.4-cli".as_ref(),
        ]
    }
    let args =
        |setup: &std::path::Path| with(setup, &tarball, &root).map(std::ffi::OsStr::to_os_string);
    // Unchanged: kept as it is, nothing built (no root, no network needed).
    assert_eq!(
        make_rootfs(&args(&setup)),
        (0, String::new(), String::new())
    );
    assert!(root.join("kept").exists());
    // The same script under another name is the same key.
    let renamed = dir.path().join("other-name");
    fs::copy(&setup, &renamed).unwrap();
    assert_eq!(make_rootfs(&args(&renamed)).0, 0);
    // A missing setup file, or files without a setup script, are errors before anything.
    let (code, _, stderr) = make_rootfs(&args(&dir.path().join("missing")));
    assert_eq!(code, 1);
    crate::assert_contains!(stderr, "missing: no such file");
    let (code, _, stderr) = make_rootfs(&[
        "--with".as_ref(),
        tarball.as_os_str(),
        root.as_os_str(),
        "gcc".as_ref() as &std::ffi::OsStr,
    ]);
    assert_eq!(code, 1);
    crate::assert_contains!(stderr, "--with needs --setup");
    assert_eq!(
        fs::read_to_string(root.join(".runbook-rootfs")).unwrap(),
        key
    );
}
