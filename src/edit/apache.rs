//! Apache httpd configs: reading `<VirtualHost>` blocks, and setting or removing one
//! directive inside the blocks that serve a site, keeping everything else as written.

use super::error::EditError;

/// How a virtual host runs PHP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhpMode {
    /// mod_php: `php_admin_value` and friends work.
    ModPhp,
    /// PHP as CGI/FastCGI with a per-user php.ini (ISPmanager's php-bin).
    Cgi,
    /// PHP-FPM through mod_proxy_fcgi.
    Fpm,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VirtualHost {
    /// 1-based lines of `<VirtualHost ...>` and `</VirtualHost>`.
    pub start_line: usize,
    pub end_line: usize,
    pub addresses: String,
    pub server_name: Option<String>,
    pub server_aliases: Vec<String>,
    pub document_root: Option<String>,
    /// From `SuexecUserGroup` or mpm-itk's `AssignUserID`.
    pub suexec_user: Option<String>,
    /// `php_admin_value NAME VALUE`, values unquoted.
    pub php_admin_values: Vec<(String, String)>,
    /// Where `ScriptAlias /php-bin/ DIR` points: a CGI site's PHP binary and php.ini.
    pub php_bin_dir: Option<String>,
    pub php_mode: PhpMode,
}

/// A directive on one logical line (continuations joined).
struct Directive {
    /// 0-based index of the physical line it starts on, and of the last one.
    first: usize,
    last: usize,
    name: String,
    args: Vec<String>,
}

/// Directives in file order, comments and blank lines skipped.
fn directives(text: &str) -> Vec<Directive> {
    let physical: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < physical.len() {
        let first = i;
        let mut logical = String::new();
        loop {
            let line = physical[i].trim_end();
            match line.strip_suffix('\\') {
                Some(cont) if i + 1 < physical.len() => {
                    logical.push_str(cont);
                    logical.push(' ');
                    i += 1;
                }
                _ => {
                    logical.push_str(line);
                    break;
                }
            }
        }
        let trimmed = logical.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            let words = split_args(trimmed);
            if let Some((name, args)) = words.split_first() {
                out.push(Directive {
                    first,
                    last: i,
                    name: name.clone(),
                    args: args.to_vec(),
                });
            }
        }
        i += 1;
    }
    out
}

/// Split arguments, keeping double-quoted ones whole (quotes removed).
fn split_args(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => word.extend(chars.next()),
                    '"' => break,
                    _ => word.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    words
}

fn is(d: &Directive, name: &str) -> bool {
    d.name.eq_ignore_ascii_case(name)
}

/// Every `<VirtualHost>` block of a config file.
pub fn virtual_hosts(text: &str) -> Vec<VirtualHost> {
    let all = directives(text);
    let mut hosts = Vec::new();
    let mut open: Option<(usize, String, Vec<&Directive>)> = None;
    for d in &all {
        if is(d, "<VirtualHost") {
            let addresses = d.args.join(" ").trim_end_matches('>').trim().to_string();
            open = Some((d.first, addresses, Vec::new()));
        } else if is(d, "</VirtualHost>") {
            if let Some((start, addresses, body)) = open.take() {
                hosts.push(describe(start, d.first, addresses, &body));
            }
        } else if let Some((_, _, body)) = open.as_mut() {
            body.push(d);
        }
    }
    hosts
}

fn describe(start: usize, end: usize, addresses: String, body: &[&Directive]) -> VirtualHost {
    let first_arg = |name: &str| {
        body.iter()
            .find(|d| is(d, name))
            .and_then(|d| d.args.first().cloned())
    };
    let php_admin_values = body
        .iter()
        .filter(|d| is(d, "php_admin_value") && d.args.len() >= 2)
        .map(|d| (d.args[0].clone(), d.args[1..].join(" ")))
        .collect();
    VirtualHost {
        start_line: start + 1,
        end_line: end + 1,
        addresses,
        server_name: first_arg("ServerName"),
        server_aliases: body
            .iter()
            .filter(|d| is(d, "ServerAlias"))
            .flat_map(|d| d.args.clone())
            .collect(),
        document_root: first_arg("DocumentRoot"),
        suexec_user: first_arg("SuexecUserGroup").or_else(|| first_arg("AssignUserID")),
        php_admin_values,
        php_bin_dir: body
            .iter()
            .find(|d| {
                is(d, "ScriptAlias") && d.args.first().is_some_and(|a| a.starts_with("/php-bin"))
            })
            .and_then(|d| d.args.get(1).cloned()),
        php_mode: php_mode(body),
    }
}

