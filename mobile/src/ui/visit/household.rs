//! Visit step: registration, the household's members (added, corrected in place, the head's
//! details included, or removed) and its address.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{Edit, EngineError, OpenCase};
use mandoob_shared::ids::MemberId;
use mandoob_shared::model::*;
use mandoob_shared::validate;
use mandoob_shared::workflow::RequestStatus;

use super::address::AddressSection;
use crate::backend::{AppError, Backend};
use crate::state::*;
use crate::ui::widgets::{CivilIdElsewhere, Field};
use crate::ui::{Ctx, Texts, engine_error_text, today};

#[component]
pub(super) fn HouseholdStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut name = use_signal(String::new);
    let mut name_en = use_signal(String::new);
    let mut civil_id = use_signal(String::new);
    let mut phone = use_signal(String::new);
    let mut birth = use_signal(String::new);
    let mut relation = use_signal(|| Relation::Spouse);
    // The member being corrected (its other fields are kept), or None for a new one.
    let mut editing = use_signal(|| None::<Member>);
    let errors = validate::household(&open.case, today());
    // The member's problems, beside the field they concern; what was typed stays.
    let mut member_errors = use_signal(Vec::<validate::ValidationError>::new);
    let mut failure = use_signal(Vec::<String>::new);
    let mut birth_unreadable = use_signal(|| false);
    // Back to an empty form for a new member.
    let mut reset = move || {
        editing.set(None);
        for mut field in [name, name_en, civil_id, phone, birth] {
            field.set(String::new());
        }
        member_errors.set(Vec::new());
        failure.set(Vec::new());
        birth_unreadable.set(false);
    };
    let id = open.case.id.clone();
    let stored = open.case.clone();
    let add_texts = texts.clone();
    let add = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let texts = add_texts.clone();
        let stored = stored.clone();
        async move {
            let mut m = editing().unwrap_or_else(|| Member::new("", relation()));
            m.name_ar = name().trim().to_owned();
            m.name_en = name_en().trim().to_owned();
            m.civil_id = civil_id().trim().to_owned();
            m.phone = phone().trim().to_owned();
            m.birth_date = parse_date(&birth());
            if m.relation != Relation::Head {
                m.relation = relation();
            }
            // The engine's checks, before it is asked: the member's fields, an adult head,
            // not the civil ID of another member of this household.
            let mut found = validate::member(&m, today());
            if m.relation == Relation::Head {
                found.extend(validate::head_minor(&m, today()));
            }
            found.extend(validate::civil_id_repeated(&stored, &m, today()));
            let unreadable_date = !birth().trim().is_empty() && m.birth_date.is_none();
            member_errors.set(found.clone());
            // A date it cannot read is said beside the date, and what was typed stays.
            birth_unreadable.set(unreadable_date);
            failure.set(Vec::new());
            if !found.is_empty() || unreadable_date {
                return;
            }
            match backend.edit(id, Edit::UpsertMember(m)).await {
                Ok(()) => reset(),
                Err(AppError::Engine(EngineError::Invalid(errors))) => member_errors.set(errors),
                Err(e) => failure.set(engine_error_text(texts.get((ctx.lang)()), &e)),
            }
        }
    };
    let remove_backend = use_context::<Backend>();
    let remove_id = open.case.id.clone();
    let remove_texts = texts.clone();
    let remove = move |member: MemberId| {
        let backend = remove_backend.clone();
        let id = remove_id.clone();
        let texts = remove_texts.clone();
        spawn(async move {
            if let Err(e) = backend.edit(id, Edit::RemoveMember(member)).await {
                failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
            }
        });
    };
    let error_at = move |field: &str| -> Option<String> {
        member_errors()
            .iter()
            .find(|e| e.path.to_string().ends_with(field))
            .map(|e| tr.error(e))
    };
    let correcting_head = editing().is_some_and(|m| m.relation == Relation::Head);
    let title = match editing() {
        None => "add-member",
        Some(_) if correcting_head => "head-correct",
        Some(_) => "member-correct",
    };
    // Household data is not part of the history (`mandoob_shared::history`): it stays
    // correctable after submission, and the server accepts it.
    let submitted = open
        .requests
        .iter()
        .any(|s| s.status != RequestStatus::Draft);
    rsx! {
        h3 { {tr.text("members-title")} }
        if submitted { p { class: "hint", id: "household-correctable", {tr.text("household-correctable")} } }
        ul { class: "members",
            for (i, m) in open.case.household.members.iter().enumerate() {
                li { key: "{m.id.as_str()}",
                    strong { "{m.name_ar}" } " · " {tr.text(&m.relation.label_key())}
                    if !m.civil_id.is_empty() { " · " span { dir: "ltr", "{m.civil_id}" } }
                    if !m.phone.is_empty() { " · " span { dir: "ltr", class: "phone", "{m.phone}" } }
                    " "
                    button { class: "link", id: "member-{i}-edit",
                        onclick: {
                            let m = m.clone();
                            move |_| {
                                name.set(m.name_ar.clone());
                                name_en.set(m.name_en.clone());
                                civil_id.set(m.civil_id.clone());
                                phone.set(m.phone.clone());
                                birth.set(m.birth_date.map(|d| d.to_string()).unwrap_or_default());
                                if m.relation != Relation::Head {
                                    relation.set(m.relation);
                                }
                                member_errors.set(Vec::new());
                                failure.set(Vec::new());
                                editing.set(Some(m.clone()));
                            }
                        },
                        {tr.text("member-edit")}
                    }
                    if m.relation != Relation::Head {
                        button { class: "link danger", id: "member-{i}-remove",
                            onclick: {
                                let member = m.id.clone();
                                let remove = remove.clone();
                                move |_| remove(member.clone())
                            },
                            {tr.text("member-remove")}
                        }
                    }
                }
            }
        }
        for e in errors.iter() { p { class: "field-error", {tr.error(e)} } }
        h3 { id: "member-form-title", {tr.text(title)} }
        Field { id: "member-name", label: tr.text(if correcting_head { "field-name-ar" } else { "member-name-ar" }),
            value: name(), error: error_at("name_ar"), oninput: move |v| name.set(v) }
        Field { id: "member-name-en", label: tr.text("field-name-en"), value: name_en(), error: error_at("name_en"), ltr: true,
            oninput: move |v| name_en.set(v) }
        Field { id: "member-civil-id", label: tr.text("field-civil-id"), value: civil_id(), error: error_at("civil_id"), ltr: true, numeric: true,
            oninput: move |v| civil_id.set(v) }
        // The same civil ID in another household: named with its file, a warning only.
        CivilIdElsewhere { civil_id, case: open.case.id.clone(),
            onopen: move |other| {
                reset();
                ctx.screen.set(Screen::Case { id: other, tab: CaseTab::Visit });
            }
        }
        Field { id: "member-phone", label: tr.text("field-phone"), value: phone(), error: error_at("phone"), ltr: true, numeric: true,
            oninput: move |v| phone.set(v) }
        Field { id: "member-birth", label: tr.text("member-birth-date"), value: birth(), error: if birth_unreadable() { Some(tr.text("error-date-unreadable")) } else { error_at("birth_date") },
            ltr: true, oninput: move |v| birth.set(v) }
        if !correcting_head { label { {tr.text("member-relation")}
            select { id: "member-relation",
                onchange: move |e| if let Some(r) = Relation::from_code(&e.value()) { relation.set(r) },
                for r in Relation::ALL.iter().copied().filter(|r| *r != Relation::Head) {
                    option { value: r.code(), selected: relation() == r, {tr.text(&r.label_key())} }
                }
            }
        } }
        for (i, f) in failure().iter().enumerate() {
            p { key: "{i}", class: "error", role: "alert", id: "member-error", "{f}" }
        }
        div { class: "row",
            button { id: "member-add", onclick: add,
                {tr.text(if editing().is_some() { "save" } else { "add-member" })}
            }
            if editing().is_some() {
                button { class: "link", id: "member-cancel", onclick: move |_| reset(), {tr.text("correction-cancel")} }
            }
        }
        AddressSection { open: open.clone() }
    }
}
