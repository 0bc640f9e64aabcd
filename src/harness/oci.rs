//! The podman and docker engines: one CLI surface (build, import, run, exec, cp, rm), so
//! one type. An image is built from a generated Containerfile `FROM debian:<suite>`; where
//! no such base can be pulled (a closed network), it is made with `debootstrap`
//! (`scripts/make-rootfs`) and imported under that name. A container per scenario runs
//! `sleep infinity` under `--init` with no network; commands run with `exec`.
//!
//! Settings a host needs (runtime, cgroup manager, storage, ulimits) are never built in:
//! RUNBOOK_PODMAN_FLAGS / RUNBOOK_DOCKER_FLAGS (or `--engine-flags`) go before every
//! subcommand, RUNBOOK_RUN_FLAGS (or `--run-flags`) into `run`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, bail};

use super::bounded;
use super::containerfile;
use super::engine::{Built, Container, Engine, Output};
use super::images::{self, Definition};
use super::model::{Image, Suite};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Podman,
    Docker,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Podman => "podman",
            Kind::Docker => "docker",
        }
    }

    /// The variable of the flags put before every subcommand.
    fn flags_variable(self) -> &'static str {
        match self {
            Kind::Podman => "RUNBOOK_PODMAN_FLAGS",
            Kind::Docker => "RUNBOOK_DOCKER_FLAGS",
        }
    }
}

/// The variable of the flags `run` gets (`--ulimit ...`).
pub const RUN_FLAGS: &str = "RUNBOOK_RUN_FLAGS";

#[derive(Clone)]
pub struct Oci {
    kind: Kind,
    global: Vec<String>,
    run: Vec<String>,
}

/// Words of a flags setting, shell-quoted as on a command line.
fn words(what: &str, text: &str) -> Result<Vec<String>> {
    shlex::split(text).with_context(|| format!("{what}: unbalanced quotes in {text:?}"))
}

impl Oci {
    /// The engine, its flags from the arguments where given, else from the environment.
    pub fn new(kind: Kind, engine_flags: Option<&str>, run_flags: Option<&str>) -> Result<Oci> {
        let global = match engine_flags {
            Some(f) => words("--engine-flags", f)?,
            None => words(
                kind.flags_variable(),
                &std::env::var(kind.flags_variable()).unwrap_or_default(),
            )?,
        };
        let run = match run_flags {
            Some(f) => words("--run-flags", f)?,
            None => words(RUN_FLAGS, &std::env::var(RUN_FLAGS).unwrap_or_default())?,
        };
        Ok(Oci { kind, global, run })
    }

    /// Why this engine cannot run here (empty: it can): the program missing, or its
    /// daemon (docker) or storage (podman) not answering.
    pub fn missing(&self) -> Vec<String> {
        let probe = match self.kind {
            Kind::Docker => vec!["version", "--format", "{{.Server.Version}}"],
            Kind::Podman => vec!["info", "--format", "{{.Store.GraphRoot}}"],
        };
        let mut cmd = self.command(&probe);
        match cmd.stdin(Stdio::null()).output() {
            Err(e) => vec![format!("`{}`: {e}", self.kind.name())],
            Ok(out) if !out.status.success() => {
                let why = String::from_utf8_lossy(&out.stderr);
                let why = why.trim().lines().last().unwrap_or("").to_string();
                vec![match self.kind {
                    Kind::Docker => format!("a docker daemon answering `docker version`: {why}"),
                    Kind::Podman => format!("a working podman (`podman info`): {why}"),
                }]
            }
            Ok(_) => Vec::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.kind.name());
        cmd.args(&self.global).args(args);
        if self.kind == Kind::Docker {
            // The classic builder: what podman's Docker API answers, and no buildx needed.
            cmd.env("DOCKER_BUILDKIT", "0");
        }
        cmd
    }

    fn output(&self, args: &[&str]) -> Result<Output> {
        bounded::run(self.command(args), None, true)
    }

    /// Run `args`, failing with the engine's own message.
    fn must(&self, args: &[&str]) -> Result<Output> {
        let out = self.output(args)?;
        if out.code != 0 {
            bail!(
                "`{} {}` failed (exit {}): {}",
                self.kind.name(),
                args.join(" "),
                out.code,
                out.stderr.trim()
            );
        }
        Ok(out)
    }

    fn has_image(&self, name: &str) -> bool {
        self.output(&["image", "inspect", "--format", "{{.Id}}", name])
            .is_ok_and(|o| o.code == 0)
    }

