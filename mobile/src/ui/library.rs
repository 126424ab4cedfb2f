//! The library: what HQ published, and the society's policy.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_shared::i18n::Lang;

use crate::backend::Backend;

use super::{Ctx, Texts};

const POLICY_AR: &str = include_str!("../../../assets/library/policy-ar.txt");
const POLICY_EN: &str = include_str!("../../../assets/library/policy-en.md");

#[component]
pub(super) fn Library() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let lang = (ctx.lang)();
    let (text, dir) = match lang {
        Lang::Ar => (POLICY_AR, "rtl"),
        Lang::En => (POLICY_EN, "ltr"),
    };
    // What HQ published, kept on the device by the last sync.
    let published = use_resource(move || {
        let backend = backend.clone();
        let _ = (ctx.revision)();
        async move {
            backend
                .library()
                .await
                .map(|l| l.documents)
                .unwrap_or_default()
        }
    });
    let documents = published.read().clone().unwrap_or_default();
    rsx! {
        section { class: "card library",
            h2 { {tr.text("library-title")} }
            for doc in documents {
                article { key: "{doc.id}", class: "published", dir,
                    h3 { {if lang == Lang::Ar { doc.title_ar.clone() } else { doc.title_en.clone() }} }
                    for (i, para) in (if lang == Lang::Ar { doc.body_ar.clone() } else { doc.body_en.clone() }).split("\n\n").map(str::to_owned).enumerate() {
                        p { key: "{i}", "{para}" }
                    }
                }
            }
            h3 { {tr.text("library-policy")} }
            article { id: "policy", dir, class: "policy",
                for (i, para) in text.split("\n\n").enumerate() {
                    p { key: "{i}", "{para.trim_start_matches('#').trim()}" }
                }
            }
        }
    }
}
