//! Apache httpd configs: reading `<VirtualHost>` blocks, and setting or removing one
//! directive inside the blocks that serve a site, keeping everything else as written.
//!
//! Apache's syntax followed here: directive names are case-insensitive; a `#` starts a
//! comment only at the start of a line; a `\` as the very last character continues
//! the line (comments included); arguments may be quoted with `"` or `'`.

use super::error::EditError;
use super::line::{self, Line};

/// How a virtual host runs PHP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhpMode {
    /// mod_php: `php_admin_value` and friends apply.
    ModPhp,
    /// PHP as CGI or FastCGI (ISPmanager's `/php-bin/`, mod_fcgid), with its own php.ini.
    Cgi,
    /// PHP-FPM through mod_proxy_fcgi.
    Fpm,
    Unknown,
}

/// One `<VirtualHost>` block and what it says about the site.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualHost {
    /// 1-based lines of `<VirtualHost ...>` and `</VirtualHost>`.
    pub start_line: usize,
    pub end_line: usize,
    /// What `<VirtualHost` names: `*:80`, `203.0.113.10:80 [::1]:80`.
    pub addresses: String,
    pub server_name: Option<String>,
    pub server_aliases: Vec<String>,
    pub document_root: Option<String>,
    /// First argument of `SuexecUserGroup` or mpm-itk's `AssignUserID`.
    pub suexec_user: Option<String>,
    /// `php_admin_value NAME VALUE`, values unquoted, in file order.
    pub php_admin_values: Vec<(String, String)>,
    /// Where `ScriptAlias /php-bin/ DIR` points: a CGI site's PHP binary and php.ini.
    pub php_bin_dir: Option<String>,
    pub php_mode: PhpMode,
}

/// A directive on one logical line (continuations joined).
#[derive(Debug, Clone)]
struct Directive {
    /// 0-based physical lines it starts and ends on.
    first: usize,
    last: usize,
    /// The logical line, continuations joined, indentation kept.
    text: String,
    /// Name and arguments unquoted, with the byte offset in `text` each ends at.
    name: String,
    name_end: usize,
    args: Vec<String>,
    ends: Vec<usize>,
}

impl Directive {
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    /// `<IfModule ...>` and the like open a block; `</...>` closes one.
    fn opens_block(&self) -> bool {
        self.name.starts_with('<') && !self.name.starts_with("</")
    }

    fn closes_block(&self) -> bool {
        self.name.starts_with("</")
    }

    fn indent(&self) -> &str {
        &self.text[..self.text.len() - self.text.trim_start().len()]
    }
}

/// `\` as the last character continues a line; `\\` is an escaped backslash.
fn continues(text: &str) -> bool {
    text.ends_with('\\') && !text.ends_with("\\\\")
}

/// Every directive of the file in order; comments and blank lines are skipped.
fn directives(lines: &[Line]) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = i;
        let mut text = String::new();
        while continues(lines[i].text) && i + 1 < lines.len() {
            text.push_str(&lines[i].text[..lines[i].text.len() - 1]);
            i += 1;
        }
        text.push_str(lines[i].text);
        if let Some(d) = parse_directive(first, i, text) {
            out.push(d);
        }
        i += 1;
    }
    out
}

fn parse_directive(first: usize, last: usize, text: String) -> Option<Directive> {
    let body = text.trim();
    if body.is_empty() || body.starts_with('#') {
        return None;
    }
    // A section opener's `>` is not part of its last argument: `<Directory "/x">`.
    let scan = if body.starts_with('<') && !body.starts_with("</") {
        let end = text.trim_end();
        end.strip_suffix('>').unwrap_or(end)
    } else {
        &text
    };
    let mut words = words(scan).into_iter();
    let (name_end, name) = words.next()?;
    let (ends, args) = words.unzip();
    Some(Directive {
        first,
        last,
        name,
        name_end,
        args,
        ends,
        text,
    })
}

/// Apache's `ap_getword_conf`: words split on whitespace; `"..."` and `'...'` quote,
/// with `\"` inside standing for `"`. Each word comes with the byte offset it ends at.
fn words(s: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let mut end = s.len();
        if c == '"' || c == '\'' {
            chars.next();
            while let Some((i, ch)) = chars.next() {
                if ch == c {
                    end = i + 1;
                    break;
                }
                let escaped_quote = ch == '\\' && chars.peek().is_some_and(|&(_, n)| n == c);
                if escaped_quote {
                    chars.next();
                    word.push(c);
                } else {
                    word.push(ch);
                }
            }
        } else {
            while let Some(&(i, ch)) = chars.peek() {
                if ch.is_whitespace() {
                    end = i;
                    break;
                }
                word.push(ch);
                chars.next();
            }
        }
        out.push((end, word));
    }
    out
}

/// A `<VirtualHost>` block: its lines and the directives inside it, each with how deep
/// it sits in nested blocks (0 for the vhost's own directives).
struct Block {
    open: Directive,
    close: usize,
    inner: Vec<(usize, Directive)>,
}

/// The `<VirtualHost>` blocks, found at any depth (e.g. inside `<IfModule mod_ssl.c>`).
/// An unclosed block is no virtual host.
fn blocks(all: Vec<Directive>) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    let mut depth = 0usize;
    for d in all {
        let name = d.name.to_ascii_lowercase();
        let name = name.trim_end_matches('>');
        if name == "<virtualhost" {
            depth = 0;
            open = Some(Block {
                open: d,
                close: 0,
                inner: Vec::new(),
            });
        } else if name == "</virtualhost" {
            if let Some(mut b) = open.take() {
                b.close = d.first;
                out.push(b);
            }
        } else if let Some(b) = open.as_mut() {
            if d.closes_block() {
                depth = depth.saturating_sub(1);
            }
            let opens = d.opens_block();
            b.inner.push((depth, d));
            if opens {
                depth += 1;
            }
        }
    }
    out
}

