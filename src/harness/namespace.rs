//! The namespace engine, for hosts without podman or docker: an image is a Debian root
//! built by `scripts/make-rootfs`, a container a fresh overlay mount of it (a copy where
//! overlay fails) and a network namespace of its own (`ip netns`: loopback only, shared
//! by every command of the container, so a daemon one starts answers the next); commands
//! run in it with `ip netns exec` and chroot.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::bounded;
use super::engine::{Built, Container, Engine, Output};
use super::images::{self, Definition};
use super::model::{Image, Suite};

pub struct Namespace;

/// What the namespace engine needs that this host may lack, one line each.
pub fn missing() -> Vec<String> {
    let mut missing = Vec::new();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        missing.push("root (the namespace engine mounts and chroots): run as root".into());
    }
    for (tool, package) in [
        ("ip", "iproute2"),
        ("chroot", "coreutils"),
        ("mount", "mount"),
        ("umount", "mount"),
    ] {
        if which(tool).is_none() {
            missing.push(format!("`{tool}` ({package})"));
        }
    }
    missing
}

fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

impl Engine for Namespace {
    fn name(&self) -> &'static str {
        "namespace"
    }

    fn build(&self, image: Image, suite: Suite, definition: &Definition) -> Result<Built> {
        let var = images::variable(image, suite);
        if let Some(dir) = std::env::var_os(&var).filter(|v| !v.is_empty()) {
            let dir = PathBuf::from(dir);
            check_release(&dir, suite).with_context(|| format!("{var}={}", dir.display()))?;
            return Ok(Built {
                image,
                suite,
                id: dir.display().to_string(),
                reused: true,
            });
        }
        let dir = images::cache_dir().join(format!(
            "{}-{}-{}",
            suite.name(),
            image.name(),
            images::hash(image, suite)
        ));
        // make-rootfs writes its marker once the root is complete.
        if dir.join(".runbook-rootfs").is_file() {
            check_release(&dir, suite)?;
            return Ok(Built {
                image,
                suite,
                id: dir.display().to_string(),
                reused: true,
            });
        }
        let source = images::source_tree().with_context(|| {
            format!(
                "no image {} for {} (or set {var})",
                image.name(),
                suite.name()
            )
        })?;
        let mut cmd = Command::new(source.join("scripts/make-rootfs"));
        cmd.arg("--suite").arg(suite.name());
        if let Some(setup) = &definition.setup {
            cmd.arg("--setup").arg(source.join(setup));
            for file in &definition.files {
                for found in images::vendor_file(&source, file)? {
                    cmd.arg("--with").arg(found);
                }
            }
        }
        cmd.arg(&dir).arg(definition.packages(suite)?.join(","));
        eprintln!(
            "building image {} for {} into {} (scripts/make-rootfs)",
            image.name(),
            suite.name(),
            dir.display()
        );
        let status = cmd
            .stdout(Stdio::null())
            .status()
            .context("scripts/make-rootfs")?;
        if !status.success() {
            bail!("scripts/make-rootfs failed building {}", dir.display());
        }
        Ok(Built {
            image,
            suite,
            id: dir.display().to_string(),
            reused: false,
        })
    }

    fn start(&self, built: &Built) -> Result<Box<dyn Container>> {
        // On disk, not a tmpfs: a copy of a root is hundreds of MB.
        let workdir = std::env::var_os("RUNBOOK_TEST_WORKDIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/tmp"));
        let dir = tempfile::Builder::new()
            .prefix("runbook-test-")
            .tempdir_in(&workdir)
            .with_context(|| format!("a temporary directory in {}", workdir.display()))?;
        let (upper, work, merged) = (
            dir.path().join("upper"),
            dir.path().join("work"),
            dir.path().join("root"),
        );
        for d in [&upper, &work, &merged] {
            fs::create_dir(d)?;
        }
        let options = format!(
            "lowerdir={},upperdir={},workdir={}",
            built.id,
            upper.display(),
            work.display()
        );
        let out = Command::new("mount")
            .args(["-t", "overlay", "overlay", "-o", &options])
            .arg(&merged)
            .output()
            .context("mount")?;
        let how = if out.status.success() {
            "overlay".to_string()
        } else {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
            fs::remove_dir(&merged)?;
            let status = Command::new("cp")
                .arg("-a")
                .arg(&built.id)
                .arg(&merged)
                .status()
                .context("cp")?;
            if !status.success() {
                bail!(
                    "cannot copy the image {} into {}",
                    built.id,
                    merged.display()
                );
            }
            format!("a copy (overlay failed: {why})")
        };
        let mounted = how == "overlay";
        let netns = match new_netns(&dir) {
            Ok(name) => name,
            Err(e) => {
                if mounted {
                    let _ = Command::new("umount").arg(&merged).status();
                }
                return Err(e);
            }
        };
        Ok(Box::new(Chroot {
            dir: Some(dir),
            mounted,
            root: merged,
            how,
            netns,
        }))
    }
}

