//! The library: what HQ published, and the society's policy.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_shared::i18n::Lang;

use crate::backend::Backend;
use crate::markdown::{self, Block, Span};

use super::{Ctx, Texts};

const POLICY_AR: &str = include_str!("../../../assets/library/policy-ar.md");
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
                    Markdown { text: if lang == Lang::Ar { doc.body_ar.clone() } else { doc.body_en.clone() } }
                }
            }
            h3 { {tr.text("library-policy")} }
            article { id: "policy", dir, class: "policy",
                Markdown { text: text.to_owned() }
            }
        }
    }
}

/// A markdown text as elements (see [`markdown`]).
#[component]
fn Markdown(text: String) -> Element {
    let blocks = markdown::parse(&text);
    rsx! { {blocks_view(&blocks)} }
}

fn blocks_view(blocks: &[Block]) -> Element {
    rsx! {
        for (i, block) in blocks.iter().enumerate() {
            match block {
                Block::Heading(1, spans) => rsx! { h3 { key: "{i}", {spans_view(spans)} } },
                Block::Heading(_, spans) => rsx! { h4 { key: "{i}", {spans_view(spans)} } },
                Block::Paragraph(spans) => rsx! { p { key: "{i}", {spans_view(spans)} } },
                Block::List { ordered: true, start, items } => rsx! {
                    ol { key: "{i}", start: "{start}",
                        for (j, item) in items.iter().enumerate() { li { key: "{j}", {blocks_view(item)} } }
                    }
                },
                Block::List { items, .. } => rsx! {
                    ul { key: "{i}",
                        for (j, item) in items.iter().enumerate() { li { key: "{j}", {blocks_view(item)} } }
                    }
                },
            }
        }
    }
}

fn spans_view(spans: &[Span]) -> Element {
    rsx! {
        for (i, s) in spans.iter().enumerate() {
            if s.strong && s.emphasis {
                strong { key: "{i}", em { "{s.text}" } }
            } else if s.strong {
                strong { key: "{i}", "{s.text}" }
            } else if s.emphasis {
                em { key: "{i}", "{s.text}" }
            } else if is_address(&s.text) {
                // A web or e-mail address inside Arabic text: its own left-to-right run.
                bdi { key: "{i}", dir: "ltr", "{s.text}" }
            } else {
                span { key: "{i}", "{s.text}" }
            }
        }
    }
}

/// Whether `text` is a web or e-mail address (one word with a dot or an at sign, no Arabic).
fn is_address(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && !t.contains(char::is_whitespace)
        && (t.contains('.') || t.contains('@'))
        && t.chars().any(|c| c.is_ascii_alphabetic())
        && !t.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_told_from_words() {
        assert!(super::is_address("www.algerina.org"));
        assert!(super::is_address("info@example.org"));
        assert!(!super::is_address("الجمعية"));
        assert!(!super::is_address("Qurain Cooperative"));
        assert!(!super::is_address("1.5"));
    }
}
