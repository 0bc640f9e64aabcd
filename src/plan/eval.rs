//! Evaluating conditions and checks against facts, params and check results, with the
//! reason in words (shown as each step's `why`).

use std::collections::HashMap;

use indexmap::IndexMap;
use regex::Regex;
use serde_json::Value;

use crate::facts::Facts;
use crate::runbook::condition::{Comparison, Condition, Shape, Subject};
use crate::runbook::template::{Escape, Scope, Template};

/// Everything a condition or template can read.
pub struct Context<'a> {
    pub facts: &'a Facts,
    pub params: &'a IndexMap<String, Value>,
    /// Params shown in messages (secrets masked).
    pub shown_params: &'a IndexMap<String, Value>,
    pub checks: &'a HashMap<String, bool>,
    /// Whether each earlier step of the runbook changes the host (by its own id).
    pub changed: &'a HashMap<String, bool>,
    pub item: Option<&'a Value>,
}

impl Scope for Context<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        let (head, rest) = name.split_once('.').unwrap_or((name, ""));
        match head {
            "params" => self.params.get(rest).cloned(),
            "item" if rest.is_empty() => self.item.cloned(),
            "item" => rest
                .split('.')
                .try_fold(self.item?, |v, k| v.get(k))
                .cloned(),
            _ => self.facts.get(name).cloned(),
        }
    }
}

/// No checks, no steps: what a context outside the steps has.
static NONE: std::sync::LazyLock<HashMap<String, bool>> = std::sync::LazyLock::new(HashMap::new);

impl<'a> Context<'a> {
    /// Facts and params only, outside the steps (`facts_from`, `verify`).
    pub fn bare(facts: &'a Facts, params: &'a IndexMap<String, Value>) -> Context<'a> {
        Context {
            facts,
            params,
            shown_params: params,
            checks: &NONE,
            changed: &NONE,
            item: None,
        }
    }
}

/// The outcome of a condition and why.
pub struct Verdict {
    pub holds: bool,
    pub why: String,
}

pub fn evaluate(cond: &Condition, ctx: &Context) -> Verdict {
    match cond.shape() {
        Some(Shape::All(list)) => combine(list, ctx, true),
        Some(Shape::Any(list)) => combine(list, ctx, false),
        Some(Shape::Not(inner)) => {
            // The inner condition's reason is the reason `not` holds or fails.
            let v = evaluate(inner, ctx);
            Verdict {
                holds: !v.holds,
                why: v.why,
            }
        }
        Some(Shape::Leaf(subject, comparison)) => leaf(&subject, comparison.as_ref(), ctx),
        None => Verdict {
            holds: false,
            why: "malformed condition".into(),
        },
    }
}

fn combine(list: &[Condition], ctx: &Context, all: bool) -> Verdict {
    let verdicts: Vec<Verdict> = list.iter().map(|c| evaluate(c, ctx)).collect();
    let holds = if all {
        verdicts.iter().all(|v| v.holds)
    } else {
        verdicts.iter().any(|v| v.holds)
    };
    // Name the parts that decided the outcome: the first that settled it (a false
    // part of `all`, a true part of `any`), or every part when all agreed.
    let short_circuit = holds != all;
    let deciding: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.holds == holds)
        .take(if short_circuit { 1 } else { usize::MAX })
        .map(|v| v.why.as_str())
        .collect();
    let joiner = if all { " and " } else { " or " };
    Verdict {
        holds,
        why: if deciding.len() > 1 {
            format!("({})", deciding.join(joiner))
        } else {
            deciding.join(joiner)
        },
    }
}

