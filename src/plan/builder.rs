//! Building a plan: params, checks, branch choice, includes, handlers. Pure given the
//! facts and files: nothing here writes anywhere.

use std::collections::HashMap;

use anyhow::{Context as _, Result, anyhow};
use indexmap::IndexMap;
use serde_json::Value;

use super::actions::{Overlay, Planner, reload_work};
use super::error::PlanError;
use super::eval::{Context, evaluate, judge};
use super::redact::{MASK, Redactor};
use super::types::{CheckResult, Mode, Plan, PlannedHandler, PlannedStep, Work};
use crate::facts::Facts;
use crate::host::Host;
use crate::runbook::catalog::Catalog;
use crate::runbook::model::Runbook;
use crate::runbook::params::{self, ParamType};
use crate::runbook::steps::service_reload::ServiceReload;
use crate::runbook::template::{Escape, Template};

/// What to plan.
pub struct Request<'a> {
    pub catalog: &'a Catalog,
    pub id: &'a str,
    pub host: &'a Host,
    /// Param values as given (`-p`, `--param-file`, the environment, a prompt).
    pub params: &'a [(String, String)],
    pub mode: Mode,
}

pub fn build(req: &Request) -> Result<Plan> {
    build_with_facts(req).map(|(plan, _)| plan)
}

/// The plan and the facts it was made from (verify compares the host after apply with them).
pub fn build_with_facts(req: &Request) -> Result<(Plan, Facts)> {
    let entry = req
        .catalog
        .get(req.id)
        .ok_or_else(|| unknown_runbook(req.catalog, req.id))?;
    let runbook = &entry.loaded.runbook;
    let given: IndexMap<String, Value> = req
        .params
        .iter()
        .map(|(k, v)| Ok((k.clone(), parse_given(runbook, k, v)?)))
        .collect::<Result<_>>()?;
    let params = resolve_params(runbook, given)?;
    let facts = Facts::with_sources(req.host, sources(req.host, runbook, &params)?);
    fits(req.catalog, runbook, &facts)?;
    let mut state = State {
        catalog: req.catalog,
        host: req.host,
        facts: &facts,
        overlay: Overlay::default(),
        redactor: Redactor::new(secrets(runbook, &params)),
        checks: Vec::new(),
        check_results: HashMap::new(),
        steps: Vec::new(),
        handlers: Vec::new(),
    };
    let shown = state.shown(runbook, &params);
    state.plan_runbook(runbook, &params, "", &mut vec![runbook.id.clone()])?;
    let handlers = state.handlers;
    let changes = changes(&state.steps, &handlers);
    let plan = Plan {
        runbook: runbook.id.clone(),
        title: runbook.title.clone(),
        i18n: super::i18n::runbook(runbook),
        mode: req.mode,
        root: req.host.root().display().to_string(),
        run_id: None,
        params: shown,
        checks: state.checks,
        steps: state.steps,
        handlers,
        changes,
        outcome: None,
        has_secrets: state.redactor.has_secrets(),
    };
    Ok((plan, facts))
}

/// The files a runbook's `facts_from` names, rendered with its params (lint allows
/// nothing else there); one that renders empty leaves the host's own.
fn sources(
    host: &Host,
    runbook: &Runbook,
    params: &IndexMap<String, Value>,
) -> Result<crate::facts::Sources> {
    let Some(from) = &runbook.facts_from else {
        return Ok(crate::facts::Sources::default());
    };
    let none = Facts::new(host);
    let ctx = Context::bare(&none, params);
    let file = |text: &String| -> Result<Option<String>> {
        let path = render(text, &ctx).context("facts_from")?;
        if path.is_empty() {
            return Ok(None);
        }
        if !path.starts_with('/') {
            anyhow::bail!("facts_from: `{path}` is not an absolute host path");
        }
        Ok(Some(path))
    };
    let mail_log = from.mail_log.as_ref().map(file).transpose()?.flatten();
    let mut access_logs = Vec::new();
    for log in &from.access_logs {
        access_logs.extend(file(log)?);
    }
    Ok(crate::facts::Sources {
        mail_log,
        access_logs: (!access_logs.is_empty()).then_some(access_logs),
    })
}

