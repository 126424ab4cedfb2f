//! Visit step: referral questions to the branch.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::ids::*;
use mandoob_shared::model::*;

use crate::backend::Backend;
use crate::ui::{Ctx, Texts, engine_error_text, session_user};

#[component]
pub(super) fn ReferralStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut question = use_signal(String::new);
    let mut failure = use_signal(Vec::<String>::new);
    let id = open.case.id.clone();
    let request = open.case.requests.last().map(|r| r.id.clone());
    let by = session_user(&ctx);
    let refer = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let request = request.clone();
        let by = by.clone();
        async move {
            if question().trim().is_empty() {
                return;
            }
            let referral = Referral {
                id: ReferralId::generate(),
                request: request.clone(),
                question: question().trim().to_owned(),
                by,
                at: Timestamp::now(),
                answer: None,
                answered_by: None,
                answered_at: None,
            };
            let result = backend.refer(id, referral).await;
            match result {
                Ok(()) => question.set(String::new()),
                Err(e) => {
                    let texts = Texts::new();
                    failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
                }
            }
        }
    };
    rsx! {
        ul { class: "log",
            for r in open.case.referrals.iter() {
                li { key: "{r.id.as_str()}", "{r.question}"
                    if let Some(a) = &r.answer { br {} {tr.text_with("referral-answer", &[("answer", a)])} } else { br {} em { {tr.text("referral-sent")} } }
                }
            }
        }
        label { {tr.text("referral-question")}
            textarea { id: "referral-question", value: question(), oninput: move |e| question.set(e.value()) }
        }
        button { id: "referral-send", onclick: refer, {tr.text("referral-send")} }
        for f in failure() { p { class: "error", "{f}" } }
    }
}
