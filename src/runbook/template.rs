//! Templates: text with `{{dotted.name}}` variables, and nothing else: no helpers,
//! blocks, partials, comments or HTML escaping can surprise an author. Triple braces
//! are refused: they exist only to skip escaping, which is what keeps shell steps safe.
//! `\{{` writes `{{` as text (for exim expansions such as `${if and{{...}}}`).
//!
//! The syntax is handlebars' plain-variable subset, scanned here in one pass: the
//! handlebars crate took quadratic time over backslashes (20,000 in one field took
//! 3.6 s to lint), and runbook text comes from ops' repositories.

use serde_json::Value;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Var(String),
}

/// Why a template could not be parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateError {
    Syntax(String),
    TripleBrace(String),
    Unsupported(String),
}

/// How rendered values are inserted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Escape {
    /// As they are: one argv element, a file path, an ini value.
    None,
    /// Shell-quoted, for `shell` scripts.
    Shell,
}

/// Looks up the value of a dotted variable name.
pub trait Scope {
    fn lookup(&self, name: &str) -> Option<Value>;
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("{{") {
            // `\{{`: an escaped `{{`, written as text.
            if rest[..at].ends_with('\\') {
                literal.push_str(&rest[..at - 1]);
                literal.push_str("{{");
                rest = &rest[at + 2..];
                continue;
            }
            literal.push_str(&rest[..at]);
            let (part, after) = expression(&rest[at..], text.len() - rest.len() + at)?;
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(part);
            rest = after;
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The dotted names the template reads.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Text(_) => None,
        })
    }

    pub fn render(&self, scope: &dyn Scope, escape: Escape) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(name) => {
                    let value = scope
                        .lookup(name)
                        .ok_or_else(|| format!("`{{{{{name}}}}}` has no value"))?;
                    let text = scalar_text(&value).ok_or_else(|| {
                        format!(
                            "`{{{{{name}}}}}` is a list or map, not a single value; use for_each"
                        )
                    })?;
                    match escape {
                        Escape::None => out.push_str(&text),
                        Escape::Shell => out.push_str(
                            &shlex::try_quote(&text)
                                .map_err(|_| format!("`{{{{{name}}}}}` contains a NUL byte"))?,
                        ),
                    }
                }
            }
        }
        Ok(out)
    }
}

impl TemplateError {
    pub fn message(&self) -> String {
        match self {
            TemplateError::Syntax(e) => format!("template syntax error: {e}"),
            TemplateError::TripleBrace(name) => {
                format!("`{{{{{{{name}}}}}}}` inserts a value unescaped; use `{{{{{name}}}}}`")
            }
            TemplateError::Unsupported(_) => {
                "only plain `{{name}}` variables are supported in templates (no helpers or blocks)"
                    .into()
            }
        }
    }
}

/// The expression `text` starts with (`{{...}}`, `offset` bytes into the template), and
/// the text after it.
fn expression(text: &str, offset: usize) -> Result<(Part, &str), TemplateError> {
    if let Some(inner) = text.strip_prefix("{{{") {
        let end = inner.find("}}}").ok_or_else(|| unclosed(offset))?;
        return Err(TemplateError::TripleBrace(inner[..end].trim().to_string()));
    }
    let inner = &text[2..];
    let end = inner.find("}}").ok_or_else(|| unclosed(offset))?;
    let name = inner[..end].trim();
    if !is_name(name) {
        return Err(TemplateError::Unsupported(name.to_string()));
    }
    Ok((Part::Var(name.to_string()), &inner[end + 2..]))
}

fn unclosed(offset: usize) -> TemplateError {
    TemplateError::Syntax(format!(
        "`{{{{` at byte {offset} is not closed by `}}}}` (write `\\{{{{` for the text `{{{{`)"
    ))
}

/// A dotted name: `params.domain`, `item.path`, `queue.top_scripts`.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

