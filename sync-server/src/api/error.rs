//! The device API's one error type: a clear message for the device, internals only in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mandoob_shared::sync::{ApiErrorBody, ApiErrorCode};

use crate::service::ServiceError;
use crate::storage::StorageError;

/// An error answered to a client: its status, a stable code the app translates
/// ([`ApiErrorCode`]) and an English message for logs.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    /// The device speaks another protocol version: the app must be updated.
    Outdated(String),
    Unauthorized(ApiErrorCode, &'static str),
    Forbidden(ApiErrorCode, String),
    NotFound(&'static str),
    Conflict(String),
    /// A rule of the server refused it.
    Refused(String),
    Unprocessable(String),
    TooLarge(String),
    TooManyRequests(String),
    /// Refused for now (429 or 503), with how many seconds to wait (`Retry-After`).
    Later(StatusCode, ApiErrorCode, String, u64),
    Internal(String),
}

impl ApiError {
    /// The code the device is told.
    pub fn code(&self) -> ApiErrorCode {
        use ApiErrorCode as C;
        match self {
            ApiError::BadRequest(_) => C::BadRequest,
            ApiError::Outdated(_) => C::UpdateRequired,
            ApiError::Unauthorized(code, _) | ApiError::Forbidden(code, _) => *code,
            ApiError::Later(_, code, _, _) => *code,
            ApiError::NotFound(_) => C::NotFound,
            ApiError::Conflict(_) => C::Conflict,
            ApiError::Refused(_) | ApiError::Unprocessable(_) => C::Refused,
            ApiError::TooLarge(_) => C::TooLarge,
            ApiError::TooManyRequests(_) => C::Quota,
            ApiError::Internal(_) => C::Internal,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code().code().to_owned();
        let body = |error: &str| {
            Json(ApiErrorBody {
                code: code.clone(),
                error: error.to_owned(),
            })
        };
        if let ApiError::Later(status, _, message, seconds) = &self {
            let retry = [(axum::http::header::RETRY_AFTER, seconds.to_string())];
            return (*status, retry, body(message)).into_response();
        }
        let (status, message) = match &self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.as_str()),
            ApiError::Outdated(m) => (StatusCode::BAD_REQUEST, m.as_str()),
            ApiError::Unauthorized(_, m) => (StatusCode::UNAUTHORIZED, *m),
            ApiError::Forbidden(_, m) => (StatusCode::FORBIDDEN, m.as_str()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, *m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m.as_str()),
            ApiError::Refused(m) => (StatusCode::BAD_REQUEST, m.as_str()),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.as_str()),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m.as_str()),
            ApiError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m.as_str()),
            ApiError::Later(status, _, m, _) => (*status, m.as_str()),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server log",
                )
            }
        };
        (status, body(message)).into_response()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict(m) => ApiError::Conflict(m),
            StorageError::NotFound(_) => ApiError::NotFound("not found"),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Rule(rule) => {
                use crate::service::accounts::Rule;
                use ApiErrorCode as C;
                let message = rule.to_string();
                match rule {
                    Rule::Password => ApiError::Forbidden(C::PasswordWeak, message),
                    Rule::CommonPassword => ApiError::Forbidden(C::PasswordCommon, message),
                    Rule::WrongPassword => ApiError::Forbidden(C::SignInWrong, message),
                    Rule::Locked => ApiError::Forbidden(C::AccountLocked, message),
                    Rule::Wait(seconds) => ApiError::Later(
                        StatusCode::TOO_MANY_REQUESTS,
                        C::SignInWait,
                        message,
                        seconds,
                    ),
                    Rule::Busy => {
                        ApiError::Later(StatusCode::SERVICE_UNAVAILABLE, C::ServerBusy, message, 1)
                    }
                    _ => ApiError::Refused(message),
                }
            }
            ServiceError::Storage(e) => e.into(),
            ServiceError::Internal(m) => ApiError::Internal(m),
        }
    }
}
