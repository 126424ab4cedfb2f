//! Visit step: welcome, the family's questions and the answers given (logged as in-person
//! contacts).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{Edit, OpenCase};
use mandoob_shared::model::*;

use crate::backend::Backend;
use crate::state::*;
use crate::ui::{Ctx, Texts, session_user};

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
        ul { class: "log",
            for c in open.case.contacts.iter().filter(|c| c.channel == Channel::InPerson) {
                li { key: "{c.id.as_str()}", "{c.summary}" }
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
