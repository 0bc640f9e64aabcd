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

/// php.ini files larger than this are not read: Debian's php.ini-production is 73 KiB,
/// and interpreting one costs up to four times its size (invalid UTF-8 widens to
/// U+FFFD).
pub const PHP_INI_MAX: u64 = 4 << 20;

fn describe(host: &Host, file: &PhpIni) -> Value {
    let path = file.path.to_string_lossy().into_owned();
    let mut out = json!({
        "path": path,
        "sapi": file.sapi,
        "version": file.version,
        "layout": file.layout,
        "user": file.user,
    });
    let text = match host.read_max(&path, PHP_INI_MAX) {
        Ok(bytes) => interpretable(bytes.unwrap_or_default()),
        Err(e) => Err(e.to_string()),
    };
    let text = match text {
        Ok(text) => text,
        Err(reason) => {
            // Not interpreted: nothing is claimed to be set, and the reason says why.
            out["add_x_header"] = json!(false);
            out["mail_disabled"] = json!(false);
            out["disable_functions"] = json!([]);
            out["sendmail_path"] = Value::Null;
            out["error"] = json!(reason);
            return out;
        }
    };
    let disabled: Vec<String> = ini::get(&text, "disable_functions")
        .map(|v| {
            v.split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    // PHP treats On/1/yes/true as enabled; the default is Off.
    out["add_x_header"] = json!(ini::get(&text, "mail.add_x_header").is_some_and(|v| is_on(&v)));
    out["mail_disabled"] = json!(disabled.iter().any(|f| f.eq_ignore_ascii_case("mail")));
    out["disable_functions"] = json!(disabled);
    out["sendmail_path"] = json!(ini::get(&text, "sendmail_path"));
    out["error"] = Value::Null;
    out
}

/// The text of a php.ini as PHP reads it, or why we do not interpret it. A UTF-8 BOM
/// at the start is skipped and CRLF line ends are fine. A NUL byte, or a carriage
/// return not followed by a line feed (PHP's ini scanner takes a lone `\r` as a line
/// end, our line splitting does not), could make us read another value than PHP does:
/// such a file is refused rather than guessed at.
pub fn interpretable(mut bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    if let Some(at) = memchr::memchr(0, &bytes) {
        return Err(format!(
            "a NUL byte at offset {at}: not interpreted (PHP may read it otherwise)"
        ));
    }
    let lone_cr = bytes
        .iter()
        .enumerate()
        .find(|(i, b)| **b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    if let Some((at, _)) = lone_cr {
        return Err(format!(
            "a carriage return without a line feed at offset {at}: not interpreted \
             (PHP takes it as a line end)"
        ));
    }
    // Valid UTF-8 (nearly always) becomes the text without a copy.
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_crlf_read_as_php_does() {
        let text = interpretable(
            b"\xEF\xBB\xBFmail.add_x_header = On\r\nsendmail_path = /bin/true\r\n".to_vec(),
        )
        .unwrap();
        assert_eq!(ini::get(&text, "mail.add_x_header").as_deref(), Some("On"));
        assert_eq!(
            ini::get(&text, "sendmail_path").as_deref(),
            Some("/bin/true")
        );
    }

    #[test]
    fn nul_and_lone_cr_are_refused() {
        let nul =
            interpretable(b"disable_functions = mail\0\nsendmail_path = x\n".to_vec()).unwrap_err();
        assert!(nul.contains("NUL byte at offset 24"), "{nul}");
        let cr = interpretable(b"a = 1\rdisable_functions =\n".to_vec()).unwrap_err();
        assert!(cr.contains("carriage return"), "{cr}");
        // A CR ending the file is a lone one too.
        assert!(interpretable(b"a = 1\r".to_vec()).is_err());
    }
}
