//! The case list: search, filters by status, overdue and follow-up.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::ListQuery;
use mandoob_shared::i18n::Lang;
use mandoob_shared::workflow::RequestStatus;

use crate::backend::Backend;
use crate::state::*;

use super::{Ctx, Texts};

#[component]
pub(super) fn CaseList() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut filter = use_signal(ListFilter::default);
    let rows = use_resource(move || {
        let backend = backend.clone();
        let q: ListQuery = filter().query();
        let _ = (ctx.revision)();
        async move { backend.list(q).await }
    });
    let statuses = [
        RequestStatus::Draft,
        RequestStatus::AwaitingDecision,
        RequestStatus::InfoRequested,
        RequestStatus::Accepted,
        RequestStatus::Rejected,
        RequestStatus::Registered,
        RequestStatus::InService,
        RequestStatus::Closed,
    ];
    rsx! {
        section {
            h2 { {tr.text("cases-title")} }
            input { id: "search", class: "search", r#type: "search",
                placeholder: tr.text("search-placeholder"),
                value: filter().text,
                oninput: move |e| filter.write().text = e.value() }
            div { class: "filters",
                select { id: "status-filter",
                    onchange: move |e| filter.write().status = RequestStatus::from_code(&e.value()),
                    option { value: "", {tr.text("filter-any-status")} }
                    for s in statuses {
                        option { value: s.code(), selected: filter().status == Some(s), {tr.text(&status_key(s.code()))} }
                    }
                }
                label { class: "check",
                    input { r#type: "checkbox", id: "needs-answer-filter", checked: filter().needs_answer,
                        onchange: move |e| filter.write().needs_answer = e.checked() }
                    {tr.text("filter-needs-answer")}
                }
                label { class: "check",
                    input { r#type: "checkbox", id: "overdue-filter", checked: filter().overdue_only,
                        onchange: move |e| filter.write().overdue_only = e.checked() }
                    {tr.text("filter-overdue")}
                }
                label { class: "check",
                    input { r#type: "checkbox", id: "follow-up-filter", checked: filter().follow_up_only,
                        onchange: move |e| filter.write().follow_up_only = e.checked() }
                    {tr.text("filter-follow-up")}
                }
            }
            match &*rows.read() {
                None => rsx! { p { {tr.text("loading")} } },
                Some(Err(e)) => rsx! { p { class: "error", "{e}" } },
                Some(Ok(list)) if list.is_empty() => rsx! { p { class: "hint", {tr.text("cases-empty")} } },
                Some(Ok(list)) => rsx! {
                    ul { class: "cases",
                        for row in list.clone() {
                            li { key: "{row.id.as_str()}",
                                button { class: "case-row",
                                    "data-reference": row.reference.clone(),
                                    onclick: {
                                        let id = row.id.clone();
                                        move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: CaseTab::Visit })
                                    },
                                    span { class: "ref", dir: "ltr", "{row.reference}" }
                                    span { class: "name",
                                        if (ctx.lang)() == Lang::En && !row.head_name_en.is_empty() { "{row.head_name_en}" } else { "{row.head_name_ar}" }
                                    }
                                    span { class: "status status-{row.status}", {tr.text(&status_key(&row.status))} }
                                    if let Some(due) = row.due_date.clone() {
                                        span { class: if row.overdue { "due overdue" } else { "due" },
                                            {tr.text_with("due-on", &[("date", &due)])}
                                            if row.overdue { " · " {tr.text("overdue")} }
                                        }
                                    }
                                    if row.status == RequestStatus::InfoRequested.code() { span { class: "flag question", {tr.text("needs-answer-marker")} } }
                                    if row.follow_up { span { class: "flag", {tr.text("filter-follow-up")} } }
                                    if row.conflicts { span { class: "flag", {tr.text("conflicts-marker")} } }
                                    if row.unsynced { span { class: "flag unsynced", {tr.text("unsynced-marker")} } }
                                }
                            }
                        }
                    }
                },
            }
        }
    }
}
