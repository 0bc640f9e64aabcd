//! `--root` and `--state-dir`, resolved once for every command that acts on a host.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::apply::state_dir::{self, Dir};
use crate::cli::HostArgs;
use crate::host::Host;

pub struct HostOpts {
    pub host: Host,
    state_path: PathBuf,
    /// The default state dir lives in the host root and must stay inside it.
    default_state: bool,
}

/// The host at `--root`, by its canonical path.
pub fn host(root: &Path) -> Result<Host> {
    if !root.is_dir() {
        bail!("--root {} is not a directory", root.display());
    }
    Ok(Host::new(root.canonicalize()?))
}

pub fn resolve(args: &HostArgs) -> Result<HostOpts> {
    let host = host(&args.root)?;
    let (state_path, default_state) = match &args.state_dir {
        Some(dir) if dir.is_absolute() => (dir.clone(), false),
        Some(dir) => (std::env::current_dir()?.join(dir), false),
        None => (host.root().join("var/lib/runbook"), true),
    };
    Ok(HostOpts {
        host,
        state_path,
        default_state,
    })
}

impl HostOpts {
    /// The state dir, checked (and created when `create`); `Ok(None)` when missing.
    pub fn state_dir(&self, create: bool) -> Result<Option<Dir>> {
        let within = self.default_state.then(|| self.host.root());
        state_dir::open(&self.state_path, within, create)
    }

    pub fn state_path(&self) -> &std::path::Path {
        &self.state_path
    }
}
