//! Comparisons that can never hold because the operand's type is not the fact's: the
//! engine compares structurally (`plan::eval::compare`), so `eq: "true"` never equals a
//! boolean fact and `gt` never holds on a boolean.

use serde_json::Value;

use super::condition::Comparison;
use crate::facts::spec::{FactKind, FactSpec};

/// Why one operand cannot match the fact, with a hint, and which operand (`in`'s index).
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    pub index: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// The first operand of `comparison` that cannot match a value of fact `spec`.
pub fn mismatch(spec: &FactSpec, comparison: &Comparison) -> Option<Mismatch> {
    let key = comparison.key();
    let at = |index, (message, help)| {
        Some(Mismatch {
            index,
            message,
            help,
        })
    };
    match comparison {
        Comparison::Eq(v) | Comparison::Ne(v) => equal(
            spec,
            &format!("`{key}: {}`", shown(v)),
            &format!("{key}: "),
            v,
        )
        .and_then(|m| at(None, m)),
        Comparison::In(list) => list
            .iter()
            .enumerate()
            .find_map(|(i, v)| {
                equal(spec, &format!("`{}` in `in:`", shown(v)), "", v).map(|m| (i, m))
            })
            .and_then(|(i, m)| at(Some(i), m)),
        Comparison::Contains(v) => contains(spec, v).and_then(|m| at(None, m)),
        Comparison::Gt(_) | Comparison::Ge(_) | Comparison::Lt(_) | Comparison::Le(_) => {
            ordered(spec, key).and_then(|m| at(None, m))
        }
        // `matches` reads any scalar as text.
        Comparison::Matches(_) => None,
    }
}

type Problem = (String, Option<String>);

/// `eq`, `ne` and `in`: equality is structural (numbers by value). `operand` is how the
/// message names the value, `key` what the help writes before a suggested value.
fn equal(spec: &FactSpec, operand: &str, key: &str, v: &Value) -> Option<Problem> {
    let name = spec.name;
    let fits = match (spec.kind, v) {
        (_, Value::Null) => spec.nullable,
        (FactKind::Bool, Value::Bool(_)) => true,
        (FactKind::Integer, Value::Number(_)) => true,
        (FactKind::Text, Value::String(_)) => true,
        (FactKind::List, Value::Array(_)) => true,
        (FactKind::Map, Value::Object(_)) => true,
        _ => false,
    };
    if fits {
        return None;
    }
    let what = kind_name(spec.kind);
    let message = if v.is_null() {
        format!("fact `{name}` is never null, so {operand} never equals it")
    } else {
        format!(
            "fact `{name}` is {what} and {operand} is {}: they are never equal",
            value_name(v)
        )
    };
    let help = match (spec.kind, v) {
        (FactKind::Bool, _) => Some(format!("write `{key}true` or `{key}false`")),
        (FactKind::Integer, Value::String(s)) if s.trim().parse::<f64>().is_ok() => {
            Some(format!("write the number unquoted: `{key}{}`", s.trim()))
        }
        (FactKind::Integer, _) => Some("compare with a number".to_string()),
        (FactKind::Text, Value::Number(_) | Value::Bool(_)) => {
            Some(format!("quote it to compare text: `{key}\"{v}\"`"))
        }
        (FactKind::List, _) => Some("use `contains:` to look for one element".to_string()),
        _ => None,
    };
    Some((message, help))
}

/// `contains`: an element of a list, or a substring of text.
fn contains(spec: &FactSpec, v: &Value) -> Option<Problem> {
    let name = spec.name;
    match spec.kind {
        FactKind::List => None,
        FactKind::Text if v.is_string() => None,
        FactKind::Text => Some((
            format!(
                "fact `{name}` is text, so `contains: {}` ({}) never holds: it looks for a substring",
                shown(v),
                value_name(v)
            ),
            Some(format!("quote it: `contains: \"{v}\"`")),
        )),
        kind => Some((
            format!(
                "fact `{name}` is {}, so `contains` never holds: it is for lists and text",
                kind_name(kind)
            ),
            Some("use `eq:`".to_string()),
        )),
    }
}

/// `gt`, `ge`, `lt`, `le`: numbers, and lists by their length.
fn ordered(spec: &FactSpec, key: &str) -> Option<Problem> {
    match spec.kind {
        FactKind::Integer | FactKind::List => None,
        kind => Some((
            format!(
                "fact `{}` is {}, not a number, so `{key}` never holds",
                spec.name,
                kind_name(kind)
            ),
            (kind == FactKind::Bool).then(|| "use `eq: true` or `eq: false`".to_string()),
        )),
    }
}

fn kind_name(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Bool => "a boolean",
        FactKind::Integer => "a number",
        FactKind::Text => "text",
        FactKind::List => "a list",
        FactKind::Map => "a mapping",
    }
}

fn value_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The operand as JSON, so that text is quoted: `"true"` is not `true`.
fn shown(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fact(kind: FactKind, nullable: bool) -> FactSpec {
        FactSpec {
            name: "f",
            kind,
            description: "",
            item_fields: &[],
            nullable,
        }
    }

    fn fits(kind: FactKind, c: Comparison) -> bool {
        mismatch(&fact(kind, false), &c).is_none()
    }

    #[test]
    fn operands_of_the_facts_type_fit() {
        assert!(fits(FactKind::Bool, Comparison::Eq(json!(true))));
        assert!(fits(
            FactKind::Integer,
            Comparison::In(vec![json!(1), json!(2.5)])
        ));
        assert!(fits(FactKind::Text, Comparison::Contains(json!("x"))));
        assert!(fits(FactKind::List, Comparison::Contains(json!(1))));
        assert!(fits(FactKind::List, Comparison::Gt(0.0)));
        assert!(fits(FactKind::Bool, Comparison::Matches("t".into())));
        assert!(mismatch(&fact(FactKind::Text, true), &Comparison::Eq(json!(null))).is_none());
    }

    #[test]
    fn operands_of_another_type_never_hold() {
        assert!(!fits(FactKind::Bool, Comparison::Eq(json!("true"))));
        assert!(!fits(FactKind::Bool, Comparison::Ne(json!(1))));
        assert!(!fits(FactKind::Bool, Comparison::Gt(0.0)));
        assert!(!fits(FactKind::Text, Comparison::Lt(3.0)));
        assert!(!fits(FactKind::Integer, Comparison::Eq(json!("5"))));
        assert!(!fits(FactKind::Integer, Comparison::Contains(json!(5))));
        assert!(!fits(FactKind::Text, Comparison::Eq(json!(null))));
        let m = mismatch(
            &fact(FactKind::Integer, false),
            &Comparison::In(vec![json!(1), json!("x")]),
        );
        assert_eq!(m.map(|m| m.index), Some(Some(1)));
    }
}
