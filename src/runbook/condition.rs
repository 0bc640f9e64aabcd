//! Structured conditions (`all` / `any` / `not` over comparisons of facts, params and checks).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One comparison operator with its operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    Eq(Value),
    Ne(Value),
    Gt(f64),
    Ge(f64),
    Lt(f64),
    Le(f64),
    In(Vec<Value>),
    Contains(Value),
    Matches(String),
}

impl Comparison {
    /// The text operands (templates, rendered before comparing).
    pub fn texts(&self) -> Vec<&str> {
        let values: Vec<&Value> = match self {
            Comparison::Eq(v) | Comparison::Ne(v) | Comparison::Contains(v) => vec![v],
            Comparison::In(list) => list.iter().collect(),
            Comparison::Matches(_)
            | Comparison::Gt(_)
            | Comparison::Ge(_)
            | Comparison::Lt(_)
            | Comparison::Le(_) => vec![],
        };
        values.into_iter().filter_map(Value::as_str).collect()
    }

    /// The same comparison with every text operand rendered.
    pub fn map_texts(&self, f: &dyn Fn(&str) -> String) -> Comparison {
        let map = |v: &Value| match v {
            Value::String(s) => Value::String(f(s)),
            other => other.clone(),
        };
        match self {
            Comparison::Eq(v) => Comparison::Eq(map(v)),
            Comparison::Ne(v) => Comparison::Ne(map(v)),
            Comparison::Contains(v) => Comparison::Contains(map(v)),
            Comparison::In(list) => Comparison::In(list.iter().map(map).collect()),
            other => other.clone(),
        }
    }

    /// The YAML key of this operator.
    pub fn key(&self) -> &'static str {
        match self {
            Comparison::Eq(_) => "eq",
            Comparison::Ne(_) => "ne",
            Comparison::Gt(_) => "gt",
            Comparison::Ge(_) => "ge",
            Comparison::Lt(_) => "lt",
            Comparison::Le(_) => "le",
            Comparison::In(_) => "in",
            Comparison::Contains(_) => "contains",
            Comparison::Matches(_) => "matches",
        }
    }
}

/// An operand as written: `eq: null` is a comparison with null, not a missing one
/// (serde reads an `Option` of null as absent, which made `eq: null` always true of a
/// known value).
pub fn given<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    <serde_json::Value as serde::Deserialize>::deserialize(d).map(Some)
}

/// Declares a struct with the comparison fields (`eq`, `ne`, `gt`, `ge`, `lt`, `le`, `in`,
/// `contains`, `matches`) appended. Text operands are templates (`eq: "{{params.domain}}"`). They are real fields rather than a flattened struct because serde's
/// flatten loses YAML locations and `deny_unknown_fields`.
#[macro_export]
macro_rules! with_comparison {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($body)*
            /// Equal to this value (`null`: the fact is not known on this host).
            #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::runbook::condition::given")]
            pub eq: Option<serde_json::Value>,
            /// Not equal to this value (`null`: the fact is known).
            #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::runbook::condition::given")]
            pub ne: Option<serde_json::Value>,
            /// Greater than this number.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub gt: Option<f64>,
            /// Greater than or equal to this number.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub ge: Option<f64>,
            /// Less than this number.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub lt: Option<f64>,
            /// Less than or equal to this number.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub le: Option<f64>,
            /// One of these values.
            #[serde(rename = "in", default, skip_serializing_if = "Option::is_none")]
            pub one_of: Option<Vec<serde_json::Value>>,
            /// A list holding this value, or text holding this substring.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub contains: Option<serde_json::Value>,
            /// As text, matches this regular expression.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub matches: Option<String>,
        }

        impl $name {
            /// Every comparison set (lint requires at most one).
            pub fn comparisons(&self) -> Vec<$crate::runbook::condition::Comparison> {
                use $crate::runbook::condition::Comparison as C;
                let mut out = Vec::new();
                if let Some(v) = &self.eq { out.push(C::Eq(v.clone())); }
                if let Some(v) = &self.ne { out.push(C::Ne(v.clone())); }
                if let Some(v) = self.gt { out.push(C::Gt(v)); }
                if let Some(v) = self.ge { out.push(C::Ge(v)); }
                if let Some(v) = self.lt { out.push(C::Lt(v)); }
                if let Some(v) = self.le { out.push(C::Le(v)); }
                if let Some(v) = &self.one_of { out.push(C::In(v.clone())); }
                if let Some(v) = &self.contains { out.push(C::Contains(v.clone())); }
                if let Some(v) = &self.matches { out.push(C::Matches(v.clone())); }
                out
            }
        }
    };
}

