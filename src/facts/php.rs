//! PHP facts: every php.ini on the host and its mail settings.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;

use super::php_paths::{self, PhpIni};
use crate::edit::ini;
use crate::host::Host;

/// The `php` fact group: every php.ini on the host and its mail settings.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PhpFacts {
    /// Every php.ini found has mail.add_x_header = On (false when none is found)
    pub add_x_header: bool,
    /// Every php.ini found lists mail in disable_functions
    pub mail_disabled: bool,
    /// disable_functions per SAPI (`8.2/apache2`, `cli`, ...)
    pub disable_functions: IndexMap<String, Vec<String>>,
    /// sendmail_path per SAPI (null where unset: PHP's default /usr/sbin/sendmail -t -i)
    pub sendmail_path: IndexMap<String, Option<String>>,
    /// Every php.ini on the host (Debian, RHEL, Remi, cPanel, Plesk, CloudLinux, ISPmanager layouts), with its SAPI and mail settings
    pub ini_files: Vec<PhpIniFacts>,
}

/// One php.ini and its mail settings.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PhpIniFacts {
    /// Host path
    pub path: String,
    /// apache2, fpm, cgi, cli, user-cgi, or unknown (one php.ini for every SAPI)
    pub sapi: String,
    /// PHP version from the path, where it has one
    pub version: Option<String>,
    /// The layout it was found by (debian, rhel, cpanel, plesk, ispmanager-user, ...)
    pub layout: String,
    /// The site user a per-user php.ini belongs to; null for the server's own
    pub user: Option<String>,
    /// mail.add_x_header is On
    pub add_x_header: bool,
    /// mail is in disable_functions
    pub mail_disabled: bool,
    pub disable_functions: Vec<String>,
    pub sendmail_path: Option<String>,
    /// Why the file was not interpreted (then nothing is claimed set), or null
    pub error: Option<String>,
}

/// The `php` fact group.
pub fn gather(host: &Host) -> PhpFacts {
    let files: Vec<PhpIniFacts> = php_paths::discover(host.root())
        .iter()
        .map(|f| describe(host, f))
        .collect();
    let all = |field: fn(&PhpIniFacts) -> bool| !files.is_empty() && files.iter().all(field);
    let mut disable_functions = IndexMap::new();
    let mut sendmail_path = IndexMap::new();
    for file in &files {
        let key = sapi_key(file);
        disable_functions.insert(key.clone(), file.disable_functions.clone());
        sendmail_path.insert(key, file.sendmail_path.clone());
    }
    PhpFacts {
        add_x_header: all(|f| f.add_x_header),
        mail_disabled: all(|f| f.mail_disabled),
        disable_functions,
        sendmail_path,
        ini_files: files,
    }
}

/// php.ini files larger than this are not read: Debian's php.ini-production is 73 KiB,
/// and interpreting one costs up to four times its size (invalid UTF-8 widens to
/// U+FFFD).
pub const PHP_INI_MAX: u64 = 4 << 20;

fn describe(host: &Host, file: &PhpIni) -> PhpIniFacts {
    let path = file.path.to_string_lossy().into_owned();
    let text = match host.read_max(&path, PHP_INI_MAX) {
        Ok(bytes) => interpretable(bytes.unwrap_or_default()),
        Err(e) => Err(e.to_string()),
    };
    let mut out = PhpIniFacts {
        path,
        sapi: file.sapi.clone(),
        version: file.version.clone(),
        layout: file.layout.clone(),
        user: file.user.clone(),
        add_x_header: false,
        mail_disabled: false,
        disable_functions: Vec::new(),
        sendmail_path: None,
        error: None,
    };
    let text = match text {
        Ok(text) => text,
        Err(reason) => {
            // Not interpreted: nothing is claimed to be set, and the reason says why.
            out.error = Some(reason);
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
    out.add_x_header = ini::get(&text, "mail.add_x_header").is_some_and(|v| is_on(&v));
    out.mail_disabled = disabled.iter().any(|f| f.eq_ignore_ascii_case("mail"));
    out.disable_functions = disabled;
    out.sendmail_path = ini::get(&text, "sendmail_path");
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
fn sapi_key(file: &PhpIniFacts) -> String {
    match &file.version {
        Some(v) => format!("{v}/{}", file.sapi),
        None => file.sapi.clone(),
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
