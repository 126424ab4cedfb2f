//! Administration: branches, users and roles, devices (last sync, revoke a lost phone), the SLA
//! setting, and the audit log. Every change here is written to the audit log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use mandoob_shared::ids::{BranchCode, DeviceCode, UserId};
use mandoob_shared::workflow::{DayCount, Role};

use super::{Console, csrf_field, date_time_of, layout, message_page, sla};
use crate::api::AppState;
use crate::auth;
use crate::error::ApiError;
use crate::storage::UserRecord;
use mandoob_shared::sync::LibraryDocument;

fn internal(e: impl Into<ApiError>) -> Response {
    e.into().into_response()
}

pub async fn page(State(state): State<AppState>, cx: Console) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    let branches = state.storage.branches().await.map_err(internal)?;
    let users = state.storage.users().await.map_err(internal)?;
    let devices = state.storage.devices().await.map_err(internal)?;
    let sla = sla(&state).await;
    let library = state.storage.library().await.map_err(internal)?;
    let t = &cx.t;
    let body = html! {
        section #devices {
            h2 { (t.text("console-devices")) }
            table {
                thead { tr { th { (t.text("console-device")) } th { (t.text("console-user")) } th { (t.text("console-device-name")) } th { (t.text("console-last-sync")) } th {} } }
                tbody {
                    @for d in &devices {
                        tr data-device=(d.code.as_str()) {
                            td { (d.code.as_str()) }
                            td { (d.user.as_str()) }
                            td { (d.name) }
                            td { (d.last_sync.map(date_time_of).unwrap_or_else(|| t.text("console-never"))) }
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
            table {
                thead { tr { th { (t.text("signin-username")) } th { (t.text("console-name")) } th { (t.text("console-role")) } th { (t.text("console-branch")) } th {} } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.id.as_str()) }
                            td { (u.display_name) }
                            td { (t.text(&u.role.label_key())) }
                            td { (u.branch.as_str()) }
                            td {
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
                label { (t.text("signin-username")) input name="username" required pattern="[a-z0-9._-]{2,40}"; }
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
) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    let found = state
        .storage
        .revoke_device(&DeviceCode::new(code.clone()))
        .await
        .map_err(internal)?;
    if !found {
        return Err(message_page(
            cx.lang,
            StatusCode::NOT_FOUND,
            "console-no-such-device",
        ));
    }
    tracing::info!(device = %code, by = %cx.session.user.id, "device revoked");
    cx.audit(&state, "revoke-device", &code, "").await;
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
) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    if id == cx.session.user.id.as_str() {
        return Err(message_page(
            cx.lang,
            StatusCode::BAD_REQUEST,
            "console-not-yourself",
        ));
    }
    state
        .storage
        .set_user_active(&UserId::new(id.clone()), form.active)
        .await
        .map_err(internal)?;
    let action = if form.active {
        "activate-user"
    } else {
        "deactivate-user"
    };
    cx.audit(&state, action, &id, "").await;
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
) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    let username = form.username.trim().to_lowercase();
    let valid_name = (2..=40).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    let Some(role) = Role::from_code(&form.role) else {
        return Err(message_page(
            cx.lang,
            StatusCode::BAD_REQUEST,
            "console-bad-form",
        ));
    };
    if !valid_name || form.display_name.trim().is_empty() || form.password.chars().count() < 12 {
        return Err(message_page(
            cx.lang,
            StatusCode::BAD_REQUEST,
            "console-bad-user",
        ));
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| internal(ApiError::Internal(e.to_string())))?
        .map_err(|e| internal(ApiError::Internal(e)))?;
    let user = UserRecord {
        id: UserId::new(username.clone()),
        display_name: form.display_name.trim().to_owned(),
        role,
        branch: BranchCode::new(form.branch.trim()),
        password_hash: hash,
        active: true,
    };
    match state.storage.create_user(&user).await {
        Ok(()) => {}
        Err(crate::storage::StorageError::Conflict(_)) => {
            return Err(message_page(
                cx.lang,
                StatusCode::CONFLICT,
                "console-user-exists",
            ));
        }
        Err(e) => return Err(internal(e)),
    }
    cx.audit(&state, "create-user", &username, role.code())
        .await;
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
) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    let code = form.code.trim().to_uppercase();
    // Branch codes start every case reference (QRN-D7-00042): short capital letters.
    if !(2..=6).contains(&code.len())
        || !code.bytes().all(|b| b.is_ascii_uppercase())
        || form.name.trim().is_empty()
    {
        return Err(message_page(
            cx.lang,
            StatusCode::BAD_REQUEST,
            "console-bad-branch",
        ));
    }
    match state
        .storage
        .create_branch(&BranchCode::new(code.clone()), form.name.trim())
        .await
    {
        Ok(()) => {}
        Err(crate::storage::StorageError::Conflict(_)) => {
            return Err(message_page(
                cx.lang,
                StatusCode::CONFLICT,
                "console-branch-exists",
            ));
        }
        Err(e) => return Err(internal(e)),
    }
    cx.audit(&state, "create-branch", &code, form.name.trim())
        .await;
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
) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    if !(1..=90).contains(&form.days) || !matches!(form.count.as_str(), "calendar" | "working") {
        return Err(message_page(
            cx.lang,
            StatusCode::BAD_REQUEST,
            "console-bad-form",
        ));
    }
    state
        .storage
        .set_setting("sla_days", &form.days.to_string())
        .await
        .map_err(internal)?;
    state
        .storage
        .set_setting("sla_count", &form.count)
        .await
        .map_err(internal)?;
    cx.audit(
        &state,
        "set-sla",
        "sla",
        &format!("{} {}", form.days, form.count),
    )
    .await;
    Ok(Redirect::to("/console/admin#sla").into_response())
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    title_ar: String,
    title_en: String,
    body_ar: String,
    body_en: String,
}