/// Refuse a runbook written for other hosts (`applies_to`), naming those written for
/// this one's mail server and panel.
fn fits(catalog: &Catalog, runbook: &Runbook, facts: &Facts) -> Result<()> {
    let Some(applies) = &runbook.applies_to else {
        return Ok(());
    };
    let text = |name: &str| facts.get(name).and_then(|v| v.as_str().map(str::to_string));
    let (mta, panel) = (text("mta.kind"), text("panel"));
    let Some(why) = applies.misfit(mta.as_deref(), panel.as_deref()) else {
        return Ok(());
    };
    let fits = catalog
        .entries
        .iter()
        .map(|e| &e.loaded.runbook)
        .filter(|r| {
            r.applies_to.as_ref().is_some_and(|a| {
                !a.mta.is_empty() && a.misfit(mta.as_deref(), panel.as_deref()).is_none()
            })
        })
        .map(|r| r.id.clone())
        .collect();
    Err(PlanError::DoesNotApply {
        runbook: runbook.id.clone(),
        why,
        fits,
    }
    .into())
}

fn unknown_runbook(catalog: &Catalog, id: &str) -> anyhow::Error {
    PlanError::UnknownRunbook {
        id: id.to_string(),
        known: catalog
            .entries
            .iter()
            .map(|e| e.loaded.runbook.id.clone())
            .collect(),
    }
    .into()
}

fn parse_given(runbook: &Runbook, key: &str, raw: &str) -> Result<Value> {
    let param = runbook
        .params
        .get(key)
        .ok_or_else(|| PlanError::UnknownParam {
            runbook: runbook.id.clone(),
            key: key.to_string(),
            known: runbook.params.keys().cloned().collect(),
        })?;
    Ok(param.parse(raw).map_err(|e| PlanError::InvalidParam {
        name: key.to_string(),
        reason: e.to_string(),
    })?)
}

