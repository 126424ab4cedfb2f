//! Households on file: search by name (in any spelling the device folds alike: hamza forms,
//! ta marbuta, "عبد الله" or "عبدالله", Latin transliterations), civil ID, phone or reference,
//! and the households that have no request yet. Within the user's scope.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use mandoob_shared::access;
use mandoob_shared::i18n::Lang;

use super::{Console, ConsoleError, Names, layout, reference, typed};
use crate::state::AppState;
use crate::storage::HouseholdQuery;

/// The most households one page lists.
const PAGE: u32 = 200;

#[derive(Debug, Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// `1` for households without a request only.
    #[serde(default)]
    none: String,
}

pub async fn households(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ConsoleError> {
    cx.require(access::may_use_console)?;
    let query = HouseholdQuery {
        text: q.q.chars().take(200).collect(),
        without_request: q.none == "1",
    };
    let rows = state.storage.households(&cx.scope(), &query, PAGE).await?;
    let names = Names::load(&state).await?;
    let t = &cx.t;
    let body = html! {
        form.filters role="search" method="get" action="/console/households" {
            label { (t.text("console-household-search"))
                input type="search" name="q" value=(q.q) autocomplete="off" dir="auto";
            }
            label { input type="checkbox" name="none" value="1" checked[query.without_request]; " " (t.text("console-without-request")) }
            button type="submit" { (t.text("console-search")) }
        }
        @if rows.is_empty() {
            p.empty { (t.text("console-nothing")) }
        } @else {
            p.count { (t.text_count("console-households-count", "count", rows.len() as u64)) }
            table.households.cards {
                thead { tr {
                    th { (t.text("console-reference")) }
                    th { (t.text("console-head")) }
                    th { (t.text("console-branch")) }
                    th.num { (t.text("console-members")) }
                    th.num { (t.text("console-requests-count")) }
                } }
                tbody {
                    @for row in &rows {
                        tr data-reference=(row.reference) {
                            td.lead { a href=(format!("/console/cases/{}", row.case_id)) { (reference(&row.reference)) } }
                            td data-label=(t.text("console-head")) { (typed(if cx.lang == Lang::En && !row.head_name_en.is_empty() { &row.head_name_en } else { &row.head_name_ar })) }
                            td data-label=(t.text("console-branch")) { (names.branch(&row.branch)) }
                            td.num data-label=(t.text("console-members")) { (row.members) }
                            td.num data-label=(t.text("console-requests-count")) {
                                @if row.requests == 0 { span.badge { (t.text("console-no-request")) } }
                                @else { (row.requests) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&cx, "households", &t.text("console-nav-households"), body).into_response())
}
