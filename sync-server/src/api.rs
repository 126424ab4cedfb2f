//! The device API: sign-in, sync, blobs.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};

use mandoob_shared::doc::CaseDoc;
use mandoob_shared::ids::{DeviceCode, UserId};
use mandoob_shared::sync::{self as wire, *};

use crate::auth;
use crate::error::ApiError;
use crate::push::{self, PushLookups, Pusher};
use crate::storage::{
    AuthSession, BlobAccess, BlobState, BlobViewer, ImportedCase, Scope, Storage, StorageError,
    UploadPart, UserRecord,
};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    /// One lock per case: a push reads the case, checks and appends changes and writes its
    /// snapshot under it, so that read-check-write is atomic while other cases go on.
    pub case_locks: Arc<crate::push::CaseLocks>,
    pub max_page: u32,
    /// Failed sign-ins per account (device API and console).
    pub sign_in_limiter: Arc<auth::SignInLimiter>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

/// The session of the bearer token on a request.
#[derive(Debug, Clone)]
pub struct Authenticated(pub AuthSession);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized("sign in first (no bearer token)"))?;
        let session = state
            .storage
            .session(&auth::token_hash(token.trim()))
            .await?
            .ok_or(ApiError::Unauthorized(
                "this device is not signed in, or it was revoked",
            ))?;
        Ok(Self(session))
    }
}

fn scope_of(session: &AuthSession) -> Scope {
    if push::branch_bound(session.user.role) {
        Scope::Branch(session.user.branch.clone())
    } else {
        Scope::All
    }
}

fn viewer_of(session: &AuthSession) -> BlobViewer {
    BlobViewer {
        device: session.device.clone(),
        user: session.user.id.clone(),
        scope: scope_of(session),
    }
}

/// `POST /api/v1/login`: username and password once; a device token back.
pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let user = match verify_sign_in(&state, &req.username, &req.password).await? {
        SignIn::Ok(user) => user,
        SignIn::Wrong => return Err(ApiError::Unauthorized("wrong username or password")),
        SignIn::Locked(wait) => {
            return Err(ApiError::TooManyRequests(format!(
                "too many failed sign-ins for this account; try again in {} minutes",
                wait.as_secs().div_ceil(60).max(1)
            )));
        }
    };
    let (token, token_hash) = auth::new_token().map_err(ApiError::Internal)?;
    let name = if req.device_name.trim().is_empty() {
        "device"
    } else {
        req.device_name.trim()
    };
    let device = state
        .storage
        .create_device(&user.id, name, &token_hash, Utc::now().timestamp_millis())
        .await?;
    tracing::info!(user = %user.id, %device, "device signed in");
    Ok(Json(LoginResponse {
        token,
        user: user.id,
        display_name: user.display_name,
        role: user.role,
        branch: user.branch,
        device,
    }))
}

