//! The typed runbook format. The JSON Schema in `schemas/` is generated from these types,
//! so every field documented here is what editors complete and `runbook lint` accepts.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::condition::Condition;
use super::params::Param;
use crate::with_comparison;

/// A remediation runbook: read-only checks, then steps chosen by conditions, then handlers.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "runbook")]
pub struct Runbook {
    /// Unique id, used on the command line: `runbook apply ID`.
    pub id: String,
    /// One line saying what the runbook does, for people.
    pub title: String,
    /// Why and when to use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Typed parameters, set with `-p KEY=VALUE`, `--param-file KEY=PATH` or
    /// `RUNBOOK_PARAM_KEY` (secrets never with `-p`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, Param>,
    /// Read-only checks: always evaluated, also in `--dry-run`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Steps in order; each has exactly one action.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// Actions run once after all steps, when some step that changed something notified them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub handlers: IndexMap<String, Handler>,
}

with_comparison! {
    /// A read-only check: the value of one fact, judged by at most one comparison.
    #[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Check {
        /// Id, unique within the runbook; conditions refer to it with `check: ID`.
        pub id: String,
        pub title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Dotted fact name whose value this check reports, e.g. `php.add_x_header`.
        pub fact: String,
    }
}

/// One step: common fields plus exactly one action field (`ini_set`, `run`, ...).
///
/// The action fields sit on the step itself (not in a flattened struct) so that every
/// YAML error points at the offending key.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = one_action_required)]
pub struct Step {
    /// Id, unique within the runbook.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Run the step only when this condition holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// Repeat the step for every element of a list fact, bound to `{{item}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each: Option<ForEach>,
    /// Handlers to run after all steps if this step changed something.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// Set `key = value` in an ini file (php.ini).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ini_set: Option<IniSet>,
    /// Add an item to a comma-separated ini value such as `disable_functions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ini_list_add: Option<IniList>,
    /// Remove an item from a comma-separated ini value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ini_list_remove: Option<IniList>,
    /// Set or remove a directive inside matching Apache `<VirtualHost>` blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apache_directive: Option<ApacheDirective>,
    /// Ensure a line is present or absent, or replace by regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<LineEdit>,
    /// Run a program (argv, no shell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    /// Run a shell script; every `{{value}}` in it is shell-quoted by the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Shell>,
    /// A checklist item for a person, with the facts that justify it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<Manual>,
    /// Reload a service after its own config test passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_reload: Option<ServiceReload>,
    /// Run the steps of another runbook here, with these params.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Include>,
}

/// Names of the action fields, in declaration order (used by lint and the schema).
pub const ACTION_NAMES: &[&str] = &[
    "ini_set",
    "ini_list_add",
    "ini_list_remove",
    "apache_directive",
    "line",
    "run",
    "shell",
    "manual",
    "service_reload",
    "include",
];

