//! Administration: branches, users and roles, devices (last sync, revoke a lost phone), the SLA
//! setting and the library. The rules and the audit are the services'
//! ([`crate::service::accounts`], [`crate::service::library`], [`crate::service::policy`]);
//! these handlers decode the forms and render.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use mandoob_shared::access::may_administer;
use mandoob_shared::workflow::{DayCount, Role};

use super::{Console, ConsoleError, csrf_field, date_time_of, layout};
use crate::service::accounts::{self, NewUser};
use crate::service::library::{self, DocumentRule, NewDocument};
use crate::service::policy;
use crate::state::AppState;

pub async fn page(State(state): State<AppState>, cx: Console) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let branches = state.storage.branches().await?;
    let users = state.storage.users().await?;
    let devices = state.storage.devices().await?;
    let sla = policy::sla(state.storage.as_ref()).await;
    let library = state.storage.library().await?;
    let t = &cx.t;
    let body = html! {
        section #devices {
            h2 { (t.text("console-devices")) }
            table.cards {
                thead { tr { th { (t.text("console-device")) } th { (t.text("console-user")) } th { (t.text("console-device-name")) } th { (t.text("console-last-sync")) } th {} } }
                tbody {
                    @for d in &devices {
                        tr data-device=(d.code.as_str()) {
                            td.lead { (d.code.as_str()) }
                            td data-label=(t.text("console-user")) { (d.user.as_str()) }
                            td data-label=(t.text("console-device-name")) { (d.name) }
                            td data-label=(t.text("console-last-sync")) { (d.last_sync.map(date_time_of).unwrap_or_else(|| t.text("console-never"))) }
                            td {
                                @if d.revoked {
                                    span.badge.late { (t.text("console-revoked")) }
                                } @else {
                                    form.inline method="post" action=(format!("/console/admin/devices/{}/revoke", d.code.as_str())) {
                                        (csrf_field(&cx))
                                        button.danger type="submit" { (t.text("console-revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section #users {
            h2 { (t.text("console-users")) }
            table.cards {
                thead { tr { th { (t.text("signin-username")) } th { (t.text("console-name")) } th { (t.text("console-role")) } th { (t.text("console-branch")) } th {} } }
                tbody {
                    @for u in &users {
                        tr data-user=(u.id.as_str()) {
                            td.lead { (u.id.as_str()) }
                            td data-label=(t.text("console-name")) { (u.display_name) }
                            td data-label=(t.text("console-role")) { (t.text(&u.role.label_key())) }
                            td data-label=(t.text("console-branch")) { (u.branch.as_str()) }
                            td {
                                @if u.locked {
                                    span.badge.late { (t.text("console-locked-badge")) }
                                    form.inline method="post" action=(format!("/console/admin/users/{}/unlock", u.id.as_str())) {
                                        (csrf_field(&cx))
                                        button type="submit" { (t.text("console-unlock")) }
                                    }
                                }
                                form.inline method="post" action=(format!("/console/admin/users/{}/active", u.id.as_str())) {
                                    (csrf_field(&cx))
                                    input type="hidden" name="active" value=(if u.active { "false" } else { "true" });
                                    button type="submit" disabled[u.id == cx.session.user.id] {
                                        (t.text(if u.active { "console-deactivate" } else { "console-activate" }))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.card method="post" action="/console/admin/users" {
                (csrf_field(&cx))
                h3 { (t.text("console-new-user")) }
                label { (t.text("signin-username")) input name="username" required pattern="[a-z0-9._\\-]{2,40}" autocomplete="off" dir="ltr"; }
                label { (t.text("console-name")) input name="display_name" required; }
                label { (t.text("console-role"))
                    select name="role" { @for r in Role::ALL { option value=(r.code()) { (t.text(&r.label_key())) } } }
                }
                label { (t.text("console-branch"))
                    select name="branch" { @for (code, name) in &branches { option value=(code.as_str()) { (name) } } }
                }
                label { (t.text("signin-password")) input name="password" type="password" required minlength="12" autocomplete="new-password"; }
                button type="submit" { (t.text("console-create")) }
            }
        }
        section #library {
            h2 { (t.text("console-library")) }
            p.hint { (t.text("console-library-hint")) }
            ul {
                @for d in &library {
                    li data-document=(d.id) {
                        strong { (if cx.lang == mandoob_shared::i18n::Lang::En { &d.title_en } else { &d.title_ar }) }
                        " · " (date_time_of(d.published_at)) " "
                        form.inline method="post" action=(format!("/console/admin/library/{}/retire", d.id)) {
                            (csrf_field(&cx))
                            button.danger type="submit" { (t.text("console-retire")) }
                        }
                    }
                }
            }
            form.card method="post" action="/console/admin/library" {
                (csrf_field(&cx))
                h3 { (t.text("console-publish")) }
                label { (t.text("console-title-ar")) input name="title_ar" required dir="rtl"; }
                label { (t.text("console-title-en")) input name="title_en" required dir="ltr"; }
                label { (t.text("console-body-ar")) textarea name="body_ar" rows="6" required dir="rtl" {} }
                label { (t.text("console-body-en")) textarea name="body_en" rows="6" required dir="ltr" {} }
                button type="submit" { (t.text("console-publish")) }
            }
        }
        section #branches {
            h2 { (t.text("console-branches")) }
            ul { @for (code, name) in &branches { li { (code.as_str()) " · " (name) } } }
            form.card method="post" action="/console/admin/branches" {
                (csrf_field(&cx))
                h3 { (t.text("console-new-branch")) }
                label { (t.text("console-branch-code")) input name="code" required pattern="[A-Z]{2,6}"; }
                label { (t.text("console-name")) input name="name" required; }
                button type="submit" { (t.text("console-create")) }
            }
        }
        section #sla {
            h2 { (t.text("console-sla")) }
            form.card method="post" action="/console/admin/sla" {
                (csrf_field(&cx))
                label { (t.text("console-sla-days")) input name="days" type="number" min="1" max="90" value=(sla.days); }
                label { input type="radio" name="count" value="calendar" checked[sla.count == DayCount::Calendar]; " " (t.text("console-sla-calendar")) }
                label { input type="radio" name="count" value="working" checked[sla.count == DayCount::Working]; " " (t.text("console-sla-working")) }
                button type="submit" { (t.text("console-save")) }
            }
        }
    };
    Ok(layout(&cx, "admin", &cx.t.text("console-nav-admin"), body).into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    cx: Console,
    Path(code): Path<String>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    accounts::revoke_device(state.storage.as_ref(), &code, &cx.by()).await?;
    Ok(Redirect::to("/console/admin#devices").into_response())
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    active: bool,
}

pub async fn set_active(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ActiveForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    accounts::set_user_active(state.storage.as_ref(), &id, form.active, &cx.by()).await?;
    Ok(Redirect::to("/console/admin#users").into_response())
}

/// Unlocks an account the sign-in limits locked.
pub async fn unlock(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    accounts::unlock_user(state.storage.as_ref(), &id, &cx.by()).await?;
    Ok(Redirect::to("/console/admin#users").into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    username: String,
    display_name: String,
    role: String,
    branch: String,
    password: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    cx: Console,
    axum::Form(form): axum::Form<NewUserForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let role = Role::from_code(&form.role).ok_or_else(ConsoleError::bad_form)?;
    let new = NewUser {
        username: &form.username,
        display_name: &form.display_name,
        role,
        branch: &form.branch,
        password: &form.password,
    };
    accounts::create_user(state.storage.as_ref(), new, &cx.by()).await?;
    Ok(Redirect::to("/console/admin#users").into_response())
}

#[derive(Debug, Deserialize)]
pub struct BranchForm {
    code: String,
    name: String,
}

pub async fn create_branch(
    State(state): State<AppState>,
    cx: Console,
    axum::Form(form): axum::Form<BranchForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    accounts::create_branch(state.storage.as_ref(), &form.code, &form.name, &cx.by()).await?;
    Ok(Redirect::to("/console/admin#branches").into_response())
}

#[derive(Debug, Deserialize)]
pub struct SlaForm {
    days: u32,
    count: String,
}

pub async fn set_sla(
    State(state): State<AppState>,
    cx: Console,
    axum::Form(form): axum::Form<SlaForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    policy::set_sla(state.storage.as_ref(), form.days, &form.count, &cx.by())
        .await?
        .map_err(|_| ConsoleError::bad_form())?;
    Ok(Redirect::to("/console/admin#sla").into_response())
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    title_ar: String,
    title_en: String,
    body_ar: String,
    body_en: String,
}

pub async fn publish(
    State(state): State<AppState>,
    cx: Console,
    axum::Form(form): axum::Form<PublishForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let new = NewDocument {
        title_ar: &form.title_ar,
        title_en: &form.title_en,
        body_ar: &form.body_ar,
        body_en: &form.body_en,
    };
    library::publish(state.storage.as_ref(), new, &cx.by())
        .await?
        .map_err(document_refused)?;
    Ok(Redirect::to("/console/admin#library").into_response())
}

pub async fn retire(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    library::retire(state.storage.as_ref(), &id, &cx.by())
        .await?
        .map_err(document_refused)?;
    Ok(Redirect::to("/console/admin#library").into_response())
}

fn document_refused(rule: DocumentRule) -> ConsoleError {
    match rule {
        DocumentRule::Invalid => ConsoleError::new(StatusCode::BAD_REQUEST, "console-bad-document"),
        DocumentRule::NotFound => {
            ConsoleError::new(StatusCode::NOT_FOUND, "console-no-such-document")
        }
    }
}

/// Decodes every administration form as its handler does (`super::fuzz_forms`).
pub(super) fn fuzz_forms(data: &[u8]) {
    let _ = serde_urlencoded::from_bytes::<ActiveForm>(data);
    let _ = serde_urlencoded::from_bytes::<NewUserForm>(data);
    let _ = serde_urlencoded::from_bytes::<BranchForm>(data);
    let _ = serde_urlencoded::from_bytes::<SlaForm>(data);
    let _ = serde_urlencoded::from_bytes::<PublishForm>(data);
}