fn php_mode(body: &[&Directive]) -> PhpMode {
    let any = |f: &dyn Fn(&Directive, String) -> bool| {
        body.iter()
            .any(|d| f(d, d.args.join(" ").to_ascii_lowercase()))
    };
    let fpm = any(&|d, args| {
        (is(d, "SetHandler") && args.contains("proxy:") && args.contains("fcgi"))
            || (is(d, "ProxyPassMatch") && args.contains("fcgi://"))
    });
    let cgi = any(&|d, args| {
        (is(d, "ScriptAlias") && args.starts_with("/php-bin/"))
            || (is(d, "Action") && args.contains("php"))
            || is(d, "FCGIWrapper")
            || (is(d, "AddHandler") && (args.contains("fcgid-script") || args.contains("php")))
    });
    let mod_php = any(&|d, args| {
        ["php_admin_value", "php_value", "php_flag", "php_admin_flag"]
            .iter()
            .any(|n| is(d, n))
            || ((is(d, "SetHandler") || is(d, "AddType"))
                && args.starts_with("application/x-httpd-php")
                && !args.contains("proxy:"))
    });
    // CGI setups often also AddHandler the php type; the Action/ScriptAlias decides.
    if fpm {
        PhpMode::Fpm
    } else if cgi {
        PhpMode::Cgi
    } else if mod_php {
        PhpMode::ModPhp
    } else {
        PhpMode::Unknown
    }
}

/// Whether the host serves `name`: its ServerName (port stripped) or a ServerAlias,
/// `*.example.com` wildcards included, case-insensitively.
pub fn vhost_matches(vh: &VirtualHost, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let server = vh
        .server_name
        .as_deref()
        .map(|s| s.split(':').next().unwrap_or(s).to_ascii_lowercase());
    server.as_deref() == Some(name.as_str())
        || vh.server_aliases.iter().any(|alias| {
            let alias = alias.to_ascii_lowercase();
            match alias.strip_prefix("*.") {
                Some(suffix) => name.ends_with(&format!(".{suffix}")),
                None => alias == name,
            }
        })
}

/// Make `DIRECTIVE [ARG] VALUE` the setting inside every matching virtual host (all when
/// `server_name` is `None`): rewrite the existing line in place, or add one before
/// `</VirtualHost>`. `value` is written as given (`""` blanks a quoted setting).
pub fn set_directive(
    text: &str,
    directive: &str,
    arg: Option<&str>,
    value: &str,
    server_name: Option<&str>,
) -> Result<String, EditError> {
    if value.contains(['\n', '\r']) {
        return Err(EditError::MultilineValue);
    }
    edit(text, directive, arg, server_name, |lines, vh, found| {
        let wanted = |indent: &str, name: &str, arg_text: Option<&str>| match arg_text {
            Some(a) => format!("{indent}{name} {a} {value}"),
            None => format!("{indent}{name} {value}"),
        };
        if found.is_empty() {
            let indent = indent_inside(lines, vh);
            lines.insert(vh.end_line - 1, wanted(&indent, directive, arg));
        } else {
            for d in found.iter().rev() {
                let original = lines[d.first].clone();
                let indent: String = original.chars().take_while(|c| c.is_whitespace()).collect();
                let spelled_arg = d.args.first().filter(|_| arg.is_some()).map(String::as_str);
                let new = wanted(&indent, &d.name, spelled_arg);
                lines.splice(d.first..=d.last, [new]);
            }
        }
    })
}

/// Remove `DIRECTIVE [ARG]` lines inside every matching virtual host.
pub fn remove_directive(
    text: &str,
    directive: &str,
    arg: Option<&str>,
    server_name: Option<&str>,
) -> Result<String, EditError> {
    edit(text, directive, arg, server_name, |lines, _, found| {
        for d in found.iter().rev() {
            lines.drain(d.first..=d.last);
        }
    })
}

/// Apply `change` to each matching virtual host, last first so line numbers stay valid.
fn edit(
    text: &str,
    directive: &str,
    arg: Option<&str>,
    server_name: Option<&str>,
    change: impl Fn(&mut Vec<String>, &VirtualHost, &[&Directive]),
) -> Result<String, EditError> {
    let hosts: Vec<VirtualHost> = virtual_hosts(text)
        .into_iter()
        .filter(|vh| server_name.is_none_or(|n| vhost_matches(vh, n)))
        .collect();
    if hosts.is_empty() {
        return Err(EditError::NoMatchingVirtualHost {
            name: server_name.unwrap_or("*").to_string(),
        });
    }
    let all = directives(text);
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for vh in hosts.iter().rev() {
        let found: Vec<&Directive> = all
            .iter()
            .filter(|d| d.first + 1 > vh.start_line && d.last + 1 < vh.end_line)
            .filter(|d| {
                is(d, directive)
                    && arg.is_none_or(|a| d.args.first().map(String::as_str) == Some(a))
            })
            .collect();
        change(&mut lines, vh, &found);
    }
    let mut out = lines.join(eol);
    if text.ends_with('\n') {
        out.push_str(eol);
    }
    Ok(if out == text { text.to_string() } else { out })
}