/// Every `<VirtualHost>` block of a config file, in order.
pub fn virtual_hosts(text: &str) -> Vec<VirtualHost> {
    blocks(directives(&line::split(text)))
        .iter()
        .map(describe)
        .collect()
}

/// How the server runs PHP where a virtual host says nothing itself, from the
/// directives outside `<VirtualHost>` blocks: Debian's libapache2-mod-php loads
/// `php_module` and sets the handler in mods-enabled/, so its sites' VirtualHosts carry
/// no PHP directive at all, and php-fpm's conf-enabled/ file sets an FPM handler.
pub fn server_php_mode(text: &str) -> PhpMode {
    let mut depth = 0usize;
    let outside: Vec<Directive> = directives(&line::split(text))
        .into_iter()
        .filter(|d| {
            let name = d.name.to_ascii_lowercase();
            match name.trim_end_matches('>') {
                "<virtualhost" => depth += 1,
                "</virtualhost" => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            }
            false
        })
        .collect();
    let refs: Vec<&Directive> = outside.iter().collect();
    match php_mode(&refs) {
        PhpMode::Unknown if refs.iter().any(|d| loads_mod_php(d)) => PhpMode::ModPhp,
        mode => mode,
    }
}

/// `LoadModule php_module ...` (PHP 8), `php7_module`, `php5_module`.
fn loads_mod_php(d: &Directive) -> bool {
    d.is("LoadModule")
        && d.arg(0).is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.starts_with("php") && m.ends_with("_module")
        })
}

fn describe(b: &Block) -> VirtualHost {
    let ds: Vec<&Directive> = b.inner.iter().map(|(_, d)| d).collect();
    let first_arg = |names: &[&str]| {
        ds.iter()
            .find(|d| names.iter().any(|n| d.is(n)))
            .and_then(|d| d.arg(0))
            .map(str::to_string)
    };
    let php_bin_dir = ds
        .iter()
        .find(|d| d.is("ScriptAlias") && d.arg(0).is_some_and(is_php_bin))
        .and_then(|d| d.arg(1))
        .map(str::to_string);
    VirtualHost {
        start_line: b.open.first + 1,
        end_line: b.close + 1,
        addresses: b.open.args.join(" "),
        server_name: first_arg(&["ServerName"]),
        server_aliases: ds
            .iter()
            .filter(|d| d.is("ServerAlias"))
            .flat_map(|d| d.args.iter().cloned())
            .collect(),
        document_root: first_arg(&["DocumentRoot"]),
        suexec_user: first_arg(&["SuexecUserGroup", "AssignUserID"]),
        php_admin_values: ds
            .iter()
            .filter(|d| d.is("php_admin_value"))
            .filter_map(|d| Some((d.arg(0)?.to_string(), d.arg(1).unwrap_or("").to_string())))
            .collect(),
        php_bin_dir,
        php_mode: php_mode(&ds),
    }
}

fn is_php_bin(url: &str) -> bool {
    url.trim_end_matches('/') == "/php-bin"
}

/// FPM and CGI handlers decide who runs `.php` even where `php_admin_value` lines
/// (often inside `<IfModule php_module>`) are present, so they are looked at first.
fn php_mode(ds: &[&Directive]) -> PhpMode {
    if ds.iter().any(|d| is_fpm(d)) {
        PhpMode::Fpm
    } else if is_cgi(ds) {
        PhpMode::Cgi
    } else if ds.iter().any(|d| is_mod_php(d)) {
        PhpMode::ModPhp
    } else {
        PhpMode::Unknown
    }
}

fn is_fpm(d: &Directive) -> bool {
    let lower = |s: &String| s.to_ascii_lowercase();
    if d.is("SetHandler") || d.is("AddHandler") {
        return d
            .args
            .iter()
            .map(lower)
            .any(|a| a.starts_with("proxy:") && (a.contains("fcgi://") || a.contains("fpm")));
    }
    (d.is("ProxyPassMatch") || d.is("ProxyPass"))
        && d.args.iter().map(lower).any(|a| a.contains("fcgi://"))
}

fn is_cgi(ds: &[&Directive]) -> bool {
    let php_bin = ds
        .iter()
        .any(|d| d.is("ScriptAlias") && d.arg(0).is_some_and(is_php_bin));
    let fcgid = ds.iter().any(|d| {
        d.is("FCGIWrapper")
            || d.is("FcgidWrapper")
            || ((d.is("AddHandler") || d.is("SetHandler"))
                && d.args
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case("fcgid-script")))
    });
    // `AddHandler application/x-httpd-php .php` + `Action application/x-httpd-php /php-bin/php`.
    let action = ds.iter().any(|a| {
        a.is("Action")
            && a.arg(0).is_some_and(|handler| {
                handler.to_ascii_lowercase().contains("php")
                    && ds.iter().any(|h| {
                        (h.is("AddHandler") || h.is("SetHandler"))
                            && h.arg(0).is_some_and(|x| x.eq_ignore_ascii_case(handler))
                    })
            })
    });
    php_bin || fcgid || action
}

fn is_mod_php(d: &Directive) -> bool {
    const PHP_DIRECTIVES: [&str; 4] =
        ["php_admin_value", "php_value", "php_flag", "php_admin_flag"];
    if PHP_DIRECTIVES.iter().any(|n| d.is(n)) {
        return true;
    }
    (d.is("SetHandler") || d.is("AddHandler") || d.is("AddType"))
        && d.arg(0).is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.starts_with("application/x-httpd-php") && !t.ends_with("-source")
        })
}

/// Whether `name` is the host's ServerName (port and scheme ignored) or one of its
/// ServerAlias entries, which may hold `*` and `?` wildcards. Case-insensitive.
pub fn vhost_matches(vh: &VirtualHost, name: &str) -> bool {
    let name = host_part(name);
    if name.is_empty() {
        return false;
    }
    let by_name = vh
        .server_name
        .as_deref()
        .is_some_and(|s| host_part(s) == name);
    by_name
        || vh
            .server_aliases
            .iter()
            .any(|a| glob(host_part(a).as_bytes(), name.as_bytes()))
}

