//! Step `queue_purge`: the queued messages that match move into the run's quarantine
//! (in its state dir), so rollback can put them back; the plan gives their count, the
//! first ids and who sent them. `queue_retry` selects with the same fields.

use anyhow::{Result, anyhow};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::queue::QueueAction;
use crate::queue::select::Selection;
use crate::runbook::diagnostic::Code;
use crate::runbook::params::parse_duration;
use crate::runbook::validate::{Scope, Validator};

/// Which queued messages: every selector given must hold (`all: true` alone takes every
/// message).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSelector {
    /// Every message in the queue; needed when no other selector is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
    /// Only frozen messages (exim) or messages on hold (postfix); `false`: only others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<bool>,
    /// The envelope sender (template), without regard to case; `@example.com` for every
    /// sender of the domain, `<>` for bounces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// A domain one of its recipients still to be delivered has (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_domain: Option<String>,
    /// The script its X-PHP-Originating-Script header names: the name or its last
    /// path part (template, e.g. `{{item.script}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// The submitting user: a uid or a user name (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<UserRef>,
    /// Queued at least this long (a duration such as `10m`, `24h`; template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub older_than: Option<String>,
    /// These message ids (templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
}

/// A user by uid or name.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum UserRef {
    Uid(u32),
    Name(String),
}

/// For `runbook show`.
pub fn describe(a: &QueueSelector) -> String {
    format!(
        "move the queued messages {} into the run's quarantine (rollback requeues them)",
        selected(a)
    )
}

/// The selection in words: `from script contact-form.php, older than 10m`.
pub fn selected(a: &QueueSelector) -> String {
    let mut parts = Vec::new();
    if a.all == Some(true) {
        parts.push("of the whole queue".to_string());
    }
    match a.frozen {
        Some(true) => parts.push("frozen or on hold".into()),
        Some(false) => parts.push("not frozen".into()),
        None => {}
    }
    let mut add = |label: &str, v: &Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{label} `{v}`"));
        }
    };
    add("from sender", &a.sender);
    add("to domain", &a.recipient_domain);
    add("of script", &a.script);
    add("older than", &a.older_than);
    match &a.uid {
        Some(UserRef::Uid(n)) => parts.push(format!("submitted by uid {n}")),
        Some(UserRef::Name(n)) => parts.push(format!("submitted by `{n}`")),
        None => {}
    }
    if let Some(ids) = &a.ids {
        parts.push(format!("with ids {}", ids.join(", ")));
    }
    parts.join(", ")
}

/// Lint: the templates, the duration, and at least one selector.
pub(crate) fn lint(a: &QueueSelector, v: &mut Validator, p: &str, scope: &Scope) {
    for (field, text) in [
        ("sender", &a.sender),
        ("recipient_domain", &a.recipient_domain),
        ("script", &a.script),
        ("older_than", &a.older_than),
    ] {
        v.opt_template(&format!("{p}.{field}"), text.as_deref(), scope);
    }
    if let Some(UserRef::Name(name)) = &a.uid {
        v.template(&format!("{p}.uid"), name, scope);
    }
    for (i, id) in a.ids.iter().flatten().enumerate() {
        v.template(&format!("{p}.ids.{i}"), id, scope);
    }
    if let Some(text) = &a.older_than
        && !text.contains("{{")
    {
        v.duration(&format!("{p}.older_than"), Some(text));
    }
    let any = a.all == Some(true)
        || a.frozen.is_some()
        || a.sender.is_some()
        || a.recipient_domain.is_some()
        || a.script.is_some()
        || a.uid.is_some()
        || a.older_than.is_some()
        || a.ids.is_some();
    if !any {
        v.key(
            p,
            Code::StepFields,
            "name the messages: give a selector (`script`, `sender`, `older_than`, ...), or `all: true` for the whole queue"
                .into(),
        );
    }
}

/// The selectors rendered and typed.
pub fn selection<P: Planning>(a: &QueueSelector, p: &P) -> Result<Selection> {
    let opt = |t: &Option<String>| t.as_deref().map(|t| p.render(t)).transpose();
    let nonempty = |what: &str, v: Option<String>| match v {
        Some(v) if v.trim().is_empty() && what != "sender" => {
            Err(anyhow!("`{what}` is empty: it would match nothing the step means"))
        }
        v => Ok(v),
    };
    let uid = match &a.uid {
        None => None,
        Some(UserRef::Uid(n)) => Some(*n),
        Some(UserRef::Name(name)) => {
            Some(p.uid(&p.render(name)?)?)
        }
    };
    let older_than = opt(&a.older_than)?
        .map(|t| parse_duration(&t).map_err(|e| anyhow!("older_than `{t}`: {e}")))
        .transpose()?;
    Ok(Selection {
        all: a.all == Some(true),
        frozen: a.frozen,
        sender: nonempty("sender", opt(&a.sender)?)?,
        recipient_domain: nonempty("recipient_domain", opt(&a.recipient_domain)?)?,
        script: nonempty("script", opt(&a.script)?)?,
        uid,
        older_than,
        ids: a
            .ids
            .as_ref()
            .map(|ids| ids.iter().map(|id| p.render(id)).collect::<Result<_>>())
            .transpose()?,
    })
}

/// Planning: the messages selected, less those earlier steps quarantine.
pub fn plan<P: Planning>(a: &QueueSelector, p: &mut P) -> Result<P::Out> {
    let selection = selection(a, p)?;
    p.queue(QueueAction::Purge, &selection)
}
