//! Visit step: the declaration, signed by an adult member on the signature pad.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::validate::ADULT_AGE;

use crate::backend::Backend;
use crate::signature::SignaturePad;
use crate::ui::widgets::Thumbnail;
use crate::ui::{Ctx, Texts, date_text, today};

/// Pad size in CSS pixels (the PNG is twice that): it fits a 320 px phone beside the margins.
const PAD_W: f64 = 280.0;
const PAD_H: f64 = 140.0;

#[component]
pub(super) fn DeclarationStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut pad = use_signal(|| SignaturePad::new(PAD_W, PAD_H));
    let mut message = use_signal(|| None::<String>);
    let Some(request) = open.case.requests.last().cloned() else {
        return rsx! { p { class: "warning", id: "needs-request", {tr.text("needs-request-first")} } };
    };
    let adults: Vec<Member> = open
        .case
        .household
        .members
        .iter()
        .filter(|m| {
            mandoob_shared::validate::birth_date_of(m, today())
                .is_some_and(|b| mandoob_shared::validate::age_on(b, today()) >= ADULT_AGE)
        })
        .cloned()
        .collect();
    let head_id = open.case.head().map(|h| h.id.clone());
    let mut signer = use_signal(|| head_id.clone());
    let id = open.case.id.clone();
    let request_id = request.id.clone();
    let save = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let request = request.clone();
        async move {
            let texts = Texts::new();
            let tr = texts.get((ctx.lang)());
            let Ok(png) = pad().to_png(2.0) else {
                message.set(Some(tr.text("signature-empty")));
                return;
            };
            let Some(signed_by) = signer() else {
                return;
            };
            // The signature and the declaration that points to it: one transaction.
            match backend
                .sign_declaration(id, request.id.clone(), signed_by, png)
                .await
            {
                Ok(_) => {
                    pad.write().clear();
                    message.set(None);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        }
    };
    let signed = open
        .case
        .requests
        .last()
        .and_then(|r| r.declaration.clone());
    // Once the request went to the committee its declaration is frozen (shared::history): the
    // server refuses a new signature, so the app offers none.
    let may_sign = open
        .requests
        .iter()
        .find(|s| s.request == request_id)
        .map(|s| mandoob_shared::history::request_edit_in(s.status).sign)
        .unwrap_or(true);
    rsx! {
        blockquote { class: "declaration", id: "declaration-text", {tr.text("declaration-text")} }
        if let Some(d) = signed {
            p { class: "ok", id: "signature-saved", {tr.text_with("signature-saved", &[("date", &date_text(d.signed_at))])} }
            if let Some(doc) = open.case.document(&d.signature) { Thumbnail { sha: doc.thumbnail_sha256.clone() } }
        }
        if !may_sign {
            p { class: "hint", id: "declaration-frozen", {tr.text("declaration-frozen")} }
        } else {
            label { {tr.text("declaration-signer")}
                select { id: "signer",
                    onchange: move |e| signer.set(Some(MemberId::new(e.value()))),
                    for m in adults {
                        option { value: m.id.as_str().to_owned(), selected: signer().as_ref() == Some(&m.id), "{m.name_ar}" }
                    }
                }
            }
            p { class: "hint", {tr.text("signature-prompt")} }
            div {
                id: "signature-pad",
                class: "signature-pad",
                style: "width: {PAD_W}px; height: {PAD_H}px;",
                onpointerdown: move |e: PointerEvent| {
                    let p = e.element_coordinates();
                    pad.write().start(p.x, p.y);
                },
                onpointermove: move |e: PointerEvent| {
                    if pad.read().is_drawing() {
                        let p = e.element_coordinates();
                        pad.write().extend(p.x, p.y);
                    }
                },
                onpointerup: move |_| pad.write().end(),
                onpointerleave: move |_| pad.write().end(),
                svg { width: "{PAD_W}", height: "{PAD_H}", view_box: "0 0 {PAD_W} {PAD_H}",
                    path { d: pad.read().svg_path(), stroke: "#10212b", stroke_width: "3", fill: "none",
                        stroke_linecap: "round", stroke_linejoin: "round" }
                }
            }
            div { class: "row",
                button { id: "signature-clear", onclick: move |_| pad.write().clear(), {tr.text("signature-clear")} }
                button { id: "signature-save", class: "primary", onclick: save, {tr.text("signature-save")} }
            }
            if let Some(m) = message() { p { class: "error", "{m}" } }
        }
    }
}
