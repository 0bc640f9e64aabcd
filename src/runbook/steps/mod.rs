//! The step types: one file each, named after the step's field, holding its fields
//! struct, `lint`, `plan` and `describe`; and the one list of them below, from which the
//! `Step` fields, the `Action` enum, `ACTION_NAMES`, `Step::actions` and the dispatch of
//! `Action::lint`, `Action::plan` and `Action::describe` are generated.
//!
//! Adding a step type is one file here and one line in `step_types!` below (its doc
//! comment is the field's description in the schema; the type is looked up in the file).

use std::fmt::Write;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::condition::Condition;
use super::model::ForEach;
use super::template::Escape;
use super::validate::{Scope, Validator};

/// Generates, from one `field: Variant(Type)` line per step type (in the order the
/// schema lists them): its module (`field.rs`), the `Step` field, the `Action` variant,
/// its name in `ACTION_NAMES` and its entry in `Step::actions`.
macro_rules! step_types {
    ($( $(#[$doc:meta])* $field:ident: $variant:ident($ty:ident), )*) => {
        $( pub mod $field; )*

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
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$field::$ty>,
            )*
        }

        /// Names of the action fields, in declaration order (used by lint and the schema).
        pub const ACTION_NAMES: &[&str] = &[$(stringify!($field)),*];

        /// A borrowed view of the one action a step holds.
        #[derive(Debug, Clone, Copy)]
        pub enum Action<'a> {
            $( $variant(&'a $field::$ty), )*
        }

        impl Step {
            /// Every action set on the step, with its field name (lint requires exactly one).
            pub fn actions(&self) -> Vec<(&'static str, Action<'_>)> {
                let mut all = Vec::new();
                $(
                    if let Some(a) = &self.$field {
                        all.push((stringify!($field), Action::$variant(a)));
                    }
                )*
                all
            }
        }

        impl Action<'_> {
            /// What the step does, in words, for `runbook show` (templates unrendered).
            pub fn describe(&self) -> String {
                match self {
                    $( Action::$variant(a) => $field::describe(a), )*
                }
            }

            /// Planning: the work the action does on this host, through the planner.
            pub fn plan<P: Planning>(&self, p: &mut P) -> anyhow::Result<P::Out> {
                match self {
                    $( Action::$variant(a) => $field::plan(a, p), )*
                }
            }

            /// Lint of the action's own fields, at `path` (the step's path and the field).
            pub(crate) fn lint(&self, v: &mut Validator, path: &str, scope: &Scope) {
                match self {
                    $( Action::$variant(a) => $field::lint(a, v, path, scope), )*
                }
            }
        }
    };
}

step_types! {
    /// Set `key = value` in an ini file (php.ini).
    ini_set: IniSet(IniSet),
    /// Add an item to a comma-separated ini value such as `disable_functions`.
    ini_list_add: IniListAdd(IniList),
    /// Remove an item from a comma-separated ini value.
    ini_list_remove: IniListRemove(IniList),
    /// Set or remove a parameter of postfix's main.cf, or add or remove an item of its list.
    postfix_set: PostfixSet(PostfixSet),
    /// Set or remove a directive inside matching Apache `<VirtualHost>` blocks.
    apache_directive: ApacheDirective(ApacheDirective),
    /// Ensure a line is present or absent, or replace by regex.
    line: Line(LineEdit),
    /// Comment out a user's cron jobs that match, installed with `crontab -u USER -`.
    cron_disable: CronDisable(CronDisable),
    /// Lock a user's password and expire it, so it must be changed (reversible).
    lock_user: LockUser(LockUser),
    /// End a user's SSH sessions and processes: TERM, then KILL (not reversible).
    kill_sessions: KillSessions(KillSessions),
    /// Move the queued messages that match into the run's quarantine (rollback requeues them).
    queue_purge: QueuePurge(QueueSelector),
    /// Release the queued messages that match (thaw, out of hold) and retry their delivery.
    queue_retry: QueueRetry(QueueSelector),
    /// Run a program (argv, no shell).
    run: Run(Run),
    /// Run a shell script; every `{{value}}` in it is shell-quoted by the engine.
    shell: Shell(Shell),
    /// A checklist item for a person, with the facts that justify it.
    manual: Manual(Manual),
    /// Reload a service after its own config test passes.
    service_reload: ServiceReload(ServiceReload),
    /// Run the steps of another runbook here, with these params.
    include: Include(Include),
}

