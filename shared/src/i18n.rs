//! Translations: every user-facing string lives in `assets/i18n/{ar,en}.ftl` (Fluent).
//! Arabic is the default language; a key missing in one language is a test failure
//! (see the `translations` integration test), and at run time falls back to the key itself.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use unic_langid::{LanguageIdentifier, langid};

use crate::validate::ValidationError;

/// The languages of the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Ar,
    En,
}

impl Lang {
    /// Both languages, Arabic first.
    pub const ALL: [Lang; 2] = [Lang::Ar, Lang::En];

    /// The BCP 47 tag (`ar`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// Text direction for HTML `dir`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::En => "ltr",
        }
    }

    /// The language with this tag (`ar`, `en`, `ar-KW`…).
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag.split(['-', '_']).next()?.to_ascii_lowercase().as_str() {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The Fluent source of this language.
    pub fn source(self) -> &'static str {
        match self {
            Lang::Ar => include_str!("../../assets/i18n/ar.ftl"),
            Lang::En => include_str!("../../assets/i18n/en.ftl"),
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::Ar => langid!("ar"),
            Lang::En => langid!("en"),
        }
    }
}

/// Formats messages in one language.
pub struct Translator {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Translator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translator")
            .field("lang", &self.lang)
            .finish()
    }
}

impl Translator {
    /// A translator for `lang`. The shipped files are checked by tests; a syntax error in one
    /// message drops only that message.
    pub fn new(lang: Lang) -> Self {
        let resource = match FluentResource::try_new(lang.source().to_owned()) {
            Ok(r) => r,
            Err((partial, _errors)) => partial,
        };
        let mut bundle = FluentBundle::new_concurrent(vec![lang.langid()]);
        // Keep Unicode isolation marks around placeables: Latin names and numbers inside
        // Arabic sentences then keep their own direction.
        bundle.set_use_isolating(true);
        // Every id is unique in the shipped files (tested), so adding cannot fail.
        let _ = bundle.add_resource(resource);
        Self { lang, bundle }
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Whether `key` has a message.
    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }

    /// The message `key` without arguments.
    pub fn text(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with named arguments.
    pub fn text_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut fa = FluentArgs::new();
        for (name, value) in args {
            fa.set(*name, FluentValue::from(*value));
        }
        self.format(key, Some(&fa))
    }

    /// The message `key` with a count, as a number, so that the message's plural variants
    /// (`[one]`, `[two]`, `[few]`, `[many]` in Arabic) are chosen by it.
    pub fn text_count(&self, key: &str, name: &str, count: u64) -> String {
        let mut fa = FluentArgs::new();
        fa.set(name, FluentValue::from(count));
        self.format(key, Some(&fa))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(pattern) = self.bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }

    /// A validation error in words. Arguments that name a label (`kind`) are translated too.
    pub fn error(&self, error: &ValidationError) -> String {
        let mut fa = FluentArgs::new();
        for (name, value) in &error.args {
            let value = if name == "kind" && self.has(value) {
                self.text(value)
            } else {
                value.clone()
            };
            fa.set(name.clone(), FluentValue::from(value));
        }
        self.format(&error.code.label_key(), Some(&fa))
    }
}
