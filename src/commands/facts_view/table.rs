//! Lists of flat records (`top_senders`, `top_local_users`) as aligned columns under a
//! header: a person reads down a column, not along `key=value` pairs.

use serde_json::Value;

use super::{View, scalar};
use crate::report::escape::escape;

/// A record whose fields are all numbers, text, booleans or null.
pub fn flat(record: &Value) -> bool {
    record
        .as_object()
        .is_some_and(|r| r.values().all(|v| !v.is_array() && !v.is_object()))
}

/// The records at `depth`, their fields as columns in the first record's order; a null
/// cell is `-`. Columns of numbers are right-aligned. Widths count characters: escaped host text
/// has no controls, but wide (CJK) characters may shift a column.
pub fn render(out: &mut Vec<String>, path: &str, items: &[Value], depth: usize, view: &View) {
    let records: Vec<_> = items.iter().filter_map(Value::as_object).collect();
    let Some(first) = records.first() else {
        return;
    };
    let keys: Vec<&String> = first.keys().collect();
    let header: Vec<String> = keys.iter().map(|k| escape(k).to_uppercase()).collect();
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            keys.iter()
                .map(|k| match r.get(k.as_str()) {
                    None | Some(Value::Null) => "-".to_string(),
                    Some(v) => scalar(&format!("{path}.{k}"), k, v, Some(r), view),
                })
                .collect()
        })
        .collect();
    // Counts and ids, not dates or `1001 (siteuser)`.
    let number = |c: &String| c == "-" || c.chars().all(|c| c.is_ascii_digit());
    let numeric: Vec<bool> = (0..keys.len())
        .map(|i| rows.iter().all(|r| number(&r[i])))
        .collect();
    let widths: Vec<usize> = (0..keys.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let indent = "  ".repeat(depth);
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = " ".repeat(widths[i] - c.chars().count());
                if numeric[i] {
                    format!("{pad}{c}")
                } else {
                    format!("{c}{pad}")
                }
            })
            .collect();
        format!("{indent}{}", padded.join("  ").trim_end())
    };
    out.push(view.style.dim(&line(&header)));
    out.extend(rows.iter().map(|r| line(r)));
}
