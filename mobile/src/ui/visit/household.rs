//! Visit step: registration, the household's members.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{Edit, OpenCase};
use mandoob_shared::model::*;

use crate::backend::Backend;
use crate::state::*;
use crate::ui::widgets::Field;
use crate::ui::{Ctx, Texts, engine_error_text, today};

#[component]
pub(super) fn HouseholdStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut name = use_signal(String::new);
    let mut civil_id = use_signal(String::new);
    let mut birth = use_signal(String::new);
    let mut relation = use_signal(|| Relation::Spouse);
    let errors = mandoob_shared::validate::household(&open.case, today());
    // The new member's problems, beside the field they concern; what was typed stays.
    let mut member_errors = use_signal(Vec::<mandoob_shared::validate::ValidationError>::new);
    let mut failure = use_signal(Vec::<String>::new);
    let id = open.case.id.clone();
    let add_texts = texts.clone();
    let add = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let texts = add_texts.clone();
        async move {
            let mut m = Member::new(name().trim(), relation());
            m.civil_id = civil_id().trim().to_owned();
            m.birth_date = parse_date(&birth());
            let found = mandoob_shared::validate::member(&m, today());
            let unreadable_date = !birth().trim().is_empty() && m.birth_date.is_none();
            member_errors.set(found.clone());
            failure.set(if unreadable_date {
                vec![texts.get((ctx.lang)()).text("error-date-unreadable")]
            } else {
                Vec::new()
            });
            if !found.is_empty() || unreadable_date {
                return;
            }
            match backend.edit(id, Edit::UpsertMember(m)).await {
                Ok(()) => {
                    name.set(String::new());
                    civil_id.set(String::new());
                    birth.set(String::new());
                }
                Err(e) => failure.set(engine_error_text(texts.get((ctx.lang)()), &e)),
            }
        }
    };
    let error_at = move |field: &str| -> Option<String> {
        member_errors()
            .iter()
            .find(|e| e.path.to_string().ends_with(field))
            .map(|e| tr.error(e))
    };
    rsx! {
        h3 { {tr.text("members-title")} }
        ul { class: "members",
            for m in open.case.household.members.iter() {
                li { key: "{m.id.as_str()}",
                    strong { "{m.name_ar}" } " · " {tr.text(&m.relation.label_key())}
                    if !m.civil_id.is_empty() { " · " span { dir: "ltr", "{m.civil_id}" } }
                }
            }
        }
        for e in errors.iter() { p { class: "field-error", {tr.error(e)} } }
        h3 { {tr.text("add-member")} }
        Field { id: "member-name", label: tr.text("field-name-ar"), value: name(), error: error_at("name_ar"), oninput: move |v| name.set(v) }
        Field { id: "member-civil-id", label: tr.text("field-civil-id"), value: civil_id(), error: error_at("civil_id"), ltr: true, numeric: true, oninput: move |v| civil_id.set(v) }
        Field { id: "member-birth", label: tr.text("member-birth-date"), value: birth(), error: error_at("birth_date"), ltr: true, oninput: move |v| birth.set(v) }
        label { {tr.text("member-relation")}
            select { id: "member-relation",
                onchange: move |e| if let Some(r) = Relation::from_code(&e.value()) { relation.set(r) },
                for r in Relation::ALL.iter().copied().filter(|r| *r != Relation::Head) {
                    option { value: r.code(), selected: relation() == r, {tr.text(&r.label_key())} }
                }
            }
        }
        for (i, f) in failure().iter().enumerate() {
            p { key: "{i}", class: "error", role: "alert", id: "member-error", "{f}" }
        }
        button { id: "member-add", onclick: add, {tr.text("add-member")} }
    }
}
