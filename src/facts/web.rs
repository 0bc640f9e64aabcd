//! Web server facts: Apache's config files and virtual hosts, nginx presence.

use schemars::JsonSchema;
use serde::Serialize;

use super::{UnreadableFile, apache_files};
use crate::edit::apache::{self, PhpMode, VirtualHost};
use crate::host::Host;

/// The `web` fact group: the web server, Apache's config files and virtual hosts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WebFacts {
    /// Web server found: apache, nginx, apache+nginx, or null
    pub server: Option<String>,
    /// Web access logs found (Apache CustomLog, nginx access_log, usual places)
    pub access_logs: Vec<String>,
    /// Every ServerName and ServerAlias of the Apache virtual hosts
    pub server_names: Vec<String>,
    /// Apache's main config file (apache2.conf or httpd.conf), or null
    pub apache_config: Option<String>,
    /// Apache config files: the main one, then every file it includes
    pub apache_files: Vec<String>,
    /// Apache config files not read (larger than 16 MiB, or an I/O error) or not parsed, with reasons
    pub unreadable: Vec<UnreadableFile>,
    /// Apache virtual hosts with their names, file, user, PHP mode and sendmail_path
    pub vhosts: Vec<Vhost>,
}

/// One Apache `<VirtualHost>`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Vhost {
    pub server_name: Option<String>,
    /// ServerName and ServerAlias, lowercase, without a port
    pub names: Vec<String>,
    pub aliases: Vec<String>,
    /// The file that holds it (a sites-enabled link resolved)
    pub file: String,
    /// The line of `<VirtualHost`
    pub start_line: usize,
    pub document_root: Option<String>,
    /// The site user (SuexecUserGroup, AssignUserID)
    pub user: Option<String>,
    /// mod_php, cgi, fpm or unknown
    pub php_mode: String,
    /// php_admin_value sendmail_path in the VirtualHost
    pub sendmail_path: Option<String>,
    /// The per-user php.ini a CGI-mode site runs with
    pub cgi_php_ini: Option<String>,
}

/// The `web` fact group.
pub fn gather(host: &Host) -> WebFacts {
    let layout = apache_files::discover(host.root());
    let nginx = host.lexical("/etc/nginx/nginx.conf").is_file();
    let server = match (layout.is_some(), nginx) {
        (true, true) => Some("apache+nginx"),
        (true, false) => Some("apache"),
        (false, true) => Some("nginx"),
        (false, false) => None,
    }
    .map(str::to_string);
    let mut vhosts = Vec::new();
    let mut files = Vec::new();
    let mut unreadable: Vec<UnreadableFile> = layout.as_ref().map_or(Vec::new(), |l| {
        l.unreadable
            .iter()
            .map(|(file, reason)| UnreadableFile {
                file: file.to_string_lossy().into_owned(),
                reason: reason.clone(),
            })
            .collect()
    });
    // PHP as the server runs it for a VirtualHost that says nothing itself.
    let mut server_modes = Vec::new();
    if let Some(layout) = &layout {
        for file in &layout.files {
            let path = file.to_string_lossy().into_owned();
            if let Ok(Some(bytes)) = host.read_max(&path, apache_files::APACHE_FILE_MAX) {
                let text = String::from_utf8_lossy(&bytes);
                match parse_cost(&text) {
                    Ok(()) => {
                        server_modes.push(apache::server_php_mode(&text));
                        vhosts.extend(
                            apache::virtual_hosts(&text)
                                .iter()
                                .map(|vh| describe(host, &path, vh)),
                        )
                    }
                    Err(reason) => unreadable.push(UnreadableFile {
                        file: path.clone(),
                        reason,
                    }),
                }
            }
            files.push(path);
        }
    }
    let server_mode = [PhpMode::Fpm, PhpMode::Cgi, PhpMode::ModPhp]
        .into_iter()
        .find(|mode| server_modes.contains(mode));
    if let Some(mode) = server_mode {
        for vhost in vhosts.iter_mut().filter(|v| v.php_mode == "unknown") {
            vhost.php_mode = php_mode_name(mode).to_string();
        }
    }
    // In first-seen order; a set to find the seen ones (a list made this quadratic).
    let mut server_names: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for vhost in &vhosts {
        for name in &vhost.names {
            if server_names.len() < SERVER_NAMES_MAX && seen.insert(name.as_str()) {
                server_names.push(name.clone());
            }
        }
    }
    let access_logs = access_logs(
        host,
        layout
            .as_ref()
            .map(|l| (l.server_root.to_string_lossy().into_owned(), &files)),
    );
    WebFacts {
        server,
        access_logs,
        server_names,
        apache_config: layout
            .as_ref()
            .map(|l| l.main_config.to_string_lossy().into_owned()),
        apache_files: files,
        unreadable,
        vhosts,
    }
}

