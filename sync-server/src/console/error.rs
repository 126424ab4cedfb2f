//! The console's one error type. A handler returns `Result<Response, ConsoleError>`; the
//! error becomes a page with one message in the user's language (never the device API's JSON),
//! rendered by [`render_failures`], which knows the request's language.

use std::borrow::Cow;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;

use super::{lang_of, message_page};
use crate::service::{ServiceError, accounts::Rule};
use crate::storage::StorageError;

/// Why a console request did not succeed.
#[derive(Debug)]
pub enum ConsoleError {
    /// A page with this status and one translated message.
    Page {
        status: StatusCode,
        key: Cow<'static, str>,
    },
    /// Back to a page that shows the problem in place (a refused decision, an empty answer).
    Redirect(String),
}

impl ConsoleError {
    pub fn new(status: StatusCode, key: impl Into<Cow<'static, str>>) -> Self {
        ConsoleError::Page {
            status,
            key: key.into(),
        }
    }

    /// A form the console does not make (a forged or broken post).
    pub fn bad_form() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "console-bad-form")
    }

    /// The user's role does not allow this.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "console-forbidden")
    }

    /// Something failed on the server; the details are in the log, nothing was changed.
    pub fn failed() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "console-failed")
    }
}

/// A failure's translation key, carried from a handler to [`render_failures`].
#[derive(Debug, Clone)]
struct Failure(Cow<'static, str>);

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match self {
            ConsoleError::Page { status, key } => {
                let mut response = status.into_response();
                response.extensions_mut().insert(Failure(key));
                response
            }
            ConsoleError::Redirect(to) => Redirect::to(&to).into_response(),
        }
    }
}

impl From<StorageError> for ConsoleError {
    fn from(e: StorageError) -> Self {
        tracing::error!(error = %e, "console: storage failed");
        match e {
            StorageError::NotFound(_) => Self::new(StatusCode::NOT_FOUND, "console-no-such-case"),
            _ => Self::failed(),
        }
    }
}

impl From<ServiceError> for ConsoleError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Rule(rule) => {
                let status = match rule {
                    Rule::UserExists(_) | Rule::BranchExists(_) => StatusCode::CONFLICT,
                    Rule::NoSuchDevice(_) | Rule::NoSuchUser(_) => StatusCode::NOT_FOUND,
                    _ => StatusCode::BAD_REQUEST,
                };
                Self::new(status, rule.key())
            }
            ServiceError::Storage(e) => e.into(),
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "console: internal error");
                Self::failed()
            }
        }
    }
}

/// Renders the page of a handler's [`ConsoleError`] in the request's language.
pub async fn render_failures(request: Request, next: Next) -> Response {
    let lang = lang_of(&CookieJar::from_headers(request.headers()));
    let response = next.run(request).await;
    match response.extensions().get::<Failure>() {
        Some(Failure(key)) => message_page(lang, response.status(), key),
        None => response,
    }
}
