//! Semantic checks of a parsed runbook, collecting every diagnostic before reporting.

use std::collections::HashSet;

use regex::Regex;

use super::condition::{Comparison, Condition};
use super::diagnostic::{Code, Diagnostic};
use super::fact_types;
use super::load::Loaded;
use super::model::{Action, Runbook, Step};
use super::params::{ParamType, parse_duration};
use super::steps::service_reload;
use super::template::{Template, TemplateError};
use crate::facts::spec::{FactKind, catalogue, spec};

/// Finds another runbook by id (for `include`).
pub type Resolve<'a> = dyn Fn(&str) -> Option<&'a Loaded> + 'a;

pub const SCHEMA_MODELINE: &str = "# yaml-language-server: $schema=";

/// Every problem of one runbook.
pub fn validate<'a>(loaded: &'a Loaded, resolve: &Resolve<'a>) -> Vec<Diagnostic> {
    let mut v = Validator {
        loaded,
        rb: &loaded.runbook,
        out: Vec::new(),
    };
    v.modeline();
    v.params();
    v.checks();
    if let Some(verify) = &loaded.runbook.verify {
        super::verify::lint(&mut v, verify);
    }
    v.facts_from();
    v.steps();
    v.command_inputs();
    v.secret_includes(resolve);
    v.handlers();
    v.include_cycles(resolve);
    v.includes(resolve);
    super::i18n::lint(&mut v, &loaded.runbook);
    v.out
}

pub(crate) struct Validator<'a> {
    loaded: &'a Loaded,
    rb: &'a Runbook,
    out: Vec<Diagnostic>,
}

/// Item fields are not checked where the item's list is not known (handlers).
const ANY_ITEM: &[&str] = &["*"];

/// Names a template or condition may use at one place.
pub(crate) struct Scope<'a> {
    /// Item fields of the step's `for_each` fact, when it has one.
    item: Option<&'a [&'static str]>,
    /// How many steps come before this place: the ones `changed:` may name.
    steps_before: usize,
}

impl Scope<'_> {
    /// Outside any step: params and facts, no item, no step before.
    pub(crate) fn top() -> Scope<'static> {
        Scope {
            item: None,
            steps_before: 0,
        }
    }
}

impl<'a> Validator<'a> {
    pub(crate) fn value(&mut self, path: &str, code: Code, message: String) {
        self.out.push(self.loaded.at_value(path, code, message));
    }

