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
use mandoob_shared::workflow::Role;

use crate::auth;
use crate::authz;
use crate::error::ApiError;
use crate::storage::{AuthSession, BlobState, ImportedCase, Scope, Storage, UserRecord};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    /// Pushes are applied one at a time: each reads a case, checks and appends changes, and
    /// writes its snapshot; serializing them keeps that read-check-write atomic.
    pub push_lock: Arc<tokio::sync::Mutex<()>>,
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
    match session.user.role {
        Role::Representative | Role::SocialResearcher => Scope::Branch(session.user.branch.clone()),
        Role::Committee | Role::Administrator => Scope::All,
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
    let mut pushed = Vec::with_capacity(req.push.len());
    if !req.push.is_empty() {
        let _guard = state.push_lock.lock().await;
        for doc in req.push {
            pushed.push(push_one(&state, &session.user, Some(&session.device), doc).await?);
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

/// Checks and stores one case's changes, one change at a time, as made by `user` (pushed from
/// `device`, or made on the server when `None`). The caller holds `state.push_lock`.
pub(crate) async fn push_one(
    state: &AppState,
    user: &UserRecord,
    device: Option<&DeviceCode>,
    push: PushDoc,
) -> Result<PushOutcome, ApiError> {
    let stored = state.storage.case(&push.case).await?;
    let mut refused = Vec::new();
    let mut accepted: Vec<(String, Vec<u8>)> = Vec::new();
    let mut count = 0u32;
    let mut doc = match &stored {
        Some(s) => CaseDoc::load(&s.snapshot).map_err(|e| ApiError::Internal(e.to_string()))?,
        None => CaseDoc::empty(),
    };
    if let Some(s) = &stored
        && matches!(user.role, Role::Representative | Role::SocialResearcher)
        && s.branch != user.branch
    {
        // Not even a hint of what the case holds.
        for c in &push.changes {
            refused.push(refusal(
                c,
                "other-branch",
                "this case belongs to another branch",
            ));
        }
        return Ok(PushOutcome {
            case: push.case,
            accepted: 0,
            refused,
            reset: None,
        });
    }
    let mut before = match stored {
        Some(_) => Some(
            doc.read_with_conflicts()
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .0,
        ),
        None => None,
    };
    let mut conflicts = false;
    for change in &push.changes {
        let parsed = match automerge::Change::try_from(change.0.as_slice()) {
            Ok(p) => p,
            Err(e) => {
                refused.push(refusal(
                    change,
                    "damaged",
                    &format!("the change is damaged: {e}"),
                ));
                continue;
            }
        };
        let hash = parsed.hash();
        if doc.has_change(&hash) {
            count += 1;
            continue;
        }
        let mut trial = doc.clone();
        if trial
            .apply_changes(std::slice::from_ref(&change.0))
            .is_err()
            || !trial.has_change(&hash)
        {
            refused.push(refusal(
                change,
                "missing-dependency",
                "the change depends on a change the server does not have (or refused)",
            ));
            continue;
        }
        let (after, after_conflicts) = match trial.read_with_conflicts() {
            Ok(a) => a,
            Err(e) => {
                refused.push(refusal(
                    change,
                    "invalid",
                    &format!("not a valid case file: {e}"),
                ));
                continue;
            }
        };
        if after.id != push.case {
            refused.push(refusal(
                change,
                "wrong-case",
                "the change belongs to another case",
            ));
            continue;
        }
        match authz::check(user, before.as_ref(), &after) {
            Ok(()) => {
                accepted.push((hash.to_string(), change.0.clone()));
                count += 1;
                doc = trial;
                before = Some(after);
                conflicts = after_conflicts;
            }
            Err(denied) => refused.push(refusal(change, denied.code, &denied.message)),
        }
    }
    if !accepted.is_empty()
        && let Some(case) = &before
    {
        let item = ImportedCase::of(case, conflicts, &mut doc, accepted);
        state.storage.store_changes(item, device).await?;
    }
    if !refused.is_empty() {
        tracing::warn!(user = %user.id, case = %push.case, refused = refused.len(), "refused pushed changes");
    }
    let reset = if refused.is_empty() || before.is_none() {
        None
    } else {
        Some(wire::Bytes(doc.save()))
    };
    Ok(PushOutcome {
        case: push.case,
        accepted: count,
        refused,
        reset,
    })
}

fn refusal(change: &wire::Bytes, code: &str, message: &str) -> RefusedChange {
    let hash = automerge::Change::try_from(change.0.as_slice())
        .map(|c| c.hash().to_string())
        .unwrap_or_default();
    RefusedChange {
        hash,
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// `POST /api/v1/blobs/missing`: which of these the server does not have complete.
pub async fn missing_blobs(
    State(state): State<AppState>,
    _auth: Authenticated,
    Json(req): Json<MissingBlobs>,
) -> Result<Json<MissingBlobs>, ApiError> {
    let mut missing = Vec::new();
    for sha in req.sha256.into_iter().take(10_000) {
        if !matches!(
            state.storage.blob_state(&sha).await?,
            BlobState::Complete(_)
        ) {
            missing.push(sha);
        }
    }
    Ok(Json(MissingBlobs { sha256: missing }))
}

fn valid_sha(sha: &str) -> Result<(), ApiError> {
    if sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "a blob is named by its lowercase hex SHA-256".into(),
        ))
    }
}

/// `HEAD /api/v1/blobs/{sha}`: `Upload-Offset` says how much has arrived (resume from there).
pub async fn blob_status(
    State(state): State<AppState>,
    _auth: Authenticated,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    valid_sha(&sha)?;
    let (status, offset) = match state.storage.blob_state(&sha).await? {
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
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::BadRequest(format!("the {name} header is required")))
}

/// `PATCH /api/v1/blobs/{sha}` with `Upload-Offset` and `Upload-Length`: appends a part. The
/// last part is verified against the name: a mismatch discards the upload (422).
pub async fn blob_upload(
    State(state): State<AppState>,
    _auth: Authenticated,
    Path(sha): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    valid_sha(&sha)?;
    let offset = header_u64(&headers, "upload-offset")?;
    let total = header_u64(&headers, "upload-length")?;
    if let BlobState::Complete(n) = state.storage.blob_state(&sha).await? {
        // Idempotent: a retried upload of a complete blob succeeds.
        return Ok((StatusCode::CREATED, [("upload-offset", n.to_string())]).into_response());
    }
    if offset + body.len() as u64 > total {
        return Err(ApiError::BadRequest(
            "the part goes past Upload-Length".into(),
        ));
    }
    let now = state.storage.append_blob(&sha, offset, &body).await?;
    if now < total {
        return Ok((StatusCode::NO_CONTENT, [("upload-offset", now.to_string())]).into_response());
    }
    // Verified before it becomes visible: a blob is never served under a wrong name.
    let bytes = state.storage.partial_blob(&sha).await?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != sha {
        state.storage.discard_blob(&sha).await?;
        return Err(ApiError::Unprocessable(format!(
            "the bytes do not match their name (their SHA-256 is {actual}); upload discarded"
        )));
    }
    state.storage.complete_blob(&sha).await?;
    Ok((StatusCode::CREATED, [("upload-offset", now.to_string())]).into_response())
}

/// `GET /api/v1/blobs/{sha}`: only to a reader of a case that refers to the blob (a branch's
/// photos never reach another branch, whatever name is asked for).
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
