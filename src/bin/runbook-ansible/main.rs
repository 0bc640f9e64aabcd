//! `runbook-ansible`: the binary module of the Ansible collection `runbook.fleet`.
//!
//! Ansible copies it to the host for every task and runs it with one argument, a JSON
//! file of the task's options; it prints one JSON object. It only calls the runbook
//! installed on the host (kept small: it is copied every task). The same binary is both
//! modules, `runbook` and `runbook_facts`, told apart by the module name Ansible passes.
mod call;
mod filediff;
mod modules;
mod options;

use serde_json::{Value, json};
use std::process::ExitCode;

fn main() -> ExitCode {
    let result = match std::env::args_os().nth(1) {
        Some(path) => match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(args) => dispatch(&args, std::env::args().next().unwrap_or_default()),
                Err(error) => fail(format!("the arguments file is not JSON: {error}")),
            },
            Err(error) => fail(format!("cannot read the arguments file: {error}")),
        },
        None => {
            fail("usage: runbook-ansible ARGS_FILE (Ansible runs it as a binary module)".into())
        }
    };
    // One JSON object on stdout is the whole protocol; Ansible reads `failed` from it.
    println!("{result}");
    if result["failed"] == true {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn dispatch(args: &Value, argv0: String) -> Value {
    // Ansible names the module in `_ansible_module_name`; run by hand, the file name does.
    let name = args["_ansible_module_name"]
        .as_str()
        .map_or(argv0, str::to_string);
    let outcome = if name.ends_with("runbook_facts") {
        options::parse_facts(args).map(|o| modules::facts(&o))
    } else {
        options::parse_runbook(args).map(|o| modules::runbook(&o))
    };
    outcome.unwrap_or_else(fail)
}

pub fn fail(msg: String) -> Value {
    json!({ "failed": true, "changed": false, "msg": msg })
}
