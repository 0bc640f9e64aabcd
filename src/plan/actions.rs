//! Turning one action into work: each step type's `plan` (in `runbook/steps/`) asks
//! this planner, through `trait Planning`, for file edits against the planned contents,
//! commands, reloads, checklist items.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use indexmap::IndexMap;

use super::error::PlanError;
use super::eval::Context;
use super::redact::Redactor;
use super::types::{CommandWork, FileEdit, InstallWork, ManualItem, ReloadWork, Work};
use crate::edit::installer::Installer;
use crate::runbook::services::{ServiceCommands, known_service};
use nix::sys::stat::FileStat;

use crate::chase::{Chased, FileId, Policy};
use crate::host::Host;
use crate::runbook::model::Action;
use crate::runbook::params::parse_duration;
use crate::runbook::steps::service_reload::ServiceReload;
use crate::runbook::steps::{Command as StepCommand, Planning};
use crate::runbook::template::{Escape, Template};

/// The default limit for a command's run time.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The shortest secret the planner looks for in a command's argv.
const MIN_SECRET_IN_ARGV: usize = 6;

/// File contents as earlier steps of the plan leave them, so edits chain (by host path).
#[derive(Default)]
pub struct Overlay {
    files: HashMap<String, Vec<u8>>,
    /// Tables changed through their program, as it lists them (`Planning::install`).
    installed: HashMap<String, Vec<u8>>,
    /// Messages earlier steps move into the quarantine (by id).
    quarantined: std::collections::HashSet<String>,
}

impl Overlay {
    /// The planned content of a file found by a safe walk: read through its directory's
    /// descriptor the first time, then as earlier edits left it.
    fn current(&mut self, found: &Chased, policy: &Policy) -> Result<Vec<u8>> {
        if let Some(content) = self.files.get(&found.host_path) {
            return Ok(content.clone());
        }
        let (content, st) = read_edited(found, policy)?;
        if found
            .stat
            .is_some_and(|seen| FileId::of(&seen) != FileId::of(&st))
        {
            bail!(
                "{} was replaced while it was being read; run the plan again",
                found.host_path
            );
        }
        self.files.insert(found.host_path.clone(), content.clone());
        Ok(content)
    }
}

/// The largest file an edit reads (Debian's php.ini is 73 KiB).
const EDIT_MAX: u64 = 16 << 20;

/// Read a file about to be edited through its directory's descriptor (no link followed):
/// it must be a regular file with one name and an expected owner.
pub fn read_edited(found: &Chased, policy: &Policy) -> Result<(Vec<u8>, FileStat)> {
    let file = &found.host_path;
    let Some(handle) = found.open_read()? else {
        bail!("{file} does not exist on the host");
    };
    let st = nix::sys::stat::fstat(&handle)?;
    policy.check_edited_file(&st, file)?;
    // Bounded: a 100 MB "php.ini" planted by a site user is refused, not diffed.
    let bytes = crate::host::read_capped(handle, EDIT_MAX)
        .with_context(|| format!("cannot read {file}"))?;
    if let Some(at) = memchr::memchr(0, &bytes) {
        bail!("{file} holds a NUL byte (offset {at}): not a text file runbook edits");
    }
    Ok((bytes, st))
}

/// The file `installer` keeps and its content as the program lists it, as earlier
/// steps of the plan leave it (`planned`, by host path); `None` when there is none.
///
/// Walked and read as a file to edit, though runbook never writes it: the diff shows
/// its content, so a symlink or hard link planted at its name (to /etc/shadow) must not
/// make the plan print another file. It must be a regular file of one name, owned by
/// root or the user, reached without following any link at its own name.
pub fn read_installed(
    host: &Host,
    installer: &Installer,
    planned: &HashMap<String, Vec<u8>>,
) -> Result<Option<(String, String)>> {
    let Installer::Crontab { user } = installer;
    let policy = Policy::edit(Some(user_id(host, user)?));
    for file in installer.files() {
        if let Some(content) = planned.get(&file) {
            return Ok(Some((file, String::from_utf8_lossy(content).into_owned())));
        }
        let found = match host.chase(&file, &policy) {
            Ok(found) if found.stat.is_some() => found,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {file}")),
        };
        if found.host_path != file {
            bail!(
                "{file} leads to {}: refusing to read a link as {}",
                found.host_path,
                installer.describe()
            );
        }
        // Regular, one name, expected owner, bounded, no NUL.
        let (bytes, _) = read_edited(&found, &policy)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow!("{file} is not UTF-8 text; refusing to change it"))?;
        return Ok(Some((file, installer.listed(&text).to_string())));
    }
    Ok(None)
}

/// What planning one action produced.
pub struct Produced {
    pub work: Vec<Work>,
    pub manual: Option<ManualItem>,
}

pub struct Planner<'a> {
    pub host: &'a Host,
    pub overlay: &'a mut Overlay,
    pub redactor: &'a Redactor,
}

