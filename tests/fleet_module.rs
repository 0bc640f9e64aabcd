//! runbook-ansible, the collection's binary module, run as Ansible runs it (one argument,
//! a JSON file of the task's options) against the real runbook on a copied example host.
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const PHP_INI: &str = "etc/php/8.2/cli/php.ini";

/// One task: the module's single JSON object, with `_ansible_*` switches as Ansible sets them.
fn task(host: &Path, args: Value) -> Value {
    let mut args = args;
    let map = args.as_object_mut().unwrap();
    map.entry("root").or_insert(json!(host.join("root")));
    // runbook_facts has no state_dir (and would refuse one).
    if !map.contains_key("_ansible_module_name") {
        map.entry("state_dir").or_insert(json!(host.join("state")));
    }
    map.insert("runbook_bin".into(), json!(env!("CARGO_BIN_EXE_runbook")));
    map.insert("_ansible_no_log".into(), json!(false));
    map.insert("_ansible_version".into(), json!("2.19.14"));
    let file = host.join("args");
    std::fs::write(&file, args.to_string()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_runbook-ansible"))
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains('\x1b'), "colour codes: {stdout}");
    let result: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(
        output.status.success(),
        result["failed"] != true,
        "{result}"
    );
    result
}

fn exim_host() -> tempfile::TempDir {
    let host = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .args(["-a", "examples/hosts/exim-outbreak"])
        .arg(host.path().join("root"))
        .status()
        .unwrap();
    assert!(status.success());
    host
}

fn read(host: &Path, file: &str) -> String {
    std::fs::read_to_string(host.join("root").join(file)).unwrap()
}

#[test]
fn check_diff_apply_again_rollback_again() {
    let host = exim_host();
    let h = host.path();
    let original = read(h, PHP_INI);
    let apply = json!({"id": "exim-block-unlock", "params": {"purge": "source"}});

    let mut check = apply.clone();
    check["_ansible_check_mode"] = json!(true);
    check["_ansible_diff"] = json!(true);
    let planned = task(h, check);
    assert_eq!(planned["changed"], true);
    assert_eq!(planned["plan"]["mode"], "dry-run");
    assert!(planned.get("run_id").is_none(), "a dry run makes no run");
    assert_eq!(read(h, PHP_INI), original, "check mode wrote");
    assert!(!h.join("state").exists(), "check mode made the state dir");
    let diff = planned["diff"].as_array().unwrap();
    assert_eq!(diff.len(), 1, "one entry per file: {diff:?}");
    assert_eq!(diff[0]["before_header"], "/etc/php/8.2/cli/php.ini");
    assert_eq!(diff[0]["before"], original);
    let warnings = planned["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("form-captcha: tools.php"))
    );

    let mut real = apply.clone();
    real["_ansible_diff"] = json!(true);
    let applied = task(h, real);
    assert_eq!(applied["changed"], true);
    assert!(applied["run_id"].as_str().unwrap().contains('T'));
    assert_eq!(applied["plan"]["outcome"], "applied");
    // The check's after is exactly what the apply wrote; the apply's before is the original.
    assert_eq!(diff[0]["after"], read(h, PHP_INI));
    assert_eq!(applied["diff"][0]["before"], original);
    assert_eq!(applied["diff"][0]["after"], read(h, PHP_INI));

    assert_eq!(
        task(h, apply.clone())["changed"],
        false,
        "a second apply changed"
    );

    let rollback =
        json!({"id": "exim-block-unlock", "state": "rolled_back", "_ansible_diff": true});
    let mut check_rollback = rollback.clone();
    check_rollback["_ansible_check_mode"] = json!(true);
    let would = task(h, check_rollback);
    assert_eq!(would["changed"], true);
    assert_ne!(read(h, PHP_INI), original, "check mode rolled back");
    let rolled = task(h, rollback.clone());
    assert_eq!(rolled["changed"], true);
    assert_eq!(rolled["run_id"], applied["run_id"]);
    assert_eq!(
        rolled["rollback"]["restored"],
        json!(["/etc/php/8.2/cli/php.ini"])
    );
    assert_eq!(rolled["diff"][0]["after"], original);
    assert_eq!(read(h, PHP_INI), original);
    let again = task(h, rollback);
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(
        again["msg"],
        "no run of exim-block-unlock is left to roll back"
    );
    let last = task(h, json!({"state": "rolled_back"}));
    assert_eq!(last["changed"], false, "{last}");
}

#[test]
fn planned_is_a_dry_run_in_any_mode() {
    let host = exim_host();
    let planned = task(
        host.path(),
        json!({"id": "exim-block-unlock", "state": "planned"}),
    );
    assert_eq!(planned["changed"], true);
    assert_eq!(planned["plan"]["mode"], "dry-run");
    assert!(!host.path().join("state").exists());
}

#[test]
fn failures_carry_runbooks_message_and_unknown_options_fail() {
    let host = exim_host();
    let h = host.path();
    let bad = task(
        h,
        json!({"id": "exim-block-unlock", "params": {"purge": "everything"}}),
    );
    assert_eq!(
        bad["msg"],
        "param `purge`: `everything` is not one of: source, frozen, all, none"
    );
    let unknown = task(
        h,
        json!({"id": "exim-block-unlock", "params": {"purgee": "all"}}),
    );
    assert!(
        unknown["msg"]
            .as_str()
            .unwrap()
            .starts_with("unknown param `purgee`"),
        "{unknown}"
    );
    let typo = task(
        h,
        json!({"id": "exim-block-unlock", "parms": {"purge": "all"}}),
    );
    assert!(
        typo["msg"]
            .as_str()
            .unwrap()
            .contains("Unsupported parameters for (runbook) module: parms.")
    );
    let missing = task(h, json!({"id": "no-such-runbook"}));
    assert!(
        missing["msg"].as_str().unwrap().contains("no-such-runbook"),
        "{missing}"
    );
    assert_eq!(
        read(h, PHP_INI),
        std::fs::read_to_string(format!("examples/hosts/exim-outbreak/{PHP_INI}")).unwrap()
    );
}

#[test]
fn facts_come_back_as_ansible_facts() {
    let host = exim_host();
    let args =
        json!({"_ansible_module_name": "runbook.fleet.runbook_facts", "only": ["queue", "mta"]});
    let facts = task(host.path(), args);
    assert_eq!(facts["changed"], false);
    assert_eq!(facts["ansible_facts"]["runbook"]["mta"]["kind"], "exim");
    assert_eq!(facts["ansible_facts"]["runbook"]["queue"]["total"], 6);
    assert!(
        facts["ansible_facts"]["runbook"].get("php").is_none(),
        "only was ignored"
    );
    let mut wrong = json!({"_ansible_module_name": "runbook_facts", "id": "exim-block-unlock"});
    wrong["state_dir"] = json!(host.path().join("state"));
    let refused = task(host.path(), wrong);
    assert!(
        refused["msg"].as_str().unwrap().contains("id, state_dir."),
        "{refused}"
    );
}
