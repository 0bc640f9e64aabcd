//! `i18n:`, the translations of a runbook's own texts (its title and description, the
//! titles of its checks, steps, handlers and verify checks, its manual texts) into the
//! languages the report speaks besides English. One block per language, keyed by the
//! ids the runbook already uses, so a translator reads one block top to bottom and the
//! English stays the runbook as ops wrote it.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::diagnostic::Code;
use super::model::Runbook;
use super::template::Template;
use super::validate::Validator;

/// The languages a runbook may be translated into (English is the runbook itself).
pub const LANGUAGES: &[&str] = &["ru", "ja"];

/// The texts of a runbook in one language. Every field is optional: what is missing is
/// shown in English.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    /// The runbook's `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The runbook's `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// By check id: its title and description.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub checks: IndexMap<String, Texts>,
    /// By step id: its title, description and manual text.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub steps: IndexMap<String, StepTexts>,
    /// By handler name: its title.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub handlers: IndexMap<String, Title>,
    /// By verify check id: its title and description.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub verify: IndexMap<String, Texts>,
}

/// A translated title and description.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A translated title (handlers have nothing else).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Title {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A step's translated texts.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepTexts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The `manual.text` of a manual step: a template reading the same `{{variables}}`
    /// as the English text, rendered with the same values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<String>,
}

/// The runbook's translations into the languages runbook knows (others are lint errors
/// and are left out of plans).
pub fn known(rb: &Runbook) -> impl Iterator<Item = (&str, &Translation)> {
    rb.i18n
        .iter()
        .filter(|(lang, _)| LANGUAGES.contains(&lang.as_str()))
        .map(|(lang, t)| (lang.as_str(), t))
}

/// The dotted paths (`i18n.ru.steps.ID.title`) of the English texts `lang` has no
/// translation for: what a translator still has to write.
pub fn missing(rb: &Runbook, lang: &str) -> Vec<String> {
    let empty = Translation::default();
    let t = rb.i18n.get(lang).unwrap_or(&empty);
    let mut out = Vec::new();
    let mut need = |path: String, english: bool, translated: bool| {
        if english && !translated {
            out.push(format!("i18n.{lang}.{path}"));
        }
    };
    need("title".into(), true, t.title.is_some());
    need(
        "description".into(),
        rb.description.is_some(),
        t.description.is_some(),
    );
    for c in &rb.checks {
        let tc = t.checks.get(&c.id);
        need(
            format!("checks.{}.title", c.id),
            true,
            tc.is_some_and(|x| x.title.is_some()),
        );
        need(
            format!("checks.{}.description", c.id),
            c.description.is_some(),
            tc.is_some_and(|x| x.description.is_some()),
        );
    }
    for s in &rb.steps {
        let ts = t.steps.get(&s.id);
        need(
            format!("steps.{}.title", s.id),
            true,
            ts.is_some_and(|x| x.title.is_some()),
        );
        need(
            format!("steps.{}.description", s.id),
            s.description.is_some(),
            ts.is_some_and(|x| x.description.is_some()),
        );
        need(
            format!("steps.{}.manual", s.id),
            s.manual.is_some(),
            ts.is_some_and(|x| x.manual.is_some()),
        );
    }
    for (name, h) in &rb.handlers {
        need(
            format!("handlers.{name}.title"),
            h.title.is_some(),
            t.handlers.get(name).is_some_and(|x| x.title.is_some()),
        );
    }
    for c in rb.verify.iter().flat_map(|v| &v.checks) {
        let tc = t.verify.get(&c.id);
        need(
            format!("verify.{}.title", c.id),
            true,
            tc.is_some_and(|x| x.title.is_some()),
        );
        need(
            format!("verify.{}.description", c.id),
            c.description.is_some(),
            tc.is_some_and(|x| x.description.is_some()),
        );
    }
    out
}

/// Lint of `i18n`: known languages (RB060), ids that exist (RB061), texts that exist in
/// English (RB062), manual templates that read what the English one reads (RB063).
pub(crate) fn lint(v: &mut Validator, rb: &Runbook) {
    for (lang, t) in &rb.i18n {
        let at = format!("i18n.{lang}");
        if !LANGUAGES.contains(&lang.as_str()) {
            let message = if lang == "en" {
                "the runbook's own texts are the English ones: `en` is not translated".into()
            } else {
                format!(
                    "`{lang}` is not a language runbook reports in (translations: {})",
                    LANGUAGES.join(", ")
                )
            };
            // `jp`, `rus`, `ja_JP`: the language meant starts with the same letter.
            let like = LANGUAGES
                .iter()
                .find(|l| lang.to_ascii_lowercase().starts_with(&l[..1]));
            let help = like.map(|l| format!("did you mean `{l}`?"));
            v.key_help(&at, Code::UnknownLanguage, message, help);
        }
        if t.description.is_some() && rb.description.is_none() {
            without_source(
                v,
                &format!("{at}.description"),
                "the runbook has no `description`",
            );
        }
        lint_checks(v, rb, &at, t);
        lint_steps(v, rb, &at, t);
        lint_handlers(v, rb, &at, t);
        lint_verify(v, rb, &at, t);
    }
}

