//! One user, for an administrator (`/console/admin/users/{id}`): who they are, their role (to
//! change), a password reset, and their devices with the last sync and address of each
//! (approve one enrolled after a revocation, or revoke one). The rules and the audit are
//! [`crate::service::accounts`]' and [`crate::service::passwords`]'.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use mandoob_shared::access::may_administer;
use mandoob_shared::workflow::Role;

use super::super::{Console, ConsoleError, csrf_field, date_time_of, layout};
use crate::service::ServiceError;
use crate::service::accounts;
use crate::service::passwords;
use crate::state::AppState;
use crate::storage::{DeviceRecord, UserRecord};

/// The user page's address.
pub fn href(user: &str) -> String {
    format!("/console/admin/users/{user}")
}

/// A form of the page refused: which (`role` or `password`) and why (a message key).
struct Refused {
    form: &'static str,
    key: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserQuery {
    #[serde(default)]
    done: String,
}

/// The devices table, as on this page and the administration page: code, owner (when
/// `owner` names them), name, last sync and address, and what can be done.
pub fn devices_table(
    cx: &Console,
    devices: &[&DeviceRecord],
    owner: Option<&dyn Fn(&str) -> String>,
) -> Markup {
    let t = &cx.t;
    html! {
        table.cards {
            thead { tr {
                th { (t.text("console-device")) }
                @if owner.is_some() { th { (t.text("console-user")) } }
                th { (t.text("console-device-name")) }
                th { (t.text("console-last-sync")) }
                th { (t.text("console-last-address")) }
                th {}
            } }
            tbody {
                @for d in devices {
                    tr data-device=(d.code.as_str()) {
                        td.lead { bdi { (d.code.as_str()) } }
                        @if let Some(name_of) = owner {
                            td data-label=(t.text("console-user")) {
                                a href=(href(d.user.as_str())) { bdi { (name_of(d.user.as_str())) } }
                            }
                        }
                        td data-label=(t.text("console-device-name")) { bdi { (d.name) } }
                        td data-label=(t.text("console-last-sync")) {
                            @match d.last_sync {
                                Some(at) => time dir="ltr" { (date_time_of(at)) },
                                None => (t.text("console-never")),
                            }
                        }
                        td data-label=(t.text("console-last-address")) {
                            @match &d.last_address {
                                Some(a) => bdi.address dir="ltr" { (a) },
                                None => "—",
                            }
                        }
                        td {
                            @if d.revoked {
                                span.badge.late { (t.text("console-revoked")) }
                            } @else {
                                @if !d.approved {
                                    span.badge.late { (t.text("console-waiting-approval")) }
                                    " "
                                    form.inline method="post" action=(format!("/console/admin/devices/{}/approve", d.code.as_str())) {
                                        (csrf_field(cx))
                                        button type="submit" { (t.text("console-approve")) }
                                    }
                                    " "
                                }
                                // Revoking asks first, on a page of its own.
                                a.button.danger href=(format!("/console/admin/devices/{}/revoke", d.code.as_str())) { (t.text("console-revoke")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn render(
    state: &AppState,
    cx: &Console,
    id: &str,
    status: StatusCode,
    done: Option<&str>,
    refused: Option<Refused>,
) -> Result<Response, ConsoleError> {
    let users = state.storage.users().await?;
    let Some(user) = users.iter().find(|u| u.id.as_str() == id) else {
        return Err(ConsoleError::new(
            StatusCode::NOT_FOUND,
            "console-no-such-user",
        ));
    };
    let devices = state.storage.devices().await?;
    let theirs: Vec<&DeviceRecord> = devices.iter().filter(|d| d.user == user.id).collect();
    let held = state.storage.held_items(&user.id).await?;
    let branches = state.storage.branches().await?;
    let branch = branches
        .iter()
        .find(|(c, _)| *c == user.branch)
        .map_or(user.branch.as_str(), |(_, n)| n.as_str());
    let t = &cx.t;
    let error = |form: &str| {
        html! {
            @if let Some(r) = refused.as_ref().filter(|r| r.form == form) {
                span.field-error id=(format!("{form}-error")) role="alert" { (t.text(r.key)) }
            }
        }
    };
    let invalid = |form: &str| refused.as_ref().is_some_and(|r| r.form == form);
    let yourself = user.id == cx.session.user.id;
    let body = html! {
        @if let Some(k) = done.filter(|k| k.starts_with("console-done-") && t.has(k)) {
            p.done role="status" { (t.text(k)) }
        }
        section.card #account {
            dl {
                dt { (t.text("signin-username")) } dd { bdi { (user.id.as_str()) } }
                dt { (t.text("console-role")) } dd { (t.text(&user.role.label_key())) }
                dt { (t.text("console-branch")) } dd { bdi { (branch) } }
            }
            (badges(cx, user))
        }
        @if yourself {
            // Nobody changes their own role: no form, only the refusal when one was sent.
            (error("role"))
        } @else {
            form.card #role method="post" action=(format!("{}/role", href(user.id.as_str()))) {
                (csrf_field(cx))
                h2 { (t.text("console-change-role")) }
                label { (t.text("console-role"))
                    select name="role" aria-invalid=[invalid("role").then_some("true")] aria-describedby=[invalid("role").then_some("role-error")] {
                        @for r in Role::ALL { option value=(r.code()) selected[user.role == *r] { (t.text(&r.label_key())) } }
                    }
                    (error("role"))
                }
                button type="submit" { (t.text("console-save")) }
            }
        }
        form.card #reset-password method="post" action=(format!("{}/password", href(user.id.as_str()))) {
            (csrf_field(cx))
            h2 { (t.text("console-reset-password")) }
            p.hint { (t.text("console-reset-hint")) }
            label { (t.text("console-password-new"))
                input name="password" type="password" required minlength="12" maxlength="1024" autocomplete="new-password"
                    aria-invalid=[invalid("password").then_some("true")] aria-describedby=[invalid("password").then_some("password-error")];
                (error("password"))
                span.hint { (t.text("console-password-rule")) }
            }
            button.danger type="submit" { (t.text("console-reset-password")) }
        }
        section #devices {
            h2 { (t.text("console-user-devices")) }
            (devices_table(cx, &theirs, None))
        }
        (super::held::section(cx, &held, &theirs))
    };
    let title = t.text_with("console-user-title", &[("name", &user.display_name)]);
    Ok((status, layout(cx, "admin", &title, body)).into_response())
}

/// A user's states that need an administrator's eye.
pub fn badges(cx: &Console, u: &UserRecord) -> Markup {
    let t = &cx.t;
    html! {
        @if u.locked { span.badge.late { (t.text("console-locked-badge")) } " " }
        @if !u.active { span.badge { (t.text("console-inactive-badge")) } " " }
        @if u.must_change_password { span.badge { (t.text("console-must-change-badge")) } " " }
        @if u.enrol_needs_approval { span.badge { (t.text("console-approval-badge")) } " " }
    }
}

pub async fn user_page(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<UserQuery>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    render(&state, &cx, &id, StatusCode::OK, Some(&q.done), None).await
}

fn done(user: &str, key: &str) -> Response {
    Redirect::to(&format!("{}?done={key}", href(user))).into_response()
}

/// What a form of the page comes to: back to the page saying `done_key`, or the page again
/// with the rule `form` broke beside it (an unknown user is a not-found page).
async fn answer(
    state: &AppState,
    cx: &Console,
    id: &str,
    form: &'static str,
    result: Result<(), ServiceError>,
    done_key: &str,
) -> Result<Response, ConsoleError> {
    match result {
        Ok(()) => Ok(done(id, done_key)),
        Err(ServiceError::Rule(rule)) if !matches!(rule, accounts::Rule::NoSuchUser(_)) => {
            let refused = Refused {
                form,
                key: rule.key(),
            };
            render(state, cx, id, StatusCode::BAD_REQUEST, None, Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<RoleForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let role = Role::from_code(&form.role).ok_or_else(ConsoleError::bad_form)?;
    let result = accounts::set_role(state.storage.as_ref(), &id, role, &cx.by()).await;
    answer(
        &state,
        &cx,
        &id,
        "role",
        result,
        "console-done-role-changed",
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ResetForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let result = passwords::reset(state.storage.as_ref(), &id, &form.password, &cx.by()).await;
    answer(
        &state,
        &cx,
        &id,
        "password",
        result,
        "console-done-password-reset",
    )
    .await
}

/// Approves a device enrolled after a revocation; back to its user's page.
pub async fn approve(
    State(state): State<AppState>,
    cx: Console,
    Path(code): Path<String>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let devices = state.storage.devices().await?;
    let owner = devices
        .iter()
        .find(|d| d.code.as_str() == code)
        .map(|d| d.user.as_str().to_owned());
    accounts::approve_device(state.storage.as_ref(), &code, &cx.by()).await?;
    Ok(match owner {
        Some(user) => done(&user, "console-done-device-approved"),
        None => Redirect::to("/console/admin#devices").into_response(),
    })
}

/// Decodes the page's forms as their handlers do (`super::fuzz_forms`).
pub(super) fn fuzz_forms(data: &[u8]) {
    let _ = serde_urlencoded::from_bytes::<RoleForm>(data);
    let _ = serde_urlencoded::from_bytes::<ResetForm>(data);
    super::held::fuzz_form(data);
}
