//! Mandoob, the field app of the society's branch representatives.
//!
//! This first screen is the app's shell: Arabic and right-to-left by default, English one tap
//! away, and the request types with the documents each needs (read from the shared catalogue),
//! so a representative can tell a family what to prepare. The home-visit flow, the offline
//! store and sync come with the device engine.

use std::rc::Rc;

use dioxus::prelude::*;
use mandoob_shared::catalog::{RequestCatalog, Scope};
use mandoob_shared::i18n::{Lang, Translator};

/// The app's styles, compiled in (no `dx` asset pipeline needed).
const APP_CSS: &str = include_str!("../../assets/app.css");

fn main() {
    dioxus::launch(App);
}

/// Both translators, made once: parsing the Fluent files on every render would be wasteful.
struct Texts {
    ar: Translator,
    en: Translator,
}

impl Texts {
    fn get(&self, lang: Lang) -> &Translator {
        match lang {
            Lang::Ar => &self.ar,
            Lang::En => &self.en,
        }
    }
}

#[component]
fn App() -> Element {
    let texts = use_hook(|| {
        Rc::new(Texts {
            ar: Translator::new(Lang::Ar),
            en: Translator::new(Lang::En),
        })
    });
    let catalog = use_hook(|| Rc::new(RequestCatalog::builtin()));
    let mut lang = use_signal(Lang::default);
    let tr = texts.get(lang());

    rsx! {
        style { {APP_CSS} }
        div { class: "app", dir: lang().dir(), lang: lang().tag(),
            header { class: "bar",
                h1 { {tr.text("app-name")} }
                button {
                    class: "lang",
                    onclick: move |_| lang.set(if lang() == Lang::Ar { Lang::En } else { Lang::Ar }),
                    {tr.text("language-switch")}
                }
            }
            p { class: "tagline", {tr.text("app-tagline")} }
            h2 { {tr.text("request-types-title")} }
            ul { class: "types",
                for spec in catalog.types.iter() {
                    li { key: "{spec.kind.code()}",
                        h3 { {tr.text(&spec.kind.label_key())} }
                        if spec.documents.is_empty() {
                            p { {tr.text("none-beyond-civil-id")} }
                        } else {
                            ul {
                                for req in spec.documents.iter() {
                                    li { key: "{req.kind.code()}",
                                        {tr.text(&req.kind.label_key())}
                                        match req.scope {
                                            Scope::EarningMember => rsx! { " · " {tr.text("scope-earning-member")} },
                                            Scope::Child => rsx! { " · " {tr.text("scope-child")} },
                                            Scope::Case | Scope::Head => rsx! {},
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
