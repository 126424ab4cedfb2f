//! Visit step: welcome: the home visit itself (when, where, what the representative saw),
//! the family's questions and the answers given (logged as in-person contacts).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{Edit, OpenCase};
use mandoob_shared::ids::{Timestamp, VisitId};
use mandoob_shared::model::*;
use mandoob_shared::workflow::kuwait_date;

use crate::backend::Backend;
use crate::platform;
use crate::state::*;
use crate::ui::{Ctx, Texts, date_text, engine_error_text, session_user, today};

/// The home visit of today by the signed-in representative: started with one tap (the time
/// and, when the phone can tell, the place), then what was seen in the home. The committee
/// reads it in the case's "visits and interview".
#[component]
fn VisitCard(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let me = session_user(&ctx);
    let current = open
        .case
        .visits
        .iter()
        .find(|v| v.by == me && kuwait_date(v.at) == today())
        .cloned();
    let mut notes = use_signal(|| {
        current
            .as_ref()
            .map(|v| v.notes.clone())
            .unwrap_or_default()
    });
    let mut busy = use_signal(|| false);
    let mut saved = use_signal(|| false);
    let mut failure = use_signal(Vec::<String>::new);
    let id = open.case.id.clone();
    let record = move |visit: Visit| {
        let backend = backend.clone();
        let id = id.clone();
        async move {
            match backend.edit(id, Edit::UpsertVisit(visit)).await {
                Ok(()) => {
                    failure.set(Vec::new());
                    saved.set(true);
                }
                Err(e) => {
                    let texts = Texts::new();
                    failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
                }
            }
        }
    };
    let start = {
        let record = record.clone();
        let me = me.clone();
        move |_| {
            let record = record.clone();
            let me = me.clone();
            async move {
                busy.set(true);
                let location = platform::current_position().await;
                record(Visit {
                    id: VisitId::generate(),
                    by: me,
                    at: Timestamp::now(),
                    location,
                    answers: Default::default(),
                    notes: notes().trim().to_owned(),
                    documents: Vec::new(),
                })
                .await;
                busy.set(false);
            }
        }
    };
    let save = {
        let current = current.clone();
        move |_| {
            let record = record.clone();
            let current = current.clone();
            async move {
                if let Some(mut v) = current {
                    v.notes = notes().trim().to_owned();
                    record(v).await;
                }
            }
        }
    };
    rsx! {
        div { class: "card visit", id: "visit-card",
            h3 { {tr.text("visit-title")} }
            match &current {
                None => rsx! {
                    p { class: "hint", {tr.text("visit-start-hint")} }
                    button { id: "visit-start", class: "primary", disabled: busy(), onclick: start, {tr.text("visit-start")} }
                },
                Some(v) => rsx! {
                    p { id: "visit-started", {tr.text_with("visit-started", &[("date", &date_text(v.at))])} }
                    p { class: "hint", id: "visit-location",
                        {match &v.location {
                            Some(g) => tr.text_with("visit-location", &[("accuracy", &g.accuracy_m.map(|a| format!("{a:.0}")).unwrap_or_else(|| "?".into()))]),
                            None => tr.text("visit-no-location"),
                        }}
                    }
                    label { r#for: "visit-notes", {tr.text("visit-notes")} }
                    textarea { id: "visit-notes", value: notes(), oninput: move |e| { notes.set(e.value()); saved.set(false); } }
                    button { id: "visit-save", onclick: save, {tr.text("visit-save")} }
                    if saved() { p { class: "ok", role: "status", {tr.text("saved")} } }
                },
            }
            for f in failure() { p { class: "error", role: "alert", "{f}" } }
        }
    }
}

#[component]
pub(super) fn WelcomeStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut question = use_signal(String::new);
    let mut answer = use_signal(String::new);
    let id = open.case.id.clone();
    let by = session_user(&ctx);
    let log = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let by = by.clone();
        async move {
            if question().trim().is_empty() {
                return;
            }
            let summary = format!("{} — {}", question().trim(), answer().trim());
            let entry = contact_now(Channel::InPerson, Direction::Inbound, by, &summary, None);
            if backend.edit(id, Edit::UpsertContact(entry)).await.is_ok() {
                question.set(String::new());
                answer.set(String::new());
            }
        }
    };
    rsx! {
        VisitCard { open: open.clone() }
        h3 { {tr.text("inquiries-title")} }
        ul { class: "log",
            for c in open.case.contacts.iter().filter(|c| c.channel == Channel::InPerson) {
                li { key: "{c.id.as_str()}", dir: "auto", "{c.summary}" }
            }
        }
        label { {tr.text("inquiry-question")}
            textarea { id: "inquiry-question", value: question(), oninput: move |e| question.set(e.value()) }
        }
        label { {tr.text("inquiry-answer")}
            textarea { id: "inquiry-answer", value: answer(), oninput: move |e| answer.set(e.value()) }
        }
        button { id: "inquiry-log", onclick: log, {tr.text("inquiry-log")} }
        button { class: "link", onclick: move |_| ctx.screen.set(Screen::Library), {tr.text("open-library")} }
    }
}
