use crate::support::Test;

#[test]
fn committed_schema_is_current() {
    let out = Test::new().run_args(&["schema"]);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/runbook.schema.json"
    ))
    .unwrap();
    assert!(
        out.stdout == committed,
        "schemas/runbook.schema.json is stale: run `cargo run -- schema > schemas/runbook.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn list_says_where_each_runbook_comes_from() {
    let test =
        Test::new().runbook("# yaml-language-server: $schema=x\nid: custom\ntitle: Custom\n");
    let out = test.run_args(&["list", "--output", "json"]);
    let list = out.json();
    let runbooks = list["runbooks"].as_array().unwrap();
    let origin = |id: &str| {
        runbooks
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["origin"].clone())
    };
    assert_eq!(origin("php-disable-mail"), Some("builtin".into()));
    assert_eq!(origin("custom"), Some("--runbooks".into()));
    let env = Test::new()
        .env("RUNBOOK_PATH", &test.runbooks_dir().display().to_string())
        .run_args(&["list", "--output", "json"])
        .json();
    assert!(
        env["runbooks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "custom" && r["origin"] == "RUNBOOK_PATH")
    );
}

#[test]
fn show_renders_the_procedure_as_markdown() {
    let out = Test::new().run_args(&["show", "php-disable-mail"]);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn completions_and_man_page() {
    let bash = Test::new().run_args(&["completions", "bash"]);
    assert!(bash.stdout.contains("rollback") && bash.stdout.contains("--dry-run"));
    let man = Test::new().run_args(&["man"]);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH runbook"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
}
