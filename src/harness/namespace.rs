//! The namespace engine, for hosts without podman or docker: an image is a Debian root
//! built by `scripts/make-rootfs`, a container a fresh overlay mount of it (a copy where
//! overlay fails), commands run in it with `unshare --net` and chroot.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

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
    for tool in ["unshare", "chroot", "mount", "umount"] {
        if which(tool).is_none() {
            missing.push(format!("`{tool}` (util-linux, coreutils)"));
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
        let dir = tempfile::Builder::new()
            .prefix("runbook-test-")
            .tempdir_in("/var/tmp")
            .context("a temporary directory in /var/tmp")?;
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
        Ok(Box::new(Chroot {
            dir: Some(dir),
            mounted: how == "overlay",
            root: merged,
            how,
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

struct Chroot {
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    mounted: bool,
    how: String,
}

impl Chroot {
    /// `unshare --net` (remote mail defers, no port of the host is touched), loopback
    /// up, then chroot.
    fn command(&self, user: Option<&str>, argv: &[&str]) -> Command {
        let mut cmd = Command::new("unshare");
        cmd.args([
            "--net",
            "sh",
            "-c",
            "ip link set lo up 2>/dev/null; exec \"$@\"",
            "sh",
            "chroot",
        ]);
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

    /// Run `cmd` to its end, or kill its process group after [`TIMEOUT`] (a step
    /// waiting forever must not hang CI): exit -1 and stderr saying so.
    fn run(&self, mut cmd: Command, stdin: Option<&str>, interruptible: bool) -> Result<Output> {
        use std::io::Read;
        use std::os::unix::process::CommandExt;
        use std::sync::mpsc;
        use std::time::{Duration, Instant};
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
        let mut child = cmd.spawn().context("unshare")?;
        if let Some(text) = stdin {
            let mut input = child.stdin.take().expect("piped");
            let text = text.to_string();
            std::thread::spawn(move || {
                let _ = input.write_all(text.as_bytes());
            });
        }
        let reader = |mut pipe: Box<dyn Read + Send>| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                let _ = tx.send(bytes);
            });
            rx
        };
        let stdout = reader(Box::new(child.stdout.take().expect("piped")));
        let stderr = reader(Box::new(child.stderr.take().expect("piped")));
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if interruptible && crate::process::interrupted() {
                // SAFETY: as below.
                unsafe { libc::killpg(child.id() as libc::pid_t, libc::SIGKILL) };
                let _ = child.wait();
                bail!("interrupted (Ctrl-C)");
            }
            if Instant::now() >= deadline {
                // SAFETY: killpg has no memory preconditions; the group is the child's own.
                unsafe { libc::killpg(child.id() as libc::pid_t, libc::SIGKILL) };
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // A daemon started by the command may hold the pipes open: read what came.
        let text = |rx: mpsc::Receiver<Vec<u8>>| {
            String::from_utf8_lossy(&rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default())
                .into_owned()
        };
        let (out, mut err) = (text(stdout), text(stderr));
        let code = match status {
            Some(status) => status.code().unwrap_or(-1),
            None => {
                err.push_str(&format!(
                    "\nkilled after {}s: the command did not end",
                    TIMEOUT.as_secs()
                ));
                -1
            }
        };
        Ok(Output {
            code,
            stdout: out,
            stderr: err,
        })
    }
}

/// The longest a command in a container may run.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

impl Container for Chroot {
    fn exec(&self, user: Option<&str>, script: &str, stdin: Option<&str>) -> Result<Output> {
        let cmd = self.command(user, &["/bin/sh", "-c", script]);
        self.run(cmd, stdin, true)
    }

    fn exec_to_end(&self, script: &str) -> Result<Output> {
        let cmd = self.command(None, &["/bin/sh", "-c", script]);
        self.run(cmd, None, false)
    }

    fn exec_argv(&self, argv: &[String]) -> Result<Output> {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let cmd = self.command(None, &argv);
        self.run(cmd, None, true)
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
                "{} (the container's root{}; remove with `umount {0}; rm -rf {}`)",
                self.root.display(),
                if self.mounted {
                    ", an overlay mount"
                } else {
                    ""
                },
                path.display()
            )));
        }
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
