//! Work handed over by a user's revoked devices, on the user's page: each item (a case's
//! changes or a photo) with when it arrived, and buttons to apply it (through the same checks
//! as any push) or discard it (after a confirmation box). The rules and the audit are
//! [`crate::service::hand_over`]'s.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use mandoob_shared::access::may_administer;

use super::super::{Console, ConsoleError, csrf_field, date_time_of};
use super::user::href;
use crate::service::hand_over;
use crate::state::AppState;
use crate::storage::{DeviceRecord, HeldItem, HeldKind, HeldState};

/// The section, when the user has anything handed over.
pub fn section(cx: &Console, items: &[HeldItem], devices: &[&DeviceRecord]) -> Markup {
    let t = &cx.t;
    let name_of = |item: &HeldItem| {
        devices
            .iter()
            .find(|d| d.code == item.device)
            .map_or(item.device.as_str().to_owned(), |d| d.name.clone())
    };
    html! {
        @if !items.is_empty() {
            section #held {
                h2 { (t.text("console-held-title")) }
                p.hint { (t.text("console-held-hint")) }
                table.cards {
                    thead { tr {
                        th { (t.text("console-held-received")) }
                        th { (t.text("console-device-name")) }
                        th { (t.text("console-held-what")) }
                        th { (t.text("console-held-state")) }
                        th {}
                    } }
                    tbody {
                        @for item in items {
                            tr data-held=(item.id) {
                                td.lead { time dir="ltr" { (date_time_of(item.received_at)) } }
                                td data-label=(t.text("console-device-name")) { bdi { (name_of(item)) } }
                                td data-label=(t.text("console-held-what")) {
                                    @match (&item.kind, &item.case) {
                                        (HeldKind::Changes, Some(case)) => {
                                            a href=(format!("/console/cases/{}", case.as_str())) {
                                                (t.text_with("console-held-changes", &[("count", &item.changes.to_string())]))
                                            }
                                        }
                                        _ => (t.text("console-held-photo")),
                                    }
                                }
                                td data-label=(t.text("console-held-state")) {
                                    @match item.state {
                                        HeldState::Held => span.badge.late { (t.text("console-held-waiting")) },
                                        HeldState::Applied => span.badge { (applied(cx, item)) },
                                        HeldState::Discarded => span.badge { (t.text("console-held-discarded")) },
                                    }
                                }
                                td {
                                    @if item.state == HeldState::Held {
                                        form.inline method="post" action=(format!("/console/admin/held/{}/apply", item.id)) {
                                            (csrf_field(cx))
                                            button type="submit" { (t.text("console-held-apply")) }
                                        }
                                        " "
                                        form.inline method="post" action=(format!("/console/admin/held/{}/discard", item.id)) {
                                            (csrf_field(cx))
                                            label.check {
                                                input type="checkbox" name="confirm" value="yes" required;
                                                (t.text("console-held-discard-confirm"))
                                            }
                                            button.danger type="submit" { (t.text("console-held-discard")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// "Applied: 3 changes taken, 1 refused" from the outcome the service recorded.
fn applied(cx: &Console, item: &HeldItem) -> String {
    let mut parts = item.outcome.split(' ');
    match (parts.next(), parts.next()) {
        (Some(accepted), Some(refused)) => cx.t.text_with(
            "console-held-applied",
            &[("accepted", accepted), ("refused", refused)],
        ),
        _ => cx.t.text("console-held-applied-photo"),
    }
}

/// Back to the page of the user who handed the item over, saying `key`.
fn back(item: &HeldItem, key: &str) -> Response {
    Redirect::to(&format!("{}?done={key}#held", href(item.user.as_str()))).into_response()
}

pub async fn apply(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let (item, _) = hand_over::apply(&state, id, &cx.by()).await?;
    Ok(back(&item, "console-done-held-applied"))
}

#[derive(Debug, Default, Deserialize)]
pub struct DiscardForm {
    #[serde(default)]
    confirm: String,
}

pub async fn discard(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DiscardForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    if form.confirm != "yes" {
        return Err(ConsoleError::bad_form());
    }
    let item = hand_over::discard(&state, id, &cx.by()).await?;
    Ok(back(&item, "console-done-held-discarded"))
}

/// Decodes the section's form as its handler does.
pub(super) fn fuzz_form(data: &[u8]) {
    let _ = serde_urlencoded::from_bytes::<DiscardForm>(data);
}
