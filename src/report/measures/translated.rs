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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_journaled_item_takes_the_translation_of_the_plan_item_with_its_text() {
        // A `for_each` step: one checklist item per script, each translated alike.
        let item =
            |en: &str, ru: &str| json!({"text": en, "evidence": {}, "i18n": {"ru": {"text": ru}}});
        let plan: Plan = serde_json::from_value(json!({
            "runbook": "r", "title": "T", "mode": "apply", "root": "/", "params": {},
            "checks": [], "handlers": [], "changes": false,
            "steps": [{
                "id": "scan", "title": "Scan", "kind": "manual", "chosen": true, "why": "",
                "diffs": [], "commands": [],
                "manual": [item("a.php is infected", "a.php заражён"), item("b.php is infected", "b.php заражён")]
            }]
        }))
        .unwrap();
        let found = manual(Some(&plan), "scan", "b.php is infected");
        assert_eq!(text("b.php is infected", &found, "ru"), "b.php заражён");
        assert_eq!(text("b.php is infected", &found, "ja"), "b.php is infected");
        assert!(manual(Some(&plan), "other", "b.php is infected").is_empty());
        assert!(manual(None, "scan", "b.php is infected").is_empty());
    }
}
