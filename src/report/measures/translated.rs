//! The runbook's own texts in the report's language: the translations the saved plan
//! carries, else the English (a run from before translations, a text not translated).

use crate::plan::i18n::{Translations, text_in, title_in};
use crate::plan::types::Plan;

/// The translations of the checklist item step `step` journaled as `text`: the plan's
/// item with that English text (a `for_each` step has one per item).
pub fn manual(plan: Option<&Plan>, step: &str, text: &str) -> Translations {
    plan.into_iter()
        .flat_map(|p| &p.steps)
        .filter(|s| s.id == step)
        .flat_map(|s| &s.manual)
        .find(|item| item.text == text)
        .map(|item| item.i18n.clone())
        .unwrap_or_default()
}

/// A title in `lang`, else the English one.
pub fn title<'a>(english: &'a str, i18n: &'a Translations, lang: &str) -> &'a str {
    title_in(i18n, lang).unwrap_or(english)
}

/// A checklist text in `lang`, else the English one.
pub fn text<'a>(english: &'a str, i18n: &'a Translations, lang: &str) -> &'a str {
    text_in(i18n, lang).unwrap_or(english)
}