/// An Apache file is parsed only within these: the parser holds every line and word
/// (about 400 bytes a line and 130 a word), so a degenerate 16 MiB file (one-letter
/// words, empty lines) would cost GiBs. At these limits a file costs at most about
/// 120 MiB to parse (measured); a cPanel httpd.conf of 5,000 sites (150,000 lines,
/// 500,000 words) fits.
pub const APACHE_LINES_MAX: usize = 200_000;
pub const APACHE_WORDS_MAX: usize = 600_000;
/// Names listed: per virtual host (ServerName and aliases), and in `server_names`.
pub const NAMES_PER_VHOST_MAX: usize = 1_000;
pub const SERVER_NAMES_MAX: usize = 100_000;

/// Whether a config file is within [`APACHE_LINES_MAX`] and [`APACHE_WORDS_MAX`].
fn parse_cost(text: &str) -> Result<(), String> {
    let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count();
    if lines > APACHE_LINES_MAX {
        return Err(format!(
            "{lines} lines, over {APACHE_LINES_MAX}: not parsed"
        ));
    }
    let words = text.split_ascii_whitespace().count();
    if words > APACHE_WORDS_MAX {
        return Err(format!(
            "{words} words, over {APACHE_WORDS_MAX}: not parsed"
        ));
    }
    Ok(())
}

fn describe(host: &Host, file: &str, vh: &VirtualHost) -> Vhost {
    let sendmail_path = vh
        .php_admin_values
        .iter()
        .find(|(name, _)| name == "sendmail_path")
        .map(|(_, value)| value.clone());
    // ServerName may carry a port (`example.com:80`); people name the site without it.
    let names: Vec<String> = vh
        .server_name
        .iter()
        .chain(&vh.server_aliases)
        .take(NAMES_PER_VHOST_MAX)
        .map(|n| n.split(':').next().unwrap_or(n).to_ascii_lowercase())
        .collect();
    let aliases = &vh.server_aliases[..vh.server_aliases.len().min(NAMES_PER_VHOST_MAX)];
    Vhost {
        server_name: vh.server_name.clone(),
        names,
        aliases: aliases.to_vec(),
        // Edits go to the file that really holds the text, not to a sites-enabled link.
        file: host.resolve_host(file).unwrap_or_else(|_| file.to_string()),
        start_line: vh.start_line,
        document_root: vh.document_root.clone(),
        user: vh.suexec_user.clone(),
        php_mode: php_mode_name(vh.php_mode).to_string(),
        sendmail_path,
        cgi_php_ini: cgi_php_ini(host, vh),
    }
}

fn php_mode_name(mode: PhpMode) -> &'static str {
    match mode {
        PhpMode::ModPhp => "mod_php",
        PhpMode::Cgi => "cgi",
        PhpMode::Fpm => "fpm",
        PhpMode::Unknown => "unknown",
    }
}

/// The per-user php.ini a CGI-mode site runs with: in the directory its
/// `ScriptAlias /php-bin/` points at (ISPmanager), else in the owner's home `php-bin`.
fn cgi_php_ini(host: &Host, vh: &VirtualHost) -> Option<String> {
    if vh.php_mode != PhpMode::Cgi {
        return None;
    }
    let mut candidates = Vec::new();
    if let Some(dir) = &vh.php_bin_dir {
        candidates.push(format!("{}/php.ini", dir.trim_end_matches('/')));
    }
    if let Some(user) = &vh.suexec_user {
        candidates.push(format!("/var/www/{user}/data/php-bin/php.ini"));
    }
    candidates
        .into_iter()
        // A path the safe walk refuses (a site user's symlink) is still named, so that the
        // step editing it fails loudly instead of silently not running.
        .find(|p| match host.resolve(p) {
            Ok(real) => real.is_file(),
            Err(e) => e.kind() == std::io::ErrorKind::PermissionDenied,
        })
}

/// Where web servers usually write access logs (Debian, RHEL, ISPmanager, Plesk).
const ACCESS_LOG_GLOBS: &[&str] = &[
    "/var/log/apache2/*access.log",
    "/var/log/httpd/*access_log",
    "/var/log/nginx/*access.log",
    "/var/www/httpd-logs/*.access.log",
    "/var/www/vhosts/system/*/logs/access_log",
];