/// A scalar as text (`true`, `42`, `On`); `None` for lists and maps.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Vars(Value);
    impl Scope for Vars {
        fn lookup(&self, name: &str) -> Option<Value> {
            name.split('.').try_fold(&self.0, |v, k| v.get(k)).cloned()
        }
    }

    #[test]
    fn renders_dotted_variables() {
        let t = Template::parse("file {{item.path}} for {{params.domain}}").unwrap();
        assert_eq!(
            t.variables().collect::<Vec<_>>(),
            ["item.path", "params.domain"]
        );
        let vars = Vars(json!({"item": {"path": "/etc/php.ini"}, "params": {"domain": "x.ru"}}));
        assert_eq!(
            t.render(&vars, Escape::None).unwrap(),
            "file /etc/php.ini for x.ru"
        );
    }

    #[test]
    fn shell_escape_quotes_hostile_values() {
        let t = Template::parse("echo {{params.v}}").unwrap();
        let vars = Vars(json!({"params": {"v": "; touch /tmp/pwned $(id) `id`"}}));
        assert_eq!(
            t.render(&vars, Escape::Shell).unwrap(),
            "echo '; touch /tmp/pwned $(id) `id`'"
        );
    }

    #[test]
    fn triple_braces_and_helpers_are_refused() {
        assert!(
            matches!(Template::parse("{{{x}}}"), Err(TemplateError::TripleBrace(n)) if n == "x")
        );
        assert!(matches!(
            Template::parse("{{#if x}}y{{/if}}"),
            Err(TemplateError::Unsupported(_))
        ));
        assert!(matches!(
            Template::parse("{{lookup x y}}"),
            Err(TemplateError::Unsupported(_))
        ));
        assert!(matches!(
            Template::parse("{{x"),
            Err(TemplateError::Syntax(_))
        ));
        for unsupported in [
            "{{> partial}}",
            "{{! comment }}",
            "{{~x~}}",
            "{{#each x}}",
            "{{}}",
        ] {
            assert!(
                matches!(
                    Template::parse(unsupported),
                    Err(TemplateError::Unsupported(_))
                ),
                "{unsupported}"
            );
        }
    }

    #[test]
    fn text_around_variables_is_kept_as_written() {
        let vars = Vars(json!({"a": {"b": "B"}, "x": 1}));
        let render = |t: &str| {
            Template::parse(t)
                .unwrap()
                .render(&vars, Escape::None)
                .unwrap()
        };
        assert_eq!(render("{{ a.b }}-{{x}}}"), "B-1}");
        assert_eq!(render("}} { } \\ \\n"), "}} { } \\ \\n");
        // An exim expansion in a `line:` step: the braces escaped.
        assert_eq!(
            render("${if and{\\{{ match_ip{$h}{:@[]}}}} {{x}}"),
            "${if and{{{ match_ip{$h}{:@[]}}}} 1"
        );
        assert_eq!(render("é{{a.b}}ü"), "éBü");
    }

    #[test]
    fn long_runs_of_backslashes_and_braces_are_text() {
        // One pass over the text: 200,000 backslashes took minutes to parse before.
        let vars = Vars(json!({}));
        for hostile in [
            "\\".repeat(200_000),
            "{ }".repeat(100_000),
            "}}".repeat(100_000),
        ] {
            let t = Template::parse(&hostile).unwrap();
            assert_eq!(t.render(&vars, Escape::None).unwrap(), hostile);
        }
        let escaped = "\\{{".repeat(100_000);
        let t = Template::parse(&escaped).unwrap();
        assert_eq!(t.render(&vars, Escape::None).unwrap(), "{{".repeat(100_000));
    }

    #[test]
    fn missing_and_list_values_are_errors() {
        let vars = Vars(json!({"l": [1]}));
        assert!(
            Template::parse("{{nope}}")
                .unwrap()
                .render(&vars, Escape::None)
                .is_err()
        );
        assert!(
            Template::parse("{{l}}")
                .unwrap()
                .render(&vars, Escape::None)
                .is_err()
        );
    }
}
