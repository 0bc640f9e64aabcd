//! PHP facts: every php.ini on the host and its mail settings.

use serde_json::{Map, Value, json};

use super::php_paths::{self, PhpIni};
use crate::edit::ini;
use crate::host::Host;

/// The `php` fact group.
pub fn gather(host: &Host) -> Value {
    let files: Vec<Value> = php_paths::discover(host.root())
        .iter()
        .map(|f| describe(host, f))
        .collect();
    let all =
        |field: &str| !files.is_empty() && files.iter().all(|f| f[field] == Value::Bool(true));
    let mut disable_functions = Map::new();
    let mut sendmail_path = Map::new();
    for file in &files {
        let key = sapi_key(file);
        disable_functions.insert(key.clone(), file["disable_functions"].clone());
        sendmail_path.insert(key, file["sendmail_path"].clone());
    }
    json!({
        "add_x_header": all("add_x_header"),
        "mail_disabled": all("mail_disabled"),
        "disable_functions": disable_functions,
        "sendmail_path": sendmail_path,
        "ini_files": files,
    })
}

fn describe(host: &Host, file: &PhpIni) -> Value {
    let path = file.path.to_string_lossy().into_owned();
    let text = host
        .read(&path)
        .ok()
        .flatten()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let disabled: Vec<String> = ini::get(&text, "disable_functions")
        .map(|v| {
            v.split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    json!({
        "path": path,
        "sapi": file.sapi,
        "version": file.version,
        "layout": file.layout,
        "user": file.user,
        // PHP treats On/1/yes/true as enabled; the default is Off.
        "add_x_header": ini::get(&text, "mail.add_x_header").is_some_and(|v| is_on(&v)),
        "mail_disabled": disabled.iter().any(|f| f.eq_ignore_ascii_case("mail")),
        "disable_functions": disabled,
        "sendmail_path": ini::get(&text, "sendmail_path"),
    })
}

/// `8.2/apache2`, or just the SAPI when the layout has no version (RHEL's /etc/php.ini).
fn sapi_key(file: &Value) -> String {
    match file["version"].as_str() {
        Some(v) => format!("{v}/{}", file["sapi"].as_str().unwrap_or("unknown")),
        None => file["sapi"].as_str().unwrap_or("unknown").to_string(),
    }
}

fn is_on(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "on" | "1" | "yes" | "true"
    )
}