    /// Like `value`, with a "did you mean" hint from the names that exist.
    fn value_suggest<'n>(
        &mut self,
        path: &str,
        code: Code,
        message: String,
        wrong: &str,
        names: impl Iterator<Item = &'n str>,
    ) {
        let mut d = self.loaded.at_value(path, code, message);
        if let Some(best) = closest(wrong, names) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        self.out.push(d);
    }

    pub(crate) fn key(&mut self, path: &str, code: Code, message: String) {
        self.out.push(self.loaded.at_key(path, code, message));
    }

    /// Like `key`, with a hint when there is one.
    pub(crate) fn key_help(
        &mut self,
        path: &str,
        code: Code,
        message: String,
        help: Option<String>,
    ) {
        let d = self.loaded.at_key(path, code, message);
        self.out.push(match help {
            Some(help) => d.help(help),
            None => d,
        });
    }

    /// Like `key`, with a "did you mean" hint from the names that exist.
    pub(crate) fn key_suggest<'n>(
        &mut self,
        path: &str,
        code: Code,
        message: String,
        wrong: &str,
        names: impl Iterator<Item = &'n str>,
    ) {
        let mut d = self.loaded.at_key(path, code, message);
        if let Some(best) = closest(wrong, names) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        self.out.push(d);
    }

    fn modeline(&mut self) {
        if !self.loaded.source.text.starts_with(SCHEMA_MODELINE) {
            let d = Diagnostic::at(&self.loaded.source, 0..0, Code::MissingSchemaModeline, "runbook does not start with a schema modeline")
                .warning()
                .help("add `# yaml-language-server: $schema=../schemas/runbook.schema.json` as the first line for editor completion");
            self.out.push(d);
        }
    }

    fn params(&mut self) {
        for (name, param) in &self.rb.params {
            let path = format!("params.{name}");
            if !is_identifier(name) {
                self.key(
                    &path,
                    Code::ParamDeclaration,
                    format!("param name `{name}` must be letters, digits and `_`"),
                );
            }
            if param.kind == ParamType::Choice && param.values.is_empty() {
                self.key(
                    &format!("{path}.type"),
                    Code::ParamDeclaration,
                    format!("choice param `{name}` needs `values`"),
                );
            }
            if param.kind != ParamType::Choice && !param.values.is_empty() {
                self.key(
                    &format!("{path}.values"),
                    Code::ParamDeclaration,
                    "`values` is only for `type: choice`".into(),
                );
            }
            if let Some(pattern) = &param.pattern
                && let Err(e) = Regex::new(pattern)
            {
                self.value(
                    &format!("{path}.pattern"),
                    Code::InvalidRegex,
                    format!("invalid regular expression: {e}"),
                );
            }
            if let Some(one_of) = &param.one_of {
                self.one_of(&format!("{path}.one_of"), one_of);
            }
            let undecidable = param.kind == ParamType::Choice && param.values.is_empty();
            if let Some(default) = &param.default
                && !undecidable
                && let Err(e) = param.check(default)
            {
                self.value(
                    &format!("{path}.default"),
                    Code::ParamDeclaration,
                    format!("default of `{name}`: {e}"),
                );
            }
        }
    }

    /// `facts_from` is rendered before any fact is read: params only.
    fn facts_from(&mut self) {
        let Some(from) = &self.rb.facts_from else {
            return;
        };
        let scope = Scope {
            item: None,
            steps_before: 0,
        };
        let mut texts: Vec<(String, &String)> = Vec::new();
        if let Some(log) = &from.mail_log {
            texts.push(("facts_from.mail_log".into(), log));
        }
        for (i, log) in from.access_logs.iter().enumerate() {
            texts.push((format!("facts_from.access_logs.{i}"), log));
        }
        for (path, text) in texts {
            self.template(&path, text, &scope);
            let facts = Template::parse(text)
                .map(|t| t.variables().any(|v| !v.starts_with("params.")))
                .unwrap_or(false);
            if facts {
                self.value(
                    &path,
                    Code::FactsFromTemplate,
                    "`facts_from` is rendered before the facts are read: only `{{params.NAME}}` may appear in it".into(),
                );
            }
        }
    }

    /// `id` (of the `what` at `path`) not seen before in its list.
    pub(crate) fn unique_id<'i>(
        &mut self,
        seen: &mut HashSet<&'i str>,
        path: &str,
        what: &str,
        id: &'i str,
    ) {
        if !seen.insert(id) {
            self.value(
                &format!("{path}.id"),
                Code::DuplicateId,
                format!("{what} id `{id}` is used twice"),
            );
        }
    }

    fn checks(&mut self) {
        let mut seen = HashSet::new();
        for (i, check) in self.rb.checks.iter().enumerate() {
            let path = format!("checks.{i}");
            self.unique_id(&mut seen, &path, "check", &check.id);
            self.fact(&format!("{path}.fact"), &check.fact);
            self.fact_comparisons(&path, &check.fact, &check.comparisons());
            self.comparisons(
                &path,
                &check.comparisons(),
                &Scope {
                    item: None,
                    steps_before: 0,
                },
            );
        }
    }

    fn steps(&mut self) {
        let mut seen = HashSet::new();
        for (i, step) in self.rb.steps.iter().enumerate() {
            let path = format!("steps.{i}");
            self.unique_id(&mut seen, &path, "step", &step.id);
            let item = self.for_each(&path, step);
            let scope = Scope {
                item,
                steps_before: i,
            };
            if let Some(when) = &step.when {
                self.condition(&format!("{path}.when"), when, &scope);
            }
            for (j, handler) in step.notify.iter().enumerate() {
                if !self.rb.handlers.contains_key(handler) {
                    let names = self.rb.handlers.keys().map(String::as_str);
                    self.value_suggest(
                        &format!("{path}.notify.{j}"),
                        Code::UndefinedHandler,
                        format!("handler `{handler}` is not defined in `handlers`"),
                        handler,
                        names,
                    );
                }
            }
            let actions = step.actions();
            match actions.len() {
                1 => self.action(&path, actions[0], &scope),
                0 => self.value(
                    &format!("{path}.id"),
                    Code::ActionCount,
                    format!(
                        "step `{}` has no action (one of: {})",
                        step.id,
                        super::model::ACTION_NAMES.join(", ")
                    ),
                ),
                _ => {
                    // Point at the action written last: the one to move or delete.
                    let mut names: Vec<&str> = actions.iter().map(|(name, _)| *name).collect();
                    names.sort_by_key(|name| {
                        self.loaded
                            .spans
                            .key(&format!("{path}.{name}"))
                            .map(|r| r.start)
                    });
                    let list = names.join(", ");
                    self.key(
                        &format!("{path}.{}", names[names.len() - 1]),
                        Code::ActionCount,
                        format!(
                            "step `{}` has more than one action ({list}); split it into steps",
                            step.id
                        ),
                    )
                }
            }
        }
    }

    fn for_each(&mut self, path: &str, step: &Step) -> Option<&'static [&'static str]> {
        let for_each = step.for_each.as_ref()?;
        let fact_path = format!("{path}.for_each.fact");
        match spec(&for_each.fact) {
            Some(s) if s.kind == FactKind::List => Some(s.item_fields),
            Some(_) => {
                self.value(
                    &fact_path,
                    Code::UnknownFact,
                    format!("fact `{}` is not a list", for_each.fact),
                );
                Some(&[])
            }
            None => {
                self.value(
                    &fact_path,
                    Code::UnknownFact,
                    format!("unknown fact `{}`", for_each.fact),
                );
                Some(&[])
            }
        }
    }

    fn action(&mut self, path: &str, (name, action): (&'static str, Action<'_>), scope: &Scope) {
        action.lint(self, &format!("{path}.{name}"), scope);
    }

    fn handlers(&mut self) {
        for (name, handler) in &self.rb.handlers {
            let path = format!("handlers.{name}");
            match &handler.service_reload {
                Some(reload) => {
                    // A handler runs for whichever item notified it, so any item field may appear.
                    let scope = Scope {
                        item: Some(ANY_ITEM),
                        steps_before: 0,
                    };
                    self.template(
                        &format!("{path}.service_reload.service"),
                        &reload.service,
                        &scope,
                    );
                    service_reload::commands(self, &format!("{path}.service_reload"), reload);
                }
                None => self.key(
                    &path,
                    Code::ActionCount,
                    format!("handler `{name}` needs `service_reload`"),
                ),
            }
        }
    }

    fn condition(&mut self, path: &str, cond: &Condition, scope: &Scope) {
        let keys = cond.shape_keys();
        if keys.len() != 1 {
            let message = if keys.is_empty() {
                "condition needs one of: all, any, not, fact, param, check, item".to_string()
            } else {
                format!(
                    "condition has both `{}` and `{}`; nest them under `all` or `any`",
                    keys[0], keys[1]
                )
            };
            let at = keys
                .get(1)
                .map(|k| format!("{path}.{k}"))
                .unwrap_or_else(|| path.to_string());
            return self.key(&at, Code::ConditionShape, message);
        }
        let comparisons = cond.comparisons();
        for (key, list) in [("all", &cond.all), ("any", &cond.any)] {
            if let Some(list) = list {
                if list.is_empty() {
                    self.key(
                        &format!("{path}.{key}"),
                        Code::ConditionShape,
                        format!("`{key}` needs at least one condition"),
                    );
                }
                for (i, c) in list.iter().enumerate() {
                    self.condition(&format!("{path}.{key}.{i}"), c, scope);
                }
            }
        }
        if let Some(not) = &cond.not {
            self.condition(&format!("{path}.not"), not, scope);
        }
        if cond.all.is_some() || cond.any.is_some() || cond.not.is_some() {
            if let Some(c) = comparisons.first() {
                self.key(
                    &format!("{path}.{}", c.key()),
                    Code::ConditionShape,
                    format!("`{}` needs a fact, param, check or item", c.key()),
                );
            }
            return;
        }
        if let Some(param) = &cond.param
            && !self.rb.params.contains_key(param)
        {
            self.value(
                &format!("{path}.param"),
                Code::UndefinedParam,
                format!("param `{param}` is not declared in `params`"),
            );
        }
        if let Some(fact) = &cond.fact {
            self.fact(&format!("{path}.fact"), fact);
            self.fact_comparisons(path, fact, &comparisons);
        }
        if let Some(check) = &cond.check
            && !self.rb.checks.iter().any(|c| &c.id == check)
        {
            self.value(
                &format!("{path}.check"),
                Code::UndefinedCheck,
                format!("check `{check}` is not defined in `checks`"),
            );
        }
        if let Some(field) = &cond.item {
            self.item(&format!("{path}.item"), field, scope);
        }
        if let Some(step) = &cond.changed {
            let earlier = &self.rb.steps[..scope.steps_before.min(self.rb.steps.len())];
            if !earlier.iter().any(|s| &s.id == step) {
                let later = self.rb.steps.iter().any(|s| &s.id == step);
                let names: Vec<&str> = earlier.iter().map(|s| s.id.as_str()).collect();
                self.value_suggest(
                    &format!("{path}.changed"),
                    Code::UndefinedChangedStep,
                    if later {
                        format!("step `{step}` does not come before this one: `changed` names an earlier step")
                    } else {
                        format!("step `{step}` is not defined in `steps` before this one")
                    },
                    step,
                    names.into_iter(),
                );
            }
        }
        self.comparisons(path, &comparisons, scope);
    }

    pub(crate) fn comparisons(&mut self, path: &str, comparisons: &[Comparison], scope: &Scope) {
        if comparisons.len() > 1 {
            self.key(
                &format!("{path}.{}", comparisons[1].key()),
                Code::ConditionShape,
                format!(
                    "only one comparison per condition: `{}` and `{}`",
                    comparisons[0].key(),
                    comparisons[1].key()
                ),
            );
        }
        for c in comparisons {
            if let Comparison::Matches(re) = c {
                self.regex(&format!("{path}.matches"), Some(re));
            }
            for text in c.texts() {
                self.template(&format!("{path}.{}", c.key()), text, scope);
            }
        }
    }

    /// Comparisons of a fact with an operand of another type, which never hold (RB027).
    pub(crate) fn fact_comparisons(&mut self, path: &str, fact: &str, comparisons: &[Comparison]) {
        let Some(spec) = spec(fact) else {
            return; // reported by `fact`
        };
        for c in comparisons {
            let Some(m) = fact_types::mismatch(spec, c) else {
                continue;
            };
            let at = match m.index {
                Some(i) => format!("{path}.{}.{i}", c.key()),
                None => format!("{path}.{}", c.key()),
            };
            let mut d = self.loaded.at_value(&at, Code::ConditionType, m.message);
            if let Some(help) = m.help {
                d = d.help(help);
            }
            self.out.push(d);
        }
    }

    /// A param's `one_of`: a list fact, and a field its items have.
    fn one_of(&mut self, path: &str, one_of: &str) {
        let (fact, field) = super::params::one_of_parts(one_of);
        match (spec(fact), field) {
            (None, _) => self.fact(path, fact),
            (Some(s), _) if s.kind != FactKind::List => self.value(
                path,
                Code::UnknownFact,
                format!("fact `{fact}` is not a list"),
            ),
            (Some(s), Some(field)) if !s.item_fields.contains(&field) => self.value(
                path,
                Code::UnknownFact,
                format!(
                    "the items of `{fact}` have no field `{field}` (they have: {})",
                    s.item_fields.join(", ")
                ),
            ),
            _ => {}
        }
    }

    pub(crate) fn fact(&mut self, path: &str, name: &str) {
        if spec(name).is_none() {
            let names = catalogue().iter().map(|f| f.name);
            self.value_suggest(
                path,
                Code::UnknownFact,
                format!("unknown fact `{name}`"),
                name,
                names,
            );
        }
    }

    fn item(&mut self, path: &str, field: &str, scope: &Scope) {
        match scope.item {
            None => self.value(
                path,
                Code::UnknownItem,
                "`item` is only defined in steps with `for_each`".into(),
            ),
            Some(fields) if !field.is_empty() && !fields.contains(&field) => self.value(
                path,
                Code::UnknownItem,
                format!(
                    "items have no field `{field}` (fields: {})",
                    fields.join(", ")
                ),
            ),
            Some(_) => {}
        }
    }

    pub(crate) fn regex(&mut self, path: &str, re: Option<&str>) {
        if let Some(re) = re
            && let Err(e) = Regex::new(re)
        {
            self.value(
                path,
                Code::InvalidRegex,
                format!("invalid regular expression: {e}"),
            );
        }
    }

    pub(crate) fn duration(&mut self, path: &str, text: Option<&str>) {
        if let Some(text) = text
            && let Err(e) = parse_duration(text)
        {
            self.value(
                path,
                Code::InvalidDuration,
                format!("`{text}` is not a duration: {e}"),
            );
        }
    }

    pub(crate) fn argv(&mut self, path: &str, argv: &[String], scope: &Scope) {
        if argv.is_empty() {
            self.key(path, Code::StepFields, "argv must name a program".into());
        }
        for (i, arg) in argv.iter().enumerate() {
            self.template(&format!("{path}.{i}"), arg, scope);
        }
        self.argv_hazard(path, argv);
    }

    /// A template that would choose the program, or become shell code, is refused:
    /// argv keeps values as data only while they stay plain arguments.
    fn argv_hazard(&mut self, path: &str, argv: &[String]) {
        match argv_hazard(argv) {
            Some(Hazard::Program(i)) => {
                let d = self.loaded.at_value(
                    &format!("{path}.{i}"),
                    Code::ProgramTemplate,
                    "a template must not choose the program to run",
                );
                self.out
                    .push(d.help("name the program literally and pass values as arguments"));
            }
            Some(Hazard::ShellScript { at, shell }) => {
                let d = self.loaded.at_value(
                    &format!("{path}.{at}"),
                    Code::ShellScriptTemplate,
                    format!(
                        "a template in the script of `{shell} -c` is pasted into shell code unquoted; use a `shell:` step, which shell-quotes every value"
                    ),
                );
                self.out.push(d.help(format!(
                    "or pass the value as an argument after the script: [{shell}, -c, 'echo \"$1\"', {shell}, '{{{{params.x}}}}']"
                )));
            }
            None => {}
        }
    }

    pub(crate) fn templates(&mut self, path: &str, fields: &[(&str, &String)], scope: &Scope) {
        for (field, text) in fields {
            self.template(&format!("{path}.{field}"), text, scope);
        }
    }

    pub(crate) fn opt_template(&mut self, path: &str, text: Option<&str>, scope: &Scope) {
        if let Some(text) = text {
            self.template(path, text, scope);
        }
    }

    pub(crate) fn template(&mut self, path: &str, text: &str, scope: &Scope) {
        let template = match Template::parse(text) {
            Ok(t) => t,
            Err(e) => {
                let code = match e {
                    TemplateError::TripleBrace(_) => Code::TemplateTripleBrace,
                    _ => Code::TemplateSyntax,
                };
                return self.value(path, code, e.message());
            }
        };
        for var in template.variables() {
            if let Some(problem) = self.unresolved(var, scope) {
                self.value(
                    path,
                    Code::TemplateUnresolved,
                    format!("`{{{{{var}}}}}` cannot resolve: {problem}"),
                );
            }
        }
    }

    /// Why a template variable cannot have a value here, if it cannot.
    fn unresolved(&self, var: &str, scope: &Scope) -> Option<String> {
        let (head, rest) = var.split_once('.').unwrap_or((var, ""));
        match head {
            "params" if self.rb.params.contains_key(rest) => None,
            "params" => Some(format!("param `{rest}` is not declared")),
            "item" => match scope.item {
                None => Some("`item` exists only in steps with `for_each`".into()),
                Some(fields) if rest.is_empty() || fields.contains(&rest) || fields == ANY_ITEM => {
                    None
                }
                Some(fields) => Some(format!(
                    "items have no field `{rest}` (fields: {})",
                    fields.join(", ")
                )),
            },
            _ => match spec(var) {
                Some(s) if matches!(s.kind, FactKind::List | FactKind::Map) => {
                    Some(format!("fact `{var}` is a list or map; use for_each"))
                }
                Some(_) => None,
                None => Some(format!("no param, item or fact is called `{var}`")),
            },
        }
    }

    fn includes(&mut self, resolve: &Resolve<'a>) {
        for (i, step) in self.rb.steps.iter().enumerate() {
            let Some(include) = &step.include else {
                continue;
            };
            let path = format!("steps.{i}.include");
            let Some(target) = resolve(&include.runbook) else {
                self.value(
                    &format!("{path}.runbook"),
                    Code::UndefinedInclude,
                    format!("no runbook has id `{}`", include.runbook),
                );
                continue;
            };
            let declared = &target.runbook.params;
            for key in include.params.keys() {
                if !declared.contains_key(key) {
                    self.key(
                        &format!("{path}.params.{key}"),
                        Code::IncludeParams,
                        format!("runbook `{}` has no param `{key}`", include.runbook),
                    );
                }
            }
            for (name, param) in declared {
                if param.default.is_none() && !include.params.contains_key(name) {
                    self.key(
                        &path,
                        Code::IncludeParams,
                        format!("runbook `{}` requires param `{name}`", include.runbook),
                    );
                }
            }
        }
    }

    /// An include chain that leads back to this runbook.
    fn include_cycles(&mut self, resolve: &Resolve<'a>) {
        for (i, step) in self.rb.steps.iter().enumerate() {
            let Some(include) = &step.include else {
                continue;
            };
            let mut chain = vec![self.rb.id.clone()];
            if leads_back(&include.runbook, &self.rb.id, resolve, &mut chain) {
                self.value(
                    &format!("steps.{i}.include.runbook"),
                    Code::IncludeCycle,
                    format!("include cycle: {}", chain.join(" -> ")),
                );
            }
        }
    }
}