/// `https://www.example.com:443` → `www.example.com`, lowercased.
fn host_part(s: &str) -> String {
    let s = s.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let s = match s.rsplit_once(':') {
        // `[::1]:80` and `example.com:80` have a port; a bare `::1` has none.
        Some((host, port))
            if port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            host
        }
        _ => s,
    };
    s.to_ascii_lowercase()
}

/// Apache's wildcard match: `*` is any run of characters, `?` one character.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character.
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A change to the file: `count` lines from `first` become `with` (none when `None`);
/// `count == 0` inserts.
struct Edit {
    first: usize,
    count: usize,
    with: Option<String>,
}

fn apply(text: &str, lines: &[Line], mut edits: Vec<Edit>) -> String {
    if edits.is_empty() {
        return text.to_string();
    }
    edits.sort_by_key(|e| (e.first, e.count));
    let mut out = String::with_capacity(text.len() + 64);
    let mut next = 0;
    for e in edits {
        out.extend(lines[next..e.first].iter().map(Line::raw));
        if let Some(with) = e.with {
            // Replaced lines keep their ending; inserted ones take the line's before.
            let eol = match e.count {
                0 => e.first.checked_sub(1).map(|i| lines[i].eol),
                n => Some(lines[e.first + n - 1].eol),
            };
            let eol = eol
                .filter(|e| !e.is_empty())
                .unwrap_or(line::eol_style(text));
            out.push_str(&with);
            out.push_str(eol);
        }
        next = e.first + e.count;
    }
    out.extend(lines[next..].iter().map(Line::raw));
    out
}

/// The blocks an edit applies to: those serving `server_name`, or all.
fn targets(blocks: Vec<Block>, server_name: Option<&str>) -> Result<Vec<Block>, EditError> {
    let Some(name) = server_name else {
        return Ok(blocks);
    };
    let chosen: Vec<Block> = blocks
        .into_iter()
        .filter(|b| vhost_matches(&describe(b), name))
        .collect();
    if chosen.is_empty() {
        return Err(EditError::NoMatchingVirtualHost {
            name: name.to_string(),
        });
    }
    Ok(chosen)
}

/// Whether `d` is `directive` (any case) with first argument `arg` (exactly).
fn is_target(d: &Directive, directive: &str, arg: Option<&str>) -> bool {
    d.is(directive) && arg.is_none_or(|a| d.arg(0) == Some(a))
}

/// Make `directive arg value` hold in every `<VirtualHost>` serving `server_name` (all of
/// them when `None`). `value` is written as given: `""` blanks a quoted value.
///
/// Existing `directive arg` lines (nested ones too) get the new value in place; a block
/// without one gets a new line before `</VirtualHost>`, indented like its directives.
pub fn set_directive(
    text: &str,
    directive: &str,
    arg: Option<&str>,
    value: &str,
    server_name: Option<&str>,
) -> Result<String, EditError> {
    check_directive(directive, arg)?;
    check_value(value)?;
    check_server_name(server_name)?;
    let lines = line::split(text);
    let mut edits = Vec::new();
    for b in targets(blocks(directives(&lines)), server_name)? {
        let found: Vec<&Directive> = b
            .inner
            .iter()
            .map(|(_, d)| d)
            .filter(|d| is_target(d, directive, arg))
            .collect();
        if found.is_empty() {
            let words: Vec<&str> = [Some(directive), arg, Some(value)]
                .into_iter()
                .flatten()
                .filter(|w| !w.is_empty())
                .collect();
            edits.push(Edit {
                first: b.close,
                count: 0,
                with: Some(format!("{}{}", indent(&b), words.join(" "))),
            });
        }
        edits.extend(
            found
                .into_iter()
                .filter_map(|d| revalue(d, arg.is_some(), value)),
        );
    }
    Ok(apply(text, &lines, edits))
}

/// The rewrite of `d` to carry `value` after its name (and argument), or `None` when it
/// already does. Indentation and the spelling before the value stay.
fn revalue(d: &Directive, has_arg: bool, value: &str) -> Option<Edit> {
    let cut = if has_arg { d.ends[0] } else { d.name_end };
    let rest = &d.text[cut..];
    let single_line = d.first == d.last;
    if rest.trim() == value.trim() && single_line {
        return None;
    }
    // Keep the spacing before the value, unless it came from a joined continuation.
    let gap = &rest[..rest.len() - rest.trim_start().len()];
    let gap = if gap.is_empty() || !single_line {
        " "
    } else {
        gap
    };
    let with = match value.is_empty() {
        true => d.text[..cut].to_string(),
        false => format!("{}{gap}{value}", &d.text[..cut]),
    };
    Some(Edit {
        first: d.first,
        count: d.last - d.first + 1,
        with: Some(with),
    })
}

/// Indentation for a new directive in `b`: that of its own directives, else one tab
/// more than `<VirtualHost`.
fn indent(b: &Block) -> String {
    match b.inner.iter().find(|(depth, _)| *depth == 0) {
        Some((_, d)) => d.indent().to_string(),
        None => format!("{}\t", b.open.indent()),
    }
}

/// Remove `directive` lines (with first argument `arg`, when given) from every
/// `<VirtualHost>` serving `server_name` (all of them when `None`).
pub fn remove_directive(
    text: &str,
    directive: &str,
    arg: Option<&str>,
    server_name: Option<&str>,
) -> Result<String, EditError> {
    check_directive(directive, arg)?;
    check_server_name(server_name)?;
    let lines = line::split(text);
    let mut edits = Vec::new();
    for b in targets(blocks(directives(&lines)), server_name)? {
        edits.extend(
            b.inner
                .iter()
                .map(|(_, d)| d)
                .filter(|d| is_target(d, directive, arg))
                .map(|d| Edit {
                    first: d.first,
                    count: d.last - d.first + 1,
                    with: None,
                }),
        );
    }
    Ok(apply(text, &lines, edits))
}

