//! What the runbook format expects at a dotted path (`steps.0.shell`), read from its JSON
//! Schema, so that an error can show the expected shape with the real field names.

use std::sync::LazyLock;

use serde_json::Value;

/// The expected value at a path.
#[derive(Debug, PartialEq)]
pub enum Expected {
    /// A mapping with these fields.
    Fields {
        required: Vec<String>,
        optional: Vec<String>,
    },
    /// A mapping of any names (`params`, `env`).
    Names,
    List,
    Other,
}

static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(&super::schema::schema_json()).expect("the schema is JSON")
});

/// What the format expects at `path`, if the path is in the format.
pub fn expected_at(path: &str) -> Option<Expected> {
    let mut node = resolve(&SCHEMA)?;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let next = match node.get("properties").and_then(|p| p.get(segment)) {
            Some(property) => property,
            None => node
                .get("items")
                .filter(|_| segment.parse::<usize>().is_ok())
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))?,
        };
        node = resolve(next)?;
    }
    Some(describe(node))
}

/// The schema itself, behind `$ref`s and `Option`'s `anyOf: [T, null]`.
fn resolve(mut node: &Value) -> Option<&Value> {
    loop {
        if let Some(target) = node.get("$ref").and_then(Value::as_str) {
            node = SCHEMA.pointer(target.strip_prefix('#')?)?;
        } else if let Some(alternatives) = node.get("anyOf").and_then(Value::as_array) {
            node = alternatives
                .iter()
                .find(|a| a.get("type").and_then(Value::as_str) != Some("null"))?;
        } else {
            return Some(node);
        }
    }
}

fn describe(node: &Value) -> Expected {
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        let required: Vec<String> = node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let optional = properties
            .keys()
            .filter(|k| !required.contains(k))
            .cloned()
            .collect();
        return Expected::Fields { required, optional };
    }
    let is = |t: &str| match node.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(ts)) => ts.iter().any(|x| x == t),
        _ => false,
    };
    if is("object") {
        Expected::Names
    } else if is("array") {
        Expected::List
    } else {
        Expected::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_types_fields_come_from_the_schema() {
        let Some(Expected::Fields { required, optional }) = expected_at("steps.0.shell") else {
            panic!("shell is a mapping");
        };
        assert_eq!(required, ["script", "mutating"]);
        assert!(optional.contains(&"undo".to_string()));
        assert_eq!(expected_at("steps.3.run.argv"), Some(Expected::List));
        assert_eq!(expected_at("params"), Some(Expected::Names));
        assert!(matches!(
            expected_at("handlers.reload.service_reload"),
            Some(Expected::Fields { .. })
        ));
        assert_eq!(expected_at("steps.0.nothing"), None);
    }
}
