//! Templates: text with `{{dotted.name}}` variables, parsed by handlebars and rendered by us
//! so that no helper, partial or HTML escaping can surprise an author. Triple braces are
//! refused: they exist only to skip escaping, which is what keeps shell steps safe.

use handlebars::Path;
use handlebars::template::{Parameter, Template as Ast, TemplateElement};
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
        let ast = Ast::compile(text).map_err(|e| TemplateError::Syntax(e.to_string()))?;
        let mut parts = Vec::new();
        for element in ast.elements {
            match element {
                TemplateElement::RawString(s) => parts.push(Part::Text(s)),
                TemplateElement::Comment(_) => {}
                TemplateElement::HtmlExpression(h) => {
                    return Err(TemplateError::TripleBrace(name_of(&h.name)));
                }
                TemplateElement::Expression(h) if h.params.is_empty() && h.hash.is_empty() => {
                    match &h.name {
                        Parameter::Name(n) => parts.push(Part::Var(n.clone())),
                        Parameter::Path(Path::Relative((_, raw))) => {
                            parts.push(Part::Var(raw.clone()))
                        }
                        other => return Err(TemplateError::Unsupported(format!("{other:?}"))),
                    }
                }
                other => {
                    return Err(TemplateError::Unsupported(format!("{other:?}")));
                }
            }
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

fn name_of(p: &Parameter) -> String {
    match p {
        Parameter::Name(n) => n.clone(),
        Parameter::Path(Path::Relative((_, raw))) => raw.clone(),
        other => format!("{other:?}"),
    }
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
