//! Photos: which a device still has to upload, resumable uploads (per device, verified against
//! their SHA-256 name before anyone can read them) and downloads within the reader's scope.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};

use mandoob_shared::sync::{self as wire, MissingBlobs};

use super::{ApiError, Authenticated, session_scope, viewer_of};
use crate::state::AppState;
use crate::storage::{BlobState, StorageError, UploadPart};

/// `POST /api/v1/blobs/missing`: which of these this device has not uploaded yet, or cannot
/// read (a photo's existence is not told outside the reader's scope).
pub async fn missing_blobs(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Json(req): Json<MissingBlobs>,
) -> Result<Json<MissingBlobs>, ApiError> {
    let viewer = viewer_of(&session);
    let mut missing = Vec::new();
    for sha in req.sha256.into_iter().take(10_000) {
        if valid_sha(&sha).is_err() {
            continue;
        }
        if !matches!(
            state.storage.blob_state(&sha, &viewer).await?,
            BlobState::Complete(_)
        ) {
            missing.push(sha);
        }
    }
    Ok(Json(MissingBlobs { sha256: missing }))
}

fn valid_sha(sha: &str) -> Result<(), ApiError> {
    if mandoob_shared::schema::is_sha256(sha) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "a blob is named by its lowercase hex SHA-256".into(),
        ))
    }
}

/// `HEAD /api/v1/blobs/{sha}`: `Upload-Offset` says how much of this device's upload has
/// arrived (resume from there); 200 when the blob is complete and readable by the device.
pub async fn blob_status(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    valid_sha(&sha)?;
    let (status, offset) = match state.storage.blob_state(&sha, &viewer_of(&session)).await? {
        BlobState::Complete(n) => (StatusCode::OK, n),
        BlobState::Partial(n) => (StatusCode::NO_CONTENT, n),
        BlobState::Missing => (StatusCode::NO_CONTENT, 0),
    };
    Ok((status, [("upload-offset", offset.to_string())]).into_response())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::BadRequest(format!("the {name} header is required (a whole number)"))
        })
}

/// How long a partial upload is kept before it must start again.
pub const UPLOAD_EXPIRY_MS: i64 = 24 * 60 * 60 * 1000;
/// How many bytes of unfinished uploads one device may have at once.
pub const UPLOAD_QUOTA_BYTES: u64 = 256 * 1024 * 1024;

/// `PATCH /api/v1/blobs/{sha}` with `Upload-Offset` and `Upload-Length`: appends a part of
/// this device's upload. The last part is verified against the name: a mismatch discards the
/// upload (422). Uploads are per device, at most `MAX_BLOB_BYTES` each and
/// `UPLOAD_QUOTA_BYTES` unfinished at once, and expire after a day.
pub async fn blob_upload(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(sha): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    valid_sha(&sha)?;
    let offset = header_u64(&headers, "upload-offset")?;
    let total = header_u64(&headers, "upload-length")?;
    if total == 0 || total > wire::MAX_BLOB_BYTES {
        return Err(ApiError::TooLarge(format!(
            "Upload-Length must be from 1 to {} bytes",
            wire::MAX_BLOB_BYTES
        )));
    }
    let end = offset
        .checked_add(body.len() as u64)
        .filter(|end| *end <= total)
        .ok_or_else(|| ApiError::BadRequest("the part goes past Upload-Length".into()))?;
    let viewer = viewer_of(&session);
    if let BlobState::Complete(n) = state.storage.blob_state(&sha, &viewer).await? {
        // Idempotent: a retried upload of a complete blob succeeds.
        return Ok((StatusCode::CREATED, [("upload-offset", n.to_string())]).into_response());
    }
    let now_ms = Utc::now().timestamp_millis();
    state
        .storage
        .expire_uploads(now_ms - UPLOAD_EXPIRY_MS)
        .await?;
    let now = state
        .storage
        .append_blob(UploadPart {
            sha256: &sha,
            device: &session.device,
            offset,
            total,
            bytes: &body,
            now: now_ms,
            quota: UPLOAD_QUOTA_BYTES,
        })
        .await
        .map_err(|e| match e {
            StorageError::Quota(m) => ApiError::TooManyRequests(m),
            other => other.into(),
        })?;
    debug_assert_eq!(now, end);
    if now < total {
        return Ok((StatusCode::NO_CONTENT, [("upload-offset", now.to_string())]).into_response());
    }
    // Verified before it becomes visible: a blob is never served under a wrong name.
    let bytes = state.storage.partial_blob(&sha, &session.device).await?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != sha {
        state.storage.discard_blob(&sha, &session.device).await?;
        return Err(ApiError::Unprocessable(format!(
            "the bytes do not match their name (their SHA-256 is {actual}); upload discarded"
        )));
    }
    state
        .storage
        .complete_blob(&sha, &session.device, &session.user.id)
        .await?;
    Ok((StatusCode::CREATED, [("upload-offset", now.to_string())]).into_response())
}

/// `GET /api/v1/blobs/{sha}`: only to a reader of a case that refers to the blob (a branch's
/// photos never reach another branch, whatever name is asked for; an upload no case refers to
/// is served to nobody).
pub async fn blob_download(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    valid_sha(&sha)?;
    if !state
        .storage
        .blob_in_scope(&sha, &session_scope(&session))
        .await?
    {
        // The same answer as for a blob that does not exist: no hint that it does.
        return Err(ApiError::NotFound("no such blob"));
    }
    let bytes = state
        .storage
        .blob(&sha)
        .await?
        .ok_or(ApiError::NotFound("no such blob"))?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
}
