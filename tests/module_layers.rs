//! The top-level modules form layers: no module reaches, through `crate::` paths, one
//! that reaches back to it. A cycle (facts calling into apply, which plans with facts)
//! makes every change ripple both ways; this test names it when one creeps in.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Every `crate::NAME` a top-level module uses, by module.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules: BTreeSet<String> = fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut out = BTreeMap::new();
    for module in &modules {
        let mut uses = BTreeSet::new();
        let mut texts = Vec::new();
        collect(&src.join(module), &mut texts);
        collect(&src.join(format!("{module}.rs")), &mut texts);
        for text in texts {
            for (i, _) in text.match_indices("crate::") {
                let rest = &text[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if modules.contains(&name) && name != *module {
                    uses.insert(name);
                }
            }
        }
        out.insert(module.clone(), uses);
    }
    out
}

fn collect(path: &Path, texts: &mut Vec<String>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            collect(&entry.unwrap().path(), texts);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        texts.push(fs::read_to_string(path).unwrap());
    }
}

/// A path from `from` back to `to`, if there is one.
fn path(
    edges: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if from == to {
        return Some(vec![to.to_string()]);
    }
    if !seen.insert(from.to_string()) {
        return None;
    }
    for next in edges.get(from).into_iter().flatten() {
        if let Some(mut rest) = path(edges, next, to, seen) {
            rest.insert(0, from.to_string());
            return Some(rest);
        }
    }
    None
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let edges = edges();
    assert!(edges.len() > 10, "modules not found: {edges:?}");
    assert!(edges["apply"].contains("plan"), "edges not read: {edges:?}");
    for (module, uses) in &edges {
        for used in uses {
            if let Some(back) = path(&edges, used, module, &mut BTreeSet::new()) {
                panic!("import cycle: {module} -> {}", back.join(" -> "));
            }
        }
    }
}
