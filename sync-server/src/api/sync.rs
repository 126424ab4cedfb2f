//! `POST /api/v1/sync`: one round of sync. The device pushes its new changes (checked and
//! stored by [`crate::service::push`]) and pulls what it has not seen, a page at a time: whole
//! documents on a first sync, then the changes feed after its cursor. A page holds at most the
//! items and the bytes the device asks for (its byte budget: one item alone may pass it), so
//! that on a slow link each answer arrives in seconds and a cut loses at most one of them.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use mandoob_shared::sync::{self as wire, *};

use super::{ApiError, Authenticated, session_scope, viewer_of};
use crate::push;
use crate::service::push::{FromDevice, push_case};
use crate::service::{library, policy};
use crate::sign_in_limits::ClientAddress;
use crate::state::AppState;
use crate::storage::PullLimit;

fn wire_response(body: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-mandoob-sync"),
        )],
        body,
    )
        .into_response()
}

/// `POST /api/v1/sync`: push, then pull (see `mandoob_shared::sync`).
pub async fn sync(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Authenticated(session): Authenticated,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(
                "the sync request is larger than this server accepts; sync again in smaller pages"
                    .into(),
            )
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    let req: SyncRequest = wire::decode(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    wire::check_version(req.protocol).map_err(|e| ApiError::Outdated(e.to_string()))?;
    push::check_push_limits(&req.push).map_err(ApiError::TooLarge)?;
    let mut pushed = Vec::with_capacity(req.push.len());
    if !req.push.is_empty() {
        let viewer = viewer_of(&session);
        let device = FromDevice {
            code: &session.device,
            enrolled_at: session.enrolled_at,
            viewer: &viewer,
        };
        for doc in req.push {
            pushed.push(push_case(&state, &session.user, Some(device), doc).await?);
        }
    }
    let scope = session_scope(&session);
    let limit = PullLimit {
        items: req.page.clamp(1, state.max_page),
        // A device from before budgets gets pages counted in items only, as it always did.
        bytes: req.budget.map_or(u64::MAX, u64::from),
        device: Some(session.device.clone()),
    };
    let mut pulled = Vec::new();
    let (cursor, whole_after, more, remaining);
    if req.cursor == 0 || req.whole_after.is_some() {
        let page = state
            .storage
            .whole_page(&scope, req.whole_after.as_ref(), &limit)
            .await?;
        let last = page.docs.last().map(|d| d.case.clone());
        for d in page.docs {
            pulled.push(Pulled::Whole {
                case: d.case,
                doc: wire::Bytes(d.snapshot),
                summary: d.summary.map(Box::new),
            });
        }
        // The first page fixes the cursor: later pages may include newer changes too, which
        // arrive again from the feed and are ignored as already present.
        cursor = if req.whole_after.is_some() {
            req.cursor
        } else {
            page.head
        };
        whole_after = if page.more { last } else { None };
        more = page.more;
        remaining = page.remaining;
    } else {
        let page = state
            .storage
            .changes_page(&scope, req.cursor, &limit)
            .await?;
        more = page.more;
        remaining = page.remaining;
        cursor = page.changes.last().map_or(req.cursor, |c| c.seq);
        whole_after = None;
        // A device's own changes are not sent back to it (the cursor still moves past them).
        for c in page
            .changes
            .into_iter()
            .filter(|c| c.device.as_ref() != Some(&session.device))
        {
            match pulled.last_mut() {
                Some(Pulled::Changes { case, changes }) if *case == c.case => {
                    changes.push(wire::Bytes(c.bytes));
                }
                _ => pulled.push(Pulled::Changes {
                    case: c.case,
                    changes: vec![wire::Bytes(c.bytes)],
                }),
            }
        }
    }
    state
        .storage
        .touch_device(
            &session.device,
            Utc::now().timestamp_millis(),
            &address.to_string(),
        )
        .await?;
    let library_version = library::current_version(state.storage.as_ref()).await?;
    Ok(wire_response(wire::encode(&SyncResponse {
        protocol: PROTOCOL_VERSION,
        pushed,
        pulled,
        cursor,
        whole_after,
        more,
        library_version,
        sla: policy::sla(state.storage.as_ref()).await,
        remaining: Some(remaining),
    })))
}