/// An image of another release would test the wrong programs.
fn check_release(dir: &Path, suite: Suite) -> Result<()> {
    let os = fs::read_to_string(dir.join("etc/os-release"))
        .with_context(|| format!("{}: not a Debian root", dir.display()))?;
    if !os
        .lines()
        .any(|l| l.trim_matches('"') == format!("VERSION_CODENAME={}", suite.name()))
    {
        bail!("{}: not a Debian {} root", dir.display(), suite.name());
    }
    Ok(())
}

/// A network namespace named after the container's directory, its loopback up: remote
/// mail defers, no port of the host is touched.
fn new_netns(dir: &tempfile::TempDir) -> Result<String> {
    let suffix = dir
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = suffix.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
    for args in [
        vec!["netns", "add", &name],
        vec!["-n", &name, "link", "set", "lo", "up"],
    ] {
        let out = Command::new("ip").args(&args).output().context("ip")?;
        if !out.status.success() {
            let _ = Command::new("ip").args(["netns", "del", &name]).status();
            bail!(
                "ip {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    Ok(name)
}

struct Chroot {
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    mounted: bool,
    how: String,
    netns: String,
}

impl Chroot {
    /// In the container's network namespace, chrooted.
    fn command(&self, user: Option<&str>, argv: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.netns, "chroot"]);
        if let Some(user) = user {
            cmd.arg(format!("--userspec={user}:{user}"));
        }
        cmd.arg(&self.root).args(argv);
        cmd.env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1")
            .env("HOME", if user.is_some() { "/tmp" } else { "/root" });
        cmd
    }
}

impl Container for Chroot {
    fn exec(&self, user: Option<&str>, script: &str, stdin: Option<&str>) -> Result<Output> {
        let cmd = self.command(user, &["/bin/sh", "-c", script]);
        bounded::run(cmd, stdin, true)
    }

    fn exec_to_end(&self, script: &str) -> Result<Output> {
        let cmd = self.command(None, &["/bin/sh", "-c", script]);
        bounded::run(cmd, None, false)
    }

    fn exec_argv(&self, argv: &[String]) -> Result<Output> {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let cmd = self.command(None, &argv);
        bounded::run(cmd, None, true)
    }

    fn copy_in(&self, from: &Path, to: &str, mode: u32) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dest = self.root.join(to.trim_start_matches('/'));
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(from, &dest).with_context(|| format!("copy {} to {to}", from.display()))?;
        fs::set_permissions(&dest, fs::Permissions::from_mode(mode))?;
        Ok(())
    }

    fn how(&self) -> String {
        self.how.clone()
    }

    fn stop(mut self: Box<Self>, keep: bool) -> Result<Option<String>> {
        let dir = self.dir.take().expect("stopped once");
        if keep {
            let path = dir.keep();
            return Ok(Some(format!(
                "{} (the container's root{}, its network `ip netns exec {}`; remove with `ip netns del {2}; umount {0}; rm -rf {}`)",
                self.root.display(),
                if self.mounted {
                    ", an overlay mount"
                } else {
                    ""
                },
                self.netns,
                path.display()
            )));
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .status();
        if self.mounted {
            let out = Command::new("umount").arg(&self.root).output()?;
            if !out.status.success() {
                // A process still holds it (a daemon not stopped): detach it anyway.
                let _ = Command::new("umount").arg("-l").arg(&self.root).status();
            }
        }
        drop(dir);
        Ok(None)
    }
}
