//! A case's services tab: services delivered, and the way to the satisfaction survey.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::ids::*;
use mandoob_shared::model::*;

use crate::backend::Backend;
use crate::state::*;

use super::widgets::Field;
use super::{Ctx, Texts, date_text, engine_error_text, session_user};

#[component]
pub(super) fn Services(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut kind = use_signal(|| ServiceKind::FoodBasket);
    let mut value = use_signal(String::new);
    let mut description = use_signal(String::new);
    let mut failure = use_signal(Vec::<String>::new);
    let id = open.case.id.clone();
    let by = session_user(&ctx);
    let request = open.case.requests.last().map(|r| r.id.clone());
    let add = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let by = by.clone();
        let request = request.clone();
        async move {
            let Ok(v) = parse_kwd(&value()) else {
                return;
            };
            let record = ServiceRecord {
                id: ServiceId::generate(),
                request: request.clone(),
                kind: kind(),
                description: description().trim().to_owned(),
                value: v.unwrap_or_default(),
                delivered_at: Timestamp::now(),
                by,
            };
            // The record and, when its request allows it, the workflow step: one transaction.
            let mut result = backend.deliver_service(id, record).await;
            if let Err(e) = result.as_mut() {
                let texts = Texts::new();
                failure.set(engine_error_text(texts.get((ctx.lang)()), e));
            } else {
                value.set(String::new());
                description.set(String::new());
            }
        }
    };
    let case_id = open.case.id.clone();
    rsx! {
        ul { class: "log",
            for s in open.case.services.iter() {
                li { key: "{s.id.as_str()}",
                    span { dir: "ltr", class: "when", {tr.number(&date_text(s.delivered_at))} } " · "
                    {tr.text(&s.kind.label_key())} " · " bdi { class: "num", {tr.text_with("amount-kwd", &[("amount", &s.value.to_string())])} }
                    br {} "{s.description}"
                }
            }
        }
        label { {tr.text("service-kind")}
            select { id: "service-kind", onchange: move |e| if let Some(k) = ServiceKind::from_code(&e.value()) { kind.set(k) },
                for k in ServiceKind::ALL.iter().copied() {
                    option { value: k.code(), selected: kind() == k, {tr.text(&k.label_key())} }
                }
            }
        }
        Field { id: "service-value", label: tr.text("service-value"), value: value(), error: parse_kwd(&value()).is_err().then(|| tr.text("amount-bad")), ltr: true, numeric: true, oninput: move |v| value.set(v) }
        label { {tr.text("service-description")}
            textarea { id: "service-description", value: description(), oninput: move |e| description.set(e.value()) }
        }
        button { id: "service-add", onclick: add, {tr.text("service-add")} }
        for f in failure() { p { class: "error", "{f}" } }
        hr {}
        p { id: "survey-count", {tr.text_with("survey-count", &[("count", &open.case.surveys.len().to_string())])} }
        button { id: "survey-start", class: "primary", onclick: move |_| ctx.screen.set(Screen::Survey { id: case_id.clone() }),
            {tr.text("survey-start")}
        }
    }
}