fn lint_checks(v: &mut Validator, rb: &Runbook, at: &str, t: &Translation) {
    for (id, texts) in &t.checks {
        let path = format!("{at}.checks.{id}");
        match rb.checks.iter().find(|c| &c.id == id) {
            None => undefined(
                v,
                &path,
                "check",
                id,
                rb.checks.iter().map(|c| c.id.as_str()),
            ),
            Some(c) => description(v, &path, texts, c.description.is_some(), "check", id),
        }
    }
}

fn lint_steps(v: &mut Validator, rb: &Runbook, at: &str, t: &Translation) {
    for (id, texts) in &t.steps {
        let path = format!("{at}.steps.{id}");
        let Some(step) = rb.steps.iter().find(|s| &s.id == id) else {
            undefined(v, &path, "step", id, rb.steps.iter().map(|s| s.id.as_str()));
            continue;
        };
        if texts.description.is_some() && step.description.is_none() {
            without_source(
                v,
                &format!("{path}.description"),
                &format!("step `{id}` has no `description`"),
            );
        }
        let Some(text) = &texts.manual else {
            continue;
        };
        let manual_path = format!("{path}.manual");
        match &step.manual {
            None => without_source(
                v,
                &manual_path,
                &format!("step `{id}` is not a `manual` step: it has no text to translate"),
            ),
            Some(m) => same_variables(v, &manual_path, &m.text, text),
        }
    }
}

fn lint_handlers(v: &mut Validator, rb: &Runbook, at: &str, t: &Translation) {
    for (name, texts) in &t.handlers {
        let path = format!("{at}.handlers.{name}");
        let Some(h) = rb.handlers.get(name) else {
            undefined(
                v,
                &path,
                "handler",
                name,
                rb.handlers.keys().map(String::as_str),
            );
            continue;
        };
        if texts.title.is_some() && h.title.is_none() {
            without_source(
                v,
                &format!("{path}.title"),
                &format!("handler `{name}` has no `title`"),
            );
        }
    }
}

fn lint_verify(v: &mut Validator, rb: &Runbook, at: &str, t: &Translation) {
    let checks: Vec<_> = rb.verify.iter().flat_map(|v| &v.checks).collect();
    for (id, texts) in &t.verify {
        let path = format!("{at}.verify.{id}");
        match checks.iter().find(|c| &c.id == id) {
            None => undefined(
                v,
                &path,
                "verify check",
                id,
                checks.iter().map(|c| c.id.as_str()),
            ),
            Some(c) => description(v, &path, texts, c.description.is_some(), "verify check", id),
        }
    }
}

fn undefined<'n>(
    v: &mut Validator,
    path: &str,
    what: &str,
    id: &str,
    names: impl Iterator<Item = &'n str>,
) {
    v.key_suggest(
        path,
        Code::UndefinedTranslated,
        format!("the runbook has no {what} `{id}` to translate"),
        id,
        names,
    );
}

fn description(v: &mut Validator, path: &str, t: &Texts, english: bool, what: &str, id: &str) {
    if t.description.is_some() && !english {
        without_source(
            v,
            &format!("{path}.description"),
            &format!("{what} `{id}` has no `description`"),
        );
    }
}

fn without_source(v: &mut Validator, path: &str, why: &str) {
    v.key(
        path,
        Code::TranslationWithoutSource,
        format!("nothing to translate: {why}"),
    );
}

