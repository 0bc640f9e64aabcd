//! php.ini edits that keep the file as its owner wrote it: comments, order, sections,
//! spacing, quoting, line endings.
//!
//! PHP's rules: `;` starts a comment; section headers (`[PHP]`, `[mail function]`) do not
//! scope keys, except `[PATH=...]` and `[HOST=...]`, whose keys apply to one directory or
//! host and are never touched here; the last assignment of a key wins.

use super::error::EditError;

/// One line, split where edits need it.
struct Line<'a> {
    /// The line without its terminator.
    text: &'a str,
    /// `\n`, `\r\n` or `` (last line without one).
    eol: &'a str,
    /// Inside a `[PATH=...]` / `[HOST=...]` section.
    scoped: bool,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut scoped = false;
    text.split_inclusive('\n')
        .map(|raw| {
            let body = raw.strip_suffix('\n').unwrap_or(raw);
            let (text, eol) = match body.strip_suffix('\r') {
                Some(t) => (t, &raw[t.len()..]),
                None => (body, &raw[body.len()..]),
            };
            let trimmed = text.trim_start();
            if let Some(header) = trimmed.strip_prefix('[') {
                let upper = header.to_ascii_uppercase();
                scoped = upper.starts_with("PATH=") || upper.starts_with("HOST=");
            }
            Line { text, eol, scoped }
        })
        .collect()
}

/// The end-of-line style of the file (for inserted lines).
fn eol_of(lines: &[Line]) -> &'static str {
    if lines.iter().any(|l| l.eol == "\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// An assignment `key = value ; comment`, cut into the parts a rewrite keeps.
struct Assignment<'a> {
    key: &'a str,
    /// Everything up to the value (`key = `).
    prefix: &'a str,
    /// The value as written (quotes included).
    value: &'a str,
    /// Whitespace and comment after the value.
    suffix: &'a str,
}

fn assignment(text: &str) -> Option<Assignment<'_>> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('[') {
        return None;
    }
    let eq = text.find('=')?;
    let key = text[..eq].trim();
    if key.is_empty() {
        return None;
    }
    let after = &text[eq + 1..];
    let value_start = eq + 1 + (after.len() - after.trim_start().len());
    let rest = &text[value_start..];
    // A quoted value runs to the closing quote; `;` inside it is not a comment.
    let value_len = match rest.strip_prefix('"') {
        Some(quoted) => quoted.find('"').map(|i| i + 2).unwrap_or(rest.len()),
        None => rest.find(';').unwrap_or(rest.len()),
    };
    let value = rest[..value_len].trim_end();
    Some(Assignment {
        key,
        prefix: &text[..value_start],
        value,
        suffix: &text[value_start + value.len()..],
    })
}

/// A commented-out assignment of `key` (`;mail.add_x_header = Off`, `; sendmail_path =`).
fn is_commented(text: &str, key: &str) -> bool {
    let uncommented = text.trim_start().trim_start_matches(';').trim_start();
    assignment(uncommented).is_some_and(|a| a.key == key)
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// Index of the line holding the effective (last) active assignment of `key`.
fn effective(lines: &[Line], key: &str) -> Option<usize> {
    lines
        .iter()
        .rposition(|l| !l.scoped && assignment(l.text).is_some_and(|a| a.key == key))
}

/// The effective value of `key`: quotes removed, comment stripped; `None` when unset.
pub fn get(text: &str, key: &str) -> Option<String> {
    let lines = lines(text);
    let i = effective(&lines, key)?;
    assignment(lines[i].text).map(|a| unquote(a.value).trim().to_string())
}

/// Make `key = value` the effective assignment. `value` is written as given (`On`, `""`).
pub fn set(text: &str, key: &str, value: &str) -> Result<String, EditError> {
    check_key(key)?;
    if value.contains(['\n', '\r']) {
        return Err(EditError::MultilineValue);
    }
    Ok(rewrite(text, key, |_| value.to_string()))
}

/// Add `item` to a comma-separated value such as `disable_functions`, keeping the items
/// already there. PHP function names are case-insensitive, so `MAIL` counts as `mail`.
pub fn list_add(text: &str, key: &str, item: &str) -> Result<String, EditError> {
    check_key(key)?;
    check_item(item)?;
    Ok(rewrite(text, key, |old| {
        let old = old.unwrap_or("");
        let (quote, inner) = split_quotes(old);
        let items = split_items(inner);
        if items.iter().any(|i| i.eq_ignore_ascii_case(item)) {
            return old.to_string();
        }
        let joined = if items.is_empty() {
            item.to_string()
        } else {
            format!(
                "{}{}{item}",
                inner.trim_end().trim_end_matches(',').trim_end(),
                separator(inner)
            )
        };
        format!("{quote}{joined}{quote}")
    }))
}

/// Remove every occurrence of `item` from a comma-separated value.
pub fn list_remove(text: &str, key: &str, item: &str) -> Result<String, EditError> {
    check_key(key)?;
    check_item(item)?;
    let lines_ = lines(text);
    let Some(i) = effective(&lines_, key) else {
        return Ok(text.to_string());
    };
    let old = assignment(lines_[i].text).map(|a| a.value).unwrap_or("");
    let (quote, inner) = split_quotes(old);
    let items = split_items(inner);
    if !items.iter().any(|i| i.eq_ignore_ascii_case(item)) {
        return Ok(text.to_string());
    }
    let kept: Vec<&str> = items
        .into_iter()
        .filter(|i| !i.eq_ignore_ascii_case(item))
        .collect();
    let new = if kept.is_empty() {
        String::new()
    } else {
        format!("{quote}{}{quote}", kept.join(separator(inner)))
    };
    Ok(rewrite(text, key, |_| new.clone()))
}

/// Replace the effective assignment's value by `f(old)`, or add an assignment after the
/// last commented-out one, or at the end of the global part.
fn rewrite(text: &str, key: &str, f: impl FnOnce(Option<&str>) -> String) -> String {
    let lines = lines(text);
    let eol = eol_of(&lines);
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| format!("{}{}", l.text, l.eol))
        .collect();
    if let Some(i) = effective(&lines, key) {
        let a = assignment(lines[i].text).expect("effective line is an assignment");
        let value = f(Some(a.value));
        if value == a.value {
            return text.to_string();
        }
        out[i] = format!(
            "{}{value}{}{}",
            spaced(a.prefix, &value),
            a.suffix,
            lines[i].eol
        );
        return out.concat();
    }
    let line = format!("{key} = {}", f(None));
    let line = line.trim_end().to_string();
    let at = match lines
        .iter()
        .rposition(|l| !l.scoped && is_commented(l.text, key))
    {
        Some(i) => i + 1,
        None => lines.iter().position(|l| l.scoped).unwrap_or(lines.len()),
    };
    // The line before the insertion point needs a terminator.
    if at > 0 && lines[at - 1].eol.is_empty() {
        out[at - 1].push_str(eol);
    }
    let last = at == lines.len();
    let terminator = if last && !text.is_empty() && lines[at - 1].eol.is_empty() {
        ""
    } else {
        eol
    };
    out.insert(at, format!("{line}{terminator}"));
    out.concat()
}

