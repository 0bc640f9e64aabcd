//! The namespace engine, for hosts without podman or docker: an image is a Debian root
//! built by `scripts/make-rootfs`, a container a fresh overlay mount of it (a copy where
//! overlay fails), a network namespace of its own (`ip netns`: loopback only, shared by
//! every command of the container, so a daemon one starts answers the next) and a PID
//! namespace of its own, its /proc mounted in the root (so `pidof` and `ps` see the
//! container's processes, not the host's), held by a small init that reaps orphans;
//! commands run in it with `nsenter` and chroot. Ending the init ends every process of
//! the container, daemons included.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
        ("unshare", "util-linux"),
        ("nsenter", "util-linux"),
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
        let undo_mount = |e: anyhow::Error| {
            if mounted {
                let _ = Command::new("umount").arg(&merged).status();
            }
            e
        };
        let netns = new_netns(&dir).map_err(undo_mount)?;
        let init = Init::start(&netns, &merged).map_err(|e| {
            let _ = Command::new("ip").args(["netns", "del", &netns]).status();
            undo_mount(e)
        })?;
        Ok(Box::new(Chroot {
            dir: Some(dir),
            mounted,
            root: merged,
            how,
            netns,
            init: Some(init),
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

/// The container's PID 1: `unshare` forks it into new PID and mount namespaces (in the
/// container's network namespace) with the root's /proc mounted for them; it waits on
/// children forever, so a daemon's orphans are reaped as a real init reaps them.
struct Init {
    unshare: Child,
    /// PID 1 of the container, as the host numbers it (what `nsenter --target` takes).
    pid: u32,
}

/// The init, given the root: a pty instance of the container's own (sshd's sessions
/// with a tty; where the root has no /dev/pts, none), then wait on children forever.
const INIT_SCRIPT: &str = r#"
if [ -d "$1/dev/pts" ] && mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$1/dev/pts"; then
  [ -e "$1/dev/ptmx" ] || : > "$1/dev/ptmx"
  mount --bind "$1/dev/pts/ptmx" "$1/dev/ptmx"
fi
while :; do sleep 3600 & wait; done
"#;

/// How long the init may take to appear with its /proc mounted.
const INIT_WAIT: Duration = Duration::from_secs(10);

impl Init {
    fn start(netns: &str, root: &Path) -> Result<Init> {
        let proc_dir = root.join("proc");
        let mut unshare = Command::new("ip")
            .args([
                "netns", "exec", netns, "unshare", "--pid", "--fork", "--mount",
            ])
            .arg(format!("--mount-proc={}", proc_dir.display()))
            .args(["/bin/sh", "-c", INIT_SCRIPT, "init"])
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("unshare")?;
        let deadline = Instant::now() + INIT_WAIT;
        loop {
            if let Some(status) = unshare.try_wait()? {
                let mut why = String::new();
                if let Some(mut err) = unshare.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut err, &mut why);
                }
                bail!(
                    "unshare --pid --fork --mount-proc: {status}: {}",
                    why.trim()
                );
            }
            // `ip netns exec` execs unshare, whose one child is the container's PID 1;
            // it is ready once its /proc is mounted (its own PID reads as 1 there).
            if let Some(pid) = only_child(unshare.id())
                && mounted_proc(pid, &proc_dir)
            {
                return Ok(Init { unshare, pid });
            }
            if Instant::now() > deadline {
                let _ = unshare.kill();
                let _ = unshare.wait();
                bail!("the container's init did not start within {INIT_WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Ending PID 1 makes the kernel kill every process of its namespace: a container
/// dropped on any path (an error, a panic) leaves no daemon behind.
impl Drop for Init {
    fn drop(&mut self) {
        // SAFETY: kill has no memory preconditions; the pid is our child's child, not
        // reused before we reap `unshare` below.
        unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGKILL) };
        let _ = self.unshare.wait();
    }
}

fn only_child(pid: u32) -> Option<u32> {
    let children = fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    children.split_whitespace().next()?.parse().ok()
}

/// Whether `pid`'s mount namespace has a proc mounted at `dir`.
fn mounted_proc(pid: u32, dir: &Path) -> bool {
    let Ok(mounts) = fs::read_to_string(format!("/proc/{pid}/mounts")) else {
        return false;
    };
    let dir = dir.to_string_lossy();
    mounts.lines().any(|l| {
        let mut fields = l.split(' ');
        fields.next() == Some("proc") && fields.next() == Some(&*dir)
    })
}

struct Chroot {
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    mounted: bool,
    how: String,
    netns: String,
    init: Option<Init>,
}

impl Chroot {
    /// In the container's network, PID and mount namespaces, chrooted.
    fn command(&self, user: Option<&str>, argv: &[&str]) -> Command {
        let init = self.init.as_ref().expect("a started container").pid;
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--target={init}"))
            .args(["--net", "--pid", "--mount", "--", "chroot"]);
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
        let init = self.init.take().expect("stopped once");
        if keep {
            let path = dir.keep();
            let pid = init.pid;
            // Its init lives on, detached from this process.
            std::mem::forget(init);
            return Ok(Some(format!(
                "{} (the container's root{}; enter with `nsenter --target={pid} --net --pid --mount chroot {0} bash`; remove with `kill {pid}; ip netns del {}; umount {0}; rm -rf {}`)",
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
        drop(init);
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