/// Secrets reach programs through `stdin:` and `env:` only.
impl<'a> Validator<'a> {
    /// The secret params a template reads.
    fn secrets_in(&self, text: &str) -> Vec<String> {
        let Ok(template) = Template::parse(text) else {
            return Vec::new(); // reported by `template`
        };
        template
            .variables()
            .filter_map(|var| var.strip_prefix("params."))
            .filter(|name| {
                self.rb
                    .params
                    .get(*name)
                    .is_some_and(|p| p.kind == ParamType::Secret)
            })
            .map(str::to_string)
            .collect()
    }

    /// `run` and `shell` steps: no secret in argv, undo or script (RB095); `stdin:` and
    /// `env:` templates resolve and env names are names (RB096).
    fn command_inputs(&mut self) {
        for (i, step) in self.rb.steps.iter().enumerate() {
            let item = step.for_each.as_ref().map(|fe| match spec(&fe.fact) {
                Some(s) if s.kind == FactKind::List => s.item_fields,
                _ => ANY_ITEM, // the bad fact is reported once, by `for_each`
            });
            let scope = Scope {
                item,
                steps_before: i,
            };
            let (p, argv, stdin, env) = if let Some(a) = &step.run {
                let mut argv: Vec<(String, &str)> = a
                    .argv
                    .iter()
                    .enumerate()
                    .map(|(j, t)| (format!("steps.{i}.run.argv.{j}"), t.as_str()))
                    .collect();
                for (j, t) in a.undo.iter().flatten().enumerate() {
                    argv.push((format!("steps.{i}.run.undo.{j}"), t.as_str()));
                }
                (format!("steps.{i}.run"), argv, &a.stdin, &a.env)
            } else if let Some(a) = &step.shell {
                let mut argv = vec![(format!("steps.{i}.shell.script"), a.script.as_str())];
                if let Some(undo) = &a.undo {
                    argv.push((format!("steps.{i}.shell.undo"), undo.as_str()));
                }
                (format!("steps.{i}.shell"), argv, &a.stdin, &a.env)
            } else {
                continue;
            };
            for (path, text) in argv {
                for name in self.secrets_in(text) {
                    let d = self
                        .loaded
                        .at_value(
                            &path,
                            Code::SecretInArgv,
                            format!(
                                "secret param `{name}` in a command line: every user on the host \
                                 can read a running program's arguments in /proc/PID/cmdline"
                            ),
                        )
                        .help(format!(
                            "pass it through `stdin: \"{{{{params.{name}}}}}\"` or \
                             `env: {{ {upper}: \"{{{{params.{name}}}}}\" }}` and read it there",
                            upper = name.to_ascii_uppercase()
                        ));
                    self.out.push(d);
                }
            }
            if let Some(stdin) = stdin {
                self.template(&format!("{p}.stdin"), stdin, &scope);
            }
            for (name, value) in env {
                if !is_env_name(name) {
                    self.key(
                        &format!("{p}.env.{name}"),
                        Code::EnvName,
                        format!(
                            "`{name}` is not an environment variable name (letters, digits and \
                             `_`, not starting with a digit)"
                        ),
                    );
                }
                self.template(&format!("{p}.env.{name}"), value, &scope);
            }
        }
    }

