//! A `Test` builder: a temporary host root, extra runbooks, and a run of the real binary.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// Debian's real php.ini-production (PHP 8.2), as `/etc/php/8.2/*/php.ini` hold it.
pub const PHP_INI: &str = include_str!("../fixtures/php.ini-production-8.2");

pub struct Test {
    dir: TempDir,
    env: Vec<(String, String)>,
    runbooks: usize,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl Test {
    /// An empty host root.
    pub fn new() -> Test {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("root")).unwrap();
        Test {
            dir,
            env: Vec::new(),
            runbooks: 0,
        }
    }

    /// A copy of `examples/hosts/NAME` (symlinks kept).
    pub fn example(name: &str) -> Test {
        let test = Test::new();
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/hosts")
            .join(name);
        copy_tree(&src, &test.root());
        test
    }

    /// Copy `dir` of `examples/hosts/NAME` (a host path, `/etc/apache2`) over this root:
    /// hosts made of the examples' real files.
    pub fn with_example_dir(self, name: &str, dir: &str) -> Test {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/hosts")
            .join(name)
            .join(dir.trim_start_matches('/'));
        copy_tree(&src, &self.path(dir));
        self
    }

    /// A symlink at `host_path` (parents made) to `target`.
    pub fn symlink(self, host_path: &str, target: &str) -> Test {
        let path = self.path(host_path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
        self
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The real path of a host path.
    pub fn path(&self, host_path: &str) -> PathBuf {
        self.root().join(host_path.trim_start_matches('/'))
    }

    /// Write a host file (parents created).
    pub fn file(self, host_path: &str, content: &str) -> Test {
        let path = self.path(host_path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        self
    }

    pub fn mode(self, host_path: &str, mode: u32) -> Test {
        fs::set_permissions(self.path(host_path), fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    /// Add a runbook file, passed with `--runbooks`.
    pub fn runbook(mut self, yaml: &str) -> Test {
        self.runbooks += 1;
        let dir = self.dir.path().join("runbooks");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("extra-{}.yaml", self.runbooks)), yaml).unwrap();
        self
    }

    pub fn runbooks_dir(&self) -> PathBuf {
        self.dir.path().join("runbooks")
    }

    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Run `runbook ARGS`, adding `--root ROOT` to commands that act on a host and
    /// `--runbooks DIR` when runbooks were added.
    pub fn run_args(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runbook"));
        cmd.args(args)
            .env_remove("RUNBOOK_PATH")
            .env("NO_COLOR", "1");
        // A test may give its own `--root` (`/`, to run commands unchrooted).
        if takes_root(args) && !args.contains(&"--root") {
            cmd.arg("--root").arg(self.root());
        }
        if self.runbooks > 0 {
            cmd.arg("--runbooks").arg(self.runbooks_dir());
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let root = self.root().display().to_string();
        let clean = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .replace(&root, "[ROOT]")
                .replace(&self.dir.path().display().to_string(), "[TMP]")
        };
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: clean(&out.stdout),
            stderr: clean(&out.stderr),
        }
    }

    /// The dry-run plan of runbook `id` with `params` (`KEY=VALUE`) for people, run
    /// twice: it must succeed, say the same both times and write nothing, not even a
    /// state dir.
    pub fn dry_run(&self, id: &str, params: &[&str]) -> String {
        let mut args = vec!["apply", id, "--dry-run"];
        for p in params {
            args.extend(["-p", p]);
        }
        let out = self.run_args(&args);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let before = self.snapshot();
        let again = self.run_args(&args);
        assert_eq!(again.stdout, out.stdout);
        assert!(
            self.snapshot().changes(&before).is_empty(),
            "the dry run wrote something"
        );
        out.stdout
    }

    /// Every file and directory under the root with content, mode and owner: equal
    /// snapshots mean nothing was touched.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.entries())
    }

    /// Like `snapshot`, without the state dir `/var/lib/runbook` (journal, backups) and
    /// the directories made to hold it.
    pub fn host_only(&self) -> Snapshot {
        let state = self.path("/var/lib/runbook");
        let var = self.path("/var");
        // Drop the state dir, and /var, /var/lib when they exist only to hold it.
        let state_or_parent =
            |p: &PathBuf| p.starts_with(&state) || (state.starts_with(p) && p.starts_with(&var));
        let keep = |p: &PathBuf| !state_or_parent(p);
        Snapshot(
            self.entries()
                .into_iter()
                .filter(|(p, _)| keep(p))
                .collect(),
        )
    }

    fn entries(&self) -> BTreeMap<PathBuf, (Vec<u8>, u32, u32, u32)> {
        let mut out = BTreeMap::new();
        walk(&self.root(), &mut |path| {
            let meta = fs::symlink_metadata(path).unwrap();
            let content = if meta.is_file() {
                fs::read(path).unwrap()
            } else if meta.file_type().is_symlink() {
                fs::read_link(path)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else {
                Vec::new()
            };
            out.insert(
                path.to_path_buf(),
                (content, meta.mode(), meta.uid(), meta.gid()),
            );
        });
        out
    }

    pub fn read(&self, host_path: &str) -> String {
        fs::read_to_string(self.path(host_path)).unwrap()
    }
}

/// Paths with their content, mode and owner.
#[derive(PartialEq)]
pub struct Snapshot(BTreeMap<PathBuf, (Vec<u8>, u32, u32, u32)>);

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} paths", self.0.len())
    }
}

