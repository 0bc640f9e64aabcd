//! PHP facts: every php.ini on the host and its mail settings, with the `*.ini` files
//! PHP reads after it from its scan dir (Debian's `conf.d`, the RPM builds' `php.d`).

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
    /// The directory PHP scans for more .ini files after this one (Debian's conf.d beside it, php.d on RPM layouts); null where the layout has none
    pub scan_dir: Option<String>,
    /// The .ini files read from scan_dir, in PHP's order (by name, byte order): a later file's value wins over php.ini's and an earlier file's
    pub scanned: Vec<String>,
    /// The file each mail setting's effective value came from (this php.ini or one of scanned), by setting name (mail.add_x_header, disable_functions, sendmail_path); settings set nowhere are absent
    pub set_in: IndexMap<String, String>,
    /// Why the file, or a file of its scan dir, was not interpreted (then nothing is claimed set), or null
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

/// A scan dir with more `*.ini` files than this is not interpreted (Debian's PHP with
/// every extension has about 60).
pub const SCANNED_MAX: usize = 1000;

/// The `*.ini` files of one scan dir together are read up to this many bytes; past it
/// the php.ini is not interpreted.
pub const SCANNED_BYTES_MAX: u64 = 64 << 20;

/// The mail settings the facts read, by their names in php.ini.
const SETTINGS: [&str; 3] = ["mail.add_x_header", "disable_functions", "sendmail_path"];

