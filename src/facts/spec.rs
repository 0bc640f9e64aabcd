//! The catalogue of facts, so runbooks can be checked before any host is read. It is
//! derived from the fact groups' types (their JSON Schemas, doc comments as
//! descriptions), so it names exactly what `runbook facts` gathers.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::Group;

/// The shape of a fact's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    Bool,
    Integer,
    Text,
    List,
    Map,
}

/// One fact: its dotted name, shape, and meaning.
#[derive(Debug)]
pub struct FactSpec {
    pub name: &'static str,
    pub kind: FactKind,
    pub description: &'static str,
    /// For lists of records: the fields of each element (usable as `{{item.FIELD}}`).
    pub item_fields: &'static [&'static str],
    /// Whether the value may be null (not known on this host).
    pub nullable: bool,
}

/// Every fact: each group's fields, and the fields of records within them
/// (`log.failures.spam`). A group whose value is not a record (`panel`) is one fact.
pub fn catalogue() -> &'static [FactSpec] {
    static CATALOGUE: LazyLock<Vec<FactSpec>> = LazyLock::new(|| {
        let mut out = Vec::new();
        for group in Group::ALL {
            let schema = group.schema();
            let root = schema.as_value();
            let walker = Walker {
                defs: root.get("$defs").and_then(Value::as_object),
            };
            match walker.node(root).properties {
                Some(properties) => {
                    for (field, schema) in properties {
                        walker.walk(&format!("{}.{field}", group.name()), schema, &mut out);
                    }
                }
                None => walker.walk(group.name(), root, &mut out),
            }
        }
        out
    });
    &CATALOGUE
}

pub fn spec(name: &str) -> Option<&'static FactSpec> {
    catalogue().iter().find(|f| f.name == name)
}

/// The group a fact belongs to (`php` for `php.ini_files`): groups are gathered together.
pub fn group(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// The catalogue lives for the whole process: its names are leaked once, so lint can
/// hold `&'static str`s as it did when the catalogue was a constant.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

struct Walker<'a> {
    defs: Option<&'a Map<String, Value>>,
}

/// A schema with `$ref`s followed and `Option`'s null alternative taken off.
struct Node<'a> {
    kind: FactKind,
    nullable: bool,
    description: Option<&'a str>,
    properties: Option<&'a Map<String, Value>>,
    items: Option<&'a Value>,
}

impl<'a> Walker<'a> {
    fn walk(&self, name: &str, schema: &'a Value, out: &mut Vec<FactSpec>) {
        let node = self.node(schema);
        let item_fields: Vec<&'static str> = match (node.kind, node.items) {
            (FactKind::List, Some(items)) => self
                .node(items)
                .properties
                .into_iter()
                .flat_map(|p| p.keys())
                .map(|k| leak(k.clone()))
                .collect(),
            _ => Vec::new(),
        };
        out.push(FactSpec {
            name: leak(name.to_string()),
            kind: node.kind,
            description: leak(node.description.unwrap_or_default().to_string()),
            item_fields: Box::leak(item_fields.into_boxed_slice()),
            nullable: node.nullable,
        });
        if node.kind == FactKind::Map
            && let Some(properties) = node.properties
        {
            for (field, schema) in properties {
                self.walk(&format!("{name}.{field}"), schema, out);
            }
        }
    }

    fn node(&self, schema: &'a Value) -> Node<'a> {
        let mut nullable = false;
        let mut description = schema.get("description").and_then(Value::as_str);
        let mut schema = schema;
        loop {
            if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
                let def = target
                    .strip_prefix("#/$defs/")
                    .and_then(|name| self.defs?.get(name));
                match def {
                    Some(def) => schema = def,
                    None => break,
                }
            } else if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
                // `Option<T>`: T or null.
                let (nulls, others): (Vec<&Value>, Vec<&Value>) = any
                    .iter()
                    .partition(|s| s.get("type").and_then(Value::as_str) == Some("null"));
                nullable |= !nulls.is_empty();
                match others[..] {
                    [one] => schema = one,
                    _ => break,
                }
            } else {
                break;
            }
            description = description.or(schema.get("description").and_then(Value::as_str));
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        nullable |= types.contains(&"null");
        let kind = match types.iter().find(|t| **t != "null").copied() {
            Some("boolean") => FactKind::Bool,
            Some("integer" | "number") => FactKind::Integer,
            Some("array") => FactKind::List,
            Some("object") => FactKind::Map,
            _ => FactKind::Text,
        };
        Node {
            kind,
            nullable,
            description,
            properties: schema.get("properties").and_then(Value::as_object),
            items: schema.get("items"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_described() {
        let mut seen = std::collections::HashSet::new();
        for fact in catalogue() {
            assert!(seen.insert(fact.name), "{} twice", fact.name);
            assert!(
                !fact.description.is_empty(),
                "{} has no description",
                fact.name
            );
        }
    }

    #[test]
    fn kinds_and_item_fields_come_from_the_types() {
        let kind = |name: &str| spec(name).map(|s| s.kind);
        assert_eq!(kind("mta.kind"), Some(FactKind::Text));
        assert_eq!(kind("mta.running"), Some(FactKind::Bool));
        assert_eq!(kind("panel"), Some(FactKind::Text));
        assert_eq!(kind("queue.total"), Some(FactKind::Integer));
        assert_eq!(kind("log.failures"), Some(FactKind::Map));
        assert_eq!(kind("log.failures.spam"), Some(FactKind::Integer));
        assert_eq!(kind("log.samples.spam"), Some(FactKind::List));
        assert_eq!(kind("php.sendmail_path"), Some(FactKind::Map));
        assert_eq!(
            kind("php.sendmail_path.cli"),
            None,
            "keys of a map are the host's"
        );
        let scripts = spec("queue.top_scripts").unwrap();
        assert_eq!(scripts.kind, FactKind::List);
        assert_eq!(
            scripts.item_fields,
            [
                "script",
                "uid",
                "count",
                "newest",
                "class",
                "locations",
                "site"
            ]
        );
        assert!(spec("mta.running").unwrap().nullable);
        assert!(!spec("php.add_x_header").unwrap().nullable);
        assert!(spec("queue.error").is_some());
    }
}
