//! A plan's translations of the runbook's texts (`i18n:` in the runbook): carried in
//! the plan, so the report, which reads a run's saved plan, can word them in the
//! language asked. Manual texts are rendered here with the values the English text
//! got; titles are plain text.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::runbook::i18n::known;
use crate::runbook::model::Runbook;

/// The texts of one plan item in one language; absent ones are shown in English.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Localized {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A checklist item's text, rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// By language (`ru`, `ja`). Empty for a runbook without translations, and then not
/// serialized: plans of such runbooks read as before.
pub type Translations = IndexMap<String, Localized>;

/// The texts in `lang`, or `None` when it has none (then the English is shown).
pub fn title_in<'a>(i18n: &'a Translations, lang: &str) -> Option<&'a str> {
    i18n.get(lang)?.title.as_deref()
}

/// A checklist item's text in `lang`, if translated.
pub fn text_in<'a>(i18n: &'a Translations, lang: &str) -> Option<&'a str> {
    i18n.get(lang)?.text.as_deref()
}

/// Only languages with some text: a translation that says nothing is no translation.
fn collect(pairs: impl Iterator<Item = (String, Localized)>) -> Translations {
    pairs.filter(|(_, l)| *l != Localized::default()).collect()
}

/// The runbook's title (the plan has no description).
pub fn runbook(rb: &Runbook) -> Translations {
    collect(known(rb).map(|(lang, t)| {
        (
            lang.to_string(),
            Localized {
                title: t.title.clone(),
                text: None,
            },
        )
    }))
}

/// The title of check `id`.
pub fn check(rb: &Runbook, id: &str) -> Translations {
    collect(known(rb).map(|(lang, t)| {
        let texts = t.checks.get(id);
        (
            lang.to_string(),
            Localized {
                title: texts.and_then(|x| x.title.clone()),
                ..Localized::default()
            },
        )
    }))
}

/// The title of verify check `id`.
pub fn verify_check(rb: &Runbook, id: &str) -> Translations {
    collect(known(rb).map(|(lang, t)| {
        let texts = t.verify.get(id);
        (
            lang.to_string(),
            Localized {
                title: texts.and_then(|x| x.title.clone()),
                ..Localized::default()
            },
        )
    }))
}

/// The title of step `id`.
pub fn step(rb: &Runbook, id: &str) -> Translations {
    collect(known(rb).map(|(lang, t)| {
        let texts = t.steps.get(id);
        (
            lang.to_string(),
            Localized {
                title: texts.and_then(|x| x.title.clone()),
                ..Localized::default()
            },
        )
    }))
}

/// The title of handler `name`.
pub fn handler(rb: &Runbook, name: &str) -> Translations {
    collect(known(rb).map(|(lang, t)| {
        (
            lang.to_string(),
            Localized {
                title: t.handlers.get(name).and_then(|x| x.title.clone()),
                ..Localized::default()
            },
        )
    }))
}

/// Step `id`'s manual text in every language it is translated into, each rendered by
/// `render` (the English text's values, redacted). A translation that does not render
/// is left out, so the item is shown in English: a translation never stops a plan.
pub fn manual(
    rb: &Runbook,
    id: &str,
    render: impl Fn(&str) -> anyhow::Result<String>,
) -> Translations {
    collect(known(rb).filter_map(|(lang, t)| {
        let template = t.steps.get(id)?.manual.as_deref()?;
        let text = render(template).ok()?;
        Some((
            lang.to_string(),
            Localized {
                text: Some(text),
                ..Localized::default()
            },
        ))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook(text: &str) -> Runbook {
        crate::runbook::load::strict(text).unwrap()
    }

    #[test]
    fn translations_into_unknown_languages_and_empty_ones_are_left_out() {
        let rb = runbook(
            "id: x\ntitle: T\nsteps:\n  - { id: s, title: S, manual: { text: \"{{params.a}}\" } }\n\
             i18n:\n  ru: { title: Т, steps: { s: { manual: \"у {{params.a}}\" } } }\n  de: { title: D }\n  ja: {}\n",
        );
        let titles = super::runbook(&rb);
        assert_eq!(titles.keys().collect::<Vec<_>>(), ["ru"]);
        assert_eq!(title_in(&titles, "ru"), Some("Т"));
        assert_eq!(title_in(&titles, "ja"), None);
        assert!(step(&rb, "s").is_empty(), "no step title translated");
        let manual = manual(&rb, "s", |t| Ok(t.replace("{{params.a}}", "A")));
        assert_eq!(text_in(&manual, "ru"), Some("у A"));
        let failed = super::manual(&rb, "s", |_| anyhow::bail!("no value"));
        assert!(failed.is_empty());
    }
}