/// `key =` with an empty value gets a space before a new value when the file puts spaces
/// around `=` (`disable_functions =` becomes `disable_functions = mail`).
fn spaced(prefix: &str, value: &str) -> String {
    let spaced_style = prefix.trim_end().ends_with(" =") || prefix.trim_end().ends_with("\t=");
    if !value.is_empty() && spaced_style && !prefix.ends_with([' ', '\t']) {
        format!("{prefix} ")
    } else {
        prefix.to_string()
    }
}

fn split_quotes(value: &str) -> (&'static str, &str) {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => ("\"", inner),
        None => ("", value),
    }
}

fn split_items(inner: &str) -> Vec<&str> {
    inner
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect()
}

/// `, ` when the list is written with spaces after commas, else `,`.
fn separator(inner: &str) -> &'static str {
    if inner.contains(", ") { ", " } else { "," }
}

fn check_key(key: &str) -> Result<(), EditError> {
    if key.is_empty()
        || key.contains(['=', ';', '\n', '\r', '"'])
        || key.contains(char::is_whitespace)
    {
        return Err(EditError::InvalidKey(key.to_string()));
    }
    Ok(())
}

fn check_item(item: &str) -> Result<(), EditError> {
    if item.trim().is_empty() || item.contains([',', '"', '\n', '\r']) {
        return Err(EditError::InvalidItem(item.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEBIAN: &str = include_str!("../../tests/fixtures/php.ini-production-8.2");

    fn changed_lines(a: &str, b: &str) -> Vec<(String, String)> {
        let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        a.iter()
            .zip(&b)
            .filter(|(x, y)| x != y)
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .collect()
    }

    #[test]
    fn reads_the_real_debian_php_ini() {
        assert_eq!(get(DEBIAN, "mail.add_x_header").as_deref(), Some("Off"));
        assert_eq!(get(DEBIAN, "disable_functions").as_deref(), Some(""));
        assert_eq!(get(DEBIAN, "sendmail_path"), None, "only commented out");
        assert_eq!(get(DEBIAN, "memory_limit").as_deref(), Some("128M"));
    }

    #[test]
    fn set_rewrites_only_the_effective_line() {
        let new = set(DEBIAN, "mail.add_x_header", "On").unwrap();
        assert_eq!(
            changed_lines(DEBIAN, &new),
            [(
                "mail.add_x_header = Off".into(),
                "mail.add_x_header = On".into()
            )]
        );
        assert_eq!(
            set(&new, "mail.add_x_header", "On").unwrap(),
            new,
            "idempotent"
        );
    }

    #[test]
    fn set_after_a_commented_out_assignment() {
        let new = set(DEBIAN, "sendmail_path", "\"\"").unwrap();
        let lines: Vec<&str> = new.lines().collect();
        let i = lines.iter().position(|l| *l == ";sendmail_path =").unwrap();
        assert_eq!(lines[i + 1], "sendmail_path = \"\"");
        assert_eq!(new.lines().count(), DEBIAN.lines().count() + 1);
    }

    #[test]
    fn set_keeps_trailing_comments_spacing_and_crlf() {
        let text = "[PHP]\r\nfoo=1 ; why\r\nbar = 2\r\n";
        assert_eq!(
            set(text, "foo", "3").unwrap(),
            "[PHP]\r\nfoo=3 ; why\r\nbar = 2\r\n"
        );
        assert_eq!(
            set(text, "baz", "x").unwrap(),
            "[PHP]\r\nfoo=1 ; why\r\nbar = 2\r\nbaz = x\r\n"
        );
        assert_eq!(set("a = 1", "b", "2").unwrap(), "a = 1\nb = 2");
        assert_eq!(set("", "b", "2").unwrap(), "b = 2\n");
    }

    #[test]
    fn path_and_host_sections_are_left_alone() {
        let text = "x = 1\n[PATH=/var/www/a]\nx = 2\n";
        assert_eq!(get(text, "x").as_deref(), Some("1"));
        assert_eq!(
            set(text, "x", "3").unwrap(),
            "x = 3\n[PATH=/var/www/a]\nx = 2\n"
        );
        assert_eq!(
            set("[HOST=a]\ny = 1\n", "y", "2").unwrap(),
            "y = 2\n[HOST=a]\ny = 1\n"
        );
    }

    #[test]
    fn list_add_keeps_existing_items_and_style() {
        let new = list_add(DEBIAN, "disable_functions", "mail").unwrap();
        assert_eq!(
            changed_lines(DEBIAN, &new),
            [(
                "disable_functions = ".into(),
                "disable_functions = mail".into()
            )]
        );
        assert_eq!(
            list_add(
                "disable_functions = exec, passthru\n",
                "disable_functions",
                "mail"
            )
            .unwrap(),
            "disable_functions = exec, passthru, mail\n"
        );
        assert_eq!(
            list_add(
                "disable_functions=exec,system ; hardened\n",
                "disable_functions",
                "mail"
            )
            .unwrap(),
            "disable_functions=exec,system,mail ; hardened\n"
        );
        assert_eq!(
            list_add(
                "disable_functions = \"exec\"\n",
                "disable_functions",
                "mail"
            )
            .unwrap(),
            "disable_functions = \"exec,mail\"\n"
        );
        let with_mail = "disable_functions = exec,MAIL\n";
        assert_eq!(
            list_add(with_mail, "disable_functions", "mail").unwrap(),
            with_mail
        );
    }

    #[test]
    fn list_remove_drops_every_occurrence() {
        assert_eq!(
            list_remove("d = exec, mail, system\n", "d", "mail").unwrap(),
            "d = exec, system\n"
        );
        assert_eq!(list_remove("d = mail\n", "d", "Mail").unwrap(), "d = \n");
        assert_eq!(
            list_remove("d = exec\n", "d", "mail").unwrap(),
            "d = exec\n"
        );
    }

    #[test]
    fn bad_keys_and_items_are_refused() {
        assert!(set("", "a b", "x").is_err());
        assert!(set("", "a", "x\ny").is_err());
        assert!(list_add("", "d", "a,b").is_err());
        assert!(list_add("", "d", "").is_err());
    }

    fn ini_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[A-Za-z ]{1,8}".prop_map(|s| format!("[{s}]")),
            "[ -~]{0,20}".prop_map(|s| format!(";{s}")),
            ("[a-z_.]{1,10}", "[ -~]{0,15}").prop_map(|(k, v)| format!("{k} = {v}")),
            "[a-z,_ ]{0,20}".prop_map(|v| format!("disable_functions = {v}")),
            "[ -~]{0,30}",
        ]
    }

    proptest! {
        #[test]
        fn list_add_then_remove_restores_the_value(lines in prop::collection::vec(ini_line(), 0..20)) {
            let text = lines.join("\n");
            let added = list_add(&text, "disable_functions", "zzfresh").unwrap();
            prop_assert_eq!(list_add(&added, "disable_functions", "zzfresh").unwrap(), added.clone());
            let removed = list_remove(&added, "disable_functions", "zzfresh").unwrap();
            let norm = |v: Option<String>| v.map(|v| split_items(&v).join(",")).unwrap_or_default();
            prop_assert_eq!(norm(get(&removed, "disable_functions")), norm(get(&text, "disable_functions")));
        }

        #[test]
        fn set_changes_one_line_or_inserts_one(lines in prop::collection::vec(ini_line(), 0..20)) {
            let text = lines.join("\n");
            let new = set(&text, "mail.add_x_header", "On").unwrap();
            let (a, b): (Vec<&str>, Vec<&str>) = (text.lines().collect(), new.lines().collect());
            if a.len() == b.len() {
                prop_assert!(a.iter().zip(&b).filter(|(x, y)| x != y).count() <= 1);
            } else {
                prop_assert_eq!(a.len() + 1, b.len());
                let inserted = b.iter().position(|l| *l == "mail.add_x_header = On").unwrap();
                let mut without = b.clone();
                without.remove(inserted);
                prop_assert_eq!(without, a);
            }
            prop_assert_eq!(get(&new, "mail.add_x_header"), Some("On".to_string()));
        }
    }
}
