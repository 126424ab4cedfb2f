//! The committee's queue and the social-research officers' referrals inbox.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use mandoob_shared::ids::Timestamp;
use mandoob_shared::model::RequestType;
use mandoob_shared::workflow::{RequestStatus, SlaPolicy};

use mandoob_shared::access;

use super::view::{PageQuery, Paging, pager};
use super::{Console, ConsoleError, Names, amount, date, day, layout, reference, typed};
use crate::service::policy::{self, today};
use crate::state::AppState;
use crate::storage::{Page, RequestFilter, RequestRow};

/// How many requests one page shows (a page stays small with 10,000 cases).
const PAGE: u32 = 50;

#[derive(Debug, Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    kind: String,
    /// A status code; empty means "awaiting decision"; `all` means every status.
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Days until (positive) or past (negative) the due date of a row awaiting a decision.
fn days_left(row: &RequestRow, sla: &SlaPolicy) -> Option<i64> {
    if !row.awaiting() {
        return None;
    }
    Some(sla.days_left(Timestamp::from_millis(row.clock_started_at?)?, today()))
}

pub async fn queue(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<QueueQuery>,
) -> Result<Response, ConsoleError> {
    cx.require(access::sees_queue)?;
    let status = match q.status.as_str() {
        "" => Some(RequestStatus::AwaitingDecision.code().to_owned()),
        "all" => None,
        s => RequestStatus::from_code(s).map(|s| s.code().to_owned()),
    };
    let filter = RequestFilter {
        branch: non_empty(&q.branch),
        kind: RequestType::from_code(&q.kind).map(|k| k.code().to_owned()),
        status,
        referred: false,
    };
    let paging = Paging::new(&q.page, PAGE);
    let rows = state
        .storage
        .requests_page(&cx.scope(), &filter, paging.offset(), PAGE)
        .await?;
    let branches = state.storage.branches().await?;
    let names = Names::load(&state).await?;
    // A page link keeps the filters.
    let href = |page: u32| {
        let query = serde_urlencoded::to_string([
            ("branch", q.branch.as_str()),
            ("kind", q.kind.as_str()),
            ("status", q.status.as_str()),
            ("page", &page.to_string()),
        ])
        .unwrap_or_default();
        format!("/console/queue?{query}")
    };
    let sla = policy::sla(state.storage.as_ref()).await;
    let t = &cx.t;
    let body = html! {
        form.filters method="get" action="/console/queue" {
            label { (t.text("console-branch"))
                select name="branch" {
                    option value="" { (t.text("console-all")) }
                    @for (code, name) in &branches {
                        option value=(code.as_str()) selected[q.branch == code.as_str()] { (name) }
                    }
                }
            }
            label { (t.text("console-type"))
                select name="kind" {
                    option value="" { (t.text("console-all")) }
                    @for k in RequestType::ALL {
                        option value=(k.code()) selected[q.kind == k.code()] { (t.text(&k.label_key())) }
                    }
                }
            }
            label { (t.text("console-status"))
                select name="status" {
                    option value="" selected[q.status.is_empty()] { (t.text("status-awaiting-decision")) }
                    @for s in RequestStatus::ALL.iter().filter(|s| **s != RequestStatus::AwaitingDecision) {
                        option value=(s.code()) selected[q.status == s.code()] { (t.text(&s.label_key())) }
                    }
                    option value="all" selected[q.status == "all"] { (t.text("console-all")) }
                }
            }
            button type="submit" { (t.text("console-filter")) }
        }
        (request_table(&cx, &names, &rows, &sla))
        (pager(&cx.t, paging, rows.total, href))
    };
    Ok(layout(&cx, "queue", &cx.t.text("console-nav-queue"), body).into_response())
}

