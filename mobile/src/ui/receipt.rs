//! The receipt shown after a request is submitted (reference and decision due date).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_shared::ids::*;
use mandoob_shared::workflow::SlaPolicy;

use crate::backend::Backend;
use crate::state::*;

use super::{Ctx, Texts};

#[component]
pub(super) fn ReceiptScreen(id: CaseId, request: RequestId) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let case_id = id.clone();
    let opened = use_resource(move || {
        let backend = backend.clone();
        let id = case_id.clone();
        async move { backend.open(id).await }
    });
    let sla = SlaPolicy::default();
    let receipt = match &*opened.read() {
        Some(Ok(o)) => receipt(o, &request, &sla),
        _ => None,
    };
    let Some(r) = receipt else {
        return rsx! { p { {tr.text("loading")} } };
    };
    rsx! {
        section { class: "card receipt", id: "receipt",
            h2 { "✓ " {tr.text("receipt-title")} }
            dl {
                dt { {tr.text("receipt-reference")} }
                dd { class: "big", dir: "ltr", id: "receipt-reference", "{r.reference}" }
                dt { {tr.text("receipt-type")} }
                dd { {tr.text(&r.kind.label_key())} }
                dt { {tr.text("receipt-submitted")} }
                dd { dir: "ltr", "{r.submitted_on}" }
                dt { {tr.text("receipt-due")} }
                dd { class: "big", dir: "ltr", id: "receipt-due", "{r.decision_due}" }
            }
            p { {tr.text("receipt-note")} }
            button { id: "back-to-case", onclick: move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: CaseTab::Timeline }),
                {tr.text("back-to-case")}
            }
        }
    }
}
