//! Administration: branches, users and roles, devices (last sync, revoke a lost phone), the SLA
//! setting and the library. The rules and the audit are the services'
//! ([`crate::service::accounts`], [`crate::service::library`], [`crate::service::policy`]);
//! these handlers decode the forms and render ([`page`]). A change done says so on the page
//! (beside what it changed); a form refused comes back as typed, with the reason beside the
//! field that was refused (the password excepted: it is never sent back).

mod held;
mod page;
mod user;

pub use held::{apply as apply_held, discard as discard_held};
pub use user::{approve, reset_password, set_role, user_page};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use mandoob_shared::access::may_administer;
use mandoob_shared::workflow::Role;

use super::{Console, ConsoleError};
use crate::service::ServiceError;
use crate::service::accounts::{self, NewUser, Rule};
use crate::service::library::{self, DocumentRule, NewDocument};
use crate::service::policy;
use crate::state::AppState;
use page::{Drafts, Refused, render};

/// What the page was sent back with after a change: a confirmation's key (`console-done-…`),
/// or the username of an account just created.
#[derive(Debug, Deserialize, Default)]
pub struct AdminQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    created: String,
}

pub async fn page(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<AdminQuery>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let drafts = Drafts {
        done: Some(q.done).filter(|k| k.starts_with("console-done-")),
        created: Some(q.created).filter(|c| !c.is_empty()),
        ..Drafts::default()
    };
    render(&state, &cx, StatusCode::OK, drafts).await
}

/// Back to the page, saying what was done, at the section it was done in.
fn done(key: &str, section: &str) -> Response {
    Redirect::to(&format!("/console/admin?done={key}#{section}")).into_response()
}

/// `GET`: asks to confirm revoking a device, naming it and its owner.
pub async fn confirm_revoke(
    State(state): State<AppState>,
    cx: Console,
    Path(code): Path<String>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let devices = state.storage.devices().await?;
    let Some(device) = devices
        .iter()
        .find(|d| d.code.as_str() == code && !d.revoked)
    else {
        return Ok(Redirect::to("/console/admin#devices").into_response());
    };
    let users = state.storage.users().await?;
    let owner = users
        .iter()
        .find(|u| u.id == device.user)
        .map(|u| u.display_name.clone())
        .unwrap_or_else(|| device.user.as_str().to_owned());
    Ok(page::revoke_confirmation(&cx, device, &owner).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    /// `yes` from the confirmation page; anything else asks first.
    #[serde(default)]
    confirm: String,
}

/// `POST`: revokes the device once confirmed (audited); unconfirmed, asks first.
pub async fn revoke(
    State(state): State<AppState>,
    cx: Console,
    Path(code): Path<String>,
    axum::Form(form): axum::Form<RevokeForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    if form.confirm != "yes" {
        // Only a device code goes into the location (letters, digits, dashes).
        let back = if !code.is_empty()
            && code.len() <= 40
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            format!("/console/admin/devices/{code}/revoke")
        } else {
            "/console/admin#devices".to_owned()
        };
        return Ok(Redirect::to(&back).into_response());
    }
    accounts::revoke_device(state.storage.as_ref(), &code, &cx.by()).await?;
    Ok(done("console-done-device-revoked", "devices"))
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
    Ok(done(
        if form.active {
            "console-done-user-activated"
        } else {
            "console-done-user-deactivated"
        },
        "users",
    ))
}

/// Unlocks an account the sign-in limits locked.
pub async fn unlock(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    accounts::unlock_user(state.storage.as_ref(), &id, &cx.by()).await?;
    Ok(done("console-done-user-unlocked", "users"))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
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
    match accounts::create_user(state.storage.as_ref(), new, &cx.by()).await {
        Ok(id) => Ok(Redirect::to(&format!("/console/admin?created={id}#users")).into_response()),
        Err(ServiceError::Rule(rule)) => {
            let field = match rule {
                Rule::Username | Rule::UserExists(_) => "username",
                Rule::Name => "display_name",
                Rule::Password | Rule::CommonPassword => "password",
                Rule::BranchCode | Rule::UnknownBranch(_) => "branch",
                _ => "",
            };
            let drafts = Drafts {
                user: Some((form, Refused::new(field, rule.key()))),
                ..Drafts::default()
            };
            render(&state, &cx, status_of(&rule), drafts).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BranchForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

pub async fn create_branch(
    State(state): State<AppState>,
    cx: Console,
    axum::Form(form): axum::Form<BranchForm>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    match accounts::create_branch(state.storage.as_ref(), &form.code, &form.name, &cx.by()).await {
        Ok(_) => Ok(done("console-done-branch-created", "branches")),
        Err(ServiceError::Rule(rule)) => {
            let field = match rule {
                Rule::Name => "name",
                _ => "code",
            };
            let drafts = Drafts {
                branch: Some((form, Refused::new(field, rule.key()))),
                ..Drafts::default()
            };
            render(&state, &cx, status_of(&rule), drafts).await
        }
        Err(e) => Err(e.into()),
    }
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
    Ok(done("console-done-sla-saved", "sla"))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    title_ar: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    body_ar: String,
    #[serde(default)]
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
    match library::publish(state.storage.as_ref(), new, &cx.by()).await? {
        Ok(_) => Ok(done("console-done-published", "library")),
        Err(rule) => {
            let drafts = Drafts {
                document: Some((form, Refused::new("", "console-bad-document"))),
                ..Drafts::default()
            };
            let status = match rule {
                DocumentRule::NotFound => StatusCode::NOT_FOUND,
                DocumentRule::Invalid => StatusCode::BAD_REQUEST,
            };
            render(&state, &cx, status, drafts).await
        }
    }
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
    Ok(done("console-done-retired", "library"))
}

/// The status of a page that sends a refused form back.
fn status_of(rule: &Rule) -> StatusCode {
    match rule {
        Rule::UserExists(_) | Rule::BranchExists(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
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
    user::fuzz_forms(data);
}
