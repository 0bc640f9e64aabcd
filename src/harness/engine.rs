//! The one interface a container engine gives the runner: build (or reuse) an image,
//! start a container of it, run commands in it, copy a file in, stop it.

use std::path::Path;

use anyhow::Result;

use super::images::Definition;
use super::model::{Image, Suite};

/// What a command run in a container gave.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A built image an engine can start containers of.
#[derive(Debug, Clone)]
pub struct Built {
    pub image: Image,
    pub suite: Suite,
    /// The engine's name for it (a directory, a tag).
    pub id: String,
    /// Whether it was there already (not built now).
    pub reused: bool,
}

pub trait Engine {
    /// `namespace`, `podman`, `docker`.
    fn name(&self) -> &'static str;
    /// The image of `definition` for `suite`, built unless already there.
    fn build(&self, image: Image, suite: Suite, definition: &Definition) -> Result<Built>;
    /// A fresh container of `built`.
    fn start(&self, built: &Built) -> Result<Box<dyn Container>>;
}

pub trait Container {
    /// Run `script` with `/bin/sh -c` as `user` (root when None), `stdin` on its input.
    fn exec(&self, user: Option<&str>, script: &str, stdin: Option<&str>) -> Result<Output>;
    /// As `exec` as root, but run to its end even after Ctrl-C: the teardown (stop the
    /// daemons, read the logs), which must not leave a daemon in an unmounted root.
    fn exec_to_end(&self, script: &str) -> Result<Output>;
    /// Run a program with these arguments as root (no shell between).
    fn exec_argv(&self, argv: &[String]) -> Result<Output>;
    /// Copy the host file `from` into the container at `to`, with `mode`.
    fn copy_in(&self, from: &Path, to: &str, mode: u32) -> Result<()>;
    /// How the container was made, for the report (`overlay`, or a copy and why).
    fn how(&self) -> String;
    /// Tear it down; with `keep`, leave it and say where it is.
    fn stop(self: Box<Self>, keep: bool) -> Result<Option<String>>;
}
