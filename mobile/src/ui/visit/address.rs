//! Visit step 2, the household's address: shown, and corrected field by field (the fields the
//! form does not show, such as the GPS position, are kept as stored).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{Edit, EngineError, OpenCase};
use mandoob_shared::model::*;
use mandoob_shared::validate::{self, ValidationError};

use crate::backend::{AppError, Backend};
use crate::ui::widgets::Field;
use crate::ui::{Ctx, Texts, engine_error_text};

#[component]
pub(super) fn AddressSection(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let stored = open.case.household.address.clone();
    // The address being corrected (starting from the stored one), or None when not editing.
    let mut draft = use_signal(|| None::<Address>);
    let mut problems = use_signal(Vec::<ValidationError>::new);
    let mut failure = use_signal(Vec::<String>::new);
    let id = open.case.id.clone();
    let save_texts = texts.clone();
    let save = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let texts = save_texts.clone();
        async move {
            let Some(mut a) = draft() else { return };
            for field in [&mut a.area, &mut a.block, &mut a.street, &mut a.house] {
                *field = field.trim().to_owned();
            }
            // The engine's check, before it is asked: the governorate, as at registration.
            let found = validate::address(&a);
            problems.set(found.clone());
            failure.set(Vec::new());
            if !found.is_empty() {
                return;
            }
            match backend.edit(id, Edit::SetAddress(a)).await {
                Ok(()) => draft.set(None),
                Err(AppError::Engine(EngineError::Invalid(errors))) => problems.set(errors),
                Err(e) => failure.set(engine_error_text(texts.get((ctx.lang)()), &e)),
            }
        }
    };
    let error_at = move |field: &str| -> Option<String> {
        problems()
            .iter()
            .find(|e| e.path.to_string().ends_with(field))
            .map(|e| tr.error(e))
    };
    let shown = address_text(tr, &stored);
    let Some(d) = draft() else {
        return rsx! {
            h3 { {tr.text("address-title")} }
            p { id: "address-text", "{shown}" " "
                button { class: "link", id: "address-correct",
                    onclick: move |_| {
                        problems.set(Vec::new());
                        failure.set(Vec::new());
                        draft.set(Some(stored.clone()));
                    },
                    {tr.text("member-edit")}
                }
            }
        };
    };
    let mut edit = move |f: fn(&mut Address, String), v: String| {
        if let Some(a) = draft.write().as_mut() {
            f(a, v);
        }
    };
    rsx! {
        h3 { {tr.text("address-correct")} }
        label { {tr.text("field-governorate")}
            select { id: "address-governorate", "aria-invalid": error_at("governorate").is_some(),
                onchange: move |e| edit(|a, v| a.governorate = Governorate::from_code(&v), e.value()),
                option { value: "", {tr.text("choose")} }
                for g in Governorate::ALL.iter().copied() {
                    option { value: g.code(), selected: d.governorate == Some(g), {tr.text(&g.label_key())} }
                }
            }
            if let Some(e) = error_at("governorate") { span { class: "field-error", id: "address-governorate-error", "{e}" } }
        }
        Field { id: "address-area", label: tr.text("field-area"), value: d.area.clone(), error: error_at("area"),
            oninput: move |v| edit(|a, v| a.area = v, v) }
        div { class: "row",
            Field { id: "address-block", label: tr.text("field-block"), value: d.block.clone(), error: None, numeric: true,
                oninput: move |v| edit(|a, v| a.block = v, v) }
            Field { id: "address-street", label: tr.text("field-street"), value: d.street.clone(), error: None,
                oninput: move |v| edit(|a, v| a.street = v, v) }
            Field { id: "address-house", label: tr.text("field-house"), value: d.house.clone(), error: None,
                oninput: move |v| edit(|a, v| a.house = v, v) }
        }
        for (i, f) in failure().iter().enumerate() {
            p { key: "{i}", class: "error", role: "alert", "{f}" }
        }
        div { class: "row",
            button { id: "address-save", onclick: save, {tr.text("save")} }
            button { class: "link", id: "address-cancel", onclick: move |_| draft.set(None), {tr.text("correction-cancel")} }
        }
    }
}

/// The address in one line: governorate, area, then block, street and house with their labels.
fn address_text(tr: &mandoob_shared::i18n::Translator, a: &Address) -> String {
    let mut parts: Vec<String> = a
        .governorate
        .map(|g| tr.text(&g.label_key()))
        .into_iter()
        .collect();
    if !a.area.trim().is_empty() {
        parts.push(a.area.clone());
    }
    for (key, value) in [
        ("field-block", &a.block),
        ("field-street", &a.street),
        ("field-house", &a.house),
    ] {
        if !value.trim().is_empty() {
            parts.push(format!("{} {value}", tr.text(key)));
        }
    }
    parts.join(" · ")
}