/// Given values plus defaults; a param with neither is an error.
fn resolve_params(
    runbook: &Runbook,
    mut given: IndexMap<String, Value>,
) -> Result<IndexMap<String, Value>> {
    let mut out = IndexMap::new();
    for (name, param) in &runbook.params {
        let value = match given.shift_remove(name) {
            Some(v) => v,
            None => match &param.default {
                Some(d) => param
                    .check(d)
                    .map_err(|e| anyhow!("default of param `{name}`: {e}"))?,
                None => {
                    let var = name.to_ascii_uppercase().replace('-', "_");
                    return Err(PlanError::MissingParam {
                        runbook: runbook.id.clone(),
                        name: name.clone(),
                        how: format!(
                            "pass -p {name}=VALUE, --param-file {name}=PATH or RUNBOOK_PARAM_{var}"
                        ),
                    }
                    .into());
                }
            },
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

fn secrets(runbook: &Runbook, params: &IndexMap<String, Value>) -> Vec<String> {
    runbook
        .params
        .iter()
        .filter(|(_, p)| p.kind == ParamType::Secret)
        .filter_map(|(name, _)| params.get(name)?.as_str().map(str::to_string))
        .collect()
}

struct State<'a> {
    catalog: &'a Catalog,
    host: &'a Host,
    facts: &'a Facts,
    overlay: Overlay,
    redactor: Redactor,
    checks: Vec<CheckResult>,
    check_results: HashMap<String, bool>,
    steps: Vec<PlannedStep>,
    handlers: Vec<PlannedHandler>,
}

impl State<'_> {
    fn shown(
        &self,
        runbook: &Runbook,
        params: &IndexMap<String, Value>,
    ) -> IndexMap<String, Value> {
        params
            .iter()
            .map(|(k, v)| {
                let secret = runbook
                    .params
                    .get(k)
                    .is_some_and(|p| p.kind == ParamType::Secret);
                (
                    k.clone(),
                    if secret {
                        Value::String(MASK.into())
                    } else {
                        v.clone()
                    },
                )
            })
            .collect()
    }

    /// Params with `one_of` must hold a value the host's facts list (or their default):
    /// a param meant to name a php.ini found cannot name `/etc/passwd`.
    fn check_one_of(&self, runbook: &Runbook, params: &IndexMap<String, Value>) -> Result<()> {
        for (name, param) in &runbook.params {
            let (Some(one_of), Some(value)) = (&param.one_of, params.get(name)) else {
                continue;
            };
            if param.default.as_ref() == Some(value) {
                continue;
            }
            let (fact, _) = params::one_of_parts(one_of);
            let known = params::one_of_values(one_of, self.facts.get(fact)).unwrap_or_default();
            let text = value
                .as_str()
                .map(str::to_string)
                .unwrap_or(value.to_string());
            if !known.contains(&text) {
                let secret = param.kind == ParamType::Secret;
                let shown = if secret {
                    "the secret value".to_string()
                } else {
                    format!("`{text}`")
                };
                let listed = if known.is_empty() {
                    "the host has none".to_string()
                } else if secret {
                    format!("{} known", known.len())
                } else {
                    format!("known: {}", known.join(", "))
                };
                return Err(PlanError::InvalidParam {
                    name: name.clone(),
                    reason: format!("{shown} is not one of {one_of} on this host ({listed})"),
                }
                .into());
            }
        }
        Ok(())
    }

    fn plan_runbook(
        &mut self,
        runbook: &Runbook,
        params: &IndexMap<String, Value>,
        prefix: &str,
        chain: &mut Vec<String>,
    ) -> Result<()> {
        self.check_one_of(runbook, params)?;
        let shown = self.shown(runbook, params);
        let mut local_checks = HashMap::new();
        let no_checks = HashMap::new();
        let mut local_changed: HashMap<String, bool> = HashMap::new();
        let check_ctx = Context {
            facts: self.facts,
            params,
            shown_params: &shown,
            checks: &no_checks,
            changed: &no_checks,
            item: None,
        };
        for check in &runbook.checks {
            let (value, ok, expected) = judge(&check.fact, &check.comparisons(), &check_ctx);
            local_checks.insert(check.id.clone(), ok);
            self.check_results
                .insert(format!("{prefix}{}", check.id), ok);
            self.checks.push(CheckResult {
                id: format!("{prefix}{}", check.id),
                title: check.title.clone(),
                i18n: super::i18n::check(runbook, &check.id),
                fact: check.fact.clone(),
                value,
                ok,
                expected,
            });
        }
        for step in &runbook.steps {
            let id = format!("{prefix}{}", step.id);
            let kind = step
                .actions()
                .first()
                .map(|(name, _)| *name)
                .unwrap_or("none")
                .to_string();
            let items: Vec<Option<Value>> = match &step.for_each {
                Some(fe) => match self.facts.get(&fe.fact) {
                    Some(Value::Array(items)) => items.iter().cloned().map(Some).collect(),
                    _ => Vec::new(),
                },
                None => vec![None],
            };
            let mut planned = PlannedStep {
                id: id.clone(),
                title: step.title.clone(),
                i18n: super::i18n::step(runbook, &step.id),
                kind,
                chosen: false,
                why: String::new(),
                diffs: Vec::new(),
                commands: Vec::new(),
                manual: Vec::new(),
                queue: Vec::new(),
                notify: step.notify.clone(),
                depends_on: Vec::new(),
                outcome: None,
                output: Vec::new(),
                signals: Vec::new(),
                work: Vec::new(),
            };
            let mut chosen_why = Vec::new();
            let mut skipped_why = Vec::new();
            let mut includes = Vec::new();
            for item in &items {
                let ctx = Context {
                    facts: self.facts,
                    params,
                    shown_params: &shown,
                    checks: &local_checks,
                    changed: &local_changed,
                    item: item.as_ref(),
                };
                let label = item.as_ref().map(item_label);
                let verdict = step.when.as_ref().map(|w| evaluate(w, &ctx));
                let reason = verdict
                    .as_ref()
                    .map(|v| v.why.clone())
                    .unwrap_or_else(|| "no condition".into());
                let reason = match &label {
                    Some(l) => format!("{l}: {reason}"),
                    None => reason,
                };
                if verdict.as_ref().is_some_and(|v| !v.holds) {
                    skipped_why.push(reason);
                    continue;
                }
                chosen_why.push(reason);
                if let Some(include) = &step.include {
                    let rendered = include
                        .params
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), render(v, &ctx)?)))
                        .collect::<Result<Vec<(String, String)>>>()?;
                    includes.push(rendered);
                    continue;
                }
                let action = step
                    .action()
                    .ok_or_else(|| anyhow!("step `{id}` must have exactly one action"))?;
                let mut planner = Planner {
                    host: self.host,
                    overlay: &mut self.overlay,
                    redactor: &self.redactor,
                };
                let produced = planner
                    .produce(action, &ctx)
                    .with_context(|| format!("step `{id}`"))?;
                if produced.work.iter().any(Work::changes) {
                    for name in &step.notify {
                        self.notify(runbook, name, &ctx)
                            .with_context(|| format!("step `{id}` notifying `{name}`"))?;
                    }
                }
                planned.work.extend(produced.work);
                if let Some(mut item) = produced.manual {
                    // The translations get the English text's values, redacted alike.
                    item.i18n = super::i18n::manual(runbook, &step.id, |text| {
                        Ok(self.redactor.redact(&render(text, &ctx)?))
                    });
                    planned.manual.push(item);
                }
            }
            planned.chosen = !chosen_why.is_empty();
            planned.why = why(
                &step.for_each.as_ref().map(|f| f.fact.clone()),
                &items,
                &chosen_why,
                &skipped_why,
            );
            describe_work(&mut planned, &self.redactor);
            if planned.chosen
                && let Some(when) = &step.when
            {
                planned.depends_on = when
                    .changed_steps()
                    .into_iter()
                    .map(|s| format!("{prefix}{s}"))
                    .collect();
            }
            let changes = planned.changes();
            self.steps.push(planned);
            for rendered in includes {
                self.plan_include(
                    step.include
                        .as_ref()
                        .map(|i| i.runbook.as_str())
                        .unwrap_or(""),
                    &id,
                    rendered,
                    chain,
                )?;
            }
            // An include changes what the steps it brought in change.
            let inner = format!("{id}/");
            let included = self
                .steps
                .iter()
                .any(|s| s.id.starts_with(&inner) && s.changes());
            local_changed.insert(step.id.clone(), changes || included);
        }
        Ok(())
    }

    fn plan_include(
        &mut self,
        target: &str,
        step_id: &str,
        given: Vec<(String, String)>,
        chain: &mut Vec<String>,
    ) -> Result<()> {
        if chain.iter().any(|c| c == target) {
            let mut chain = chain.clone();
            chain.push(target.to_string());
            return Err(PlanError::IncludeCycle { chain }.into());
        }
        let entry = self
            .catalog
            .get(target)
            .ok_or_else(|| unknown_runbook(self.catalog, target))?;
        let runbook = &entry.loaded.runbook;
        let given = given
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    parse_given(runbook, k, v).with_context(|| format!("step `{step_id}`"))?,
                ))
            })
            .collect::<Result<IndexMap<_, _>>>()?;
        let params = resolve_params(runbook, given)?;
        self.redactor = self.redactor.with(secrets(runbook, &params));
        chain.push(target.to_string());
        let result = self.plan_runbook(runbook, &params, &format!("{step_id}/"), chain);
        chain.pop();
        result
    }

    /// Fire a handler for the item that changed something. Its service may be a template
    /// (`php{{item.version}}-fpm`), so one handler can stand for several services;
    /// identical reloads (from included runbooks too) happen once.
    fn notify(&mut self, runbook: &Runbook, name: &str, ctx: &Context) -> Result<()> {
        let handler = runbook
            .handlers
            .get(name)
            .ok_or_else(|| anyhow!("handler `{name}` is not defined"))?;
        let Some(reload) = &handler.service_reload else {
            return Ok(());
        };
        let service = render(&reload.service, ctx)?;
        let work = reload_work(
            self.host,
            &ServiceReload {
                service: service.clone(),
                ..reload.clone()
            },
        );
        if self
            .handlers
            .iter()
            .any(|h| h.service == work.service && h.test == work.test && h.reload == work.reload)
        {
            return Ok(());
        }
        self.handlers.push(PlannedHandler {
            name: name.to_string(),
            title: handler
                .title
                .clone()
                .unwrap_or_else(|| format!("Reload {service}")),
            i18n: super::i18n::handler(runbook, name),
            service,
            test: work.test,
            reload: work.reload,
            running: work.running,
            installed: work.installed,
            fires: true,
            outcome: None,
        });
        Ok(())
    }
}