/// A directive name is a plain word (`php_admin_value`, `ServerName`): nothing that
/// opens or closes a section (`<`, `</`), starts a comment (`#`) or quotes.
fn check_directive(directive: &str, arg: Option<&str>) -> Result<(), EditError> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if directive.is_empty() || !directive.chars().all(name_char) {
        return Err(EditError::InvalidDirective(directive.to_string()));
    }
    match arg {
        Some(a) if !is_plain_word(a) => Err(EditError::InvalidArgument(a.to_string())),
        _ => Ok(()),
    }
}

/// One word Apache reads back as itself: no spaces or control characters, which split
/// or end it, no quotes or `\`, which change it.
fn is_plain_word(w: &str) -> bool {
    let special = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\');
    !w.is_empty() && !w.contains(special)
}

/// A value stays on its directive's line: no line break or control character, and no
/// final `\`, which would join the next line (`</VirtualHost>`, say) to it.
fn check_value(value: &str) -> Result<(), EditError> {
    line::check_single_line(value)?;
    if value.trim_end().ends_with('\\') {
        return Err(EditError::InvalidValue(value.to_string()));
    }
    Ok(())
}

/// A server name is only compared, never written, but one that could not be a
/// ServerName (a line break, a space, a quote) is a mistake to report, not to match
/// against a wildcard ServerAlias.
fn check_server_name(server_name: Option<&str>) -> Result<(), EditError> {
    match server_name {
        Some(name) if !is_plain_word(name) => Err(EditError::InvalidServerName(name.to_string())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Debian 12's apache2 2.4 `/etc/apache2/apache2.conf`.
    const APACHE2_CONF: &str = include_str!("../../tests/fixtures/apache2.conf-debian");
    /// Debian 12's `/etc/apache2/sites-available/000-default.conf`.
    const DEFAULT_SITE: &str = include_str!("../../tests/fixtures/000-default.conf-debian");
    /// ISPmanager-style vhosts: mod_php, CGI (`/php-bin/`), nested `<IfModule>`, FPM, SSL.
    const ISP: &str = include_str!("../../tests/fixtures/ispmanager-vhosts.conf");

    const SENDMAIL: &str = "php_admin_value";

    fn blank_sendmail(text: &str, site: Option<&str>) -> Result<String, EditError> {
        set_directive(text, SENDMAIL, Some("sendmail_path"), "\"\"", site)
    }

    fn swap(text: &str, from: &str, to: &str) -> String {
        assert_eq!(text.matches(from).count(), 1, "`{from}` once in the text");
        text.replacen(from, to, 1)
    }

    #[test]
    fn debian_apache2_conf_has_no_virtual_hosts() {
        assert!(virtual_hosts(APACHE2_CONF).is_empty());
        assert_eq!(
            blank_sendmail(APACHE2_CONF, Some("example.com")),
            Err(EditError::NoMatchingVirtualHost {
                name: "example.com".to_string()
            })
        );
        assert_eq!(blank_sendmail(APACHE2_CONF, None).unwrap(), APACHE2_CONF);
    }

    #[test]
    fn debian_default_site() {
        let hosts = virtual_hosts(DEFAULT_SITE);
        assert_eq!(
            hosts,
            vec![VirtualHost {
                start_line: 1,
                end_line: 29,
                addresses: "*:80".to_string(),
                // `#ServerName www.example.com` is a comment.
                server_name: None,
                server_aliases: vec![],
                document_root: Some("/var/www/html".to_string()),
                suexec_user: None,
                php_admin_values: vec![],
                php_bin_dir: None,
                php_mode: PhpMode::Unknown,
            }]
        );
        assert!(!vhost_matches(&hosts[0], "www.example.com"));
    }

    #[test]
    fn set_directive_in_the_debian_default_site() {
        let out = blank_sendmail(DEFAULT_SITE, None).unwrap();
        assert_eq!(
            out,
            swap(
                DEFAULT_SITE,
                "\t#Include conf-available/serve-cgi-bin.conf\n</VirtualHost>",
                "\t#Include conf-available/serve-cgi-bin.conf\n\tphp_admin_value sendmail_path \"\"\n</VirtualHost>"
            )
        );
        assert_eq!(blank_sendmail(&out, None).unwrap(), out);
        let back = remove_directive(&out, SENDMAIL, Some("sendmail_path"), None).unwrap();
        assert_eq!(back, DEFAULT_SITE);
    }

    #[test]
    fn ispmanager_vhosts_are_read() {
        let hosts = virtual_hosts(ISP);
        assert_eq!(hosts.len(), 5);
        let names: Vec<_> = hosts
            .iter()
            .map(|h| h.server_name.clone().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "example.com",
                "shop.example.net",
                "blog.example.org",
                "fpm.example.org",
                "example.com"
            ]
        );
        let modes: Vec<_> = hosts.iter().map(|h| h.php_mode).collect();
        assert_eq!(
            modes,
            [
                PhpMode::ModPhp,
                PhpMode::Cgi,
                PhpMode::ModPhp,
                PhpMode::Fpm,
                PhpMode::ModPhp
            ]
        );
        let php = &hosts[0];
        assert_eq!(php.start_line, 7);
        assert_eq!(php.end_line, 22);
        assert_eq!(php.addresses, "203.0.113.10:80");
        assert_eq!(php.server_aliases, ["www.example.com"]);
        assert_eq!(
            php.document_root.as_deref(),
            Some("/var/www/user1/data/www/example.com")
        );
        assert_eq!(php.suexec_user.as_deref(), Some("user1"));
        assert_eq!(
            php.php_admin_values[1],
            (
                "sendmail_path".to_string(),
                "/usr/sbin/sendmail -t -i -f webmaster@example.com".to_string()
            )
        );
        let cgi = &hosts[1];
        assert_eq!(cgi.php_bin_dir.as_deref(), Some("/var/www/php-bin/user2/"));
        assert!(cgi.php_admin_values.is_empty());
        let blog = &hosts[2];
        assert_eq!(blog.addresses, "203.0.113.10:80", "`<VirtualHost addr >`");
        assert_eq!(blog.suexec_user.as_deref(), Some("user3"), "AssignUserID");
        assert_eq!(blog.php_admin_values.len(), 6, "inside <IfModule> too");
        let ssl = &hosts[4];
        assert_eq!(ssl.addresses, "203.0.113.10:443");
        assert_eq!(
            ssl.server_aliases,
            ["www.example.com", "static.example.com"],
            "continued line"
        );
    }

    #[test]
    fn matching_by_name_alias_and_wildcard() {
        let hosts = virtual_hosts(ISP);
        let (php, blog) = (&hosts[0], &hosts[2]);
        assert!(vhost_matches(php, "example.com"));
        assert!(vhost_matches(php, "WWW.Example.COM"));
        assert!(vhost_matches(php, "example.com:80"));
        assert!(!vhost_matches(php, "ample.com"));
        assert!(vhost_matches(blog, "a.b.blog.example.org"));
        assert!(!vhost_matches(blog, "blog.example.org.evil"));
        assert!(!vhost_matches(blog, ""));
        let mut vh = php.clone();
        vh.server_name = Some("https://Example.com:443".to_string());
        vh.server_aliases = vec!["w?w.example.com".to_string()];
        assert!(vhost_matches(&vh, "example.com"));
        assert!(vhost_matches(&vh, "wxw.example.com"));
        assert!(!vhost_matches(&vh, "ww.example.com"));
    }

    #[test]
    fn glob_matches_like_apache() {
        assert!(glob(b"*.example.com", b"a.example.com"));
        assert!(glob(b"*.example.com", b"a.b.example.com"));
        assert!(!glob(b"*.example.com", b"example.com"));
        assert!(glob(b"*", b""));
        assert!(glob(b"a*b*c", b"aXbYbZc"));
        assert!(!glob(b"a*b*c", b"aXbYbZ"));
    }

    #[test]
    fn blank_sendmail_path_in_a_mod_php_site_as_the_article_says() {
        let out = blank_sendmail(ISP, Some("www.example.com")).unwrap();
        let from = "\tphp_admin_value sendmail_path \"/usr/sbin/sendmail -t -i -f webmaster@example.com\"\n";
        // Both the :80 and the :443 block serve the site.
        let expected = ISP
            .replacen(from, "\tphp_admin_value sendmail_path \"\"\n", 1)
            .replacen(
                &format!("\t{from}"),
                "\t\tphp_admin_value sendmail_path \"\"\n",
                1,
            );
        assert_eq!(out, expected);
        assert_eq!(blank_sendmail(&out, Some("www.example.com")).unwrap(), out);
        let hosts = virtual_hosts(&out);
        assert_eq!(hosts[0].php_admin_values[1].1, "");
        assert_eq!(
            hosts[2].php_admin_values[0].1,
            "/usr/sbin/sendmail -t -i -f webmaster@blog.example.org"
        );
    }

    #[test]
    fn set_directive_rewrites_nested_copies() {
        let out = blank_sendmail(ISP, Some("blog.example.org")).unwrap();
        assert_eq!(
            out.matches("\t\tphp_admin_value sendmail_path \"\"\n")
                .count(),
            2,
            "<IfModule php7_module> and <IfModule php8_module>"
        );
        assert_eq!(out.lines().count(), ISP.lines().count());
    }

    #[test]
    fn set_directive_inserts_where_missing() {
        let out = set_directive(
            ISP,
            "php_admin_value",
            Some("sendmail_path"),
            "\"\"",
            Some("shop.example.net"),
        )
        .unwrap();
        assert_eq!(
            out,
            swap(
                ISP,
                "\tAction application/x-httpd-php /php-bin/php\n\tAddDefaultCharset off\n</VirtualHost>\n",
                "\tAction application/x-httpd-php /php-bin/php\n\tAddDefaultCharset off\n\tphp_admin_value sendmail_path \"\"\n</VirtualHost>\n"
            )
        );
        let back = remove_directive(
            &out,
            "PHP_Admin_Value",
            Some("sendmail_path"),
            Some("shop.example.net"),
        )
        .unwrap();
        assert_eq!(back, ISP);
    }

    #[test]
    fn set_directive_without_arg_and_case_insensitive() {
        let out = set_directive(
            ISP,
            "serveradmin",
            None,
            "abuse@example.net",
            Some("shop.example.net"),
        )
        .unwrap();
        assert_eq!(
            out,
            swap(
                ISP,
                "\tServerAdmin webmaster@shop.example.net\n",
                "\tServerAdmin abuse@example.net\n"
            )
        );
        assert_eq!(
            set_directive(
                &out,
                "SERVERADMIN",
                None,
                "abuse@example.net",
                Some("shop.example.net")
            )
            .unwrap(),
            out
        );
    }

    #[test]
    fn set_directive_joins_a_continued_line() {
        let text = "<VirtualHost *:80>\n    ServerName a.example\n    php_admin_value sendmail_path \\\n        \"/usr/sbin/sendmail -t\"\n</VirtualHost>\n";
        let out = blank_sendmail(text, Some("a.example")).unwrap();
        assert_eq!(
            out,
            "<VirtualHost *:80>\n    ServerName a.example\n    php_admin_value sendmail_path \"\"\n</VirtualHost>\n"
        );
        assert_eq!(blank_sendmail(&out, Some("a.example")).unwrap(), out);
    }

    #[test]
    fn set_directive_keeps_crlf_and_a_missing_final_newline() {
        let text = "<VirtualHost *:80>\r\n\tServerName a.example\r\n</VirtualHost>";
        let out = blank_sendmail(text, Some("a.example")).unwrap();
        assert_eq!(
            out,
            "<VirtualHost *:80>\r\n\tServerName a.example\r\n\tphp_admin_value sendmail_path \"\"\r\n</VirtualHost>"
        );
        assert_eq!(
            remove_directive(&out, SENDMAIL, Some("sendmail_path"), None).unwrap(),
            text
        );
        let crlf = ISP.replace('\n', "\r\n");
        let out = blank_sendmail(&crlf, Some("example.com")).unwrap();
        assert_eq!(
            out,
            blank_sendmail(ISP, Some("example.com"))
                .unwrap()
                .replace('\n', "\r\n")
        );
    }

    #[test]
    fn set_directive_in_an_empty_vhost_indents_one_level() {
        let text = "<IfModule mod_ssl.c>\n  <VirtualHost *:443>\n  </VirtualHost>\n</IfModule>\n";
        let out = set_directive(text, "ServerName", None, "a.example", None).unwrap();
        assert_eq!(
            out,
            "<IfModule mod_ssl.c>\n  <VirtualHost *:443>\n  \tServerName a.example\n  </VirtualHost>\n</IfModule>\n"
        );
    }

    #[test]
    fn comments_and_continued_comments_are_not_directives() {
        let text = "<VirtualHost *:80>\n\t# ServerName commented.example \\\n\tServerName continued.example\n\tServerName real.example\n</VirtualHost>\n";
        let hosts = virtual_hosts(text);
        assert_eq!(hosts[0].server_name.as_deref(), Some("real.example"));
        let out = set_directive(text, "ServerName", None, "new.example", None).unwrap();
        assert!(out.contains("\t# ServerName commented.example \\\n\tServerName continued.example\n\tServerName new.example\n"));
    }

    #[test]
    fn quoted_arguments() {
        assert_eq!(
            words(r#"SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost""#)
                .into_iter()
                .map(|(_, w)| w)
                .collect::<Vec<_>>(),
            [
                "SetHandler",
                "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
            ]
        );
        assert_eq!(
            words(r#"Header set X "a \"b\"" 'c d'"#)
                .into_iter()
                .map(|(_, w)| w)
                .collect::<Vec<_>>(),
            ["Header", "set", "X", "a \"b\"", "c d"]
        );
        let text = "<VirtualHost *:80>\n\tServerName a.example\n\tphp_admin_value 'sendmail_path' '/usr/sbin/sendmail -t'\n</VirtualHost>\n";
        assert_eq!(
            virtual_hosts(text)[0].php_admin_values,
            [(
                "sendmail_path".to_string(),
                "/usr/sbin/sendmail -t".to_string()
            )]
        );
        let out = blank_sendmail(text, None).unwrap();
        assert!(out.contains("\tphp_admin_value 'sendmail_path' \"\"\n"));
    }

    #[test]
    fn server_php_modes_from_outside_the_virtual_hosts() {
        // Debian's mods-enabled/php8.4.load and php8.4.conf.
        assert_eq!(
            server_php_mode("LoadModule php_module /usr/lib/apache2/modules/libphp8.4.so\n"),
            PhpMode::ModPhp
        );
        assert_eq!(
            server_php_mode(
                "<FilesMatch \".+\\.ph(?:ar|p|tml)$\">\n    SetHandler application/x-httpd-php\n</FilesMatch>\n"
            ),
            PhpMode::ModPhp
        );
        // Debian's conf-enabled/php8.4-fpm.conf.
        assert_eq!(
            server_php_mode(
                "<IfModule proxy_fcgi_module>\n<FilesMatch \".+\\.ph(?:ar|p|tml)$\">\n    SetHandler \"proxy:unix:/run/php/php8.4-fpm.sock|fcgi://localhost\"\n</FilesMatch>\n</IfModule>\n"
            ),
            PhpMode::Fpm
        );
        // A VirtualHost's own directives are its own, not the server's.
        assert_eq!(
            server_php_mode(
                "LoadModule mime_module mods/mod_mime.so\n<VirtualHost *:80>\nphp_admin_value sendmail_path /bin/true\n</VirtualHost>\n"
            ),
            PhpMode::Unknown
        );
    }

    #[test]
    fn php_modes() {
        let mode = |body: &str| {
            virtual_hosts(&format!("<VirtualHost *:80>\n{body}\n</VirtualHost>\n"))[0].php_mode
        };
        assert_eq!(mode("php_flag engine on"), PhpMode::ModPhp);
        assert_eq!(
            mode("<FilesMatch \\.php$>\nSetHandler application/x-httpd-php\n</FilesMatch>"),
            PhpMode::ModPhp
        );
        assert_eq!(
            mode("AddType application/x-httpd-php .php"),
            PhpMode::ModPhp
        );
        assert_eq!(
            mode("AddType application/x-httpd-php-source .phps"),
            PhpMode::Unknown
        );
        assert_eq!(
            mode("ScriptAlias /php-bin/ /var/www/u/data/php-bin/"),
            PhpMode::Cgi
        );
        assert_eq!(
            mode("AddHandler php-cgi .php\nAction php-cgi /cgi-bin/php8.2"),
            PhpMode::Cgi
        );
        assert_eq!(
            mode("AddHandler fcgid-script .php\nFcgidWrapper /var/www/cgi-bin/php .php"),
            PhpMode::Cgi
        );
        assert_eq!(mode("FCGIWrapper /usr/bin/php-cgi .php"), PhpMode::Cgi);
        assert_eq!(
            mode("ProxyPassMatch ^/(.*\\.php)$ fcgi://127.0.0.1:9000/var/www/$1"),
            PhpMode::Fpm
        );
        assert_eq!(
            mode(
                "<IfModule php_module>\nphp_admin_value x y\n</IfModule>\nSetHandler \"proxy:unix:/run/php/php-fpm.sock|fcgi://localhost\""
            ),
            PhpMode::Fpm
        );
        assert_eq!(
            mode("SetHandler \"proxy:http://backend/\""),
            PhpMode::Unknown
        );
        assert_eq!(mode("DocumentRoot /var/www"), PhpMode::Unknown);
    }

    #[test]
    fn remove_directive_cases() {
        let out = remove_directive(
            ISP,
            SENDMAIL,
            Some("sendmail_path"),
            Some("blog.example.org"),
        )
        .unwrap();
        assert_eq!(out.lines().count(), ISP.lines().count() - 2);
        assert!(
            virtual_hosts(&out)[2]
                .php_admin_values
                .iter()
                .all(|(n, _)| n != "sendmail_path")
        );
        assert_eq!(
            remove_directive(
                &out,
                SENDMAIL,
                Some("sendmail_path"),
                Some("blog.example.org")
            )
            .unwrap(),
            out
        );
        assert_eq!(
            remove_directive(ISP, "NoSuchDirective", None, None).unwrap(),
            ISP
        );
        assert_eq!(
            remove_directive(ISP, SENDMAIL, None, Some("nowhere.example")),
            Err(EditError::NoMatchingVirtualHost {
                name: "nowhere.example".to_string()
            })
        );
    }

    #[test]
    fn bad_requests_are_refused() {
        assert_eq!(
            set_directive(ISP, "php admin", None, "x", None),
            Err(EditError::InvalidDirective("php admin".to_string()))
        );
        assert_eq!(
            set_directive(ISP, "<VirtualHost", None, "x", None),
            Err(EditError::InvalidDirective("<VirtualHost".to_string()))
        );
        assert_eq!(
            set_directive(ISP, SENDMAIL, Some("a b"), "x", None),
            Err(EditError::InvalidArgument("a b".to_string()))
        );
        assert_eq!(
            set_directive(ISP, SENDMAIL, Some("a"), "x\ny", None),
            Err(EditError::MultilineValue)
        );
        assert_eq!(
            set_directive(ISP, SENDMAIL, Some("a"), "x \\", None),
            Err(EditError::InvalidValue("x \\".to_string()))
        );
    }

    #[test]
    fn unclosed_vhost_is_ignored() {
        let text = "<VirtualHost *:80>\n\tServerName a.example\n";
        assert!(virtual_hosts(text).is_empty());
        assert!(blank_sendmail(text, Some("a.example")).is_err());
    }

    // ---- properties ----

    fn conf_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[ -~]{0,30}".prop_map(|s| format!("# {s}")),
            Just("<VirtualHost *:80>".to_string()),
            Just("</VirtualHost>".to_string()),
            Just("\t<IfModule php_module>".to_string()),
            Just("\t</IfModule>".to_string()),
            prop::sample::select(vec!["a.example", "b.example"])
                .prop_map(|n| format!("\tServerName {n}")),
            "[ -~]{0,20}".prop_map(|v| format!("\tphp_admin_value sendmail_path \"{v}\"")),
            "[a-z/ ]{0,20}".prop_map(|v| format!("    PHP_ADMIN_VALUE sendmail_path {v}")),
            "[ -~]{0,40}",
        ]
    }

    fn conf_text() -> impl Strategy<Value = String> {
        super::super::testgen::file_of(conf_line(), 20)
    }

    proptest! {
        #[test]
        fn set_directive_is_idempotent_and_remove_undoes_an_insert(
            text in conf_text(),
            site in prop::option::of(prop::sample::select(vec!["a.example", "b.example"])),
            value in prop_oneof![Just("\"\""), Just("/bin/true"), Just("")],
        ) {
            let Ok(once) = set_directive(&text, SENDMAIL, Some("sendmail_path"), value, site) else {
                return Ok(());
            };
            prop_assert_eq!(set_directive(&once, SENDMAIL, Some("sendmail_path"), value, site).unwrap(), once.clone());
            // Everything outside the edited vhosts is untouched: same number of vhosts.
            prop_assert_eq!(virtual_hosts(&once).len(), virtual_hosts(&text).len());
            let had = |t: &str| virtual_hosts(t).iter().any(|v| v.php_admin_values.iter().any(|(n, _)| n == "sendmail_path"));
            if !had(&text) {
                let back = remove_directive(&once, SENDMAIL, Some("sendmail_path"), site).unwrap();
                prop_assert_eq!(back, text);
            }
        }
    }

    // ---- hostile values ----

    use super::super::testgen::hostile_value;
    use proptest::test_runner::TestCaseError;

    /// A directive as a runbook names it, or a hostile one.
    fn hostile_directive() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec!["php_admin_value", "SetEnv"]).prop_map(str::to_string),
            1 => hostile_value(),
        ]
    }

    fn hostile_arg() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            3 => Just(Some("sendmail_path".to_string())),
            1 => Just(None),
            1 => hostile_value().prop_map(Some),
        ]
    }

    fn hostile_site() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            2 => Just(None),
            2 => prop::sample::select(vec!["a.example", "b.example"]).prop_map(|s| Some(s.to_string())),
            1 => hostile_value().prop_map(Some),
            // A real name with something after it, which a loose match would accept.
            1 => (
                prop::sample::select(vec!["a.example", "b.example"]),
                prop::sample::select(vec!["\n", "\r\n", " ", "\t", "\u{85}", "\u{2028}", ":80", "\0"]),
            )
                .prop_map(|(s, v)| Some(format!("{s}{v}"))),
        ]
    }

    /// The physical lines of every `<VirtualHost>` the edit applies to.
    fn target_lines(text: &str, site: Option<&str>) -> Vec<std::ops::RangeInclusive<usize>> {
        blocks(directives(&line::split(text)))
            .iter()
            .filter(|b| site.is_none_or(|s| vhost_matches(&describe(b), s)))
            .map(|b| b.open.first..=b.close)
            .collect()
    }

    /// Directives of `text` as Apache reads them, with those the edit is about split off.
    fn split_off(
        text: &str,
        directive: &str,
        arg: Option<&str>,
        site: Option<&str>,
    ) -> (Vec<String>, Vec<Directive>) {
        let targets = target_lines(text, site);
        let (edited, kept): (Vec<Directive>, Vec<Directive>) =
            directives(&line::split(text)).into_iter().partition(|d| {
                is_target(d, directive, arg) && targets.iter().any(|r| r.contains(&d.first))
            });
        (kept.into_iter().map(|d| d.text).collect(), edited)
    }

    /// What a successful edit must leave: the same virtual hosts with the same names,
    /// every directive it is not about as it was, and each one it is about reading
    /// back (as Apache splits words) as exactly `value`, on a line of its own.
    fn directive_edit(
        text: &str,
        out: &str,
        directive: &str,
        arg: Option<&str>,
        site: Option<&str>,
        value: Option<&str>,
    ) -> Result<(), TestCaseError> {
        // A name Apache could not hold as one word selects no virtual host.
        if let Some(site) = site {
            prop_assert_eq!(
                words(site).into_iter().map(|(_, w)| w).collect::<Vec<_>>(),
                vec![site.to_string()]
            );
        }
        let names = |t: &str| {
            virtual_hosts(t)
                .into_iter()
                .map(|v| (v.addresses, v.server_name, v.server_aliases))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(names(out), names(text));
        let (kept_before, edited_before) = split_off(text, directive, arg, site);
        let (kept_after, edited_after) = split_off(out, directive, arg, site);
        prop_assert_eq!(kept_after, kept_before);
        let Some(value) = value else {
            prop_assert!(edited_after.is_empty(), "removed everywhere");
            return Ok(());
        };
        // Each block keeps its copies (nested ones too), or gains one.
        let in_block = |ds: &[Directive], r: &std::ops::RangeInclusive<usize>| {
            ds.iter().filter(|d| r.contains(&d.first)).count()
        };
        for (b, a) in target_lines(text, site)
            .iter()
            .zip(&target_lines(out, site))
        {
            prop_assert_eq!(
                in_block(&edited_after, a),
                in_block(&edited_before, b).max(1)
            );
        }
        let skip = usize::from(arg.is_some());
        let expected: Vec<String> = words(value).into_iter().map(|(_, w)| w).collect();
        for d in &edited_after {
            prop_assert_eq!(d.first, d.last, "one line: {:?}", d.text);
            prop_assert!(
                !d.text.contains(|c: char| c.is_control() && c != '\t'),
                "{:?}",
                d.text
            );
            prop_assert_eq!(&d.args[skip..], expected.as_slice());
        }
        Ok(())
    }

    fn clear(e: &EditError) -> Result<(), TestCaseError> {
        let message = e.to_string();
        prop_assert!(!message.is_empty());
        prop_assert!(!message.contains(char::is_control), "{:?}", message);
        Ok(())
    }

    #[test]
    fn hostile_requests_are_refused_with_a_reason() {
        let text = "<VirtualHost *:80>\n\tServerName a.example\n</VirtualHost>\n";
        let set =
            |d: &str, a: Option<&str>, v: &str, s: Option<&str>| set_directive(text, d, a, v, s);
        let evil = "x\n</VirtualHost>\n<VirtualHost *:80>";
        assert_eq!(
            set(SENDMAIL, Some("a"), evil, None),
            Err(EditError::MultilineValue)
        );
        assert_eq!(
            set(SENDMAIL, Some("a"), "x\ry", None),
            Err(EditError::MultilineValue)
        );
        assert_eq!(
            set(SENDMAIL, Some("a"), "x\0y", None),
            Err(EditError::ControlCharacter("x\0y".into()))
        );
        // A final backslash, even before spaces, would join `</VirtualHost>` to the value.
        assert_eq!(
            set(SENDMAIL, Some("a"), "x \\ ", None),
            Err(EditError::InvalidValue("x \\ ".into()))
        );
        for d in ["</VirtualHost>", "#x", "a\0", "a-b\n", "php_admin_value\tx"] {
            assert_eq!(
                set(d, None, "x", None),
                Err(EditError::InvalidDirective(d.into()))
            );
        }
        for a in ["a\0", "a\nb", "\x1b[2J"] {
            assert_eq!(
                set(SENDMAIL, Some(a), "x", None),
                Err(EditError::InvalidArgument(a.into()))
            );
        }
        for s in ["a.example\n", "a.example\0", "a example", "\"a.example\""] {
            assert_eq!(
                set(SENDMAIL, None, "x", Some(s)),
                Err(EditError::InvalidServerName(s.into()))
            );
            assert_eq!(
                remove_directive(text, SENDMAIL, None, Some(s)),
                Err(EditError::InvalidServerName(s.into()))
            );
        }
        // Text that would open or close a block is a plain value after a directive name.
        let out = set(
            "SetEnv",
            Some("X"),
            "</VirtualHost> <VirtualHost *:81>",
            None,
        )
        .unwrap();
        assert_eq!(virtual_hosts(&out).len(), 1);
        assert!(out.contains("\tSetEnv X </VirtualHost> <VirtualHost *:81>\n</VirtualHost>"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn set_directive_hostile_refuses_or_sets_exactly_that_value(
            text in conf_text(),
            directive in hostile_directive(),
            arg in hostile_arg(),
            value in hostile_value(),
            site in hostile_site(),
        ) {
            let (arg, site) = (arg.as_deref(), site.as_deref());
            match set_directive(&text, &directive, arg, &value, site) {
                Err(e) => clear(&e)?,
                Ok(out) => directive_edit(&text, &out, &directive, arg, site, Some(&value))?,
            }
        }

        #[test]
        fn remove_directive_hostile_refuses_or_removes_only_that_directive(
            text in conf_text(),
            directive in hostile_directive(),
            arg in hostile_arg(),
            site in hostile_site(),
        ) {
            let (arg, site) = (arg.as_deref(), site.as_deref());
            match remove_directive(&text, &directive, arg, site) {
                Err(e) => clear(&e)?,
                Ok(out) => directive_edit(&text, &out, &directive, arg, site, None)?,
            }
        }
    }
}