impl Planner<'_> {
    pub fn produce(&mut self, action: Action<'_>, ctx: &Context) -> Result<Produced> {
        action.plan(&mut Bound { planner: self, ctx })
    }

    /// Plan an edit of one file: the new text from the current (planned) text.
    fn edit(
        &mut self,
        file: &str,
        owner: Option<&str>,
        ctx: &Context,
        change: impl FnOnce(&str) -> Result<String>,
    ) -> Result<Vec<Work>> {
        let file = render(file, ctx)?;
        if !file.starts_with('/') {
            bail!("file `{file}` is not an absolute host path");
        }
        let owner = match owner.map(|o| render(o, ctx)).transpose()? {
            Some(name) if !name.is_empty() => Some(user_id(self.host, &name)?),
            _ => None,
        };
        let policy = Policy::edit(owner);
        let found = self
            .host
            .chase(&file, &policy)
            .with_context(|| format!("cannot edit {file}"))?;
        if found.stat.is_none() {
            return Err(PlanError::MissingFile {
                file,
                root: self.host.root().display().to_string(),
            }
            .into());
        }
        let before = self
            .overlay
            .current(&found, &policy)
            .with_context(|| format!("cannot edit {file}"))?;
        let text = std::str::from_utf8(&before)
            .map_err(|_| anyhow!("{file} is not UTF-8 text; refusing to edit it"))?;
        let after = change(text)
            .with_context(|| format!("cannot edit {file}"))?
            .into_bytes();
        if after == before {
            return Ok(Vec::new());
        }
        self.overlay
            .files
            .insert(found.host_path.clone(), after.clone());
        Ok(vec![Work::Write(FileEdit {
            file: found.host_path.clone(),
            target: found,
            owner,
            before: Some(before),
            after,
        })])
    }

    /// Plan a change of a file through the program that installs it: the file read as
    /// the program lists it (after earlier steps' changes), the new content from it.
    fn install(
        &mut self,
        installer: Installer,
        change: impl FnOnce(&str) -> Result<String>,
    ) -> Result<Vec<Work>> {
        // read_installed checks the user exists: the name becomes part of a path.
        let program = installer.program();
        if self.host.find_program(&program[0]).is_none() {
            return Err(PlanError::MissingProgram {
                program: program[0].clone(),
                path: crate::host::SEARCH_PATH.to_string(),
                root: self.host.root().display().to_string(),
            }
            .into());
        }
        let Some((file, before)) = read_installed(self.host, &installer, &self.overlay.installed)?
        else {
            return Ok(Vec::new());
        };
        let after = change(&before).with_context(|| format!("cannot change {file}"))?;
        if after == before {
            return Ok(Vec::new());
        }
        self.overlay
            .installed
            .insert(file.clone(), after.clone().into_bytes());
        Ok(vec![Work::Install(InstallWork {
            file,
            installer,
            before,
            after,
        })])
    }

    fn command(
        &self,
        argv: Vec<String>,
        undo: Option<Vec<String>>,
        timeout: Option<&str>,
        mutating: bool,
        input: Input,
    ) -> Result<Work> {
        let program = argv.first().ok_or_else(|| anyhow!("empty argv"))?;
        // Lint refuses `{{params.SECRET}}` in argv (RB095); this also catches a secret
        // that reaches argv another way (an include's param, a fact equal to it).
        // Any user can read a running program's argv in /proc/PID/cmdline. Secrets
        // shorter than MIN_SECRET_IN_ARGV are let through: they match ordinary text
        // (`/bin/x` holds the secret `x`) more often than they leak.
        for (what, args) in [("argv", Some(&argv)), ("undo", undo.as_ref())] {
            let leaks = |a: &Vec<String>| {
                a.iter()
                    .any(|x| self.redactor.contains_secret_of_len(x, MIN_SECRET_IN_ARGV))
            };
            if args.is_some_and(leaks) {
                bail!(
                    "a secret would appear in the command's {what}, which every user can read \
                     in /proc; pass it through `stdin:` or `env:`"
                );
            }
        }
        if self.host.find_program(program).is_none() {
            return Err(PlanError::MissingProgram {
                program: program.clone(),
                path: crate::host::SEARCH_PATH.to_string(),
                root: self.host.root().display().to_string(),
            }
            .into());
        }
        let timeout = match timeout {
            Some(t) => {
                Duration::from_secs(parse_duration(t).map_err(|e| anyhow!("timeout `{t}`: {e}"))?)
            }
            None => DEFAULT_TIMEOUT,
        };
        Ok(Work::Command(CommandWork {
            shown: self.redactor.redact_all(&argv),
            undo_shown: undo.as_ref().map(|u| self.redactor.redact_all(u)),
            argv,
            undo,
            timeout,
            mutating,
            stdin: input.stdin,
            env: input.env,
            redactor: self.redactor.clone(),
        }))
    }
}

/// The planner bound to one step's context: what a step type's `plan` works through.
struct Bound<'p, 'h, 'c> {
    planner: &'p mut Planner<'h>,
    ctx: &'p Context<'c>,
}