    /// A secret passed to an included runbook's non-secret param would be shown there
    /// (RB097).
    fn secret_includes(&mut self, resolve: &Resolve<'a>) {
        for (i, step) in self.rb.steps.iter().enumerate() {
            let Some(include) = &step.include else {
                continue;
            };
            let Some(target) = resolve(&include.runbook) else {
                continue; // reported by `includes`
            };
            for (key, value) in &include.params {
                let plain = target
                    .runbook
                    .params
                    .get(key)
                    .is_some_and(|p| p.kind != ParamType::Secret);
                if let Some(name) = self.secrets_in(value).first().filter(|_| plain) {
                    self.value(
                        &format!("steps.{i}.include.params.{key}"),
                        Code::SecretToPlainParam,
                        format!(
                            "secret param `{name}` is passed to `{key}` of runbook `{}`, which \
                             is not `type: secret` and so would be shown and journaled",
                            include.runbook
                        ),
                    );
                }
            }
        }
    }
}

fn leads_back<'a>(id: &str, origin: &str, resolve: &Resolve<'a>, chain: &mut Vec<String>) -> bool {
    chain.push(id.to_string());
    if id == origin {
        return true;
    }
    if chain[..chain.len() - 1].iter().any(|seen| seen == id) {
        return false; // a cycle not through origin: reported on its own runbook
    }
    if let Some(target) = resolve(id) {
        for step in &target.runbook.steps {
            if let Some(inc) = &step.include
                && leads_back(&inc.runbook, origin, resolve, chain)
            {
                return true;
            }
        }
    }
    chain.pop();
    false
}

