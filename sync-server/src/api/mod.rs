//! The device API (`/api/v1/…`): sign-in, sync, photos and the library. A thin adapter: it
//! authenticates the bearer token, decodes requests, calls [`crate::service`] and encodes the
//! answers; the rules live in the services.
//!
//! - [`auth`]: `POST /api/v1/login`;
//! - [`sync`]: `POST /api/v1/sync` (push, then pull);
//! - [`blobs`]: resumable photo uploads and downloads, within the reader's scope;
//! - [`hand_over`]: a revoked device's unsent work, held for an administrator;
//! - [`library`]: the published reference documents;
//! - [`error`]: [`ApiError`], a clear message for the device and internals only in the log.

pub mod auth;
pub mod blobs;
pub mod error;
pub mod hand_over;
pub mod library;
pub mod sync;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::{get, post};

use mandoob_shared::access::{Scope, scope_of};
use mandoob_shared::sync::ApiErrorCode;

pub use error::ApiError;

use crate::sign_in_limits::MAX_SIGN_IN_BODY;
use crate::state::AppState;
use crate::storage::{AuthSession, BlobViewer};

/// The device API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/login",
            post(auth::login).layer(DefaultBodyLimit::max(MAX_SIGN_IN_BODY)),
        )
        .route(
            PASSWORD_PATH,
            post(auth::change_password).layer(DefaultBodyLimit::max(MAX_SIGN_IN_BODY)),
        )
        .route("/api/v1/sync", post(sync::sync))
        .route("/api/v1/blobs/missing", post(blobs::missing_blobs))
        .route("/api/v1/library", get(library::library))
        .route("/api/v1/hand-over", post(hand_over::hand_over))
        .route(
            "/api/v1/hand-over/photos/{sha}",
            axum::routing::put(hand_over::hand_over_photo),
        )
        .route(
            "/api/v1/blobs/{sha}",
            get(blobs::blob_download)
                .head(blobs::blob_status)
                .patch(blobs::blob_upload),
        )
}

/// The one request a device whose password must be changed may make.
const PASSWORD_PATH: &str = "/api/v1/password";

/// The stored hash of a request's bearer token.
pub(crate) fn bearer_hash(parts: &Parts) -> Result<Vec<u8>, ApiError> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized(
            ApiErrorCode::NotSignedIn,
            "sign in first (no bearer token)",
        ))?;
    Ok(crate::auth::token_hash(token.trim()))
}

/// The session of the bearer token on a request: a device enrolled, not revoked, approved,
/// whose user has no password to change (but on [`PASSWORD_PATH`]).
#[derive(Debug, Clone)]
pub struct Authenticated(pub AuthSession);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let hash = bearer_hash(parts)?;
        let Some(session) = state.storage.session(&hash).await? else {
            if state.storage.revoked_device(&hash).await?.is_some() {
                return Err(ApiError::Unauthorized(
                    ApiErrorCode::DeviceRevoked,
                    "this device was revoked by an administrator",
                ));
            }
            return Err(ApiError::Unauthorized(
                ApiErrorCode::NotSignedIn,
                "this device is not signed in",
            ));
        };
        // An unapproved device may do nothing (not even change the password, which would
        // lock the real person out); changing the password is all a device may do before its
        // user has.
        if !session.approved {
            return Err(ApiError::Forbidden(
                ApiErrorCode::DevicePending,
                "this device waits for an administrator's approval".into(),
            ));
        }
        if session.user.must_change_password && parts.uri.path() != PASSWORD_PATH {
            return Err(ApiError::Forbidden(
                ApiErrorCode::PasswordChangeRequired,
                "an administrator set this password: change it first".into(),
            ));
        }
        Ok(Self(session))
    }
}

/// The cases a session's user may read.
fn session_scope(session: &AuthSession) -> Scope {
    scope_of(session.user.role, &session.user.branch)
}

/// A session's view of the photos.
fn viewer_of(session: &AuthSession) -> BlobViewer {
    BlobViewer {
        device: session.device.clone(),
        user: session.user.id.clone(),
        scope: session_scope(session),
    }
}
