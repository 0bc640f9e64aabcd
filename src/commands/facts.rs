//! `runbook facts`: what the host looks like, as runbooks see it.

use anyhow::Result;
use serde_json::Value;

use crate::cli::Output;
use crate::facts::{Facts, Group};
use crate::report::escape::escape;
use crate::report::style::Style;

pub fn run(root: &std::path::Path, only: &[Group], output: Output) -> Result<u8> {
    let facts = Facts::new(&super::host_opts::host(root)?);
    let tree = facts.tree(only);
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&tree)?),
        Output::Human => {
            let style = Style::detect();
            for (group, value) in &tree {
                println!("{}", style.bold(&escape(group)));
                print_value(value, 1);
            }
        }
    }
    Ok(0)
}

fn print_value(value: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) if !is_flat(v) => {
                        println!("{indent}{}:", escape(k));
                        print_value(v, depth + 1);
                    }
                    _ => println!("{indent}{}: {}", escape(k), inline(v)),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                println!("{indent}- {}", inline(item));
            }
        }
        other => println!("{indent}{}", inline(other)),
    }
}

fn is_flat(v: &Value) -> bool {
    match v {
        Value::Array(items) => {
            items.is_empty() || items.iter().all(|i| !i.is_object() && !i.is_array())
        }
        Value::Object(map) => map.is_empty(),
        _ => true,
    }
}

/// A value on one line: records as `key=value` pairs; host text escaped (queue headers,
/// file names and log lines are attacker data).
fn inline(v: &Value) -> String {
    match v {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}={}", escape(k), inline(v)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Value::String(s) => escape(s),
        other => other.to_string(),
    }
}
