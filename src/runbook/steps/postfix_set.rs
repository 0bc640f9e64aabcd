//! Step `postfix_set`: set, remove, or add to or remove from the list of, a parameter
//! in postfix's main.cf. Reloading postfix is a handler's work (`service_reload` of
//! `postfix` tests the config with `postfix check` first).

use anyhow::{Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::edit::postfix;
use crate::facts::mta::{self, MtaKind};
use crate::runbook::diagnostic::Code;
use crate::runbook::validate::{Scope, Validator};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostfixSet {
    /// The parameter, e.g. `mynetworks` (template).
    pub param: String,
    /// Make this the parameter's value: its last definition is rewritten in place, or
    /// `param = value` appended (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `true`: delete every definition of the parameter, so that postfix's default
    /// applies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remove: bool,
    /// Add this item to the parameter's list (items separated by commas or spaces) when
    /// it is not there, after the last item (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<String>,
    /// Remove every occurrence of this item from the parameter's list (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_item: Option<String>,
    /// With `add` or `remove_item`: postfix's default of the parameter (what `postconf
    /// -d PARAM` prints), the list to start from when main.cf does not set it. Without
    /// it such a step fails on a parameter main.cf does not set (template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Host path of the file (template); postfix's main.cf, `/etc/postfix/main.cf`,
    /// when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The one thing a step does, with its template.
#[derive(Clone, Copy)]
enum Op<'a> {
    Set(&'a str),
    Remove,
    Add(&'a str),
    RemoveItem(&'a str),
}

const ONE_OP: &str =
    "`postfix_set` needs exactly one of `value`, `remove: true`, `add` and `remove_item`";

impl PostfixSet {
    fn op(&self) -> Option<Op<'_>> {
        let ops: Vec<Op> = [
            self.value.as_deref().map(Op::Set),
            self.remove.then_some(Op::Remove),
            self.add.as_deref().map(Op::Add),
            self.remove_item.as_deref().map(Op::RemoveItem),
        ]
        .into_iter()
        .flatten()
        .collect();
        (ops.len() == 1).then(|| ops[0])
    }

    fn file(&self) -> &str {
        self.file.as_deref().unwrap_or(main_cf())
    }
}

/// Where postfix's main.cf is: the first config of its layout.
fn main_cf() -> &'static str {
    mta::get(MtaKind::Postfix).layout().configs[0]
}

/// For `runbook show`.
pub fn describe(a: &PostfixSet) -> String {
    let (param, file) = (&a.param, a.file());
    match a.op() {
        Some(Op::Set(value)) => format!("set postfix `{param} = {value}` in `{file}`"),
        Some(Op::Remove) => format!("remove postfix `{param}` from `{file}`"),
        Some(Op::Add(item)) => format!("add `{item}` to postfix `{param}` in `{file}`"),
        Some(Op::RemoveItem(item)) => {
            format!("remove `{item}` from postfix `{param}` in `{file}`")
        }
        None => format!("change postfix `{param}` in `{file}`"),
    }
}

/// Lint: every field a template; one operation; a name or item that is no template
/// checked as the edit will check it.
pub(crate) fn lint(a: &PostfixSet, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.param"), &a.param, scope);
    for (field, text) in [
        ("value", &a.value),
        ("add", &a.add),
        ("remove_item", &a.remove_item),
        ("default", &a.default),
        ("file", &a.file),
    ] {
        v.opt_template(&format!("{p}.{field}"), text.as_deref(), scope);
    }
    let literal = |t: &str| !t.contains("{{");
    if literal(&a.param)
        && let Err(e) = postfix::check_name(&a.param)
    {
        v.value(&format!("{p}.param"), Code::StepFields, e.to_string());
    }
    for (field, item) in [("add", &a.add), ("remove_item", &a.remove_item)] {
        if let Some(item) = item.as_deref().filter(|i| literal(i))
            && let Err(e) = postfix::check_item(item)
        {
            v.value(&format!("{p}.{field}"), Code::StepFields, e.to_string());
        }
    }
    match a.op() {
        None => v.key(p, Code::StepFields, ONE_OP.into()),
        Some(Op::Set(_) | Op::Remove) if a.default.is_some() => v.key(
            &format!("{p}.default"),
            Code::StepFields,
            "`default` goes with `add` or `remove_item` only".into(),
        ),
        Some(_) => {}
    }
}

/// Planning: the edit of the file.
pub fn plan<P: Planning>(a: &PostfixSet, p: &mut P) -> Result<P::Out> {
    let Some(op) = a.op() else { bail!(ONE_OP) };
    let param = p.render(&a.param)?;
    let default = a.default.as_deref().map(|d| p.render(d)).transpose()?;
    let rendered = match op {
        Op::Set(t) | Op::Add(t) | Op::RemoveItem(t) => p.render(t)?,
        Op::Remove => String::new(),
    };
    let default = default.as_deref();
    p.edit(a.file(), None, |text| {
        Ok(match op {
            Op::Set(_) => postfix::set(text, &param, &rendered)?,
            Op::Remove => postfix::remove(text, &param)?,
            Op::Add(_) => postfix::list_add(text, &param, &rendered, default)?,
            Op::RemoveItem(_) => postfix::list_remove(text, &param, &rendered, default)?,
        })
    })
}