/// A borrowed view of the one action a step holds.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    IniSet(&'a IniSet),
    IniListAdd(&'a IniList),
    IniListRemove(&'a IniList),
    ApacheDirective(&'a ApacheDirective),
    Line(&'a LineEdit),
    Run(&'a Run),
    Shell(&'a Shell),
    Manual(&'a Manual),
    ServiceReload(&'a ServiceReload),
    Include(&'a Include),
}

impl Step {
    /// Every action set on the step, with its field name (lint requires exactly one).
    pub fn actions(&self) -> Vec<(&'static str, Action<'_>)> {
        [
            ("ini_set", self.ini_set.as_ref().map(Action::IniSet)),
            (
                "ini_list_add",
                self.ini_list_add.as_ref().map(Action::IniListAdd),
            ),
            (
                "ini_list_remove",
                self.ini_list_remove.as_ref().map(Action::IniListRemove),
            ),
            (
                "apache_directive",
                self.apache_directive.as_ref().map(Action::ApacheDirective),
            ),
            ("line", self.line.as_ref().map(Action::Line)),
            ("run", self.run.as_ref().map(Action::Run)),
            ("shell", self.shell.as_ref().map(Action::Shell)),
            ("manual", self.manual.as_ref().map(Action::Manual)),
            (
                "service_reload",
                self.service_reload.as_ref().map(Action::ServiceReload),
            ),
            ("include", self.include.as_ref().map(Action::Include)),
        ]
        .into_iter()
        .filter_map(|(name, action)| action.map(|a| (name, a)))
        .collect()
    }

    /// The single action of a validated step.
    pub fn action(&self) -> Option<Action<'_>> {
        let all = self.actions();
        (all.len() == 1).then(|| all[0].1)
    }
}

/// Schema: a step needs exactly one action key.
fn one_action_required(schema: &mut schemars::Schema) {
    let one_of: Vec<Value> = ACTION_NAMES
        .iter()
        .map(|name| serde_json::json!({ "required": [name] }))
        .collect();
    schema.insert("oneOf".into(), Value::Array(one_of));
}

/// Iterate over a list-valued fact.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    /// Dotted name of a fact holding a list, e.g. `php.ini_files`.
    pub fact: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IniSet {
    /// Host path of the ini file (template).
    pub file: String,
    /// The site user (name or uid, template such as `{{item.user}}`) who may own this
    /// file and the directories leading to it. Without it, every directory on the way and
    /// the file itself must belong to root: a site user's file is edited only where the
    /// step says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub key: String,
    /// Raw value written after `=`, e.g. `On` or `""` (template).
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IniList {
    /// Host path of the ini file (template).
    pub file: String,
    /// The site user (name or uid, template such as `{{item.user}}`) who may own this
    /// file and the directories leading to it. Without it, every directory on the way and
    /// the file itself must belong to root: a site user's file is edited only where the
    /// step says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub key: String,
    /// The list item, e.g. `mail` (template).
    pub item: String,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApacheDirective {
    /// Host path of the Apache config file holding the virtual hosts (template).
    pub file: String,
    /// The site user (name or uid, template such as `{{item.user}}`) who may own this
    /// file and the directories leading to it. Without it, every directory on the way and
    /// the file itself must belong to root: a site user's file is edited only where the
    /// step says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Directive name, e.g. `php_admin_value`.
    pub directive: String,
    /// First argument naming the setting, e.g. `sendmail_path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arg: Option<String>,
    /// Raw value, e.g. `""` (template). Required when `state: present`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Only virtual hosts whose ServerName or ServerAlias matches (template); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(default)]
    pub state: Presence,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// `line` is present (replacing the last line matching `regex`, if given).
    #[default]
    Present,
    /// No line matches `regex`.
    Absent,
    /// Every match of `regex` is replaced by `with`.
    Replace,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineEdit {
    /// Host path of the file (template).
    pub file: String,
    /// The site user (name or uid, template such as `{{item.user}}`) who may own this
    /// file and the directories leading to it. Without it, every directory on the way and
    /// the file itself must belong to root: a site user's file is edited only where the
    /// step says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default)]
    pub state: LineState,
    /// The line to ensure (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Replacement for `state: replace` (`$1` expands groups; template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// Program and arguments; each element is a template rendered on its own, never via a shell.
    pub argv: Vec<String>,
    /// Whether the command changes the host. Non-mutating commands also run in `--dry-run`.
    pub mutating: bool,
    /// Command that reverses this one, run by rollback and when a later step fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<Vec<String>>,
    /// Kill the command's process group after this long, e.g. `30s` (default 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Text fed to the program's standard input (template). The way to hand it a
    /// secret: argv is world-readable in `/proc/PID/cmdline`, stdin is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Environment variables set for the program, `NAME: value` (values are templates),
    /// added to the engine's minimal `PATH` and `LANG`. The other way to pass a secret.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shell {
    /// Script for `/bin/sh -c`; every `{{value}}` is inserted shell-quoted.
    pub script: String,
    pub mutating: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Text fed to the script's standard input (template, inserted as it is). Secrets go
    /// here or in `env`, never in `script`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Environment variables for the script, `NAME: value` (values are templates,
    /// inserted as they are: read them as `"$NAME"`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manual {
    /// What the person should do (template).
    pub text: String,
    /// Facts shown with the item, as evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceReload {
    /// Service name, e.g. `apache2`, `httpd`, `nginx`, `postfix`, `exim4`.
    pub service: String,
    /// Config test that must pass before reloading; known services have a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    /// Reload command; known services have a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reload: Option<Vec<String>>,
    /// Succeeds when the service runs; a stopped service is tested, never started.
    /// Known services have a default; without one the service counts as running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Include {
    /// Id of the runbook whose checks and steps run here.
    pub runbook: String,
    /// Params passed to it (values are templates).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, String>,
}

/// A handler: one action run after the steps, at most once.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Handler {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_reload: Option<ServiceReload>,
}
