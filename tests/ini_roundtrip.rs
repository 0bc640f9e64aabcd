//! Property: `ini_list_add` applied through the real engine, then rolled back, is the
//! identity on arbitrary ini text (bytes, mode and all).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use proptest::prelude::*;
use runbook::apply::{execute, rollback, state_dir};
use runbook::host::Host;
use runbook::plan::builder::{Request, build};
use runbook::plan::types::Mode;
use runbook::runbook::catalog::Catalog;

const RUNBOOK: &str = "# yaml-language-server: $schema=x
id: add-item
title: Add an item
steps:
  - id: add
    title: Add mail to disable_functions
    ini_list_add: { file: /etc/php.ini, key: disable_functions, item: mail }
";

fn ini_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Za-z ]{1,12}".prop_map(|s| format!("[{s}]")),
        "[ -~]{0,30}".prop_map(|s| format!(";{s}")),
        ("[a-z_.]{1,20}", "[ -~]{0,20}").prop_map(|(k, v)| format!("{k} = {v}")),
        "[a-z,_ ]{0,30}".prop_map(|v| format!("disable_functions = {v}")),
        "[a-z,_]{0,30}".prop_map(|v| format!("disable_functions=\"{v}\"")),
        "[a-z,_ ]{0,30}".prop_map(|v| format!(";disable_functions = {v}")),
        "[ -~]{0,40}",
    ]
}

fn ini_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(ini_line(), 0..30),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, final_newline)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join(eol);
            if final_newline && !text.is_empty() {
                text.push_str(eol);
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn list_add_then_rollback_is_the_identity(text in ini_text()) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("etc")).unwrap();
        let ini = root.join("etc/php.ini");
        fs::write(&ini, &text).unwrap();
        fs::set_permissions(&ini, fs::Permissions::from_mode(0o640)).unwrap();
        let rb = dir.path().join("add-item.yaml");
        fs::write(&rb, RUNBOOK).unwrap();

        let catalog = Catalog::from_paths(&[rb]);
        let host = Host::new(&root);
        let state = state_dir::open(&root.join("var/lib/runbook"), Some(&root), true).unwrap().unwrap();
        let mut plan = build(&Request { catalog: &catalog, id: "add-item", host: &host, params: &[], mode: Mode::Apply }).unwrap();
        let changed = plan.changes;
        let applied = execute::apply(&mut plan, &host, &state, false).unwrap();
        prop_assert!(applied.error.is_none());
        if changed {
            prop_assert_ne!(fs::read(&ini).unwrap(), text.as_bytes());
            rollback::rollback(&host, &state, None, false).unwrap();
        }
        prop_assert_eq!(fs::read_to_string(&ini).unwrap(), text);
        prop_assert_eq!(fs::metadata(&ini).unwrap().mode() & 0o7777, 0o640);
    }
}
