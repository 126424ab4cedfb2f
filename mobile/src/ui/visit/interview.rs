//! Visit step: the interview, the request itself, household notes, and the money section
//! (housing, income, expenses; lines added, corrected in place or removed).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{Edit, OpenCase};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::workflow::RequestStatus;

use crate::backend::Backend;
use crate::state::*;
use crate::ui::widgets::{Field, LineForm, MoneyLines, use_line_form};
use crate::ui::{Ctx, Texts, engine_error_text};

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
    // Writes one line edit; a removal's failure is said under the lines.
    let line_backend = backend.clone();
    let line_id = id.clone();
    let mut failure = use_signal(Vec::<String>::new);
    let remove_line = move |edit: Edit| {
        let backend = line_backend.clone();
        let id = line_id.clone();
        spawn(async move {
            if let Err(e) = backend.edit(id, edit).await {
                failure.set(engine_error_text(Texts::new().get((ctx.lang)()), &e));
            }
        });
    };
    let remove_income_line = remove_line.clone();
    let remove_expense_line = remove_line;
    // Adds a line or corrects one in place (its id, member and note kept): the row is cleared
    // once stored; a refusal is said beside the amount, with what was typed kept.
    let save_line = move |form: LineForm, edit: Edit| {
        let backend = backend.clone();
        let id = id.clone();
        spawn(async move {
            match backend.edit(id, edit).await {
                Ok(()) => form.clear(),
                Err(e) => {
                    let texts = Texts::new();
                    let text = engine_error_text(texts.get((ctx.lang)()), &e).join(" ");
                    let mut error = form.error;
                    error.set(Some(text));
                }
            }
        });
    };
    let save_expense_line = save_line.clone();
    let income_form = use_line_form(IncomeSource::ALL[0].code());
    let expense_form = use_line_form(ExpenseKind::ALL[0].code());
    let stored_income = open.case.household.income.clone();
    let save_income = move |(editing, code, monthly): (Option<String>, String, Fils)| {
        let Some(kind) = IncomeSource::from_code(&code) else {
            return;
        };
        save_line(
            income_form,
            Edit::UpsertIncome(corrected(&stored_income, editing, kind, monthly)),
        );
    };
    let stored_expenses = open.case.household.expenses.clone();
    let save_expense = move |(editing, code, monthly): (Option<String>, String, Fils)| {
        let Some(kind) = ExpenseKind::from_code(&code) else {
            return;
        };
        save_expense_line(
            expense_form,
            Edit::UpsertExpense(corrected(&stored_expenses, editing, kind, monthly)),
        );
    };
    let income: Vec<(String, String, String, Fils)> = open
        .case
        .household
        .income
        .iter()
        .map(|l| {
            let code = l.kind.code().to_owned();
            (
                l.id.as_str().to_owned(),
                code,
                l.kind.label_key(),
                l.monthly,
            )
        })
        .collect();
    let expenses: Vec<(String, String, String, Fils)> = open
        .case
        .household
        .expenses
        .iter()
        .map(|l| {
            let code = l.kind.code().to_owned();
            (
                l.id.as_str().to_owned(),
                code,
                l.kind.label_key(),
                l.monthly,
            )
        })
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
            lines: income, kinds: income_kinds, form: income_form, onsave: save_income,
            onremove: move |line: String| remove_income_line(Edit::RemoveIncome(MoneyLineId::new(line))) }
        MoneyLines { prefix: "expense", title: tr.text("expenses-title"), add: tr.text("expense-add"),
            lines: expenses, kinds: expense_kinds, form: expense_form, onsave: save_expense,
            onremove: move |line: String| remove_expense_line(Edit::RemoveExpense(MoneyLineId::new(line))) }
        for (i, f) in failure().iter().enumerate() { p { key: "{i}", class: "error", role: "alert", "{f}" } }
    }
}

/// The line `editing` of `stored` with a new kind and amount (its id, member and note kept),
/// or a new line when it is `None` (or no longer there).
fn corrected<K: Clone>(
    stored: &[MoneyLine<K>],
    editing: Option<String>,
    kind: K,
    monthly: Fils,
) -> MoneyLine<K> {
    match editing.and_then(|id| stored.iter().find(|l| l.id.as_str() == id)) {
        Some(line) => MoneyLine {
            kind,
            monthly,
            ..line.clone()
        },
        None => money_line(kind, monthly),
    }
}