impl Step {
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

/// What planning a step asks of the planner. `plan::actions::Planner` implements it: it
/// sits above `runbook/` in the layers (tests/module_layers.rs), so the step files hold
/// what is particular to each step type (which fields are rendered, which edit is made)
/// and reach the safe walk, the overlay, commands and redaction through this trait.
pub trait Planning {
    /// What planning one action produces (`plan::actions::Produced`).
    type Out;
    /// A template rendered with the step's context, values inserted as `escape` says.
    fn render_with(&self, text: &str, escape: Escape) -> anyhow::Result<String>;
    /// A template rendered with values inserted as they are.
    fn render(&self, text: &str) -> anyhow::Result<String> {
        self.render_with(text, Escape::None)
    }
    /// An edit of `file` (a template, as is `owner`): `change` turns its planned text
    /// into the new text.
    fn edit(
        &mut self,
        file: &str,
        owner: Option<&str>,
        change: impl FnOnce(&str) -> anyhow::Result<String>,
    ) -> anyhow::Result<Self::Out>;
    /// A change of the file `installer` keeps, made through its program: `change` turns
    /// the content as the program lists it into the new content. A user without such a
    /// file has nothing to change.
    fn install(
        &mut self,
        installer: crate::edit::installer::Installer,
        change: impl FnOnce(&str) -> anyhow::Result<String>,
    ) -> anyhow::Result<Self::Out>;
    /// The uid of `user` (a name or a number) in the host's `/etc/passwd`.
    fn uid(&self, user: &str) -> anyhow::Result<u32>;
    /// The host's account of `user` (uid, lock, password age).
    fn account(&self, user: &str) -> anyhow::Result<crate::facts::account::Account>;
    /// The processes of `account` to end: TERM, `wait`, then KILL (none: nothing to do).
    fn end_processes(
        &mut self,
        account: &crate::facts::account::Account,
        wait: std::time::Duration,
    ) -> anyhow::Result<Self::Out>;
    /// A command with its argv rendered (`stdin` and `env` are templates).
    fn command(&mut self, command: Command<'_>) -> anyhow::Result<Self::Out> {
        self.commands(vec![command])
    }
    /// Several commands, run in order (none: the step has nothing to do).
    fn commands(&mut self, commands: Vec<Command<'_>>) -> anyhow::Result<Self::Out>;
    /// A checklist item with its rendered text and the facts shown as evidence.
    fn manual(&mut self, text: String, facts: &[String]) -> anyhow::Result<Self::Out>;
    /// The queued messages `selection` picks, quarantined (`Purge`) or retried, less
    /// those earlier steps of the plan quarantine.
    fn queue(
        &mut self,
        action: crate::queue::QueueAction,
        selection: &crate::queue::select::Selection,
    ) -> anyhow::Result<Self::Out>;
    /// A service reload with its service name rendered.
    fn reload(&mut self, reload: &service_reload::ServiceReload) -> anyhow::Result<Self::Out>;
}

/// A command a step asks for (`run`, `shell`).
pub struct Command<'a> {
    pub argv: Vec<String>,
    pub undo: Option<Vec<String>>,
    pub timeout: Option<&'a str>,
    pub mutating: bool,
    /// Templates, rendered by the planner.
    pub stdin: Option<&'a str>,
    pub env: &'a IndexMap<String, String>,
}

/// What a command gets besides its argv: `, stdin `T`, env `NAME`=`T`` (templates).
fn inputs(stdin: Option<&str>, env: &IndexMap<String, String>) -> String {
    let mut out = String::new();
    if let Some(stdin) = stdin {
        let _ = write!(out, ", stdin `{stdin}`");
    }
    for (name, value) in env {
        let _ = write!(out, ", env `{name}`=`{value}`");
    }
    out
}