/// The indentation of the host's directives (four spaces when it has none).
fn indent_inside(lines: &[String], vh: &VirtualHost) -> String {
    lines[vh.start_line..vh.end_line - 1]
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.chars().take_while(|c| c.is_whitespace()).collect())
        .unwrap_or_else(|| "    ".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISP: &str = r#"<VirtualHost 192.0.2.10:80 >
	ServerName alice-site.ru
	ServerAlias www.alice-site.ru *.alice-site.ru
	DocumentRoot /var/www/alice/data/www/alice-site.ru
	SuexecUserGroup alice alice
	php_admin_value open_basedir "/var/www/alice/data:."
	php_admin_value sendmail_path "/usr/sbin/sendmail -t -i -f webmaster@alice-site.ru"
	php_admin_value upload_tmp_dir "/var/www/alice/data/mod-tmp"
</VirtualHost>
<VirtualHost 192.0.2.10:80 >
	ServerName bob-shop.ru
	DocumentRoot /var/www/bob/data/www/bob-shop.ru
	SuexecUserGroup bob bob
	ScriptAlias /php-bin/ /var/www/php-bin/bob/
	AddHandler application/x-httpd-php .php
	Action application/x-httpd-php /php-bin/php
</VirtualHost>
"#;

    #[test]
    fn reads_virtual_hosts() {
        let hosts = virtual_hosts(ISP);
        assert_eq!(hosts.len(), 2);
        let alice = &hosts[0];
        assert_eq!((alice.start_line, alice.end_line), (1, 9));
        assert_eq!(alice.server_name.as_deref(), Some("alice-site.ru"));
        assert_eq!(alice.suexec_user.as_deref(), Some("alice"));
        assert_eq!(alice.php_mode, PhpMode::ModPhp);
        assert!(alice.php_admin_values.contains(&(
            "sendmail_path".into(),
            "/usr/sbin/sendmail -t -i -f webmaster@alice-site.ru".into()
        )));
        assert_eq!(hosts[1].php_mode, PhpMode::Cgi);
        assert_eq!(
            hosts[1].php_bin_dir.as_deref(),
            Some("/var/www/php-bin/bob/")
        );
        assert!(vhost_matches(alice, "WWW.alice-site.ru"));
        assert!(vhost_matches(alice, "shop.alice-site.ru"));
        assert!(!vhost_matches(alice, "bob-shop.ru"));
    }

    #[test]
    fn blanks_sendmail_path_in_the_matching_host_only() {
        let new = set_directive(
            ISP,
            "php_admin_value",
            Some("sendmail_path"),
            "\"\"",
            Some("www.alice-site.ru"),
        )
        .unwrap();
        let changed: Vec<(&str, &str)> = ISP
            .lines()
            .zip(new.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            changed,
            [(
                "\tphp_admin_value sendmail_path \"/usr/sbin/sendmail -t -i -f webmaster@alice-site.ru\"",
                "\tphp_admin_value sendmail_path \"\""
            )]
        );
        assert_eq!(
            set_directive(
                &new,
                "php_admin_value",
                Some("sendmail_path"),
                "\"\"",
                Some("alice-site.ru")
            )
            .unwrap(),
            new
        );
    }

    #[test]
    fn inserts_before_the_closing_tag_and_removes_again() {
        let new = set_directive(
            ISP,
            "php_admin_value",
            Some("sendmail_path"),
            "\"\"",
            Some("bob-shop.ru"),
        )
        .unwrap();
        let lines: Vec<&str> = new.lines().collect();
        assert_eq!(lines[16], "\tphp_admin_value sendmail_path \"\"");
        assert_eq!(lines[17], "</VirtualHost>");
        assert_eq!(
            remove_directive(
                &new,
                "php_admin_value",
                Some("sendmail_path"),
                Some("bob-shop.ru")
            )
            .unwrap(),
            ISP
        );
    }

    #[test]
    fn no_matching_host_is_an_error() {
        let err = set_directive(ISP, "php_admin_value", Some("x"), "1", Some("nope.example"))
            .unwrap_err();
        assert_eq!(
            err,
            EditError::NoMatchingVirtualHost {
                name: "nope.example".into()
            }
        );
    }

    #[test]
    fn continuations_comments_and_ifmodule_blocks() {
        let text = "# <VirtualHost *:80> in a comment\n<IfModule mod_ssl.c>\n<VirtualHost *:443>\n    ServerName a.example\n    ServerAlias b.example \\\n        c.example\n    <FilesMatch \\.php$>\n        SetHandler \"proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost\"\n    </FilesMatch>\n</VirtualHost>\n</IfModule>\n";
        let hosts = virtual_hosts(text);
        assert_eq!(hosts.len(), 1);
        assert_eq!(hosts[0].server_aliases, ["b.example", "c.example"]);
        assert_eq!(hosts[0].php_mode, PhpMode::Fpm);
        assert!(vhost_matches(&hosts[0], "c.example"));
    }
}
