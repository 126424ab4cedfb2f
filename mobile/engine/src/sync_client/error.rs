//! Why a sync failed: the server's code for a refusal ([`ApiErrorCode`]), kept for the app to
//! say in the user's language, and the details for the log.

use mandoob_shared::sync::{ApiErrorBody, ApiErrorCode};

use crate::engine::EngineError;

/// Sync failures. What the representative is shown comes from the code (the app translates
/// it); the details are for the log.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no connection to the server: {0}")]
    Offline(String),
    #[error("the server refused the sign-in or this device: {0}")]
    Unauthorized(ServerError),
    #[error("the server answered with an error: {0}")]
    Server(ServerError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl SyncError {
    /// The server's code for the refusal, when it gave one.
    pub fn code(&self) -> Option<ApiErrorCode> {
        match self {
            SyncError::Unauthorized(e) | SyncError::Server(e) => e.code,
            _ => None,
        }
    }

    /// The message key of this failure for the person (`SyncState::Error` carries it).
    pub fn message_key(&self) -> String {
        match self {
            SyncError::Offline(_) => "error-offline".into(),
            SyncError::Engine(_) => "error-storage".into(),
            SyncError::Unauthorized(e) | SyncError::Server(e) => e
                .code
                .map(|c| c.label_key())
                .unwrap_or_else(|| "error-server".into()),
        }
    }
}

/// What the server said when it refused: its code ([`ApiErrorCode`]) and, for the log, the
/// status and its English message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    pub code: Option<ApiErrorCode>,
    pub detail: String,
}

impl ServerError {
    /// A failure found on this side (an answer that does not decode, too large).
    pub fn local(detail: impl Into<String>) -> Self {
        Self {
            code: None,
            detail: detail.into(),
        }
    }

    /// The error answer with `status` and `body` (`{"code", "error"}`).
    pub fn of_answer(status: reqwest::StatusCode, body: &[u8]) -> Self {
        let said: ApiErrorBody = serde_json::from_slice(body).unwrap_or(ApiErrorBody {
            code: String::new(),
            error: "no details".into(),
        });
        Self {
            code: ApiErrorCode::from_code(&said.code),
            detail: format!("{status}: {}", said.error),
        }
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "{} ({})", self.detail, code.code()),
            None => f.write_str(&self.detail),
        }
    }
}