/// The most similar name, if any is close enough to be a likely typo.
pub(crate) fn closest<'n>(wrong: &str, names: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    names
        .map(|n| (strsim::jaro_winkler(wrong, n), n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

/// Shells whose `-c` runs its argument as code.
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"];

/// The argv element where a template would do harm.
#[derive(Debug, PartialEq)]
enum Hazard {
    /// It names the program (or the script file a shell runs).
    Program(usize),
    /// It is the code a shell runs with `-c`.
    ShellScript { at: usize, shell: String },
}

/// Follows `env` and `busybox` to the program they run, then, for a shell, to its script.
fn argv_hazard(argv: &[String]) -> Option<Hazard> {
    let mut i = 0;
    loop {
        let program = argv.get(i)?;
        if has_template(program) {
            return Some(Hazard::Program(i));
        }
        let name = program.rsplit('/').next().unwrap_or(program);
        match name {
            "env" => i = env_program(argv, i + 1),
            "busybox" => i += 1,
            _ if SHELLS.contains(&name) => return shell_hazard(argv, i + 1, name),
            _ => return None,
        }
    }
}

/// Where the program of `env` sits: after its options and `NAME=value` assignments.
/// `-S STRING` splits STRING into the command, so STRING counts as the program.
fn env_program(argv: &[String], mut j: usize) -> usize {
    while let Some(a) = argv.get(j) {
        match a.as_str() {
            "--" | "-S" | "--split-string" => return j + 1,
            "-u" | "-C" | "--unset" | "--chdir" => j += 2,
            a if a.starts_with('-') || a.contains('=') => j += 1,
            _ => return j,
        }
    }
    j
}

/// A template in the operand a shell runs: the `-c` script, or the script file.
fn shell_hazard(argv: &[String], from: usize, shell: &str) -> Option<Hazard> {
    let (operand, command, stdin) = shell_operand(argv, from);
    let text = argv.get(operand)?;
    if !has_template(text) {
        return None;
    }
    match (command, stdin) {
        (true, _) => Some(Hazard::ShellScript {
            at: operand,
            shell: shell.to_string(),
        }),
        // `sh -s` reads code from stdin; its operands are positional arguments.
        (false, true) => None,
        (false, false) => Some(Hazard::Program(operand)),
    }
}

/// The first operand after a shell's options, and whether `-c` or `-s` was among them.
/// POSIX: `sh -c [-abCefhimnuvx] [-o option]... command_string [command_name [arg...]]`.
fn shell_operand(argv: &[String], mut j: usize) -> (usize, bool, bool) {
    let (mut command, mut stdin) = (false, false);
    while let Some(a) = argv.get(j) {
        if a == "--" || a == "-" {
            return (j + 1, command, stdin);
        }
        if let Some(long) = a.strip_prefix("--") {
            // bash's long options; two take a file.
            j += if matches!(long, "rcfile" | "init-file") {
                2
            } else {
                1
            };
            continue;
        }
        let Some(flags) = a.strip_prefix(['-', '+']).filter(|f| !f.is_empty()) else {
            break;
        };
        if a.starts_with('-') {
            command |= flags.contains('c');
            stdin |= flags.contains('s');
        }
        // `-o NAME` (and bash's `-O NAME`) take the next element.
        j += 1 + flags.matches(['o', 'O']).count();
    }
    (j, command, stdin)
}

/// Whether `text` reads a template variable (a broken template counts: it is meant as one).
fn has_template(text: &str) -> bool {
    match Template::parse(text) {
        Ok(t) => t.variables().next().is_some(),
        Err(_) => text.contains("{{"),
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `[A-Za-z_][A-Za-z0-9_]*`: what a shell can read as `$NAME`.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hazard(argv: &[&str]) -> Option<Hazard> {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        argv_hazard(&argv)
    }

    fn script(at: usize, shell: &str) -> Option<Hazard> {
        Some(Hazard::ShellScript {
            at,
            shell: shell.to_string(),
        })
    }

    #[test]
    fn shell_options_before_the_script_are_skipped() {
        assert_eq!(hazard(&["sh", "-c", "--", "{{x}}"]), script(3, "sh"));
        assert_eq!(
            hazard(&["bash", "--rcfile", "/f", "-c", "{{x}}"]),
            script(4, "bash")
        );
        assert_eq!(
            hazard(&["bash", "-O", "extglob", "-c", "{{x}}"]),
            script(4, "bash")
        );
        assert_eq!(hazard(&["sh", "+e", "-c", "{{x}}"]), script(3, "sh"));
        // `-o` takes `{{x}}` as an option name; the script is literal.
        assert_eq!(hazard(&["sh", "-c", "-o", "{{x}}", "true"]), None);
    }

    #[test]
    fn escaped_braces_are_not_templates() {
        assert_eq!(hazard(&["sh", "-c", r"echo \{{x}}"]), None);
        assert_eq!(hazard(&["sh", "-c", "echo {{x"]), script(2, "sh"));
    }

    #[test]
    fn env_split_string_is_the_program() {
        assert_eq!(
            hazard(&["env", "-S", "sh -c {{x}}"]),
            Some(Hazard::Program(2))
        );
        assert_eq!(hazard(&["env", "--", "{{x}}"]), Some(Hazard::Program(2)));
        assert_eq!(hazard(&["env"]), None);
        assert_eq!(hazard(&[]), None);
    }
}
