//! A revoked device's hand-over ([`crate::service::hand_over`]): `POST /api/v1/hand-over` (its
//! unsent changes, as a [`HandOver`](mandoob_shared::sync::HandOver)) and
//! `PUT /api/v1/hand-over/photos/{sha}` (a photo it had not uploaded). Only a revoked device's
//! token is taken here; a device still enrolled syncs instead.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;

use mandoob_shared::ids::{DeviceCode, UserId};
use mandoob_shared::sync::{ApiErrorCode, HandOverReceipt};

use super::ApiError;
use crate::service::hand_over::{self, HandOverError};
use crate::state::AppState;

/// The device and user of a revoked device's token.
#[derive(Debug, Clone)]
pub struct RevokedDevice(pub DeviceCode, pub UserId);

impl FromRequestParts<AppState> for RevokedDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let hash = super::bearer_hash(parts)?;
        if let Some((device, user)) = state.storage.revoked_device(&hash).await? {
            return Ok(Self(device, user));
        }
        if state.storage.session(&hash).await?.is_some() {
            return Err(ApiError::Conflict(
                "this device is not revoked: it syncs its work instead".into(),
            ));
        }
        Err(ApiError::Unauthorized(
            ApiErrorCode::NotSignedIn,
            "this device is not signed in",
        ))
    }
}

impl From<HandOverError> for ApiError {
    fn from(e: HandOverError) -> Self {
        match e {
            HandOverError::Malformed(m) => ApiError::BadRequest(m),
            HandOverError::Full => ApiError::TooManyRequests(e.to_string()),
            HandOverError::Service(e) => e.into(),
        }
    }
}

/// `POST /api/v1/hand-over`: holds the changes for an administrator.
pub async fn hand_over(
    State(state): State<AppState>,
    RevokedDevice(device, user): RevokedDevice,
    body: Bytes,
) -> Result<Json<HandOverReceipt>, ApiError> {
    let held = hand_over::hold_changes(&state, &device, &user, &body).await?;
    tracing::info!(device = %device, held, "revoked device handed over changes");
    Ok(Json(HandOverReceipt { held }))
}

/// `PUT /api/v1/hand-over/photos/{sha}`: holds one photo, verified against its name.
pub async fn hand_over_photo(
    State(state): State<AppState>,
    RevokedDevice(device, user): RevokedDevice,
    Path(sha): Path<String>,
    body: Bytes,
) -> Result<Json<HandOverReceipt>, ApiError> {
    if !mandoob_shared::schema::is_sha256(&sha) {
        return Err(ApiError::BadRequest(
            "a photo is named by its lowercase hex SHA-256".into(),
        ));
    }
    hand_over::hold_photo(&state, &device, &user, &sha, &body).await?;
    Ok(Json(HandOverReceipt { held: 1 }))
}
