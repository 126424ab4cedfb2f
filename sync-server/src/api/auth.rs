//! `POST /api/v1/login`: a device signs in once with a username and password and gets a token.

use axum::Json;
use axum::extract::State;
use chrono::Utc;

use mandoob_shared::sync::{LoginRequest, LoginResponse};

use super::ApiError;
use crate::service::accounts::{SignIn, verify_sign_in};
use crate::state::AppState;

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
    let (token, token_hash) = crate::auth::new_token().map_err(ApiError::Internal)?;
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