impl Planning for Bound<'_, '_, '_> {
    type Out = Produced;

    fn render_with(&self, text: &str, escape: Escape) -> Result<String> {
        let template = Template::parse(text).map_err(|e| anyhow!(e.message()))?;
        template.render(self.ctx, escape).map_err(|e| anyhow!(e))
    }

    fn edit(
        &mut self,
        file: &str,
        owner: Option<&str>,
        change: impl FnOnce(&str) -> Result<String>,
    ) -> Result<Produced> {
        let work = self.planner.edit(file, owner, self.ctx, change)?;
        Ok(Produced { work, manual: None })
    }

    fn install(
        &mut self,
        installer: Installer,
        change: impl FnOnce(&str) -> Result<String>,
    ) -> Result<Produced> {
        let work = self.planner.install(installer, change)?;
        Ok(Produced { work, manual: None })
    }

    fn uid(&self, user: &str) -> Result<u32> {
        user_id(self.planner.host, user)
    }

    fn account(&self, user: &str) -> Result<crate::facts::account::Account> {
        crate::facts::account::read(self.planner.host, user)
    }

    fn end_processes(
        &mut self,
        account: &crate::facts::account::Account,
        wait: Duration,
    ) -> Result<Produced> {
        let work = super::signal::plan(self.planner.host, account, wait)?;
        Ok(Produced { work, manual: None })
    }

    fn commands(&mut self, commands: Vec<StepCommand<'_>>) -> Result<Produced> {
        let mut work = Vec::new();
        for c in commands {
            let input = Input::render(c.stdin, c.env, self.ctx)?;
            work.push(
                self.planner
                    .command(c.argv, c.undo, c.timeout, c.mutating, input)?,
            );
        }
        Ok(Produced { work, manual: None })
    }

    fn manual(&mut self, text: String, facts: &[String]) -> Result<Produced> {
        let text = self.planner.redactor.redact(&text);
        let evidence: IndexMap<String, serde_json::Value> = facts
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    self.ctx.facts.get(f).cloned().unwrap_or_default(),
                )
            })
            .collect();
        Ok(Produced {
            work: vec![Work::Manual(text.clone())],
            manual: Some(ManualItem {
                text,
                i18n: Default::default(),
                evidence,
            }),
        })
    }

    fn queue(
        &mut self,
        action: crate::queue::QueueAction,
        selection: &crate::queue::select::Selection,
    ) -> Result<Produced> {
        let work = super::queue::plan(
            self.planner.host,
            action,
            selection,
            &mut self.planner.overlay.quarantined,
        )?;
        Ok(Produced { work, manual: None })
    }

    fn reload(&mut self, reload: &ServiceReload) -> Result<Produced> {
        Ok(Produced {
            work: vec![Work::Reload(reload_work(self.planner.host, reload))],
            manual: None,
        })
    }
}

/// A command's rendered `stdin:` and `env:`, values inserted as they are.
struct Input {
    stdin: Option<String>,
    env: Vec<(String, String)>,
}

impl Input {
    fn render(stdin: Option<&str>, env: &IndexMap<String, String>, ctx: &Context) -> Result<Input> {
        Ok(Input {
            stdin: stdin.map(|t| render(t, ctx)).transpose()?,
            env: env
                .iter()
                .map(|(name, value)| {
                    if !crate::runbook::validate::is_env_name(name) {
                        bail!("`{name}` is not an environment variable name");
                    }
                    Ok((name.clone(), render(value, ctx)?))
                })
                .collect::<Result<_>>()?,
        })
    }
}

/// Resolve a service reload's commands and whether the service is installed.
pub fn reload_work(host: &Host, reload: &ServiceReload) -> ReloadWork {
    let known = known_service(&reload.service);
    let pick = |given: &Option<Vec<String>>, default: fn(&ServiceCommands) -> &Vec<String>| {
        given
            .clone()
            .or_else(|| known.as_ref().map(|k| default(k).clone()))
            .unwrap_or_default()
    };
    let test = pick(&reload.test, |k| &k.test);
    let installed = test.first().is_some_and(|p| host.find_program(p).is_some());
    ReloadWork {
        service: reload.service.clone(),
        reload: pick(&reload.reload, |k| &k.reload),
        running: pick(&reload.running, |k| &k.running),
        test,
        installed,
    }
}

fn render(text: &str, ctx: &Context) -> Result<String> {
    let template = Template::parse(text).map_err(|e| anyhow!(e.message()))?;
    template.render(ctx, Escape::None).map_err(|e| anyhow!(e))
}

/// A user's uid from a name or number, as the host's `/etc/passwd` has it.
fn user_id(host: &Host, user: &str) -> Result<u32> {
    if let Ok(uid) = user.parse::<u32>() {
        return Ok(uid);
    }
    let passwd = host.read_max("/etc/passwd", EDIT_MAX)?.unwrap_or_default();
    String::from_utf8_lossy(&passwd)
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[0] == user)
        .and_then(|f| f[2].parse().ok())
        .ok_or_else(|| anyhow!("owner `{user}` is not a user in the host's /etc/passwd"))
}