/// Existing access logs: those Apache's `CustomLog` and nginx's `access_log` name, and
/// the usual places.
fn access_logs(host: &Host, apache: Option<(String, &Vec<String>)>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    if let Some((server_root, files)) = apache {
        for file in files {
            found.extend(
                directive_paths(host, file, "customlog")
                    .into_iter()
                    .map(|p| absolute(&server_root, &p)),
            );
        }
    }
    for nginx in crate::facts::php_paths::glob_host(host.root(), "/etc/nginx/nginx.conf")
        .into_iter()
        .chain(crate::facts::php_paths::glob_host(
            host.root(),
            "/etc/nginx/sites-enabled/*",
        ))
        .chain(crate::facts::php_paths::glob_host(
            host.root(),
            "/etc/nginx/conf.d/*.conf",
        ))
        .chain(crate::facts::php_paths::glob_host(
            host.root(),
            "/etc/nginx/vhosts/*/*.conf",
        ))
    {
        found.extend(
            directive_paths(host, &nginx, "access_log")
                .into_iter()
                .map(|p| absolute("/etc/nginx", &p)),
        );
    }
    for pattern in ACCESS_LOG_GLOBS {
        found.extend(crate::facts::php_paths::glob_host(host.root(), pattern));
    }
    found.retain(|p| host.resolve(p).is_ok_and(|r| r.is_file()));
    found.sort();
    found.dedup();
    found
}

/// The first argument of every `directive` line (case-insensitive) in a config file;
/// Debian's `${APACHE_LOG_DIR}` expanded, piped logs and `off` left out.
fn directive_paths(host: &Host, file: &str, directive: &str) -> Vec<String> {
    let Ok(Some(bytes)) = host.read_max(file, apache_files::APACHE_FILE_MAX) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            if !name.eq_ignore_ascii_case(directive) {
                return None;
            }
            let path = words.next()?.trim_matches('"').trim_end_matches(';');
            let path = path.replace("${APACHE_LOG_DIR}", "/var/log/apache2");
            (!path.starts_with('|') && path != "off" && !path.starts_with("syslog:"))
                .then_some(path)
        })
        .collect()
}

fn absolute(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", base.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &std::path::Path, host_path: &str, text: &str) {
        let p = root.join(host_path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Debian: a site's VirtualHost says nothing of PHP; the module enabled in
    /// mods-enabled/ runs it, or php-fpm's conf-enabled/ handler, which wins.
    #[test]
    fn a_virtual_host_without_php_directives_runs_php_as_the_server_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "/etc/apache2/apache2.conf",
            "IncludeOptional mods-enabled/*.load\nIncludeOptional mods-enabled/*.conf\nIncludeOptional conf-enabled/*.conf\nIncludeOptional sites-enabled/*.conf\n",
        );
        write(
            root,
            "/etc/apache2/mods-enabled/php8.4.load",
            "LoadModule php_module /usr/lib/apache2/modules/libphp8.4.so\n",
        );
        write(
            root,
            "/etc/apache2/sites-enabled/shop.conf",
            "<VirtualHost *:80>\nServerName shop.example.com\nDocumentRoot /var/www/shop\n</VirtualHost>\n<VirtualHost *:80>\nServerName cgi.example.com\nScriptAlias /php-bin/ /var/www/u/data/php-bin/\n</VirtualHost>\n",
        );
        let modes = || -> Vec<String> {
            gather(&Host::new(root))
                .vhosts
                .into_iter()
                .map(|v| v.php_mode)
                .collect()
        };
        assert_eq!(modes(), ["mod_php", "cgi"]);
        write(
            root,
            "/etc/apache2/conf-enabled/php8.4-fpm.conf",
            "<IfModule proxy_fcgi_module>\n<FilesMatch \".+\\.ph(?:ar|p|tml)$\">\nSetHandler \"proxy:unix:/run/php/php8.4-fpm.sock|fcgi://localhost\"\n</FilesMatch>\n</IfModule>\n",
        );
        assert_eq!(modes(), ["fpm", "cgi"]);
    }

    #[test]
    fn degenerate_config_files_are_not_parsed() {
        assert!(parse_cost("ServerName a\n").is_ok());
        let lines = parse_cost(&"\n".repeat(APACHE_LINES_MAX + 1)).unwrap_err();
        assert!(lines.contains("lines, over"), "{lines}");
        let words = parse_cost(&"a ".repeat(APACHE_WORDS_MAX + 1)).unwrap_err();
        assert!(words.contains("words, over"), "{words}");
    }
}
