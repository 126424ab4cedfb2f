//! The device API's one error type: a clear message for the device, internals only in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::ServiceError;
use crate::storage::StorageError;

/// An error answered to a client.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(&'static str),
    Forbidden(String),
    NotFound(&'static str),
    Conflict(String),
    Unprocessable(String),
    TooLarge(String),
    TooManyRequests(String),
    /// Refused for now (429 or 503), with how many seconds to wait (`Retry-After`).
    Later(StatusCode, String, u64),
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Later(status, message, seconds) = &self {
            let retry = [(axum::http::header::RETRY_AFTER, seconds.to_string())];
            return (*status, retry, Json(Body { error: message })).into_response();
        }
        let (status, message) = match &self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.as_str()),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, *m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m.as_str()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, *m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m.as_str()),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.as_str()),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m.as_str()),
            ApiError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m.as_str()),
            ApiError::Later(status, m, _) => (*status, m.as_str()),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server log",
                )
            }
        };
        (status, Json(Body { error: message })).into_response()
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
            ServiceError::Rule(rule) => ApiError::BadRequest(rule.to_string()),
            ServiceError::Storage(e) => e.into(),
            ServiceError::Internal(m) => ApiError::Internal(m),
        }
    }
}