fn describe(host: &Host, file: &PhpIni) -> PhpIniFacts {
    let path = file.path.to_string_lossy().into_owned();
    let text = match host.read_max(&path, PHP_INI_MAX) {
        Ok(bytes) => interpretable(bytes.unwrap_or_default()),
        Err(e) => Err(e.to_string()),
    };
    let scan_dir = php_paths::scan_dir(file);
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
        scan_dir: scan_dir.clone(),
        scanned: Vec::new(),
        set_in: IndexMap::new(),
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
    // PHP's order: php.ini, then the scan dir's files by name; the last value read wins.
    let mut values: [Option<(String, String)>; 3] = Default::default();
    let mut take = |text: &str, from: &str| {
        for (slot, key) in values.iter_mut().zip(SETTINGS) {
            if let Some(value) = ini::get(text, key) {
                *slot = Some((value, from.to_string()));
            }
        }
    };
    take(&text, &out.path);
    drop(text);
    if let Some(dir) = &scan_dir {
        let read = scan(host, dir, |name, text| {
            take(text, name);
            out.scanned.push(name.to_string());
        });
        if let Err(reason) = read {
            out.scanned.clear();
            out.error = Some(reason);
            return out;
        }
    }
    let [x_header, disable_functions, sendmail_path] = values;
    for (key, value) in SETTINGS
        .iter()
        .zip([&x_header, &disable_functions, &sendmail_path])
    {
        if let Some((_, from)) = value {
            out.set_in.insert(key.to_string(), from.clone());
        }
    }
    let disabled: Vec<String> = disable_functions
        .map(|(v, _)| {
            v.split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    // PHP treats On/1/yes/true as enabled; the default is Off.
    out.add_x_header = x_header.is_some_and(|(v, _)| is_on(&v));
    out.mail_disabled = disabled.iter().any(|f| f.eq_ignore_ascii_case("mail"));
    out.disable_functions = disabled;
    out.sendmail_path = sendmail_path.map(|(v, _)| v);
    out
}

/// Read the `*.ini` files of the scan dir `dir` (a host path) as PHP does
/// (`php_init_config` in main/php_ini.c): every name ending in `.ini`, sorted
/// (`php_alphasort`: strcoll, in the C locale PHP starts in: byte order), each read if
/// `stat` says it is a regular file (symlinks followed, here inside the root and under
/// the read policy); others and dangling links are passed over as PHP passes them. Each
/// file's host path and text go to `each`, in order. A dir that does not exist has none.
/// A file that cannot be interpreted (too large, a NUL, a link the policy refuses) is an
/// error naming it: PHP would read it, so what PHP sees is not known.
fn scan(host: &Host, dir: &str, mut each: impl FnMut(&str, &str)) -> Result<(), String> {
    use std::os::unix::ffi::OsStringExt;
    let not_found = |e: &std::io::Error| {
        e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
    };
    let real = match host.resolve(dir) {
        Ok(real) => real,
        Err(e) if not_found(&e) => return Ok(()),
        Err(e) => return Err(format!("{dir}: {e}")),
    };
    let entries = match std::fs::read_dir(&real) {
        Ok(entries) => entries,
        Err(e) if not_found(&e) => return Ok(()),
        Err(e) => return Err(format!("{dir}: {e}")),
    };
    // Only names come from this listing: each file is then reached by the safe walk of
    // its own host path, so a directory swapped meanwhile yields no file outside policy.
    let mut names = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| format!("{dir}: {e}"))?
            .file_name()
            .into_vec();
        if name.ends_with(b".ini") {
            names.push(name);
            if names.len() > SCANNED_MAX {
                return Err(format!(
                    "{dir}: more than {SCANNED_MAX} .ini files: not interpreted"
                ));
            }
        }
    }
    names.sort();
    let mut total = 0u64;
    for name in names {
        let Ok(name) = String::from_utf8(name) else {
            return Err(format!(
                "{dir}: a file name that is not UTF-8: not interpreted"
            ));
        };
        let path = format!("{}/{name}", dir.trim_end_matches('/'));
        // What PHP's stat() sees: a regular file is read, anything else passed over.
        let regular = match host.resolve(&path) {
            Ok(real) => match std::fs::symlink_metadata(real) {
                Ok(meta) => meta.is_file(),
                Err(e) if not_found(&e) => false,
                Err(e) => return Err(format!("{path}: {e}")),
            },
            Err(e) if not_found(&e) => false,
            Err(e) => return Err(format!("{path}: {e}")),
        };
        if !regular {
            continue;
        }
        let bytes = match host.read_max(&path, PHP_INI_MAX) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => continue,
            Err(e) => return Err(format!("{path}: {e}")),
        };
        total += bytes.len() as u64;
        if total > SCANNED_BYTES_MAX {
            return Err(format!(
                "{dir}: its .ini files hold more than {SCANNED_BYTES_MAX} bytes: not interpreted"
            ));
        }
        let text = interpretable(bytes).map_err(|reason| format!("{path}: {reason}"))?;
        each(&path, &text);
    }
    Ok(())
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
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::path::Path;

    fn write(root: &Path, host_path: &str, text: &[u8]) {
        let p = root.join(host_path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    const CLI: &str = "/etc/php/8.2/cli/php.ini";
    const CONF_D: &str = "/etc/php/8.2/cli/conf.d";

    fn cli(root: &Path) -> PhpIniFacts {
        let facts = gather(&Host::new(root));
        facts
            .ini_files
            .into_iter()
            .find(|f| f.path == CLI)
            .expect("the cli php.ini")
    }

    #[test]
    fn conf_d_overrides_php_ini_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            CLI,
            b"[PHP]\ndisable_functions = exec\nmail.add_x_header = Off\n[mail function]\nsendmail_path = /usr/sbin/sendmail -t -i\n",
        );
        // Debian's conf.d entries are links into mods-available (absolute: inside the root).
        fs::create_dir_all(root.join("etc/php/8.2/cli/conf.d")).unwrap();
        write(
            root,
            "/etc/php/8.2/mods-available/a.ini",
            b"sendmail_path = /a\n",
        );
        symlink(
            "/etc/php/8.2/mods-available/a.ini",
            root.join("etc/php/8.2/cli/conf.d/10-a.ini"),
        )
        .unwrap();
        write(
            root,
            &format!("{CONF_D}/20-qmail.ini"),
            b"; Plesk/qmail\nsendmail_path = \"/var/qmail/bin/sendmail -t -i\"\nmail.add_x_header = On\n",
        );
        // Byte order, not numeric: 3-x.ini comes after 20-qmail.ini.
        write(
            root,
            &format!("{CONF_D}/3-x.ini"),
            b"disable_functions = mail\n",
        );
        // Passed over as PHP passes them: not `.ini`, a FIFO, a dangling link, a directory.
        write(
            root,
            &format!("{CONF_D}/90-old.ini.dpkg-old"),
            b"sendmail_path = /ignored\n",
        );
        nix::unistd::mkfifo(
            &root.join("etc/php/8.2/cli/conf.d/40-fifo.ini"),
            nix::sys::stat::Mode::from_bits_truncate(0o644),
        )
        .unwrap();
        symlink(
            "/nowhere.ini",
            root.join("etc/php/8.2/cli/conf.d/50-gone.ini"),
        )
        .unwrap();
        fs::create_dir(root.join("etc/php/8.2/cli/conf.d/60-dir.ini")).unwrap();

        let f = cli(root);
        assert_eq!(f.error, None);
        assert_eq!(f.scan_dir.as_deref(), Some(CONF_D));
        assert_eq!(
            f.scanned,
            [
                format!("{CONF_D}/10-a.ini"),
                format!("{CONF_D}/20-qmail.ini"),
                format!("{CONF_D}/3-x.ini"),
            ]
        );
        assert_eq!(
            f.sendmail_path.as_deref(),
            Some("/var/qmail/bin/sendmail -t -i")
        );
        assert!(f.add_x_header);
        assert!(f.mail_disabled);
        assert_eq!(f.disable_functions, ["mail"]);
        let set_in: Vec<(&str, &str)> = f
            .set_in
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            set_in,
            [
                ("mail.add_x_header", "/etc/php/8.2/cli/conf.d/20-qmail.ini"),
                ("disable_functions", "/etc/php/8.2/cli/conf.d/3-x.ini"),
                ("sendmail_path", "/etc/php/8.2/cli/conf.d/20-qmail.ini"),
            ]
        );
        // The per-SAPI summary is the effective value too.
        let facts = gather(&Host::new(root));
        assert_eq!(
            facts.sendmail_path["8.2/cli"].as_deref(),
            Some("/var/qmail/bin/sendmail -t -i")
        );
        assert!(facts.add_x_header && facts.mail_disabled);
    }

    #[test]
    fn without_a_scan_dir_php_ini_alone_counts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, CLI, b"sendmail_path = /usr/sbin/sendmail -t -i\n");
        let f = cli(root);
        assert_eq!((f.error, f.scanned.len()), (None, 0));
        assert_eq!(f.set_in["sendmail_path"], CLI);
        assert!(!f.set_in.contains_key("mail.add_x_header"));
        // RHEL's one php.ini scans /etc/php.d.
        write(
            root,
            "/etc/php.ini",
            b"sendmail_path = /usr/sbin/sendmail -t -i\n",
        );
        write(root, "/etc/php.d/50-mail.ini", b"sendmail_path = /x\n");
        let facts = gather(&Host::new(root));
        let rhel = facts
            .ini_files
            .iter()
            .find(|f| f.path == "/etc/php.ini")
            .unwrap();
        assert_eq!(rhel.sendmail_path.as_deref(), Some("/x"));
        assert_eq!(rhel.set_in["sendmail_path"], "/etc/php.d/50-mail.ini");
    }

    #[test]
    fn a_conf_d_file_not_interpreted_claims_nothing_and_says_which() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            CLI,
            b"mail.add_x_header = On\ndisable_functions = mail\n",
        );
        write(root, &format!("{CONF_D}/20-a.ini"), b"sendmail_path = /a\n");
        write(
            root,
            &format!("{CONF_D}/30-nul.ini"),
            b"disable_functions =\0\n",
        );
        let f = cli(root);
        let error = f.error.unwrap();
        assert!(
            error.starts_with(&format!("{CONF_D}/30-nul.ini: a NUL byte")),
            "{error}"
        );
        assert!(!f.add_x_header && !f.mail_disabled);
        assert_eq!(
            (f.sendmail_path, f.scanned.len(), f.set_in.len()),
            (None, 0, 0)
        );

        // Too large: refused by its size, not read.
        fs::remove_file(root.join("etc/php/8.2/cli/conf.d/30-nul.ini")).unwrap();
        let big = fs::File::create(root.join("etc/php/8.2/cli/conf.d/30-big.ini")).unwrap();
        big.set_len(PHP_INI_MAX + 1).unwrap();
        let error = cli(root).error.unwrap();
        assert!(error.contains("30-big.ini: larger than"), "{error}");

        // A link out of the root is resolved inside it: the root has no /etc/shadow, so
        // the link dangles and is passed over.
        fs::remove_file(root.join("etc/php/8.2/cli/conf.d/30-big.ini")).unwrap();
        symlink(
            "/../../../etc/shadow",
            root.join("etc/php/8.2/cli/conf.d/40-x.ini"),
        )
        .unwrap();
        let f = cli(root);
        assert_eq!(f.error, None);
        assert_eq!(f.scanned, [format!("{CONF_D}/20-a.ini")]);
        assert_eq!(f.sendmail_path.as_deref(), Some("/a"));
    }

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