with_comparison! {
    /// A condition: exactly one of `all`, `any`, `not`, or a subject (`fact`, `param`,
    /// `check`, `item`) with at most one comparison. A subject without a comparison is
    /// true when its value is truthy (true, non-zero, non-empty).
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Condition {
        /// True when every condition holds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub all: Option<Vec<Condition>>,
        /// True when at least one condition holds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub any: Option<Vec<Condition>>,
        /// True when the condition does not hold.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub not: Option<Box<Condition>>,
        /// Dotted fact name, e.g. `php.add_x_header`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub fact: Option<String>,
        /// Param name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub param: Option<String>,
        /// Check id: its result (true when the check passed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub check: Option<String>,
        /// Field of the current `for_each` item (`""` for the item itself), e.g. `sapi`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub item: Option<String>,
        /// Id of an earlier step of this runbook: true when it changes the host (in a dry
        /// run: would change it). After an apply, a step chosen through `changed:` whose
        /// steps named there ended not changed (undone, failed, not run) is shown as
        /// `undone` without its checklist items: an item that states a result (`mail()
        /// is now disabled`) appears only when the result holds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub changed: Option<String>,
    }
}

/// What a leaf condition compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject<'a> {
    Fact(&'a str),
    Param(&'a str),
    Check(&'a str),
    Item(&'a str),
    Changed(&'a str),
}

/// The shape of a condition once validated.
#[derive(Debug, Clone)]
pub enum Shape<'a> {
    All(&'a [Condition]),
    Any(&'a [Condition]),
    Not(&'a Condition),
    Leaf(Subject<'a>, Option<Comparison>),
}

impl Condition {
    /// The keys that decide the condition's shape; a valid condition has exactly one.
    pub fn shape_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        for (set, key) in [
            (self.all.is_some(), "all"),
            (self.any.is_some(), "any"),
            (self.not.is_some(), "not"),
            (self.fact.is_some(), "fact"),
            (self.param.is_some(), "param"),
            (self.check.is_some(), "check"),
            (self.item.is_some(), "item"),
            (self.changed.is_some(), "changed"),
        ] {
            if set {
                keys.push(key);
            }
        }
        keys
    }

    /// The condition's shape, or `None` when it is malformed (reported by lint).
    pub fn shape(&self) -> Option<Shape<'_>> {
        if self.shape_keys().len() != 1 || self.comparisons().len() > 1 {
            return None;
        }
        let comparison = self.comparisons().into_iter().next();
        let leaf = |subject| Some(Shape::Leaf(subject, comparison.clone()));
        if let Some(all) = &self.all {
            return comparison.is_none().then_some(Shape::All(all));
        }
        if let Some(any) = &self.any {
            return comparison.is_none().then_some(Shape::Any(any));
        }
        if let Some(not) = &self.not {
            return comparison.is_none().then_some(Shape::Not(not));
        }
        if let Some(f) = &self.fact {
            return leaf(Subject::Fact(f));
        }
        if let Some(p) = &self.param {
            return leaf(Subject::Param(p));
        }
        if let Some(c) = &self.check {
            return leaf(Subject::Check(c));
        }
        if let Some(s) = &self.changed {
            return leaf(Subject::Changed(s));
        }
        self.item.as_deref().and_then(|i| leaf(Subject::Item(i)))
    }

    /// The step ids its `changed:` subjects name, anywhere inside it.
    pub fn changed_steps(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.changed.as_deref().into_iter().collect();
        for list in [&self.all, &self.any].into_iter().flatten() {
            out.extend(list.iter().flat_map(Condition::changed_steps));
        }
        if let Some(not) = &self.not {
            out.extend(not.changed_steps());
        }
        out
    }
}