/// Fill in the serialized view (diffs, commands) of a step's work.
pub fn describe_work(step: &mut PlannedStep, redactor: &Redactor) {
    for work in &step.work {
        match work {
            Work::Write(edit) => step.diffs.push(super::types::FileDiff {
                file: edit.file.clone(),
                diff: redactor.redact(&crate::edit::diff::unified(
                    &edit.file,
                    edit.before.as_deref(),
                    &edit.after,
                )),
            }),
            Work::Install(install) => {
                step.diffs.push(super::types::FileDiff {
                    file: install.file.clone(),
                    diff: redactor.redact(&crate::edit::diff::unified(
                        &install.file,
                        Some(install.before.as_bytes()),
                        install.after.as_bytes(),
                    )),
                });
                step.commands.push(install.installer.program());
            }
            Work::Command(cmd) => step.commands.push(cmd.shown.clone()),
            Work::Queue(queue) => {
                step.queue.push(super::queue::view(queue));
                step.commands
                    .extend(super::queue::commands(queue).into_iter().map(|c| c.argv));
            }
            Work::Reload(r) => {
                step.commands.push(r.test.clone());
                step.commands.push(r.reload.clone());
            }
            Work::Manual(_) => {}
            Work::Signal(signal) => step.signals.push(signal.clone()),
        }
    }
}

