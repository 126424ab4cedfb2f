//! Visit step: the interview, the request itself, household notes, and the money section
//! (housing, income, expenses).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{Edit, OpenCase};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::workflow::RequestStatus;

use crate::backend::Backend;
use crate::state::*;
use crate::ui::widgets::{Field, MoneyLines};
use crate::ui::{Ctx, Texts};

#[component]
pub(super) fn InterviewStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let existing = open.case.requests.last().cloned();
    let initial = existing
        .as_ref()
        .map_or_else(RequestForm::default, |r| RequestForm {
            kind: r.kind,
            amount: r.amount.map(|a| a.to_string()).unwrap_or_default(),
            reason: r.reason.clone(),
        });
    let mut form = use_signal(|| initial);
    let mut notes = use_signal(|| open.case.household.notes.clone());
    let mut saved = use_signal(|| false);
    let amount = parse_kwd(&form().amount);
    let id = open.case.id.clone();
    let locked = open
        .requests
        .last()
        .is_some_and(|s| s.status != RequestStatus::Draft);
    let save = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let existing = existing.clone();
        async move {
            let f = form();
            let Ok(amount) = parse_kwd(&f.amount) else {
                return;
            };
            let request = SupportRequest {
                id: existing
                    .as_ref()
                    .map_or_else(RequestId::generate, |r| r.id.clone()),
                kind: f.kind,
                amount,
                reason: f.reason.trim().to_owned(),
                documents: existing
                    .as_ref()
                    .map(|r| r.documents.clone())
                    .unwrap_or_default(),
                declaration: existing.as_ref().and_then(|r| r.declaration.clone()),
            };
            // One save, one transaction: the request and the notes are written together.
            let ok = backend
                .edit_all(
                    id,
                    vec![
                        Edit::UpsertRequest(request),
                        Edit::SetHouseholdNotes(notes().trim().to_owned()),
                    ],
                )
                .await
                .is_ok();
            saved.set(ok);
        }
    };
    rsx! {
        label { {tr.text("request-kind")}
            select { id: "request-kind", disabled: locked,
                onchange: move |e| if let Some(k) = RequestType::from_code(&e.value()) { form.write().kind = k },
                for k in RequestType::ALL.iter().copied() {
                    option { value: k.code(), selected: form().kind == k, {tr.text(&k.label_key())} }
                }
            }
        }
        Field { id: "request-amount", label: tr.text("request-amount"), value: form().amount, ltr: true, numeric: true,
            error: amount.is_err().then(|| tr.text("amount-bad")),
            oninput: move |v| form.write().amount = v }
        label { {tr.text("request-reason")}
            textarea { id: "request-reason", disabled: locked, value: form().reason, oninput: move |e| form.write().reason = e.value() }
        }
        label { {tr.text("household-notes")}
            textarea { id: "household-notes", value: notes(), oninput: move |e| notes.set(e.value()) }
        }
        button { id: "interview-save", class: "primary", disabled: locked, onclick: save, {tr.text("interview-save")} }
        if saved() { p { class: "ok", {tr.text("saved")} } }
        MoneySection { open: open.clone() }
    }
}

/// Housing, monthly income by source and expenses by kind (the social research's figures).
#[component]
fn MoneySection(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut housing = use_signal(|| open.case.household.housing.kind);
    let mut rent = use_signal(|| {
        open.case
            .household
            .housing
            .monthly_rent
            .map(|r| r.to_string())
            .unwrap_or_default()
    });
    let id = open.case.id.clone();
    let current = open.case.household.housing.clone();
    let b1 = backend.clone();
    let id1 = id.clone();
    let save_housing = move |_| {
        let backend = b1.clone();
        let id = id1.clone();
        let mut h = current.clone();
        async move {
            let Ok(r) = parse_kwd(&rent()) else { return };
            h.kind = housing();
            h.monthly_rent = r;
            let _ = backend.edit(id, Edit::SetHousing(h)).await;
        }
    };
    // Writes one line edit (add or remove); the amount's errors are shown by its field.
    let add_line = move |edit: Option<Edit>| {
        let backend = backend.clone();
        let id = id.clone();
        if let Some(edit) = edit {
            spawn(async move {
                let _ = backend.edit(id, edit).await;
            });
        }
    };
    let add_expense_line = add_line.clone();
    let remove_income_line = add_line.clone();
    let remove_expense_line = add_line.clone();
    let add_income = move |(code, monthly): (String, Fils)| {
        add_line(IncomeSource::from_code(&code).map(|k| Edit::UpsertIncome(money_line(k, monthly))))
    };
    let add_expense = move |(code, monthly): (String, Fils)| {
        add_expense_line(
            ExpenseKind::from_code(&code).map(|k| Edit::UpsertExpense(money_line(k, monthly))),
        )
    };
    let income: Vec<(String, String, Fils)> = open
        .case
        .household
        .income
        .iter()
        .map(|l| (l.id.as_str().to_owned(), l.kind.label_key(), l.monthly))
        .collect();
    let expenses: Vec<(String, String, Fils)> = open
        .case
        .household
        .expenses
        .iter()
        .map(|l| (l.id.as_str().to_owned(), l.kind.label_key(), l.monthly))
        .collect();
    let income_kinds: Vec<(&'static str, String)> = IncomeSource::ALL
        .iter()
        .map(|k| (k.code(), k.label_key()))
        .collect();
    let expense_kinds: Vec<(&'static str, String)> = ExpenseKind::ALL
        .iter()
        .map(|k| (k.code(), k.label_key()))
        .collect();
    rsx! {
        h3 { {tr.text("housing-title")} }
        label { {tr.text("housing-kind")}
            select { id: "housing-kind", onchange: move |e| housing.set(HousingKind::from_code(&e.value())),
                option { value: "", {tr.text("choose")} }
                for k in HousingKind::ALL.iter().copied() {
                    option { value: k.code(), selected: housing() == Some(k), {tr.text(&k.label_key())} }
                }
            }
        }
        Field { id: "housing-rent", label: tr.text("housing-rent"), value: rent(), ltr: true, numeric: true,
            error: parse_kwd(&rent()).is_err().then(|| tr.text("amount-bad")), oninput: move |v| rent.set(v) }
        button { id: "housing-save", onclick: save_housing, {tr.text("save")} }
        MoneyLines { prefix: "income", title: tr.text("income-title"), add: tr.text("income-add"),
            lines: income, kinds: income_kinds, onadd: add_income,
            onremove: move |line: String| remove_income_line(Some(Edit::RemoveIncome(MoneyLineId::new(line)))) }
        MoneyLines { prefix: "expense", title: tr.text("expenses-title"), add: tr.text("expense-add"),
            lines: expenses, kinds: expense_kinds, onadd: add_expense,
            onremove: move |line: String| remove_expense_line(Some(Edit::RemoveExpense(MoneyLineId::new(line)))) }
    }
}
