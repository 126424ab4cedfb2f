//! The server's services: what the device API ([`crate::api`]), the console
//! ([`crate::console`]) and the command line (`main.rs`) all call. They hold the rules; the
//! adapters only decode requests and render answers, so a rule is written once and the three
//! ways in cannot disagree.
//!
//! - [`push`]: the one way a change enters the store (it takes the case's lock);
//! - [`accounts`]: sign-in, users, branches, devices and passwords, audited;
//! - [`passwords`]: the password rule, changing one's own, an administrator's reset;
//! - [`hand_over`]: what a revoked device hands over, held for an administrator;
//! - [`library`]: the published reference documents and their version;
//! - [`policy`]: the SLA setting and what "overdue" means;
//! - [`audit`]: the audit log.

pub mod accounts;
pub mod audit;
pub mod hand_over;
pub mod library;
pub mod passwords;
pub mod policy;
pub mod push;

use crate::storage::StorageError;

/// Why a service refused or failed. Adapters turn it into their own answers (a JSON error, a
/// page in the user's language, a line on the terminal).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request breaks a rule; the message says which, in English, and
    /// [`ServiceError::key`] names its translation.
    #[error(transparent)]
    Rule(#[from] accounts::Rule),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    /// The translation key of a refusal, for pages in the user's language.
    pub fn key(&self) -> &'static str {
        match self {
            ServiceError::Rule(r) => r.key(),
            ServiceError::Storage(_) | ServiceError::Internal(_) => "console-failed",
        }
    }
}
