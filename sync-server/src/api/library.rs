//! `GET /api/v1/library`: the reference documents HQ published, with an `ETag` so a device
//! downloads them only when they changed.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use mandoob_shared::sync::Library;

use super::{ApiError, Authenticated};
use crate::service::library;
use crate::state::AppState;

/// `GET /api/v1/library`: the published reference documents, or 304 when the device's copy
/// (its `If-None-Match`) is current.
pub async fn library(
    State(state): State<AppState>,
    Authenticated(_session): Authenticated,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let documents = state.storage.library().await?;
    let version = library::version_of(&documents);
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
