//! Visit step: the documents checklist, with a photo input per document.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::model::DocumentKind;

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
        return rsx! { p { class: "warning", id: "needs-request", {tr.text("needs-request-first")} } };
    };
    let items = checklist(&open.case, &request.id, &catalog);
    // Documents of the request beyond the checklist: what the committee asked for in an
    // information round, or anything else the family wants on file.
    let extra: Vec<_> = request
        .documents
        .iter()
        .filter_map(|d| open.case.document(d))
        .filter(|d| {
            d.kind != DocumentKind::Signature
                && !items
                    .iter()
                    .any(|i| i.present.as_ref().is_some_and(|p| p.id == d.id))
        })
        .cloned()
        .collect();
    let may_add = open
        .requests
        .iter()
        .find(|s| s.request == request.id)
        .map(|s| mandoob_shared::history::request_edit_in(s.status).add_documents)
        .unwrap_or(false);
    let mut extra_kind = use_signal(|| DocumentKind::Other);
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
                    // After submission a document is added only in an information round
                    // (shared::history): the server refuses it otherwise.
                    if may_add {
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
        if !may_add {
            p { class: "hint", id: "documents-frozen", {tr.text("documents-frozen")} }
        }
        if !extra.is_empty() || may_add {
            h3 { {tr.text("documents-other")} }
            ul { class: "checklist", id: "other-documents",
                for d in extra.iter() {
                    li { key: "{d.id.as_str()}", class: "doc present",
                        div { class: "doc-label", {tr.text(&d.kind.label_key())} }
                        Thumbnail { sha: d.thumbnail_sha256.clone() }
                    }
                }
            }
            if may_add {
                div { class: "doc",
                    label { r#for: "other-document-kind", {tr.text("documents-other-kind")} }
                    select { id: "other-document-kind",
                        onchange: move |e| extra_kind.set(DocumentKind::from_code(&e.value()).unwrap_or(DocumentKind::Other)),
                        for k in DocumentKind::ALL.iter().filter(|k| **k != DocumentKind::Signature) {
                            option { value: k.code(), selected: *k == extra_kind(), {tr.text(&k.label_key())} }
                        }
                    }
                    PhotoInput {
                        input_id: "capture-extra".to_owned(),
                        case: open.case.id.clone(),
                        kind: extra_kind(),
                        member: None,
                        request: Some(request.id.clone()),
                    }
                }
            }
        }
    }
}
