//! One case file in the console: everything the field recorded, the timeline, decisions,
//! referral answers and conflict resolution. Changes made here are automerge changes by the
//! signed-in member, checked and stored exactly like a device's push, so they reach the
//! branch's devices through the changes feed.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use mandoob_shared::doc::{Author, CaseDoc, DocError, FieldConflict, FieldPath};
use mandoob_shared::i18n::Lang;
use mandoob_shared::ids::{CaseId, EventId, RequestId, Timestamp};
use mandoob_shared::model::{CaseFile, Member, WorkflowEvent};
use mandoob_shared::sync::{self as wire, PushDoc};
use mandoob_shared::workflow::{self, EventKind, RequestState, SlaPolicy};

use mandoob_shared::access::{self, Scope};

mod actions;
mod requests;
mod sections;

pub use actions::{AnswerForm, ResolveForm, answer_referral, resolve};
pub use requests::{DecideForm, decide};
use requests::{RefusedDecision, requests_section};
use sections::*;

use super::{
    Console, ConsoleError, Names, amount, csrf_field, date, day, kwd, layout_with_heading, ltr,
    reference, typed, when,
};
use crate::service::{policy, push::push_case_locked};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    error: String,
    #[serde(default)]
    done: String,
}

/// Only our own message keys are shown from a query string (never arbitrary text).
fn notice_key(key: &str) -> Option<&str> {
    (key.starts_with("console-") || key.starts_with("refusal-")).then_some(key)
}

/// The stored case, if it exists and is in the user's scope.
async fn load(state: &AppState, cx: &Console, id: &str) -> Result<CaseDoc, ConsoleError> {
    let not_found = || ConsoleError::new(StatusCode::NOT_FOUND, "console-no-such-case");
    // Case ids are UUIDs (the schema refuses any other): nothing else reaches a link or a form.
    if !mandoob_shared::schema::is_uuid(id) {
        return Err(not_found());
    }
    let stored = state
        .storage
        .case(&CaseId::new(id))
        .await?
        .ok_or_else(not_found)?;
    if !cx.scope().contains(&stored.branch) {
        return Err(not_found());
    }
    CaseDoc::load(&stored.snapshot).map_err(|e| {
        tracing::error!(case = id, error = %e, "stored case does not load");
        ConsoleError::failed()
    })
}

fn name(lang: Lang, m: &Member) -> &str {
    match lang {
        Lang::En if !m.name_en.is_empty() => &m.name_en,
        _ => &m.name_ar,
    }
}

pub async fn view(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, ConsoleError> {
    page(&state, &cx, &id, &notice, None).await
}

/// The case's page; with `refused`, the decision form comes back as it was typed, with the
/// reason it was refused beside the field it concerns (answered 422).
async fn page(
    state: &AppState,
    cx: &Console,
    id: &str,
    notice: &Notice,
    refused: Option<&RefusedDecision>,
) -> Result<Response, ConsoleError> {
    let mut doc = load(state, cx, id).await?;
    let (case, _) = doc
        .read_with_conflicts()
        .map_err(|_| ConsoleError::failed())?;
    let conflicts = doc.conflicts().unwrap_or_default();
    let states = workflow::derive(&case);
    let sla = policy::sla(state.storage.as_ref()).await;
    let names = Names::load(state).await?;
    // Which of its photos have arrived (a device may not have sent them yet).
    let scope = cx.scope();
    let mut present = Photos::new();
    for sha in case
        .documents
        .iter()
        .flat_map(|d| [&d.sha256, &d.thumbnail_sha256])
        .filter(|s| !s.is_empty())
    {
        if state
            .storage
            .blob_in_scope(sha, &scope)
            .await
            .unwrap_or(false)
        {
            present.insert(sha.clone());
        }
    }
    let t = &cx.t;
    let title = format!(
        "{} · {}",
        case.reference.as_str(),
        case.head().map(|h| name(cx.lang, h)).unwrap_or("")
    );
    let body = html! {
        @if let Some(k) = notice_key(&notice.error) { p.error role="alert" { (t.text(k)) } }
        @if let Some(k) = notice_key(&notice.done) { p.done role="status" { (t.text(k)) } }
        (requests_section(cx, &names, &case, &states, &sla, &present, refused))
        @if !conflicts.is_empty() { (conflicts_section(cx, &names, &case, &conflicts)) }
        (household_section(cx, &names, &case))
        (documents_section(cx, &case, &present))
        (visits_section(cx, &names, &case))
        (timeline_section(cx, &names, &case, &states))
        (referrals_section(cx, &names, &case))
        (contacts_section(cx, &case))
        (services_section(cx, &case))
        (surveys_section(cx, &case))
    };
    let heading = html! {
        (reference(case.reference.as_str()))
        @if let Some(h) = case.head() { " · " (typed(name(cx.lang, h))) }
    };
    let page = layout_with_heading(cx, "queue", &title, heading, body);
    Ok(match refused {
        Some(_) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        None => page.into_response(),
    })
}

/// Applies `edit` to the stored case as the signed-in user, through the same checks as a
/// device's push. Returns the refusal message key when the change was refused.
async fn change_case(
    state: &AppState,
    cx: &Console,
    id: &str,
    edit: impl FnOnce(&mut CaseDoc, &Author) -> Result<(), DocError>,
) -> Result<(), ConsoleError> {
    let guard = state.case_locks.lock(&CaseId::new(id)).await;
    let mut doc = load(state, cx, id).await?;
    let before = doc.heads();
    let author = Author {
        user: cx.session.user.id.clone(),
        at: Timestamp::now(),
    };
    edit(&mut doc, &author).map_err(|e| {
        tracing::warn!(case = id, error = %e, "console edit refused");
        ConsoleError::new(StatusCode::UNPROCESSABLE_ENTITY, "console-refused")
    })?;
    let changes = doc.changes_since(&before);
    if changes.is_empty() {
        return Ok(());
    }
    // Checked and stored exactly like a device's push, still under the lock taken before the
    // case was read.
    let outcome = push_case_locked(
        state,
        &guard,
        &cx.session.user,
        None,
        PushDoc {
            case: CaseId::new(id),
            changes: changes.into_iter().map(wire::Bytes).collect(),
        },
    )
    .await?;
    if let Some(r) = outcome.refused.first() {
        tracing::warn!(case = id, code = %r.code, message = %r.message, "console change refused");
        return Err(ConsoleError::Redirect(format!(
            "/console/cases/{id}?error=console-refused"
        )));
    }
    Ok(())
}

/// A photo or signature of a case the user may read (404 otherwise, as for a missing one).
pub async fn blob(
    State(state): State<AppState>,
    cx: Console,
    Path(sha): Path<String>,
) -> Result<Response, ConsoleError> {
    let missing = || ConsoleError::new(StatusCode::NOT_FOUND, "console-no-such-case");
    if !mandoob_shared::schema::is_sha256(&sha) {
        return Err(missing());
    }
    let scope: Scope = cx.scope();
    let readable = state
        .storage
        .blob_in_scope(&sha, &scope)
        .await
        .unwrap_or(false);
    if !readable {
        return Err(missing());
    }
    let Some(bytes) = state.storage.blob(&sha).await.ok().flatten() else {
        return Err(missing());
    };
    let kind = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(b"RIFF") {
        "image/webp"
    } else {
        "image/jpeg"
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
        ],
        bytes,
    )
        .into_response())
}
