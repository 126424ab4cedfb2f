//! One case: its heading and tabs (visit, timeline, contacts, services, conflicts), and
//! the timeline tab.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::i18n::Lang;
use mandoob_shared::ids::*;
use mandoob_shared::workflow::{RequestStatus, SlaPolicy};

use crate::backend::Backend;
use crate::state::*;

use super::conflicts::Conflicts;
use super::contacts::Contacts;
use super::services::Services;
use super::visit::VisitFlow;
use super::visit::answer::{RoundsList, granted_text};
use super::{Ctx, Texts, date_text};

#[component]
pub(super) fn CaseScreen(id: CaseId, tab: CaseTab) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let case_id = use_signal(|| id.clone());
    let mut case_id = case_id;
    if case_id() != id {
        case_id.set(id.clone());
    }
    let opened = use_resource(move || {
        let backend = backend.clone();
        let id = case_id();
        let _ = (ctx.revision)();
        async move { backend.open(id).await }
    });
    let guard = opened.read();
    let open = match &*guard {
        None => return rsx! { p { {tr.text("loading")} } },
        Some(Err(e)) => return rsx! { p { class: "error", "{e}" } },
        Some(Ok(o)) => o.clone(),
    };
    drop(guard);
    let head = open.case.head().cloned();
    let status = open
        .requests
        .last()
        .map_or(RequestStatus::Draft, |s| s.status);
    rsx! {
        section {
            div { class: "case-head",
                // The name as the language reads it (the Latin spelling in English when
                // there is one), in its own direction.
                h2 { id: "case-title", dir: "auto",
                    if let Some(h) = &head {
                        if (ctx.lang)() == Lang::En && !h.name_en.is_empty() { "{h.name_en}" } else { "{h.name_ar}" }
                    }
                }
                p { span { class: "ref", dir: "ltr", id: "case-reference", "{open.case.reference}" } " · "
                    span { id: "case-status", class: "status status-{status.code()}", {tr.text(&status_key(status.code()))} }
                }
                // The committee's open question, on every tab until it is answered.
                for round in open.requests.iter().filter_map(|s| s.open_round()) {
                    div { class: "warning question-banner", id: "committee-question", role: "note",
                        strong { {tr.text_with("round-banner", &[("date", &date_text(round.asked_at))])} }
                        p { dir: "auto", "{round.question}" }
                    }
                }
            }
            nav { class: "tabs",
                for t in CaseTab::ALL {
                    button { class: if t == tab { "tab current" } else { "tab" },
                        id: "{t.key()}",
                        onclick: {
                            let id = id.clone();
                            move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: t })
                        },
                        {tr.text(t.key())}
                        if t == CaseTab::Conflicts && !open.conflicts.is_empty() { " ({open.conflicts.len()})" }
                    }
                }
            }
            match tab {
                CaseTab::Visit => rsx! { VisitFlow { open: open.clone() } },
                CaseTab::Timeline => rsx! { Timeline { open: open.clone() } },
                CaseTab::Contacts => rsx! { Contacts { open: open.clone() } },
                CaseTab::Services => rsx! { Services { open: open.clone() } },
                CaseTab::Conflicts => rsx! { Conflicts { open: open.clone() } },
            }
        }
    }
}

#[component]
fn Timeline(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let sla = SlaPolicy::default();
    rsx! {
        for state in open.requests.iter() {
            div { class: "request-state", key: "{state.request.as_str()}",
                p { id: "request-status", class: "status status-{state.status.code()}",
                    {tr.text_with("status-now", &[("status", &tr.text(&status_key(state.status.code())))])}
                }
                if let Some(due) = state.due_date(&sla) {
                    p { {tr.text_with("decision-due", &[("date", &due.to_string())])} }
                }
                if let Some(d) = &state.decision {
                    p { id: "decision", class: if d.accepted { "ok" } else { "error" },
                        {tr.text(if d.accepted { "event-accepted" } else { "event-rejected" })} " — "
                        {tr.text_with("decision-reason", &[("reason", &d.reason)])}
                    }
                    if let Some(g) = open.case.request(&state.request).and_then(|r| granted_text(tr, r, d)) {
                        p { class: "ok", "{g}" }
                    }
                }
                if !state.rounds.is_empty() { RoundsList { rounds: state.rounds.clone() } }
            }
        }
        if open.case.events.is_empty() {
            p { class: "hint", {tr.text("timeline-empty")} }
        }
        ol { class: "timeline",
            for e in open.case.events.iter() {
                li { key: "{e.id.as_str()}",
                    span { dir: "ltr", class: "when", {tr.number(&date_text(e.at))} } " "
                    strong { {tr.text(&event_key(e.kind))} }
                    " · " {tr.text(&e.role.label_key())}
                    if !e.reason.is_empty() { br {} bdi { "{e.reason}" } }
                }
            }
        }
    }
}