/// `GET /api/v1/library`: the published reference documents, or 304 when the device's copy
/// (its `If-None-Match`) is current.
pub async fn library(
    State(state): State<AppState>,
    Authenticated(_session): Authenticated,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let documents = state.storage.library().await?;
    let version = library_version(&documents);
    let etag = format!("\"{version}\"");
    let current = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if current {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok(([(header::ETAG, etag)], Json(Library { version, documents })).into_response())
}

/// The setting that holds the library's current version.
pub const LIBRARY_VERSION: &str = "library_version";

/// Recomputes and keeps the library's version (after a document is published or withdrawn).
pub async fn refresh_library_version(state: &AppState) -> Result<(), ApiError> {
    let version = library_version(&state.storage.library().await?);
    state.storage.set_setting(LIBRARY_VERSION, &version).await?;
    Ok(())
}

/// A version naming exactly this set of documents (empty for none, as on a new device).
pub fn library_version(documents: &[LibraryDocument]) -> String {
    if documents.is_empty() {
        return String::new();
    }
    let mut hash = Sha256::new();
    for d in documents {
        for part in [&d.id, &d.title_ar, &d.title_en, &d.body_ar, &d.body_en] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        hash.update(d.published_at.to_le_bytes());
    }
    hex::encode(&hash.finalize()[..12])
}

/// What a sign-in attempt comes to.
pub(crate) enum SignIn {
    Ok(UserRecord),
    Wrong,
    /// Too many failures for this account: try again after this long.
    Locked(std::time::Duration),
}

/// Checks a username and password (device API and console), counting failures per account.
pub(crate) async fn verify_sign_in(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<SignIn, ApiError> {
    if let Err(wait) = state.sign_in_limiter.check(username) {
        return Ok(SignIn::Locked(wait));
    }
    let user = state.storage.user(&UserId::new(username.trim())).await?;
    // An unknown user costs the same argon2 work as a known one, so timing does not tell
    // which usernames exist.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(unknown_user_hash);
    let password = password.to_owned();
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    match user {
        Some(user) if ok && user.active => {
            state.sign_in_limiter.succeeded(username);
            Ok(SignIn::Ok(user))
        }
        _ => {
            state.sign_in_limiter.failed(username);
            Ok(SignIn::Wrong)
        }
    }
}

/// An argon2id hash of a random password nobody knows (verified against for unknown users),
/// made once per process.
fn unknown_user_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let mut secret = [0u8; 32];
        let _ = getrandom::fill(&mut secret);
        auth::hash_password(&hex::encode(secret)).unwrap_or_default()
    })
    .clone()
}

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
    wire::check_version(req.protocol).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    push::check_push_limits(&req.push).map_err(ApiError::TooLarge)?;
    let mut pushed = Vec::with_capacity(req.push.len());
    if !req.push.is_empty() {
        let enrolled_at = Some(session.enrolled_at);
        let viewer = viewer_of(&session);
        for doc in req.push {
            let _guard = state.case_locks.lock(&doc.case).await;
            pushed.push(
                push_one(
                    &state,
                    &session.user,
                    Some((&session.device, enrolled_at, &viewer)),
                    doc,
                )
                .await?,
            );
        }
    }
    let scope = scope_of(&session);
    let page = req.page.clamp(1, state.max_page);
    let mut pulled = Vec::new();
    let (cursor, whole_after, more);
    if req.cursor == 0 || req.whole_after.is_some() {
        let (docs, head) = state
            .storage
            .whole_documents(&scope, req.whole_after.as_ref(), page)
            .await?;
        let full = docs.len() as u32 == page;
        let last = docs.last().map(|d| d.case.clone());
        for d in docs {
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
            head
        };
        whole_after = if full { last } else { None };
        more = full;
    } else {
        let changes = state
            .storage
            .changes_after(&scope, req.cursor, page)
            .await?;
        more = changes.len() as u32 == page;
        cursor = changes.last().map_or(req.cursor, |c| c.seq);
        whole_after = None;
        // A device's own changes are not sent back to it (the cursor still moves past them).
        for c in changes
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
        .touch_device(&session.device, Utc::now().timestamp_millis())
        .await?;
    // Kept as a setting when documents are published or withdrawn: a sync does not read
    // (and hash) every document's text.
    let library_version = state
        .storage
        .setting(LIBRARY_VERSION)
        .await?
        .unwrap_or_default();
    Ok(wire_response(wire::encode(&SyncResponse {
        protocol: PROTOCOL_VERSION,
        pushed,
        pulled,
        cursor,
        whole_after,
        more,
        library_version,
        sla: crate::console::sla(&state).await,
    })))
}

/// What a push's checks ask of storage, answered from a blocking thread.
struct StorageLookups {
    storage: Arc<dyn Storage>,
    handle: tokio::runtime::Handle,
    viewer: Option<BlobViewer>,
}

impl PushLookups for StorageLookups {
    fn actor_owners(
        &self,
        actors: &[String],
    ) -> Result<std::collections::HashMap<String, UserId>, StorageError> {
        if actors.is_empty() {
            return Ok(Default::default());
        }
        Ok(self
            .handle
            .block_on(self.storage.actor_owners(actors))?
            .into_iter()
            .collect())
    }