/// The most text one reference document may hold (it travels to every device).
const MAX_DOCUMENT_CHARS: usize = 200_000;

pub async fn publish(
    State(state): State<AppState>,
    cx: Console,
    axum::Form(form): axum::Form<PublishForm>,
) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    let parts = [&form.title_ar, &form.title_en, &form.body_ar, &form.body_en];
    if parts.iter().any(|p| p.trim().is_empty())
        || parts.iter().map(|p| p.chars().count()).sum::<usize>() > MAX_DOCUMENT_CHARS
    {
        return Err(message_page(
            cx.lang,
            StatusCode::BAD_REQUEST,
            "console-bad-document",
        ));
    }
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).map_err(|e| internal(ApiError::Internal(e.to_string())))?;
    let doc = LibraryDocument {
        id: hex::encode(raw),
        title_ar: form.title_ar.trim().to_owned(),
        title_en: form.title_en.trim().to_owned(),
        // Line endings as a browser sends them (CRLF) are stored as plain newlines.
        body_ar: form.body_ar.replace("\r\n", "\n").trim().to_owned(),
        body_en: form.body_en.replace("\r\n", "\n").trim().to_owned(),
        published_at: chrono::Utc::now().timestamp_millis(),
    };
    state
        .storage
        .publish_document(&doc)
        .await
        .map_err(internal)?;
    crate::api::refresh_library_version(&state)
        .await
        .map_err(IntoResponse::into_response)?;
    cx.audit(&state, "publish-document", &doc.id, &doc.title_en)
        .await;
    Ok(Redirect::to("/console/admin#library").into_response())
}

pub async fn retire(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    if !state.storage.retire_document(&id).await.map_err(internal)? {
        return Err(message_page(
            cx.lang,
            StatusCode::NOT_FOUND,
            "console-no-such-document",
        ));
    }
    crate::api::refresh_library_version(&state)
        .await
        .map_err(IntoResponse::into_response)?;
    cx.audit(&state, "retire-document", &id, "").await;
    Ok(Redirect::to("/console/admin#library").into_response())
}

pub async fn audit(State(state): State<AppState>, cx: Console) -> Result<Response, Response> {
    cx.require(&[Role::Administrator])?;
    let entries = state.storage.audit_log(1000).await.map_err(internal)?;
    let t = &cx.t;
    let body = html! {
        table.audit {
            thead { tr { th { (t.text("console-date")) } th { (t.text("console-user")) } th { (t.text("console-action")) } th { (t.text("console-target")) } th { (t.text("console-detail")) } } }
            tbody {
                @for e in &entries {
                    tr { td { (date_time_of(e.at)) } td { (e.user.as_str()) } td { (e.action) } td { (e.target) } td { (e.detail) } }
                }
            }
        }
    };
    Ok(layout(&cx, "audit", &cx.t.text("console-nav-audit"), body).into_response())
}

/// Decodes every administration form as its handler does (`super::fuzz_forms`).
pub(super) fn fuzz_forms(data: &[u8]) {
    let _ = serde_urlencoded::from_bytes::<ActiveForm>(data);
    let _ = serde_urlencoded::from_bytes::<NewUserForm>(data);
    let _ = serde_urlencoded::from_bytes::<BranchForm>(data);
    let _ = serde_urlencoded::from_bytes::<SlaForm>(data);
    let _ = serde_urlencoded::from_bytes::<PublishForm>(data);
}