fn leaf(subject: &Subject, comparison: Option<&Comparison>, ctx: &Context) -> Verdict {
    let (label, value) = match subject {
        Subject::Fact(name) => (
            name.to_string(),
            ctx.facts.get(name).cloned().unwrap_or(Value::Null),
        ),
        Subject::Param(name) => (
            format!("param {name}"),
            ctx.shown_params.get(*name).cloned().unwrap_or(Value::Null),
        ),
        Subject::Check(id) => (
            format!("check {id}"),
            ctx.checks
                .get(*id)
                .copied()
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        Subject::Changed(id) => (
            format!("step {id}"),
            Value::Bool(ctx.changed.get(*id).copied().unwrap_or(false)),
        ),
        Subject::Item("") => ("item".into(), ctx.item.cloned().unwrap_or(Value::Null)),
        Subject::Item(field) => (
            format!("item.{field}"),
            ctx.item
                .and_then(|i| i.get(*field))
                .cloned()
                .unwrap_or(Value::Null),
        ),
    };
    // Params compare by their real value; messages show the masked one.
    let real = match subject {
        Subject::Param(name) => ctx.params.get(*name).cloned().unwrap_or(Value::Null),
        _ => value.clone(),
    };
    let comparison = comparison.map(|c| rendered(c, ctx));
    let holds = compare(&real, comparison.as_ref());
    let shown = match subject {
        Subject::Check(_) if value == Value::Bool(true) => format!("{label} passed"),
        Subject::Check(_) => format!("{label} failed"),
        Subject::Changed(_) if value == Value::Bool(true) => format!("{label} changes something"),
        Subject::Changed(_) => format!("{label} changes nothing"),
        _ => format!("{label} = {}", short(&value)),
    };
    let why = match (holds, &comparison) {
        (true, _) => shown,
        (false, Some(c)) => format!("{shown}, not {}", describe(c)),
        (false, None) if matches!(subject, Subject::Check(_) | Subject::Changed(_)) => shown,
        (false, None) => format!("{shown}, not set"),
    };
    Verdict { holds, why }
}

/// A fact judged by the first of its comparisons (none: it only reports): its value,
/// whether it passed, and the comparison in words. How `checks:` and `verify:` judge.
pub fn judge(fact: &str, comparisons: &[Comparison], ctx: &Context) -> (Value, bool, String) {
    let value = ctx.facts.get(fact).cloned().unwrap_or(Value::Null);
    let comparison = comparisons.first().map(|c| rendered(c, ctx));
    let ok = comparison.as_ref().is_none_or(|c| compare(&value, Some(c)));
    (
        value,
        ok,
        comparison.as_ref().map(describe).unwrap_or_default(),
    )
}

/// The comparison with its text operands rendered (`eq: "{{params.domain}}"`). A template
/// that cannot render compares as its source text, which matches nothing real.
pub fn rendered(comparison: &Comparison, scope: &dyn Scope) -> Comparison {
    comparison.map_texts(&|text| {
        if !text.contains("{{") {
            return text.to_string();
        }
        Template::parse(text)
            .ok()
            .and_then(|t| t.render(scope, Escape::None).ok())
            .unwrap_or_else(|| text.to_string())
    })
}

/// Whether `value` satisfies the comparison (no comparison: truthiness).
pub fn compare(value: &Value, comparison: Option<&Comparison>) -> bool {
    match comparison {
        None => truthy(value),
        Some(Comparison::Eq(want)) => same(value, want),
        Some(Comparison::Ne(want)) => !same(value, want),
        Some(Comparison::In(list)) => list.iter().any(|want| same(value, want)),
        Some(Comparison::Contains(want)) => match (value, want) {
            (Value::Array(items), _) => items.iter().any(|i| same(i, want) || has_fields(i, want)),
            (Value::String(s), Value::String(w)) => s.contains(w.as_str()),
            _ => false,
        },
        Some(Comparison::Gt(n)) => number(value).is_some_and(|v| v > *n),
        Some(Comparison::Ge(n)) => number(value).is_some_and(|v| v >= *n),
        Some(Comparison::Lt(n)) => number(value).is_some_and(|v| v < *n),
        Some(Comparison::Le(n)) => number(value).is_some_and(|v| v <= *n),
        Some(Comparison::Matches(re)) => {
            let text =
                crate::runbook::template::scalar_text(value).unwrap_or_else(|| value.to_string());
            Regex::new(re).is_ok_and(|re| re.is_match(&text))
        }
    }
}

/// The comparison in words: `eq false`, `gt 1000`, `in [a, b]`.
pub fn describe(comparison: &Comparison) -> String {
    let operand = match comparison {
        Comparison::Eq(v) | Comparison::Ne(v) | Comparison::Contains(v) => short(v),
        Comparison::Gt(n) | Comparison::Ge(n) | Comparison::Lt(n) | Comparison::Le(n) => {
            number_text(*n)
        }
        Comparison::In(list) => format!(
            "[{}]",
            list.iter().map(short).collect::<Vec<_>>().join(", ")
        ),
        Comparison::Matches(re) => format!("/{re}/"),
    };
    format!("{} {operand}", comparison.key())
}

/// A record holding every field of `want` with the same value (`contains: { class: form }`
/// finds a record of that class in a list of records).
fn has_fields(item: &Value, want: &Value) -> bool {
    match (item, want) {
        (Value::Object(item), Value::Object(want)) if !want.is_empty() => want
            .iter()
            .all(|(k, w)| item.get(k).is_some_and(|v| same(v, w))),
        _ => false,
    }
}

/// Numbers compare by value (`1` equals `1.0`); everything else structurally.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// A number for ordering: numbers, numeric text, or a list's length.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Array(a) => Some(a.len() as f64),
        _ => None,
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A value for messages: lists of records and long lists are summarized.
pub fn short(value: &Value) -> String {
    match value {
        Value::Array(items)
            if items.len() > 3 || items.iter().any(|i| i.is_object() || i.is_array()) =>
        {
            format!(
                "[{} item{}]",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            )
        }
        Value::Object(map) if map.len() > 3 => format!("{{{} keys}}", map.len()),
        Value::Number(n) => number_text(n.as_f64().unwrap_or_default()),
        other => other.to_string(),
    }
}

/// `1000`, not `1000.0`.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comparisons_follow_their_operators() {
        assert!(compare(&json!(1500), Some(&Comparison::Gt(1000.0))));
        assert!(compare(&json!("2000"), Some(&Comparison::Ge(2000.0))));
        assert!(compare(&json!([1, 2]), Some(&Comparison::Lt(3.0))));
        assert!(compare(&json!(false), Some(&Comparison::Eq(json!(false)))));
        assert!(!compare(
            &json!("false"),
            Some(&Comparison::Eq(json!(false)))
        ));
        assert!(compare(
            &json!("form"),
            Some(&Comparison::In(vec![json!("random"), json!("form")]))
        ));
        assert!(compare(
            &json!("gsdjkjhkll.php"),
            Some(&Comparison::Matches(r"\.php$".into()))
        ));
        assert!(!compare(&json!(null), None));
        assert!(compare(&json!(["x"]), None));
    }

    #[test]
    fn a_list_of_records_contains_one_with_the_fields_given() {
        let scripts =
            json!([{"script": "a.php", "class": "random"}, {"script": "b.php", "class": "form"}]);
        let has = |want| compare(&scripts, Some(&Comparison::Contains(want)));
        assert!(has(json!({"class": "form"})));
        assert!(has(json!({"class": "form", "script": "b.php"})));
        assert!(!has(json!({"class": "form", "script": "a.php"})));
        assert!(!has(json!({"class": "cron"})));
        assert!(!has(json!({})), "an empty record names nothing");
    }
}