impl Snapshot {
    /// What differs from `other`, one line per path (for assertion messages).
    pub fn changes(&self, other: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        for (path, a) in &self.0 {
            match other.0.get(path) {
                None => out.push(format!("gone: {}", path.display())),
                Some(b) if a.0 != b.0 => out.push(format!("content: {}", path.display())),
                Some(b) if a != b => out.push(format!(
                    "mode/owner {:o}/{}:{} -> {:o}/{}:{}: {}",
                    a.1,
                    a.2,
                    a.3,
                    b.1,
                    b.2,
                    b.3,
                    path.display()
                )),
                _ => {}
            }
        }
        out.extend(
            other
                .0
                .keys()
                .filter(|p| !self.0.contains_key(*p))
                .map(|p| format!("new: {}", p.display())),
        );
        out
    }
}

/// Assert that a text contains a piece, showing the whole text when it does not.
#[macro_export]
macro_rules! assert_contains {
    ($haystack:expr, $needle:expr) => {{
        let (haystack, needle): (&str, &str) = (&$haystack, &$needle);
        assert!(
            haystack.contains(needle),
            "expected to find:\n{needle}\nin:\n{haystack}"
        );
    }};
}

/// Assert two snapshots are equal, naming what changed.
#[macro_export]
macro_rules! assert_unchanged {
    ($before:expr, $after:expr) => {{
        let (before, after) = (&$before, &$after);
        let changes = before.changes(after);
        assert!(
            changes.is_empty(),
            "the host changed:\n{}",
            changes.join("\n")
        );
    }};
}

fn takes_root(args: &[&str]) -> bool {
    matches!(
        args.first(),
        Some(&"apply")
            | Some(&"rollback")
            | Some(&"history")
            | Some(&"facts")
            | Some(&"report")
            | Some(&"verify")
    )
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    f(dir);
    if fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for e in entries {
            walk(&e, f);
        }
    }
}

fn copy_tree(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for entry in fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let meta = fs::symlink_metadata(&from).unwrap();
        if meta.file_type().is_symlink() {
            let _ = fs::remove_file(&to);
            std::os::unix::fs::symlink(fs::read_link(&from).unwrap(), &to).unwrap();
        } else if meta.is_dir() {
            copy_tree(&from, &to);
        } else {
            fs::copy(&from, &to).unwrap();
        }
    }
}

/// Whether the tests run as root (chown and chroot need it; CI is root).
pub fn is_root() -> bool {
    nix_uid() == 0
}

fn nix_uid() -> u32 {
    fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}

/// `runbook test --engine ENGINE`, run from the source tree (where `runbooks/tests` is).
pub fn runbook_test(engine: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runbook"));
    cmd.args(["test", "--engine", engine])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Scenario `text` written as `dir/NAME.yaml` (its name in the report is NAME).
pub fn scenario_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(format!("{name}.yaml"));
    fs::write(&file, text).unwrap();
    file
}
