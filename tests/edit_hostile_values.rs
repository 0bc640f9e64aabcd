//! Property: a hostile param value, passed through the real engine into every edit
//! primitive at once (ini set, ini list add, Apache directive, line), is either refused
//! while planning, with nothing written anywhere, or lands as exactly one directive
//! with exactly that value, every other directive as it was; rollback then restores
//! every file byte for byte.

use std::fs;
use std::path::Path;

use proptest::prelude::*;
use runbook::apply::{execute, rollback, state_dir};
use runbook::edit::{apache, ini};
use runbook::host::Host;
use runbook::plan::builder::{Request, build};
use runbook::plan::types::Mode;
use runbook::runbook::catalog::Catalog;

const RUNBOOK: &str = r#"# yaml-language-server: $schema=x
id: hostile
title: One value into every edit primitive
params:
  v: { type: string }
steps:
  - id: ini-set
    title: ini value
    ini_set: { file: /etc/php.ini, key: sendmail_path, value: "{{params.v}}" }
  - id: ini-list
    title: ini list item
    ini_list_add: { file: /etc/php.ini, key: disable_functions, item: "{{params.v}}" }
  - id: apache
    title: Apache value
    apache_directive: { file: /etc/apache2/sites-enabled/sites.conf, directive: php_admin_value, arg: sendmail_path, value: "{{params.v}}", server_name: a.example }
  - id: line
    title: a line
    line: { file: /etc/app.conf, line: "c={{params.v}}" }
"#;

const INI: &str = "[PHP]\nengine = On\n;sendmail_path =\nsendmail_path = /usr/sbin/sendmail -t -i\ndisable_functions = \"exec\"\n\n[mail function]\nSMTP = localhost\n";
const VHOSTS: &str = "<VirtualHost *:80>\n\tServerName a.example\n\tphp_admin_value sendmail_path \"/usr/sbin/sendmail -t -i\"\n\tphp_admin_value open_basedir /var/www\n</VirtualHost>\n<VirtualHost *:80>\n\tServerName b.example\n\tphp_admin_value sendmail_path /usr/sbin/sendmail\n</VirtualHost>\n";
const CONF: &str = "a=1\nb=2\n";

const FILES: [(&str, &str); 3] = [
    ("etc/php.ini", INI),
    ("etc/apache2/sites-enabled/sites.conf", VHOSTS),
    ("etc/app.conf", CONF),
];

/// Pieces that end lines, quotes, sections and blocks, start comments, continue lines.
fn hostile_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "\n",
            "\r",
            "\0",
            "\x1b",
            ";",
            "#",
            "\"",
            "'",
            "\\",
            "=",
            ",",
            " ",
            "\t",
            "[PHP]",
            "<VirtualHost *:80>",
            "</VirtualHost>",
            "sendmail_path = /bin/evil",
            "mail",
            "é",
            "🦀",
        ])
        .prop_map(str::to_string),
        "[a-z/._-]{1,8}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 1..6).prop_map(|p| p.concat())
}

/// `get`'s reading of a raw value: trimmed, one pair of surrounding quotes removed.
fn unquoted(raw: &str) -> String {
    let raw = raw.trim();
    for q in ['"', '\''] {
        if raw.len() >= 2
            && let Some(inner) = raw.strip_prefix(q).and_then(|r| r.strip_suffix(q))
        {
            return inner.trim().to_string();
        }
    }
    raw.to_string()
}

fn read(root: &Path, file: &str) -> String {
    fs::read_to_string(root.join(file)).unwrap()
}

/// Every file as written, for the checks after apply.
fn check_applied(root: &Path, v: &str) -> Result<(), TestCaseError> {
    let php = read(root, "etc/php.ini");
    prop_assert_eq!(ini::get(&php, "sendmail_path"), Some(unquoted(v)));
    prop_assert_eq!(ini::get(&php, "engine"), Some("On".to_string()));
    prop_assert_eq!(ini::get(&php, "SMTP"), Some("localhost".to_string()));
    let list = ini::get(&php, "disable_functions").unwrap();
    let items: Vec<String> = list.split(',').map(|i| i.trim().to_lowercase()).collect();
    prop_assert!(items.contains(&"exec".to_string()));
    prop_assert!(items.contains(&v.to_lowercase()), "{:?} in {:?}", v, items);
    prop_assert_eq!(php.lines().count(), INI.lines().count());

    let hosts = apache::virtual_hosts(&read(root, "etc/apache2/sites-enabled/sites.conf"));
    let names: Vec<_> = hosts.iter().map(|h| h.server_name.clone()).collect();
    prop_assert_eq!(names, [Some("a.example".into()), Some("b.example".into())]);
    let a = &hosts[0].php_admin_values;
    prop_assert_eq!(a.len(), 2);
    prop_assert_eq!(&a[0].0, "sendmail_path");
    prop_assert_eq!(&a[1], &("open_basedir".to_string(), "/var/www".to_string()));
    if !v.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        prop_assert_eq!(&a[0].1, v);
    }
    prop_assert_eq!(
        &hosts[1].php_admin_values,
        &[(
            "sendmail_path".to_string(),
            "/usr/sbin/sendmail".to_string()
        )]
    );

    let conf = read(root, "etc/app.conf");
    let expected = format!("c={v}");
    prop_assert_eq!(
        conf.lines().collect::<Vec<_>>(),
        ["a=1", "b=2", expected.as_str()]
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn hostile_values_are_refused_or_land_as_exactly_one_directive(v in hostile_value()) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for (file, text) in FILES {
            fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            fs::write(root.join(file), text).unwrap();
        }
        let rb = dir.path().join("hostile.yaml");
        fs::write(&rb, RUNBOOK).unwrap();
        let catalog = Catalog::from_paths(&[rb]);
        let host = Host::new(&root);
        let state_path = root.join("var/lib/runbook");
        let params = [("v".to_string(), v.clone())];
        let request = Request { catalog: &catalog, id: "hostile", host: &host, params: &params, mode: Mode::Apply };
        match build(&request) {
            Err(e) => {
                // Refused while planning: a reason, and nothing written.
                let message = format!("{e:#}");
                prop_assert!(!message.is_empty());
                prop_assert!(!message.contains(['\0', '\x1b']), "{:?}", message);
                for (file, text) in FILES {
                    prop_assert_eq!(read(&root, file), text);
                }
                prop_assert!(!state_path.exists());
            }
            Ok(mut plan) => {
                let state = state_dir::open(&state_path, Some(&root), true).unwrap().unwrap();
                let applied = execute::apply(&mut plan, &host, &state, false).unwrap();
                prop_assert!(applied.error.is_none());
                check_applied(&root, &v)?;
                rollback::rollback(&host, &state, None, false).unwrap();
                for (file, text) in FILES {
                    prop_assert_eq!(read(&root, file), text);
                }
            }
        }
    }
}
