//! `POST /api/v1/login`: a device signs in once with a username and password and gets a token;
//! `POST /api/v1/password`: its user changes their password.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use mandoob_shared::sync::{ApiErrorCode, ChangePasswordRequest, LoginRequest, LoginResponse};

use super::{ApiError, Authenticated};
use crate::service::accounts::{SignIn, enrol_device, verify_sign_in};
use crate::service::passwords;
use crate::sign_in_limits::ClientAddress;
use crate::state::AppState;

/// `POST /api/v1/login`: username and password once; a device token back.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let user = match verify_sign_in(&state, address, &req.username, &req.password).await? {
        SignIn::Ok(user) => user,
        SignIn::Wrong => {
            return Err(ApiError::Unauthorized(
                ApiErrorCode::SignInWrong,
                "wrong username or password",
            ));
        }
        SignIn::Wait(wait) => {
            let seconds = wait.as_secs().max(1);
            return Err(ApiError::Later(
                StatusCode::TOO_MANY_REQUESTS,
                ApiErrorCode::SignInWait,
                format!(
                    "too many failed sign-ins from this address; try again in {seconds} seconds"
                ),
                seconds,
            ));
        }
        SignIn::Locked => {
            return Err(ApiError::Forbidden(
                ApiErrorCode::AccountLocked,
                "this account is locked after too many failed sign-ins; an administrator can unlock it"
                    .into(),
            ));
        }
        SignIn::Busy => {
            return Err(ApiError::Later(
                StatusCode::SERVICE_UNAVAILABLE,
                ApiErrorCode::ServerBusy,
                "the server is busy checking other sign-ins; try again in a moment".into(),
                1,
            ));
        }
    };
    let (token, token_hash) = crate::auth::new_token().map_err(ApiError::Internal)?;
    // The name the representative gave this device (the app suggests the browser and
    // platform), at most 60 characters of it, without control characters.
    let given: String = req
        .device_name
        .chars()
        .filter(|c| !c.is_control())
        .take(60)
        .collect();
    let name = if given.trim().is_empty() {
        "device"
    } else {
        given.trim()
    };
    // Enrolments are audited (who, which device).
    let device = enrol_device(state.storage.as_ref(), &user, name, &token_hash).await?;
    Ok(Json(LoginResponse {
        token,
        user: user.id,
        display_name: user.display_name,
        role: user.role,
        branch: user.branch,
        device,
        must_change_password: user.must_change_password,
        pending_approval: user.enrol_needs_approval,
    }))
}

/// `POST /api/v1/password`: the device's user changes their password (the current one is
/// checked within the sign-in limits, see [`passwords::change_own`]); `204 No Content`.
pub async fn change_password(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Authenticated(session): Authenticated,
    Json(req): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    passwords::change_own(
        &state,
        address,
        &session.user.id,
        &req.current,
        &req.new,
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
