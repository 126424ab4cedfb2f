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

/// How digits are written in Arabic: Latin (0-9, the default: what forms, IDs and most
/// screens in Kuwait use) or Arabic-Indic (٠-٩). English is always written with Latin digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Digits {
    #[default]
    Latin,
    ArabicIndic,
}

impl Digits {
    pub const ALL: [Digits; 2] = [Digits::Latin, Digits::ArabicIndic];

    /// A stable code (`latin`, `arabic-indic`).
    pub fn code(self) -> &'static str {
        match self {
            Digits::Latin => "latin",
            Digits::ArabicIndic => "arabic-indic",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// `text` with every number written in these digits, except identifiers: a run isolated
    /// between FSI and PDI (a message's placeable) that holds a letter (a reference such as
    /// QRN-A7-00012, a username) keeps its digits as written, since people copy identifiers
    /// into other systems. Numbers, amounts, dates, times and counts follow the setting.
    pub fn apply(self, text: &str) -> String {
        const FSI: char = '\u{2068}';
        const PDI: char = '\u{2069}';
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(FSI) {
            out.push_str(&self.convert(&rest[..start]));
            let after = &rest[start..];
            let end = after.find(PDI).map_or(after.len(), |e| e + PDI.len_utf8());
            let run = &after[..end];
            if run.chars().any(char::is_alphabetic) {
                out.push_str(run);
            } else {
                out.push_str(&self.convert(run));
            }
            rest = &after[end..];
        }
        out.push_str(&self.convert(rest));
        out
    }

    /// Every digit of `text` in these digits, and the decimal point between digits as these
    /// digits write it (`.` or the Arabic decimal separator `٫`).
    pub fn convert(self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let digit = |i: usize| {
            chars
                .get(i)
                .is_some_and(|c| c.is_ascii_digit() || ('\u{0660}'..='\u{0669}').contains(c))
        };
        chars
            .iter()
            .enumerate()
            .map(|(i, &c)| match (self, c) {
                (Digits::ArabicIndic, '0'..='9') => {
                    char::from_u32('\u{0660}' as u32 + (c as u32 - '0' as u32)).unwrap_or(c)
                }
                (Digits::Latin, '\u{0660}'..='\u{0669}') => {
                    char::from_u32('0' as u32 + (c as u32 - 0x0660)).unwrap_or(c)
                }
                (Digits::ArabicIndic, '.') if i > 0 && digit(i - 1) && digit(i + 1) => '\u{066B}',
                (Digits::Latin, '\u{066B}') => '.',
                _ => c,
            })
            .collect()
    }
}

/// Formats messages in one language.
pub struct Translator {
    lang: Lang,
    /// How digits are written (Arabic only).
    digits: Digits,
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
        Self {
            lang,
            digits: Digits::Latin,
            bundle,
        }
    }

    /// The same translator, writing digits as `digits` (Arabic only; English keeps Latin).
    pub fn with_digits(mut self, digits: Digits) -> Self {
        self.digits = digits;
        self
    }

    /// How this translator writes digits.
    pub fn digits(&self) -> Digits {
        match self.lang {
            Lang::Ar => self.digits,
            Lang::En => Digits::Latin,
        }
    }

    /// `text` (a number, a date, an amount) in this translator's digits.
    pub fn number(&self, text: &str) -> String {
        self.digits().convert(text)
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
        let text = self.bundle.format_pattern(pattern, args, &mut errors);
        self.digits().apply(&text)
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

#[cfg(test)]
mod digit_tests {
    use super::*;

    #[test]
    fn digits_follow_the_setting_but_identifiers_stay() {
        let d = Digits::ArabicIndic;
        assert_eq!(d.convert("2026-12-07 16:45"), "٢٠٢٦-١٢-٠٧ ١٦:٤٥");
        assert_eq!(Digits::Latin.convert("الخطوة ٣"), "الخطوة 3");
        assert_eq!(d.convert("150.250 د.ك"), "١٥٠٫٢٥٠ د.ك");
        assert_eq!(Digits::Latin.convert("١٥٠٫٢٥٠"), "150.250");
        // A reference in a placeable keeps its digits; a count does not.
        let text = "رقم \u{2068}QRN-A7-00012\u{2069} و\u{2068}3\u{2069} مستندات";
        assert_eq!(
            d.apply(text),
            "رقم \u{2068}QRN-A7-00012\u{2069} و\u{2068}٣\u{2069} مستندات"
        );
        assert_eq!(Digits::from_code(d.code()), Some(d));
    }

    #[test]
    fn a_translator_writes_its_digits() {
        let ar = Translator::new(Lang::Ar).with_digits(Digits::ArabicIndic);
        let shown = ar.text_count("sync-pending-changes", "count", 12);
        assert!(shown.contains("١٢") && !shown.contains("12"), "{shown}");
        let latin = Translator::new(Lang::Ar);
        assert!(
            latin
                .text_count("sync-pending-changes", "count", 12)
                .contains("12")
        );
        // English keeps Latin digits whatever the setting.
        let en = Translator::new(Lang::En).with_digits(Digits::ArabicIndic);
        assert!(
            en.text_count("sync-pending-changes", "count", 12)
                .contains("12")
        );
    }
}
