//! The task's options, read from the JSON file Ansible passes as the only argument.
//!
//! Ansible validates a Python module's options against its argument spec, but not a
//! binary module's: every check an option needs is here, and an unknown option fails
//! the task instead of being ignored (a typo such as `parms` must not apply defaults).
use serde_json::{Map, Value};

/// What `runbook.fleet.runbook` is asked to bring the host to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Applied,
    RolledBack,
    Planned,
}

/// Options both modules share, and Ansible's own switches.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Common {
    pub root: Option<String>,
    pub runbook_bin: Option<String>,
    pub check_mode: bool,
    pub diff: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub struct RunbookOptions {
    pub id: Option<String>,
    pub params: Vec<(String, String)>,
    pub state: State,
    pub state_dir: Option<String>,
    pub common: Common,
}

#[derive(Debug, PartialEq, Eq)]
pub struct FactsOptions {
    pub only: Vec<String>,
    pub common: Common,
}

const RUNBOOK_OPTIONS: &[&str] = &["id", "params", "state", "root", "state_dir", "runbook_bin"];
const FACTS_OPTIONS: &[&str] = &["only", "root", "runbook_bin"];

pub fn parse_runbook(args: &Value) -> Result<RunbookOptions, String> {
    let map = object(args, "runbook", RUNBOOK_OPTIONS)?;
    let state = match opt_str(map, "state")?.as_deref() {
        None | Some("applied") => State::Applied,
        Some("rolled_back") => State::RolledBack,
        Some("planned") => State::Planned,
        Some(other) => {
            return Err(format!(
                "value of state must be one of: applied, rolled_back, planned, got: {other}"
            ));
        }
    };
    let id = opt_str(map, "id")?;
    if id.is_none() && state != State::RolledBack {
        return Err("missing required arguments: id (needed unless state=rolled_back)".into());
    }
    let params = match map.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(params)) => params
            .iter()
            .map(|(key, value)| {
                Ok((
                    key.clone(),
                    scalar(value).ok_or_else(|| {
                        format!("params.{key} must be a string, number or boolean")
                    })?,
                ))
            })
            .collect::<Result<_, String>>()?,
        Some(_) => return Err("params must be a dict".into()),
    };
    if !params.is_empty() && state == State::RolledBack {
        return Err(
            "params do not go with state=rolled_back: a rollback undoes a run as it was".into(),
        );
    }
    Ok(RunbookOptions {
        id,
        params,
        state,
        state_dir: opt_str(map, "state_dir")?,
        common: common(map)?,
    })
}

pub fn parse_facts(args: &Value) -> Result<FactsOptions, String> {
    let map = object(args, "runbook_facts", FACTS_OPTIONS)?;
    let only = match map.get("only") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(groups)) => groups.split(',').map(|g| g.trim().to_string()).collect(),
        Some(Value::Array(groups)) => groups
            .iter()
            .map(|g| {
                g.as_str()
                    .map(str::to_string)
                    .ok_or("only must be a list of strings")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("only must be a list of fact groups".into()),
    };
    Ok(FactsOptions {
        only,
        common: common(map)?,
    })
}

/// The options as an object, refusing names neither the module nor Ansible defines.
fn object<'a>(
    args: &'a Value,
    module: &str,
    known: &[&str],
) -> Result<&'a Map<String, Value>, String> {
    let map = args
        .as_object()
        .ok_or("the arguments file does not hold a JSON object")?;
    let mut unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|key| !key.starts_with("_ansible_") && !known.contains(key))
        .collect();
    if unknown.is_empty() {
        return Ok(map);
    }
    unknown.sort_unstable();
    Err(format!(
        "Unsupported parameters for ({module}) module: {}. Supported parameters include: {}.",
        unknown.join(", "),
        known.join(", ")
    ))
}

fn common(map: &Map<String, Value>) -> Result<Common, String> {
    Ok(Common {
        root: opt_str(map, "root")?,
        runbook_bin: opt_str(map, "runbook_bin")?,
        check_mode: flag(map, "_ansible_check_mode"),
        diff: flag(map, "_ansible_diff"),
    })
}

fn opt_str(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn flag(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A param's value as runbook's command line takes it; booleans in runbook's spelling.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ansible_switches_pass_and_unknown_options_fail() {
        let args = json!({"id": "php-disable-mail", "params": {"purge": "all", "n": 3, "b": true},
            "_ansible_check_mode": true, "_ansible_diff": true, "_ansible_no_log": false});
        let options = parse_runbook(&args).unwrap();
        assert_eq!(options.state, State::Applied);
        assert!(options.common.check_mode && options.common.diff);
        assert_eq!(
            options.params,
            [
                ("purge".into(), "all".into()),
                ("n".into(), "3".into()),
                ("b".into(), "true".into())
            ]
        );
        let error = parse_runbook(&json!({"id": "x", "parms": {}, "statedir": "/s"})).unwrap_err();
        assert!(error.contains("parms, statedir"), "{error}");
    }

    #[test]
    fn wrong_values_are_named() {
        assert!(
            parse_runbook(&json!({"state": "applied"}))
                .unwrap_err()
                .contains("id")
        );
        assert!(
            parse_runbook(&json!({"id": "x", "state": "present"}))
                .unwrap_err()
                .contains("present")
        );
        assert!(
            parse_runbook(&json!({"id": "x", "params": ["a"]}))
                .unwrap_err()
                .contains("dict")
        );
        assert!(
            parse_runbook(&json!({"id": "x", "params": {"a": [1]}}))
                .unwrap_err()
                .contains("params.a")
        );
        assert_eq!(
            parse_runbook(&json!({"state": "rolled_back"})).unwrap().id,
            None
        );
        assert!(parse_facts(&json!({"id": "x"})).unwrap_err().contains("id"));
        assert_eq!(
            parse_facts(&json!({"only": "queue, php"})).unwrap().only,
            ["queue", "php"]
        );
    }
}
