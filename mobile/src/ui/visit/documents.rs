//! Visit step: the documents checklist, with a photo input per document.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::catalog::RequestCatalog;

use crate::state::*;
use crate::ui::widgets::{PhotoInput, Thumbnail};
use crate::ui::{Ctx, Texts};

#[component]
pub(super) fn DocumentsStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let catalog = use_context::<Rc<RequestCatalog>>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let Some(request) = open.case.requests.last().cloned() else {
        return rsx! { p { class: "hint", {tr.text("step-interview")} } };
    };
    let items = checklist(&open.case, &request.id, &catalog);
    rsx! {
        h3 { {tr.text("documents-needed")} }
        ul { class: "checklist",
            for (i, item) in items.into_iter().enumerate() {
                li { key: "{i}", class: if item.present.is_some() { "doc present" } else { "doc missing" },
                    div { class: "doc-label",
                        {tr.text(&item.kind.label_key())}
                        if !item.member_name.is_empty() { " " {tr.text_with("document-for", &[("name", &item.member_name)])} }
                        " · "
                        {tr.text(if item.present.is_some() { "document-present" } else { "document-missing" })}
                    }
                    if let Some(doc) = &item.present { Thumbnail { sha: doc.thumbnail_sha256.clone(), full: doc.sha256.clone() } }
                    PhotoInput {
                        input_id: format!("capture-{}", item.kind.code()) + &item.member.as_ref().map(|m| format!("-{}", m.as_str())).unwrap_or_default(),
                        case: open.case.id.clone(),
                        kind: item.kind,
                        member: item.member.clone(),
                        request: Some(request.id.clone()),
                    }
                }
            }
        }
    }
}
