//! Registering a new household, with the live duplicate check: a civil ID already on file names
//! who holds it (the head, or a member) and the file, with a way to open it; registering
//! anyway is the representative's choice (a person may leave one household for another).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{CivilIdHolder, DuplicateCandidate, EngineError};
use mandoob_shared::dedupe::MatchReason;
use mandoob_shared::model::*;

use crate::backend::{AppError, Backend};
use crate::state::*;

use super::widgets::{Field, holder_text};
use super::{Ctx, Texts, engine_error_text, today};

#[component]
pub(super) fn Register() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut form = use_signal(HouseholdForm::default);
    let mut touched = use_signal(|| false);
    let mut failure = use_signal(Vec::<String>::new);
    let dup_backend = backend.clone();
    // The live duplicate check, as the representative types.
    // With who holds the civil ID in each file that has it (the head, or a member).
    let candidates = use_resource(move || {
        let backend = dup_backend.clone();
        let f = form();
        async move {
            if !f.worth_duplicate_check() {
                return (Vec::new(), Vec::new());
            }
            let found = backend
                .duplicates(f.name_ar.clone(), f.civil_id.clone(), f.phone.clone())
                .await
                .unwrap_or_default();
            let holders = backend
                .civil_id_holders(f.civil_id.clone(), None)
                .await
                .unwrap_or_default();
            (found, holders)
        }
    });
    let errors = form().errors(today());
    let error_of = |field: &str| -> Option<String> {
        if !touched() {
            return None;
        }
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, e)| tr.error(e))
    };
    let (found, holders): (Vec<DuplicateCandidate>, Vec<CivilIdHolder>) =
        candidates.read().clone().unwrap_or_default();
    let create = move |not_a_duplicate: bool| {
        let backend = backend.clone();
        async move {
            touched.set(true);
            if !form().errors(today()).is_empty() {
                return;
            }
            match backend.create(form().to_new(not_a_duplicate)).await {
                Ok(id) => ctx.screen.set(Screen::Case {
                    id,
                    tab: CaseTab::Visit,
                }),
                Err(AppError::Engine(EngineError::PossibleDuplicates(_))) => {}
                Err(e) => {
                    let texts = Texts::new();
                    failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
                }
            }
        }
    };
    let create_new = create.clone();
    rsx! {
        section { class: "card",
            h2 { {tr.text("register-title")} }
            Field { id: "name-ar", label: tr.text("field-name-ar"), value: form().name_ar, error: error_of("name_ar"),
                oninput: move |v| form.write().name_ar = v }
            Field { id: "name-en", label: tr.text("field-name-en"), value: form().name_en, error: None, ltr: true,
                oninput: move |v| form.write().name_en = v }
            Field { id: "civil-id", label: tr.text("field-civil-id"), value: form().civil_id, error: error_of("civil_id"), ltr: true, numeric: true,
                oninput: move |v| form.write().civil_id = v }
            Field { id: "phone", label: tr.text("field-phone"), value: form().phone, error: error_of("phone"), ltr: true, numeric: true,
                oninput: move |v| form.write().phone = v }
            label { {tr.text("field-governorate")}
                select { id: "governorate",
                    onchange: move |e| form.write().governorate = Governorate::from_code(&e.value()),
                    option { value: "", {tr.text("choose")} }
                    for g in Governorate::ALL.iter().copied() {
                        option { value: g.code(), selected: form().governorate == Some(g), {tr.text(&g.label_key())} }
                    }
                }
                if let Some(e) = error_of("governorate") { span { class: "field-error", "{e}" } }
            }
            Field { id: "area", label: tr.text("field-area"), value: form().area, error: None,
                oninput: move |v| form.write().area = v }
            div { class: "row",
                Field { id: "block", label: tr.text("field-block"), value: form().block, error: None, numeric: true,
                    oninput: move |v| form.write().block = v }
                Field { id: "street", label: tr.text("field-street"), value: form().street, error: None,
                    oninput: move |v| form.write().street = v }
                Field { id: "house", label: tr.text("field-house"), value: form().house, error: None,
                    oninput: move |v| form.write().house = v }
            }
            if !found.is_empty() {
                div { class: "warning", id: "duplicate-warning", role: "alert",
                    h3 { {tr.text("duplicate-title")} }
                    ul {
                        for c in found.clone() {
                            li { key: "{c.case.id.as_str()}",
                                if let Some(h) = holders.iter().find(|h| h.case.id == c.case.id) {
                                    span { class: "civil-id-held", {holder_text(tr, h)} }
                                } else {
                                    strong { "{c.member_name}" } " · "
                                    span { dir: "ltr", "{c.case.reference}" } " · "
                                    {tr.text(if c.score.reasons.contains(&MatchReason::SameCivilId) { "duplicate-same-civil-id" } else { "duplicate-similar" })}
                                }
                                " "
                                button { class: "link",
                                    onclick: {
                                        let id = c.case.id.clone();
                                        move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: CaseTab::Visit })
                                    },
                                    {tr.text("duplicate-open")}
                                }
                            }
                        }
                    }
                    if !holders.is_empty() { p { class: "hint", {tr.text("civil-id-held-register-hint")} } }
                    button { id: "register-anyway", onclick: move |_| create_new(true), {tr.text("duplicate-not-same")} }
                }
            } else {
                button { id: "register", class: "primary", onclick: move |_| create(false), {tr.text("register-submit")} }
            }
            for f in failure() { p { class: "error", "{f}" } }
        }
    }
}
