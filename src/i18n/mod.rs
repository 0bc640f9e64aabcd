//! The languages of what runbook writes for the provider's support and site owners
//! (the measures report): English, Russian and Japanese, the languages of the articles
//! and of the support desks. Messages are Fluent resources (`locales/LANG/*.ftl`, built
//! into the binary), so plurals follow each language's rules (Russian's one, few,
//! many), not string tables written by hand.

use clap::ValueEnum;
use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use serde::Serialize;
use unic_langid::LanguageIdentifier;

/// A language runbook writes reports in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Ru,
    Ja,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ru, Lang::Ja];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Ja => "ja",
        }
    }

    /// The language of the environment, as POSIX picks it (`LC_ALL`, then
    /// `LC_MESSAGES`, then `LANG`: `ru_RU.UTF-8` is Russian); English otherwise.
    pub fn from_env() -> Lang {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let value = var("LC_ALL")
            .or_else(|| var("LC_MESSAGES"))
            .or_else(|| var("LANG"));
        value.as_deref().map_or(Lang::En, Lang::from_locale)
    }

    /// `ru_RU.UTF-8`, `ja_JP`, `ru`: the language part; `C`, `POSIX` and others: English.
    pub fn from_locale(locale: &str) -> Lang {
        let language = locale
            .split(['_', '.', '@', '-'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match language.as_str() {
            "ru" => Lang::Ru,
            "ja" => Lang::Ja,
            _ => Lang::En,
        }
    }

    fn resource(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../locales/en/report.ftl"),
            Lang::Ru => include_str!("../../locales/ru/report.ftl"),
            Lang::Ja => include_str!("../../locales/ja/report.ftl"),
        }
    }
}

/// One language's messages.
pub struct Messages {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

impl Messages {
    pub fn new(lang: Lang) -> Messages {
        // The resources are ours and tested to parse (tests below): a broken one is a
        // bug of this build, not an input error.
        let resource = FluentResource::try_new(lang.resource().to_string())
            .unwrap_or_else(|(_, errors)| panic!("locales/{}: {errors:?}", lang.code()));
        let id: LanguageIdentifier = lang.code().parse().expect("a language code");
        let mut bundle = FluentBundle::new(vec![id]);
        // Isolation marks (U+2068, U+2069) around each value would land in pasted
        // tickets and in file paths; none of our languages is right-to-left.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("locales/{}: {errors:?}", lang.code()));
        Messages { lang, bundle }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The message `id` with `args` (name, value); numbers select plural forms.
    pub fn get(&self, id: &str, args: &[(&str, Arg)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            panic!("locales/{}: no message `{id}`", self.lang.code());
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(text) => fluent_args.set(*name, FluentValue::from(text.as_str())),
                Arg::Count(n) => fluent_args.set(*name, FluentValue::from(*n)),
            }
        }
        let mut errors = Vec::new();
        let text = self
            .bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors);
        debug_assert!(errors.is_empty(), "{id}: {errors:?}");
        text.into_owned()
    }
}

/// A message argument.
pub enum Arg {
    Text(String),
    Count(u64),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_string())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Arg {
        Arg::Text(text)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Count(n)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Count(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// Each message id with the variables it uses.
    fn messages(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
        let variable = regex::Regex::new(r"\{\s*\$([a-z_]+)").unwrap();
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut current = None;
        for line in lang.resource().lines() {
            if let Some((id, _)) = line.split_once(" =")
                && !line.starts_with([' ', '#'])
            {
                current = Some(id.to_string());
                out.entry(id.to_string()).or_default();
            }
            if let Some(id) = &current {
                for cap in variable.captures_iter(line) {
                    out.get_mut(id).unwrap().insert(cap[1].to_string());
                }
            }
        }
        out
    }

    #[test]
    fn every_language_has_every_message_with_the_same_variables() {
        let english = messages(Lang::En);
        assert!(english.len() > 20, "{english:?}");
        for lang in [Lang::Ru, Lang::Ja] {
            assert_eq!(messages(lang), english, "locales/{}", lang.code());
        }
    }

    #[test]
    fn every_resource_parses() {
        for lang in Lang::ALL {
            let resource = FluentResource::try_new(lang.resource().to_string());
            assert!(
                resource.is_ok(),
                "locales/{}: {:?}",
                lang.code(),
                resource.err()
            );
            Messages::new(lang);
        }
    }

    #[test]
    fn plurals_follow_each_language() {
        let text = |lang, n: u64| {
            Messages::new(lang).get(
                "report-quarantined",
                &[("count", n.into()), ("mta", "exim".into())],
            )
        };
        assert!(text(Lang::En, 1).starts_with("1 message moved"));
        assert!(text(Lang::En, 80).starts_with("80 messages moved"));
        assert!(
            text(Lang::Ru, 1).starts_with("1 письмо"),
            "{}",
            text(Lang::Ru, 1)
        );
        assert!(
            text(Lang::Ru, 3).starts_with("3 письма"),
            "{}",
            text(Lang::Ru, 3)
        );
        assert!(
            text(Lang::Ru, 80).starts_with("80 писем"),
            "{}",
            text(Lang::Ru, 80)
        );
        assert!(
            text(Lang::Ru, 21).starts_with("21 письмо"),
            "{}",
            text(Lang::Ru, 21)
        );
        assert!(
            text(Lang::Ja, 80).contains("80 通"),
            "{}",
            text(Lang::Ja, 80)
        );
    }

    #[test]
    fn the_language_comes_from_the_locale() {
        assert_eq!(Lang::from_locale("ru_RU.UTF-8"), Lang::Ru);
        assert_eq!(Lang::from_locale("ja_JP.eucJP"), Lang::Ja);
        assert_eq!(Lang::from_locale("ja"), Lang::Ja);
        assert_eq!(Lang::from_locale("en_GB.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("POSIX"), Lang::En);
        assert_eq!(Lang::from_locale("de_DE"), Lang::En);
    }
}
