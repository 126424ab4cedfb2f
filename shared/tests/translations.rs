//! Every key is in both languages, and every code the domain can produce has a message.

use std::collections::BTreeSet;

use fluent_syntax::ast::Entry;
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::model::*;
use mandoob_shared::validate::Code;
use mandoob_shared::workflow::{EventKind, Refusal, RequestStatus, Role};

fn keys(lang: Lang) -> BTreeSet<String> {
    let resource = fluent_syntax::parser::parse(lang.source())
        .unwrap_or_else(|(_, errors)| panic!("{} has syntax errors: {errors:?}", lang.tag()));
    let mut keys = BTreeSet::new();
    for entry in resource.body {
        match entry {
            Entry::Message(m) => {
                assert!(m.value.is_some(), "{} has no value", m.id.name);
                assert!(keys.insert(m.id.name.to_owned()), "{} twice", m.id.name);
            }
            Entry::Junk { content } => panic!("junk in {}: {content}", lang.tag()),
            _ => {}
        }
    }
    keys
}

#[test]
fn both_languages_have_the_same_keys() {
    let ar = keys(Lang::Ar);
    let en = keys(Lang::En);
    let only_ar: Vec<_> = ar.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&ar).collect();
    assert!(
        only_ar.is_empty() && only_en.is_empty(),
        "only in ar: {only_ar:?}; only in en: {only_en:?}"
    );
}

#[test]
fn every_code_has_a_message_in_every_language() {
    let mut needed: Vec<String> = Vec::new();
    needed.extend(Code::ALL.iter().map(|c| c.label_key()));
    needed.extend(Relation::ALL.iter().map(|c| c.label_key()));
    needed.extend(Sex::ALL.iter().map(|c| c.label_key()));
    needed.extend(Governorate::ALL.iter().map(|c| c.label_key()));
    needed.extend(HousingKind::ALL.iter().map(|c| c.label_key()));
    needed.extend(IncomeSource::ALL.iter().map(|c| c.label_key()));
    needed.extend(ExpenseKind::ALL.iter().map(|c| c.label_key()));
    needed.extend(RequestType::ALL.iter().map(|c| c.label_key()));
    needed.extend(DocumentKind::ALL.iter().map(|c| c.label_key()));
    needed.extend(Channel::ALL.iter().map(|c| c.label_key()));
    needed.extend(Direction::ALL.iter().map(|c| c.label_key()));
    needed.extend(ServiceKind::ALL.iter().map(|c| c.label_key()));
    needed.extend(Role::ALL.iter().map(|c| c.label_key()));
    needed.extend(EventKind::ALL.iter().map(|c| c.label_key()));
    needed.extend(RequestStatus::ALL.iter().map(|c| c.label_key()));
    needed.extend(Refusal::ALL.iter().map(|c| c.label_key()));
    needed.extend(
        mandoob_shared::sync::ApiErrorCode::ALL
            .iter()
            .map(|c| c.label_key()),
    );
    needed.extend(
        [
            "survey-reception",
            "survey-time-and-answers",
            "survey-clarity",
            "survey-speed",
            "survey-overall",
        ]
        .map(String::from),
    );
    assert_eq!(Channel::ALL.len(), 8, "the policy's eight channels");
    for lang in Lang::ALL {
        let tr = Translator::new(lang);
        let missing: Vec<_> = needed.iter().filter(|k| !tr.has(k)).collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", lang.tag());
    }
}

#[test]
fn arabic_is_the_default_and_right_to_left() {
    assert_eq!(Lang::default(), Lang::Ar);
    assert_eq!(Lang::Ar.dir(), "rtl");
    assert_eq!(Translator::new(Lang::default()).text("app-name"), "مندوب");
    assert_eq!(Lang::from_tag("ar-KW"), Some(Lang::Ar));
    assert_eq!(Lang::from_tag("EN"), Some(Lang::En));
    assert_eq!(Lang::from_tag("fr"), None);
}

#[test]
fn a_missing_key_falls_back_to_the_key() {
    assert_eq!(Translator::new(Lang::En).text("no-such-key"), "no-such-key");
}
