//! Typed runbook parameters and the parsing of their values.

use std::sync::LazyLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    String,
    Integer,
    Bool,
    /// `30s`, `15m`, `24h`, `7d`, `1h30m`.
    Duration,
    Email,
    Domain,
    /// An absolute host path.
    Path,
    /// One of `values`.
    Choice,
    /// Like string, but never printed, diffed or journaled.
    Secret,
}

/// A parameter declaration. A param without `default` is required.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    #[serde(rename = "type")]
    pub kind: ParamType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Regular expression the whole value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Allowed values of a `choice`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The value must be one the host's facts list, checked when planning:
    /// `FACT[].FIELD`, a field of each item of a list fact (`php.ini_files[].path`: a
    /// php.ini that was found), or `FACT`, a list of strings. The default is always
    /// allowed (an empty default meaning "all of them", say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<String>,
}

/// A param's `one_of`, split: the list fact and the field of its items, if any.
pub fn one_of_parts(one_of: &str) -> (&str, Option<&str>) {
    match one_of.split_once("[].") {
        Some((fact, field)) => (fact, Some(field)),
        None => (one_of, None),
    }
}

/// The values a `one_of` allows, from the list fact's value (`None`: not a list).
pub fn one_of_values(one_of: &str, list: Option<&Value>) -> Option<Vec<String>> {
    let (_, field) = one_of_parts(one_of);
    let items = list?.as_array()?;
    Some(
        items
            .iter()
            .filter_map(|item| match field {
                Some(f) => item.get(f)?.as_str(),
                None => item.as_str(),
            })
            .map(str::to_string)
            .collect(),
    )
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$").unwrap()
});
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
        .unwrap()
});

impl Param {
    /// Parse a value given on the command line (`-p KEY=VALUE`).
    pub fn parse(&self, raw: &str) -> Result<Value, String> {
        let value = match self.kind {
            ParamType::Integer => raw
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("`{raw}` is not an integer"))?,
            ParamType::Bool => match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("`{raw}` is not a bool (use true or false)")),
            },
            _ => Value::String(raw.to_string()),
        };
        self.check(&value)
    }

    /// Check a value (a default, a parsed `-p`, or one passed by `include`) against the type.
    pub fn check(&self, value: &Value) -> Result<Value, String> {
        let text = match (self.kind, value) {
            (ParamType::Integer, Value::Number(n)) if n.is_i64() => n.to_string(),
            (ParamType::Integer, Value::String(s)) => return self.parse(s),
            (ParamType::Integer, other) => return Err(format!("{other} is not an integer")),
            (ParamType::Bool, Value::Bool(b)) => b.to_string(),
            (ParamType::Bool, Value::String(s)) => return self.parse(s),
            (ParamType::Bool, other) => return Err(format!("{other} is not a bool")),
            (_, Value::String(s)) => s.clone(),
            (_, other) => return Err(format!("{other} is not a string")),
        };
        self.check_text(&text)?;
        if let Some(pattern) = &self.pattern {
            let re = Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| format!("pattern is not a valid regular expression: {e}"))?;
            if !re.is_match(&text) {
                return Err(format!(
                    "{} does not match the pattern `{pattern}`",
                    self.shown(&text)
                ));
            }
        }
        Ok(value.clone())
    }

    fn check_text(&self, text: &str) -> Result<(), String> {
        if text.contains(['\n', '\r', '\0']) {
            return Err("values must be a single line".into());
        }
        let shown = self.shown(text);
        match self.kind {
            ParamType::Duration => parse_duration(text)
                .map(|_| ())
                .map_err(|e| format!("{shown} is not a duration: {e}")),
            ParamType::Email if !EMAIL.is_match(text) => {
                Err(format!("{shown} is not an email address"))
            }
            ParamType::Domain if !DOMAIN.is_match(text) => {
                Err(format!("{shown} is not a domain name"))
            }
            ParamType::Path if !text.is_empty() && !text.starts_with('/') => {
                Err(format!("{shown} is not an absolute path"))
            }
            ParamType::Choice if !self.values.iter().any(|v| v == text) => {
                Err(format!("{shown} is not one of: {}", self.values.join(", ")))
            }
            _ => Ok(()),
        }
    }

    /// How a value appears in messages: secrets never do.
    fn shown(&self, text: &str) -> String {
        if self.kind == ParamType::Secret {
            "the secret value".into()
        } else {
            format!("`{text}`")
        }
    }
}

/// Parse a friendly duration (`90s`, `15m`, `24h`, `7d`, `1h30m`) into seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let span: jiff::Span = text
        .trim()
        .parse()
        .map_err(|e: jiff::Error| e.to_string())?;
    let seconds = span
        .total((jiff::Unit::Second, jiff::civil::date(2000, 1, 1)))
        .map_err(|e| e.to_string())?;
    if seconds < 0.0 {
        return Err("must not be negative".into());
    }
    Ok(seconds as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(kind: ParamType) -> Param {
        Param {
            kind,
            description: None,
            default: None,
            pattern: None,
            values: vec![],
            one_of: None,
        }
    }

    #[test]
    fn durations_parse_in_seconds() {
        assert_eq!(parse_duration("24h"), Ok(86_400));
        assert_eq!(parse_duration("1h30m"), Ok(5_400));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn typed_values_are_checked() {
        assert!(param(ParamType::Email).parse("root@example.com").is_ok());
        assert!(
            param(ParamType::Email)
                .parse("root@example.com; rm -rf /")
                .is_err()
        );
        assert!(param(ParamType::Domain).parse("shop.example.com").is_ok());
        assert!(param(ParamType::Domain).parse("$(id)").is_err());
        assert!(param(ParamType::Path).parse("etc/php.ini").is_err());
        assert_eq!(param(ParamType::Integer).parse("42"), Ok(Value::from(42)));
        assert!(param(ParamType::Bool).parse("yes").is_err());
        let mut choice = param(ParamType::Choice);
        choice.values = vec!["captcha".into(), "disable-mail".into()];
        assert!(choice.parse("captcha").is_ok());
        assert!(choice.parse("other").is_err());
    }

    #[test]
    fn pattern_must_match_whole_value_and_secrets_stay_hidden() {
        let mut p = param(ParamType::Secret);
        p.pattern = Some("[a-z]+".into());
        let err = p.parse("hunter2").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