/// Whether applying would change the host: a step's work, or a handler that would run.
pub fn changes(steps: &[PlannedStep], handlers: &[PlannedHandler]) -> bool {
    steps.iter().any(PlannedStep::changes) || handlers.iter().any(|h| h.installed)
}

/// A template rendered in `ctx`, unescaped.
pub fn render(text: &str, ctx: &Context) -> Result<String> {
    let template = Template::parse(text).map_err(|e| anyhow!(e.message()))?;
    template.render(ctx, Escape::None).map_err(|e| anyhow!(e))
}

/// A short label for a `for_each` item: its path or name when it has one.
fn item_label(item: &Value) -> String {
    for key in [
        "path",
        "server_name",
        "file",
        "script",
        "uri",
        "user",
        "process",
        "name",
    ] {
        if let Some(s) = item.get(key).and_then(Value::as_str) {
            return s.to_string();
        }
    }
    crate::plan::eval::short(item)
}

fn why(
    for_each: &Option<String>,
    items: &[Option<Value>],
    chosen: &[String],
    skipped: &[String],
) -> String {
    if items.is_empty() {
        return format!("no items in {}", for_each.as_deref().unwrap_or("the list"));
    }
    let mut parts = Vec::new();
    if !chosen.is_empty() {
        parts.push(chosen.join("; "));
    }
    if !skipped.is_empty() {
        let head = if chosen.is_empty() {
            "ruled out"
        } else {
            "skipped"
        };
        parts.push(format!("{head}: {}", skipped.join("; ")));
    }
    parts.join("; ")
}
