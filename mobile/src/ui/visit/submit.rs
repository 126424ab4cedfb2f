//! Visit step: submitting the request (then the receipt).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::workflow::{EventKind, RequestStatus};

use crate::backend::Backend;
use crate::state::*;
use crate::ui::{Ctx, SyncRequest, Texts, engine_error_text, today};

use super::answer::{AnswerRound, RoundsList, granted_text};

#[component]
pub(super) fn SubmitStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let catalog = use_context::<Rc<RequestCatalog>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let Some(request) = open.case.requests.last().cloned() else {
        return rsx! { p { class: "warning", id: "needs-request", {tr.text("needs-request-first")} } };
    };
    let state = open
        .requests
        .iter()
        .find(|s| s.request == request.id)
        .cloned();
    let problems = mandoob_shared::validate::submission(&open.case, &request.id, &catalog, today())
        .err()
        .unwrap_or_default();
    let mut failure = use_signal(Vec::<String>::new);
    let syncer = use_coroutine_handle::<SyncRequest>();
    let id = open.case.id.clone();
    let rid = request.id.clone();
    let submit = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let rid = rid.clone();
        async move {
            match backend
                .record_event(id.clone(), rid.clone(), EventKind::Submitted, String::new())
                .await
            {
                Ok(()) => {
                    ctx.screen.set(Screen::Receipt { id, request: rid });
                    // Sent now if there is a connection; otherwise it waits, safely stored.
                    syncer.send(SyncRequest);
                }
                Err(e) => {
                    let texts = Texts::new();
                    failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
                }
            }
        }
    };
    let submitted = state
        .as_ref()
        .is_some_and(|s| s.status != RequestStatus::Draft);
    let id2 = open.case.id.clone();
    let rid2 = request.id.clone();
    let granted = state
        .as_ref()
        .and_then(|s| s.decision.as_ref())
        .and_then(|d| granted_text(tr, &request, d));
    let waiting = state
        .clone()
        .filter(|s| s.status == RequestStatus::InfoRequested);
    rsx! {
        if let Some(s) = waiting {
            AnswerRound { open: open.clone(), state: s }
        } else if submitted {
            p { {tr.text_with("status-now", &[("status", &tr.text(&status_key(state.as_ref().map_or("draft", |s| s.status.code()))))])} }
            if let Some(g) = granted { p { id: "granted", class: "ok", "{g}" } }
            if let Some(s) = state.as_ref().filter(|s| !s.rounds.is_empty()) {
                RoundsList { rounds: s.rounds.clone() }
            }
            button { id: "show-receipt", onclick: move |_| ctx.screen.set(Screen::Receipt { id: id2.clone(), request: rid2.clone() }),
                {tr.text("receipt-title")}
            }
        } else {
            if !problems.is_empty() {
                div { class: "warning", id: "submit-problems",
                    p { {tr.text("submit-fix")} }
                    ul { for p in problems.iter() { li { {tr.error(p)} } } }
                }
            }
            button { id: "submit", class: "primary", disabled: !problems.is_empty(), onclick: submit, {tr.text("submit-request")} }
            for f in failure() { p { class: "error", "{f}" } }
        }
    }
}
