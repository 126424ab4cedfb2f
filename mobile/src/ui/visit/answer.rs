//! Information rounds on the device: the committee's question, the representative's answer
//! and resubmission, the rounds before; and what the committee granted.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::i18n::Translator;
use mandoob_shared::model::SupportRequest;
use mandoob_shared::workflow::{Decision, EventKind, InfoRound, RequestState};

use crate::backend::Backend;
use crate::ui::{Ctx, SyncRequest, Texts, date_text, engine_error_text, today};

/// What the committee granted, in words, once it accepted: its own amount or help in kind,
/// or the amount requested ("as requested").
pub(crate) fn granted_text(
    tr: &Translator,
    request: &SupportRequest,
    decision: &Decision,
) -> Option<String> {
    if !decision.accepted {
        return None;
    }
    let kwd =
        |f: mandoob_shared::ids::Fils| tr.text_with("amount-kwd", &[("amount", &f.to_string())]);
    let text = match &decision.grant {
        None => match request.amount {
            Some(a) => tr.text_with("granted-as-requested", &[("amount", &kwd(a))]),
            None => return None,
        },
        Some(g) => {
            let mut parts = Vec::new();
            if let Some(a) = g.amount {
                parts.push(tr.text_with("granted-amount", &[("amount", &kwd(a))]));
                if let Some(asked) = request.amount.filter(|asked| *asked != a) {
                    parts.push(tr.text_with("granted-requested", &[("amount", &kwd(asked))]));
                }
            }
            if !g.in_kind.trim().is_empty() {
                parts.push(tr.text_with("granted-in-kind", &[("what", g.in_kind.trim())]));
            }
            parts.join(" · ")
        }
    };
    Some(text)
}

/// The rounds of questions and answers of a request, oldest first.
#[component]
pub(crate) fn RoundsList(rounds: Vec<InfoRound>) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    rsx! {
        ol { class: "rounds",
            for (i, round) in rounds.iter().enumerate() {
                li { key: "{i}", class: if round.answered_at.is_none() { "round open" } else { "round" },
                    p { strong { {tr.text_with("round-asked", &[("number", &(i + 1).to_string()), ("date", &date_text(round.asked_at))])} } }
                    p { class: "question", dir: "auto", "{round.question}" }
                    if let Some(at) = round.answered_at {
                        p { class: "hint", {tr.text_with("round-answered", &[("date", &date_text(at))])} }
                        if !round.answer.is_empty() { p { class: "answer", dir: "auto", "{round.answer}" } }
                    }
                }
            }
        }
    }
}

/// The committee's open question, and the answer form: correct data and add documents in
/// the steps above, write what was done, and send it back to the committee.
#[component]
pub(crate) fn AnswerRound(open: OpenCase, state: RequestState) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let catalog = use_context::<Rc<RequestCatalog>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut answer = use_signal(String::new);
    let mut missing = use_signal(|| false);
    let mut failure = use_signal(Vec::<String>::new);
    let syncer = use_coroutine_handle::<SyncRequest>();
    let problems =
        mandoob_shared::validate::submission(&open.case, &state.request, &catalog, today())
            .err()
            .unwrap_or_default();
    let id = open.case.id.clone();
    let rid = state.request.clone();
    let send = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let rid = rid.clone();
        async move {
            let text = answer().trim().to_owned();
            if text.is_empty() {
                missing.set(true);
                return;
            }
            match backend
                .record_event(id, rid, EventKind::InfoProvided, text)
                .await
            {
                // The case shows its new status when it reloads; the answer is kept until then.
                Ok(()) => {
                    failure.set(Vec::new());
                    syncer.send(SyncRequest);
                }
                Err(e) => {
                    let texts = Texts::new();
                    failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
                }
            }
        }
    };
    rsx! {
        div { class: "info-round", id: "info-round",
            h3 { {tr.text("round-title")} }
            RoundsList { rounds: state.rounds.clone() }
            p { class: "hint", {tr.text("round-how")} }
            if !problems.is_empty() {
                div { class: "warning", id: "answer-problems",
                    p { {tr.text("submit-fix")} }
                    ul { for p in problems.iter() { li { {tr.error(p)} } } }
                }
            }
            label { r#for: "round-answer", {tr.text("round-answer")} }
            textarea { id: "round-answer", rows: "4", value: answer(),
                "aria-invalid": if missing() { "true" } else { "false" },
                oninput: move |e| { answer.set(e.value()); missing.set(false); } }
            if missing() { p { class: "field-error", role: "alert", {tr.text("round-answer-required")} } }
            button { id: "send-answer", class: "primary", disabled: !problems.is_empty(), onclick: send,
                {tr.text("round-send")}
            }
            for f in failure() { p { class: "error", role: "alert", "{f}" } }
        }
    }
}
