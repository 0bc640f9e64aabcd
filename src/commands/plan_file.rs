//! The file of `apply --save-plan FILE` and `apply --plan FILE`: written atomically with
//! mode 0600 (temp file beside it, fsync, rename), read back with its name in every error.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::path::Path;

use anyhow::{Context, Result, anyhow};

use crate::apply::atomic::{self, Ownership};
use crate::host::Host;
use crate::plan::saved;
use crate::plan::types::Plan;

/// Save a dry run's plan to `path`, replacing what is there.
pub fn save(path: &Path, plan: &Plan) -> Result<()> {
    let saved = saved::save(plan)?;
    let mut json = serde_json::to_vec_pretty(&saved)?;
    json.push(b'\n');
    write(path, &json).with_context(|| format!("cannot write the plan to {}", path.display()))
}

fn write(path: &Path, content: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("it does not name a file"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir: OwnedFd = File::open(parent)
        .with_context(|| format!("cannot open {}", parent.display()))?
        .into();
    let ownership = Ownership {
        mode: 0o600,
        uid: nix::unistd::geteuid().as_raw(),
        gid: nix::unistd::getegid().as_raw(),
    };
    atomic::write_at(&dir, name, &atomic::temp_name(name), content, ownership)?;
    Ok(())
}

/// Read a saved plan (of runbook `id`, when given) and rebuild it against the host; any
/// error names the file and means nothing was changed.
pub fn load(path: &Path, id: Option<&str>, host: &Host) -> Result<Plan> {
    let shown = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the plan {shown}"))?;
    let rebuilt = saved::parse(&bytes).and_then(|saved| match id {
        Some(id) if id != saved.runbook => Err(anyhow!(
            "it is a plan of runbook `{}`, not `{id}`",
            saved.runbook
        )),
        _ => saved.into_plan(host),
    });
    rebuilt.with_context(|| format!("the plan {shown} was not applied, and nothing was changed"))
}