/// The table of requests shared by the queue and the referrals inbox (cards on a phone: each
/// cell carries its column's name).
fn request_table(cx: &Console, names: &Names, page: &Page<RequestRow>, sla: &SlaPolicy) -> Markup {
    let rows = &page.rows;
    let t = &cx.t;
    let [
        reference_label,
        head,
        branch,
        kind,
        amount_label,
        granted,
        status,
        submitted,
        due,
    ] = [
        "console-reference",
        "console-head",
        "console-branch",
        "console-type",
        "console-amount",
        "console-granted",
        "console-status",
        "console-submitted",
        "console-due",
    ]
    .map(|k| t.text(k));
    html! {
        @if rows.is_empty() {
            p.empty { (t.text("console-nothing")) }
        } @else {
            p.count { (t.text_with("console-count", &[("count", &page.total.to_string())])) }
            table.queue.cards {
                thead { tr {
                    th { (reference_label) } th { (head) } th { (branch) } th { (kind) } th.num { (amount_label) }
                    th.num { (granted) } th { (status) } th { (submitted) } th { (due) }
                } }
                tbody {
                    @for row in rows {
                        @let left = days_left(row, sla);
                        @let overdue = row.awaiting() && row.clock_started_at.and_then(Timestamp::from_millis).is_some_and(|start| sla.is_overdue(start, today()));
                        tr.overdue[overdue] data-reference=(row.reference) {
                            td.lead { a href=(format!("/console/cases/{}", row.case_id)) { (reference(&row.reference)) } }
                            td data-label=(head) { (typed(match cx.lang { mandoob_shared::i18n::Lang::Ar => &row.head_name_ar, mandoob_shared::i18n::Lang::En => if row.head_name_en.is_empty() { &row.head_name_ar } else { &row.head_name_en } })) }
                            td data-label=(branch) { (names.branch(&row.branch)) }
                            td data-label=(kind) { (t.text(&format!("request-type-{}", row.kind))) }
                            td.num data-label=(amount_label) { @if let Some(a) = row.amount { (amount(a)) } }
                            @if row.granted().is_some() || !row.granted_in_kind.is_empty() {
                                td.num.granted data-label=(granted) {
                                    @if let Some(g) = row.granted() { (amount(g)) }
                                    @if !row.granted_in_kind.is_empty() { " " span.in-kind { (t.text("console-in-kind")) } }
                                }
                            } @else {
                                td.num.granted {}
                            }
                            td data-label=(status) {
                                (t.text(&format!("status-{}", row.status)))
                                @if row.rounds > 0 { " " span.badge.round { (t.text_count("console-round", "count", u64::from(row.rounds))) } }
                            }
                            td data-label=(submitted) { @if let Some(at) = row.submitted_at { (day(at)) } }
                            @if let (Some(d), Some(start)) = (left, row.clock_started_at.and_then(Timestamp::from_millis)) {
                                td data-label=(due) {
                                    (date(sla.due_date(start))) " "
                                    @if d < 0 {
                                        span.badge.late { (t.text_with("console-days-late", &[("days", &(-d).to_string())])) }
                                    } @else {
                                        span.badge { (t.text_with("console-days-left", &[("days", &d.to_string())])) }
                                    }
                                }
                            } @else {
                                td {}
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn referrals(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<PageQuery>,
) -> Result<Response, ConsoleError> {
    cx.require(access::may_use_console)?;
    let filter = RequestFilter {
        referred: true,
        ..RequestFilter::default()
    };
    let paging = Paging::new(&q.page, PAGE);
    let rows = state
        .storage
        .requests_page(&cx.scope(), &filter, paging.offset(), PAGE)
        .await?;
    let sla = policy::sla(state.storage.as_ref()).await;
    let names = Names::load(&state).await?;
    let body = html! {
        p.hint { (cx.t.text("console-referrals-hint")) }
        (request_table(&cx, &names, &rows, &sla))
        (pager(&cx.t, paging, rows.total, |page| format!("/console/referrals?page={page}")))
    };
    Ok(layout(&cx, "referrals", &cx.t.text("console-nav-referrals"), body).into_response())
}