    /// `debian:<suite>`: there, pulled, or debootstrapped and imported under that name.
    fn ensure_base(&self, suite: Suite) -> Result<()> {
        let base = format!("debian:{}", suite.name());
        if self.has_image(&base) {
            return Ok(());
        }
        let pulled = self.output(&["pull", &base])?;
        if pulled.code == 0 {
            return Ok(());
        }
        let why = pulled
            .stderr
            .trim()
            .lines()
            .last()
            .unwrap_or("")
            .to_string();
        let source = images::source_tree().with_context(|| {
            format!("{base} cannot be pulled ({why}) and debootstrapping it needs the source tree")
        })?;
        let dir = images::cache_dir().join(format!("base-{}", suite.name()));
        eprintln!(
            "{base} cannot be pulled ({why}): debootstrapping it into {} and importing it",
            dir.display()
        );
        let status = Command::new(source.join("scripts/make-rootfs"))
            .arg("--suite")
            .arg(suite.name())
            .arg(&dir)
            .arg("-")
            .stdout(Stdio::null())
            .status()
            .context("scripts/make-rootfs")?;
        if !status.success() {
            bail!("scripts/make-rootfs failed building {}", dir.display());
        }
        import(self, &dir, &base)
    }
}

impl Oci {
    /// The images an earlier definition or runbook version built for IMAGE and SUITE (by
    /// their labels), removed once `current` is built: each is hundreds of MB. One still
    /// in use by a container stays.
    fn remove_older(&self, image: Image, suite: Suite, current: &str) {
        // One filter: podman 4 ORs several label filters.
        let label = format!("label=org.runbook.test.image={}", image.name());
        let Ok(list) = self.output(&[
            "images",
            "--filter",
            &label,
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ]) else {
            return;
        };
        for name in older(&list.stdout, image, suite, current) {
            if let Ok(out) = self.output(&["rmi", name])
                && out.code == 0
            {
                eprintln!("removed the older image {name}");
            }
        }
    }
}

/// Of the image names listed one a line, those `runbook test` built for IMAGE and SUITE
/// other than `current`.
fn older<'a>(list: &'a str, image: Image, suite: Suite, current: &str) -> Vec<&'a str> {
    let repository = format!("runbook-test/{}", image.name());
    let suite_tag = format!("{}-", suite.name());
    list.lines()
        .map(str::trim)
        .filter(|name| {
            let Some((repo, tag)) = name.rsplit_once(':') else {
                return false;
            };
            // podman names a local image localhost/NAME.
            let ours = (repo == repository || repo.ends_with(&format!("/{repository}")))
                && tag.starts_with(&suite_tag);
            ours && *name != current && !name.ends_with(&format!("/{current}"))
        })
        .collect()
}

