//! Every fact `runbook facts` prints on the example hosts is in the catalogue lint checks
//! runbooks against, with the shape the catalogue says; and every group has one shape on
//! every host (a field is null when not known, never missing).

use std::path::Path;

use runbook::facts::spec::{FactKind, FactSpec, catalogue, spec};
use runbook::facts::{Facts, Group};
use runbook::host::Host;
use serde_json::Value;

/// Fields present only when something went wrong: they say what (`unreadable_omitted`: more
/// unreadable queue files than are listed).
const ONLY_ON_TROUBLE: &[&str] = &["error", "note", "unreadable_omitted"];

fn example_hosts() -> Vec<std::path::PathBuf> {
    let mut hosts: Vec<_> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hosts"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
    hosts.sort();
    assert!(hosts.len() >= 5, "{hosts:?}");
    hosts
}

fn kind_fits(spec: &FactSpec, value: &Value) -> bool {
    match value {
        Value::Null => spec.nullable,
        Value::Bool(_) => spec.kind == FactKind::Bool,
        Value::Number(n) => spec.kind == FactKind::Integer && (n.is_i64() || n.is_u64()),
        Value::String(_) => spec.kind == FactKind::Text,
        Value::Array(_) => spec.kind == FactKind::List,
        Value::Object(_) => spec.kind == FactKind::Map,
    }
}

/// Check `value` (the fact `name`) and what is inside it; return the problems.
fn check(name: &str, value: &Value, problems: &mut Vec<String>) {
    let Some(spec) = spec(name) else {
        problems.push(format!("`{name}` is printed but lint does not know it"));
        return;
    };
    if !kind_fits(spec, value) {
        problems.push(format!(
            "`{name}` is {value} but the catalogue says {:?}",
            spec.kind
        ));
    }
    match value {
        Value::Object(fields) => {
            // A map with known fields has them in the catalogue; one keyed by host data
            // (per SAPI) has none.
            let known = catalogue()
                .iter()
                .any(|f| f.name.starts_with(&format!("{name}.")));
            if known {
                for (field, v) in fields {
                    check(&format!("{name}.{field}"), v, problems);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(fields) => {
                        for field in fields.keys() {
                            if !spec.item_fields.contains(&field.as_str()) {
                                problems.push(format!(
                                    "`{name}[].{field}` is printed but `{{{{item.{field}}}}}` would fail lint"
                                ));
                            }
                        }
                    }
                    _ if !spec.item_fields.is_empty() => {
                        problems.push(format!("`{name}` has a non-record item {item}"))
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_printed_fact_is_in_the_catalogue_on_every_example_host() {
    let mut problems = Vec::new();
    for root in example_hosts() {
        let facts = Facts::new(&Host::new(&root));
        let tree = facts.tree(&[]);
        let host = root.file_name().unwrap().to_string_lossy().into_owned();
        let mut found = Vec::new();
        let mut here = Vec::new();
        for (group, value) in &tree {
            match value {
                Value::Object(fields) if spec(group).is_none() => {
                    for (field, v) in fields {
                        found.push(format!("{group}.{field}"));
                        check(&format!("{group}.{field}"), v, &mut here);
                    }
                }
                _ => {
                    found.push(group.clone());
                    check(group, value, &mut here);
                }
            }
        }
        // One shape everywhere: every fact of a group is there on every host.
        for fact in catalogue() {
            let top = fact.name.split('.').take(2).collect::<Vec<_>>().join(".");
            let trouble = ONLY_ON_TROUBLE
                .iter()
                .any(|t| fact.name.ends_with(&format!(".{t}")));
            if top == fact.name && !trouble && !found.contains(&top) {
                here.push(format!("`{}` is missing", fact.name));
            }
        }
        problems.extend(here.into_iter().map(|p| format!("{host}: {p}")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_catalogue_has_every_group() {
    for group in Group::ALL {
        assert!(
            catalogue().iter().any(
                |f| f.name == group.name() || f.name.starts_with(&format!("{}.", group.name()))
            ),
            "{group:?}"
        );
    }
}

/// The facts table of docs/json.md names every fact of the catalogue (down to a group's
/// fields) and nothing else.
#[test]
fn docs_json_md_lists_every_fact() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md"))
        .unwrap();
    let section = docs
        .split("## `runbook facts --output json`")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a facts section");
    let mut documented = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split(" | ").next().unwrap().trim_start_matches("| ");
        for name in first.split(", ") {
            documented.push(name.trim_matches('`').trim_end_matches("[]").to_string());
        }
    }
    let mut problems = Vec::new();
    for name in &documented {
        if spec(name).is_none() {
            problems.push(format!("docs/json.md documents `{name}`, which is no fact"));
        }
    }
    for fact in catalogue() {
        let depth = fact.name.split('.').count();
        if depth <= 2 && !documented.iter().any(|d| d == fact.name) {
            problems.push(format!("docs/json.md does not document `{}`", fact.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
