//! Web server facts: Apache's config files and virtual hosts, nginx presence.

use serde_json::{Value, json};

use super::apache_files;
use crate::edit::apache::{self, PhpMode, VirtualHost};
use crate::host::Host;

/// The `web` fact group.
pub fn gather(host: &Host) -> Value {
    let layout = apache_files::discover(host.root());
    let nginx = host.lexical("/etc/nginx/nginx.conf").is_file();
    let server = match (layout.is_some(), nginx) {
        (true, true) => Some("apache+nginx"),
        (true, false) => Some("apache"),
        (false, true) => Some("nginx"),
        (false, false) => None,
    };
    let mut vhosts = Vec::new();
    let mut files = Vec::new();
    if let Some(layout) = &layout {
        for file in &layout.files {
            let path = file.to_string_lossy().into_owned();
            if let Ok(Some(bytes)) = host.read(&path) {
                let text = String::from_utf8_lossy(&bytes);
                vhosts.extend(
                    apache::virtual_hosts(&text)
                        .iter()
                        .map(|vh| describe(host, &path, vh)),
                );
            }
            files.push(path);
        }
    }
    let mut server_names: Vec<Value> = Vec::new();
    for vhost in &vhosts {
        for name in vhost["names"].as_array().into_iter().flatten() {
            if !server_names.contains(name) {
                server_names.push(name.clone());
            }
        }
    }
    json!({
        "server": server,
        "server_names": server_names,
        "apache_config": layout.as_ref().map(|l| l.main_config.to_string_lossy().into_owned()),
        "apache_files": files,
        "vhosts": vhosts,
    })
}

fn describe(host: &Host, file: &str, vh: &VirtualHost) -> Value {
    let php_mode = match vh.php_mode {
        PhpMode::ModPhp => "mod_php",
        PhpMode::Cgi => "cgi",
        PhpMode::Fpm => "fpm",
        PhpMode::Unknown => "unknown",
    };
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
        .map(|n| n.split(':').next().unwrap_or(n).to_ascii_lowercase())
        .collect();
    json!({
        "server_name": vh.server_name,
        "names": names,
        "aliases": vh.server_aliases,
        // Edits go to the file that really holds the text, not to a sites-enabled link.
        "file": host.resolve_host(file).unwrap_or_else(|_| file.to_string()),
        "start_line": vh.start_line,
        "document_root": vh.document_root,
        "user": vh.suexec_user,
        "php_mode": php_mode,
        "sendmail_path": sendmail_path,
        "cgi_php_ini": cgi_php_ini(host, vh),
    })
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
        .find(|p| host.resolve(p).is_ok_and(|real| real.is_file()))
}