/// `tar` of `dir` into `<engine> import - name`.
fn import(engine: &Oci, dir: &Path, name: &str) -> Result<()> {
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(dir)
        .args(["--numeric-owner", "--exclude=./.runbook-rootfs", "-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .context("tar")?;
    let out = engine
        .command(&["import", "-", name])
        .stdin(tar.stdout.take().expect("piped"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("{} import", engine.kind.name()))?;
    let tarred = tar.wait()?;
    if !tarred.success() || !out.status.success() {
        bail!(
            "importing {} as {name} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

impl Engine for Oci {
    fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn build(&self, image: Image, suite: Suite, definition: &Definition) -> Result<Built> {
        // The tag names the Containerfile's text: a changed definition, template or
        // runbook version (the label's key) builds a new image.
        let key = images::hash(image, suite);
        let text = containerfile::text(image, suite, definition, &key)?;
        let tag = format!(
            "runbook-test/{}:{}-{}",
            image.name(),
            suite.name(),
            &crate::digest::sha256(text.as_bytes())[..16]
        );
        if self.has_image(&tag) {
            return Ok(Built {
                image,
                suite,
                id: tag,
                reused: true,
            });
        }
        self.ensure_base(suite)?;
        let context = tempfile::Builder::new()
            .prefix("runbook-image-")
            .tempdir()
            .context("a build context")?;
        containerfile::write_context(context.path(), &text, definition)?;
        let cache = images::cache_dir();
        fs::create_dir_all(&cache).with_context(|| cache.display().to_string())?;
        let log_path = cache.join(format!("{}.log", tag.replace(['/', ':'], "-")));
        let log = fs::File::create(&log_path).with_context(|| log_path.display().to_string())?;
        eprintln!(
            "building image {tag} with {} (log: {})",
            self.kind.name(),
            log_path.display()
        );
        let containerfile = context.path().join("Containerfile");
        let status = self
            .command(&["build", "--network", "host", "-t", &tag, "-f"])
            .arg(&containerfile)
            .arg(context.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .status()
            .with_context(|| format!("{} build", self.kind.name()))?;
        if !status.success() {
            let text = fs::read_to_string(&log_path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            bail!(
                "building {tag} failed (log: {}):\n{}",
                log_path.display(),
                lines[lines.len().saturating_sub(20)..].join("\n")
            );
        }
        self.remove_older(image, suite, &tag);
        Ok(Built {
            image,
            suite,
            id: tag,
            reused: false,
        })
    }

    fn start(&self, built: &Built) -> Result<Box<dyn Container>> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "runbook-test-{}-{}-{}-{}",
            built.image.name(),
            built.suite.name(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut args: Vec<&str> = vec!["run", "-d", "--init", "--network", "none", "--name", &name];
        args.extend(self.run.iter().map(String::as_str));
        args.extend([built.id.as_str(), "sleep", "infinity"]);
        self.must(&args)?;
        Ok(Box::new(OciContainer {
            engine: self.clone(),
            name,
        }))
    }
}

/// A running container of the podman or docker engine.
struct OciContainer {
    engine: Oci,
    name: String,
}

const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl OciContainer {
    fn exec_command(&self, user: Option<&str>, stdin: bool, argv: &[&str]) -> Command {
        let home = if user.is_some() {
            "HOME=/tmp"
        } else {
            "HOME=/root"
        };
        let mut args = vec!["exec"];
        if stdin {
            args.push("-i");
        }
        if let Some(user) = user {
            args.extend(["--user", user]);
        }
        let path = format!("PATH={PATH}");
        args.extend([
            "-e",
            &path,
            "-e",
            "LANG=C.UTF-8",
            "-e",
            "NO_COLOR=1",
            "-e",
            home,
        ]);
        args.push(&self.name);
        args.extend(argv);
        self.engine.command(&args)
    }
}

impl Container for OciContainer {
    fn exec(&self, user: Option<&str>, script: &str, stdin: Option<&str>) -> Result<Output> {
        let cmd = self.exec_command(user, stdin.is_some(), &["/bin/sh", "-c", script]);
        bounded::run(cmd, stdin, true)
    }

    fn exec_to_end(&self, script: &str) -> Result<Output> {
        let cmd = self.exec_command(None, false, &["/bin/sh", "-c", script]);
        bounded::run(cmd, None, false)
    }

    fn exec_argv(&self, argv: &[String]) -> Result<Output> {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        bounded::run(self.exec_command(None, false, &argv), None, true)
    }

    fn copy_in(&self, from: &Path, to: &str, mode: u32) -> Result<()> {
        let parent = Path::new(to)
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"));
        let parent = parent.to_string_lossy();
        let q = |s: &str| {
            shlex::try_quote(s)
                .map(|q| q.into_owned())
                .unwrap_or_default()
        };
        let made = self.exec(None, &format!("mkdir -p {}", q(&parent)), None)?;
        if made.code != 0 {
            bail!("mkdir {parent} in {}: {}", self.name, made.stderr.trim());
        }
        let dest = format!("{}:{to}", self.name);
        let from_text = from.to_string_lossy();
        self.engine.must(&["cp", &from_text, &dest])?;
        let chmod = self.exec(None, &format!("chmod {mode:o} {}", q(to)), None)?;
        if chmod.code != 0 {
            bail!("chmod {to} in {}: {}", self.name, chmod.stderr.trim());
        }
        Ok(())
    }

    fn how(&self) -> String {
        format!("{} container {}", self.engine.kind.name(), self.name)
    }

    fn stop(self: Box<Self>, keep: bool) -> Result<Option<String>> {
        let program = self.engine.kind.name();
        if keep {
            return Ok(Some(format!(
                "{program} container {} (enter with `{program} exec -it {0} bash`; remove with `{program} rm -f {0}`)",
                self.name
            )));
        }
        // To its end even after Ctrl-C: the teardown Ctrl-C asked for.
        let args = ["rm", "-f", self.name.as_str()];
        let out = bounded::run(self.engine.command(&args), None, false)?;
        if out.code != 0 {
            bail!(
                "`{program} rm -f {}` failed (exit {}): {}",
                self.name,
                out.code,
                out.stderr.trim()
            );
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_image_and_suite_s_other_builds_are_older() {
        let list = "localhost/runbook-test/exim:bookworm-aaaa\n\
                    localhost/runbook-test/exim:bookworm-bbbb\n\
                    localhost/runbook-test/exim:trixie-aaaa\n\
                    localhost/runbook-test/eximx:bookworm-cccc\n\
                    runbook-test/exim:bookworm-dddd\n\
                    localhost/runbook-test/postfix:bookworm-aaaa\n\
                    <none>:<none>\n";
        assert_eq!(
            older(
                list,
                Image::Exim,
                Suite::Bookworm,
                "runbook-test/exim:bookworm-bbbb"
            ),
            [
                "localhost/runbook-test/exim:bookworm-aaaa",
                "runbook-test/exim:bookworm-dddd"
            ]
        );
    }
}