    fn blob_access(&self, sha256: &str) -> Result<BlobAccess, StorageError> {
        match &self.viewer {
            Some(viewer) => self
                .handle
                .block_on(self.storage.blob_access(sha256, viewer)),
            // The console adds no photos; what HQ may read, it may refer to.
            None => Ok(BlobAccess::Visible),
        }
    }
}

/// Checks and stores one case's changes, one change at a time, as made by `user` (pushed from
/// a device: its code, enrolment time and view of the photos; or made on the server when
/// `None`). The caller holds the case's lock (`state.case_locks`).
pub(crate) async fn push_one(
    state: &AppState,
    user: &UserRecord,
    device: Option<(&DeviceCode, Option<i64>, &BlobViewer)>,
    push: PushDoc,
) -> Result<PushOutcome, ApiError> {
    let stored = state.storage.case(&push.case).await?;
    if let Some(s) = &stored
        && push::branch_bound(user.role)
        && s.branch != user.branch
    {
        // Not even a hint of what the case holds.
        let refused = push
            .changes
            .iter()
            .map(|c| RefusedChange {
                hash: push::hash_of(&c.0),
                code: "other-branch".into(),
                message: "this case belongs to another branch".into(),
            })
            .collect();
        return Ok(PushOutcome {
            case: push.case,
            accepted: 0,
            refused,
            reset: None,
        });
    }
    let lookups = StorageLookups {
        storage: state.storage.clone(),
        handle: tokio::runtime::Handle::current(),
        viewer: device.map(|(_, _, v)| v.clone()),
    };
    let enrolled_at = device.and_then(|(_, at, _)| at);
    let user_owned = user.clone();
    let case_id = push.case.clone();
    // Loading, merging and reading documents is CPU work: off the async workers.
    let (checked, push) = tokio::task::spawn_blocking(move || {
        let pusher = Pusher {
            user: &user_owned,
            enrolled_at,
            now: Utc::now().timestamp_millis(),
        };
        let checked = push::check_push(
            &pusher,
            stored.as_ref().map(|s| s.snapshot.as_slice()),
            &push,
            &lookups,
        );
        (checked, push)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut checked = checked?;
    if !checked.accepted.is_empty()
        && let Some(case) = &checked.case
    {
        let accepted = std::mem::take(&mut checked.accepted);
        let mut item = ImportedCase::of(case, checked.conflicts, &mut checked.doc, accepted);
        item.authors = Some((user.id.clone(), std::mem::take(&mut checked.actors)));
        match push::check_document_size(&item.snapshot) {
            Ok(()) => {
                state
                    .storage
                    .store_changes(item, device.map(|(d, _, _)| d))
                    .await?;
            }
            Err(message) => {
                // Nothing of this push is kept: the device's copy goes back to the server's.
                for (hash, _) in &item.changes {
                    checked.refused.push(RefusedChange {
                        hash: hash.clone(),
                        code: "too-large".into(),
                        message: message.clone(),
                    });
                }
                checked.count = 0;
                let stored = state.storage.case(&case_id).await?;
                checked.doc = match stored {
                    Some(s) => {
                        CaseDoc::load(&s.snapshot).map_err(|e| ApiError::Internal(e.to_string()))?
                    }
                    None => CaseDoc::empty(),
                };
                checked.case = None;
            }
        }
    }
    if !checked.refused.is_empty() {
        tracing::warn!(user = %user.id, case = %push.case, refused = checked.refused.len(), first = %checked.refused[0].code, "refused pushed changes");
    }
    let exists = !checked.doc.heads().is_empty();
    let reset = if checked.refused.is_empty() || !exists {
        None
    } else {
        Some(wire::Bytes(checked.doc.save()))
    };
    Ok(PushOutcome {
        case: push.case,
        accepted: checked.count,
        refused: checked.refused,
        reset,
    })
}

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
        .blob_in_scope(&sha, &scope_of(&session))
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