/// A translated manual text must parse and read exactly the English text's variables:
/// it is rendered with the same values, and a fact only one language names would show
/// a support desk something the other never saw.
fn same_variables(v: &mut Validator, path: &str, english: &str, translated: &str) {
    let theirs = match Template::parse(translated) {
        Ok(t) => t,
        Err(e) => return v.value(path, Code::TranslationTemplate, e.message()),
    };
    let Ok(ours) = Template::parse(english) else {
        return; // the English text is reported by its own lint
    };
    let ours: BTreeSet<&str> = ours.variables().collect();
    let theirs: BTreeSet<&str> = theirs.variables().collect();
    let braces = |set: Vec<&&str>| {
        set.iter()
            .map(|n| format!("`{{{{{n}}}}}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let extra: Vec<&&str> = theirs.difference(&ours).collect();
    let lacking: Vec<&&str> = ours.difference(&theirs).collect();
    let mut problems = Vec::new();
    if !extra.is_empty() {
        problems.push(format!(
            "reads {} that the English text does not",
            braces(extra)
        ));
    }
    if !lacking.is_empty() {
        problems.push(format!(
            "lacks {} that the English text reads",
            braces(lacking)
        ));
    }
    if !problems.is_empty() {
        v.value(
            path,
            Code::TranslationTemplate,
            format!("the translated manual text {}", problems.join(", and ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::diagnostic::{Diagnostic, SourceFile};
    use crate::runbook::load::parse;
    use crate::runbook::validate::validate;

    const RUNBOOK: &str = "# yaml-language-server: $schema=x\nid: x\ntitle: T\n\
        checks:\n  - { id: c, title: C, fact: queue.total }\n\
        steps:\n  - id: s\n    title: S\n    manual: { text: \"{{params.site}} {{queue.total}}\" }\n\
        params:\n  site: { type: string, default: a }\n";

    fn lint(i18n: &str) -> Vec<Diagnostic> {
        let loaded = parse(SourceFile {
            name: "t.yaml".into(),
            text: format!("{RUNBOOK}{i18n}"),
        })
        .unwrap_or_else(|e| panic!("{e:?}"));
        validate(&loaded, &|_| None)
    }

    fn codes(i18n: &str) -> Vec<(Code, String)> {
        lint(i18n)
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect()
    }

    #[test]
    fn a_complete_translation_is_clean_and_nothing_is_missing() {
        let i18n = "i18n:\n  ru:\n    title: Т\n    checks: { c: { title: Ч } }\n    steps:\n      s: { title: Ш, manual: \"{{queue.total}} у {{params.site}}\" }\n";
        assert_eq!(codes(i18n), []);
        let loaded = parse(SourceFile {
            name: "t.yaml".into(),
            text: format!("{RUNBOOK}{i18n}"),
        })
        .unwrap();
        assert_eq!(missing(&loaded.runbook, "ru"), Vec::<String>::new());
        assert_eq!(
            missing(&loaded.runbook, "ja"),
            [
                "i18n.ja.title",
                "i18n.ja.checks.c.title",
                "i18n.ja.steps.s.title",
                "i18n.ja.steps.s.manual"
            ]
        );
    }

    #[test]
    fn each_kind_of_mistake_has_its_code() {
        let found = codes(
            "i18n:\n  de: { title: D }\n  ja:\n    description: なし\n    checks: { nope: { title: X } }\n    steps:\n      s: { manual: \"{{params.site}} {{queue.frozen}}\" }\n",
        );
        let got: Vec<Code> = found.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            got,
            [
                Code::UnknownLanguage,
                Code::TranslationWithoutSource,
                Code::UndefinedTranslated,
                Code::TranslationTemplate
            ],
            "{found:?}"
        );
        assert!(
            found[3].1.contains("reads `{{queue.frozen}}`")
                && found[3].1.contains("lacks `{{queue.total}}`"),
            "{}",
            found[3].1
        );
    }

    #[test]
    fn a_manual_for_a_step_without_one_and_a_broken_template_are_errors() {
        let runbook = RUNBOOK.replace(
            "steps:\n",
            "steps:\n  - { id: r, title: R, run: { argv: [/bin/true], mutating: false } }\n",
        );
        let loaded = parse(SourceFile {
            name: "t.yaml".into(),
            text: format!("{runbook}i18n:\n  ru:\n    steps:\n      r: {{ manual: x }}\n      s: {{ manual: \"{{{{params.site\" }}\n"),
        })
        .unwrap();
        let found: Vec<Code> = validate(&loaded, &|_| None)
            .into_iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(
            found,
            [Code::TranslationWithoutSource, Code::TranslationTemplate]
        );
    }

    #[test]
    fn unknown_fields_in_a_translation_are_shape_errors() {
        let err = parse(SourceFile {
            name: "t.yaml".into(),
            text: format!("{RUNBOOK}i18n:\n  ru:\n    titel: X\n"),
        })
        .unwrap_err();
        assert_eq!(err[0].code, Code::UnknownField, "{:?}", err[0]);
    }
}
